"""Shared builders for frames made in tests: the catalog and data schemas as the app holds them."""

from __future__ import annotations

import polars as pl

from lib.contract import CATALOG_SCHEMA as _CATALOG_TYPES

CATALOG_SCHEMA = {name: getattr(pl, dtype) for name, dtype in _CATALOG_TYPES.items()}
DATA_SCHEMA = {
    "period": pl.Date,
    "service": pl.String,
    "kpi": pl.String,
    "actual": pl.Float64,
    "target": pl.Float64,
    "weight": pl.Float64,
}


def as_held(frame: pl.DataFrame) -> pl.DataFrame:
    """Sorted by period, service, KPI, with categorical service and KPI: a dataset as the app holds it."""
    return frame.sort("period", "service", "kpi").with_columns(pl.col("service", "kpi").cast(pl.Categorical))
