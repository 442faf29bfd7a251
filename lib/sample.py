"""The committed sample organisation, always available as dataset `sample`."""

from __future__ import annotations

from pathlib import Path

from lib.config import Settings
from lib.ingest import LoadResult, load_extract

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
SAMPLE_EXTRACT = SAMPLE_DIR / "sample.csv"
SAMPLE_CATALOG = SAMPLE_DIR / "sample_catalog.csv"


def load_sample(settings: Settings | None = None) -> LoadResult:
    return load_extract(SAMPLE_EXTRACT, catalog=SAMPLE_CATALOG, settings=settings)
