"""Read an extract (CSV, XLSX, Parquet file or folder), map its columns, validate every row.

`load_extract` (one source) and `load_files` (several uploads, catalogs among them) never raise on
bad input: they return what could be loaded and a `ValidationReport` saying exactly what was not,
and why. Modules: sources/text (reading), columns (headers), numbers/dates (values), normalise
(one table), validate (grain, duplicates, completeness), load (the whole load); lib.periods and
lib.catalog are shared with the rest of the app.
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
