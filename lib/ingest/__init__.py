"""Read an extract (CSV, XLSX, Parquet file or folder), map its columns, validate every row.

`load_extract` is the one entry point: it never raises on bad input; it returns what could be loaded
and a `ValidationReport` saying exactly what was not, and why.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from lib.ingest.report import Notice, Rejection, ValidationReport

__all__ = ["LoadResult", "Notice", "Rejection", "ValidationReport", "load_extract", "load_files"]


@dataclass
class LoadResult:
    # Normalised rows, columns lib.contract.DATA_COLUMNS: period Date (period start), service and kpi
    # Categorical, actual/target/weight Float64 (nullable), owner Categorical (nullable).
    # None exactly when report.error is set.
    data: pl.DataFrame | None
    # One row per KPI, schema lib.contract.CATALOG_SCHEMA, defaults applied (warnings say which).
    catalog: pl.DataFrame | None
    report: ValidationReport


from lib.ingest.load import load_extract, load_files  # noqa: E402  (after LoadResult, which it uses)
