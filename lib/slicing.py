"""From a dataset and a view to the small frames pages draw: filter early, aggregate in Polars."""

from __future__ import annotations

from datetime import date

import polars as pl

from lib.filters import Domain
from lib.periods import infer_grain


def domain_of(
    data: pl.DataFrame, catalog: pl.DataFrame, year_start_month: int = 1
) -> tuple[Domain, list[date]]:
    """What a dataset offers (names, grain, first and last period) and its distinct periods, sorted."""
    periods = data.get_column("period").unique().sort().to_list()
    axes = catalog.get_column("axis").drop_nulls().unique().to_list() if "axis" in catalog.columns else []
    domain = Domain(
        services=frozenset(data.get_column("service").cast(pl.String).unique().to_list()),
        kpis=frozenset(data.get_column("kpi").cast(pl.String).unique().to_list()),
        axes=frozenset(axes),
        grain=infer_grain(periods, year_start_month),
        first=periods[0],
        last=periods[-1],
    )
    return domain, periods
