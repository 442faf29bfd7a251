"""Saved datasets: versioned, normalised Parquet in the data folder (see library.py for the layout).

Usage: `lib = DatasetLibrary(settings.data_dir)`, `info = lib.save(name, data, catalog, sources=[...])`,
`lib.append(info.slug, more, more_catalog, sources=[...])`, `data, catalog, meta = lib.read(info.slug)`.
"""

from lib.datasets.errors import (
    DatasetBusy,
    DatasetCorrupt,
    DatasetError,
    DatasetNotFound,
    DatasetWriteError,
    InvalidData,
    InvalidName,
    ReservedSlug,
    VersionNotFound,
)
from lib.datasets.frames import catalog_for_append
from lib.datasets.library import DatasetLibrary
from lib.datasets.model import (
    ACTIONS,
    MAX_NAME_LENGTH,
    SAMPLE_SLUG,
    AppendResult,
    DatasetInfo,
    VersionInfo,
    slugify,
)

__all__ = [
    "ACTIONS",
    "MAX_NAME_LENGTH",
    "SAMPLE_SLUG",
    "AppendResult",
    "DatasetBusy",
    "DatasetCorrupt",
    "DatasetError",
    "DatasetInfo",
    "DatasetLibrary",
    "DatasetNotFound",
    "DatasetWriteError",
    "InvalidData",
    "InvalidName",
    "ReservedSlug",
    "VersionInfo",
    "VersionNotFound",
    "catalog_for_append",
    "slugify",
]
