"""Vigie's seeded sample organisation and large benchmark extracts (see sample_data/README.md).

from sample_data.generate import sample_extract, large_extract
"""
