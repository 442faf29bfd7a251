"""From a dataset and a view to the small frames pages draw: filter early, aggregate in Polars.

Datasets are held sorted by period, so a date window is a zero-copy row range found by binary search
(`_window`) rather than a scan of every row; then services and KPIs are filtered, and only the rows
left are rolled up.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from lib import model
from lib.filters import Domain, ViewState, period_end
from lib.periods import infer_grain, truncate_date


def domain_of(
    data: pl.DataFrame, catalog: pl.DataFrame, year_start_month: int = 1
) -> tuple[Domain, list[date]]:
    """What a dataset offers (names, grain, first and last period) and its distinct periods, sorted."""
    periods = data.get_column("period").unique().sort().to_list()
    axes = catalog.get_column("axis").drop_nulls().unique().to_list() if "axis" in catalog.columns else []
    domain = Domain(
        services=frozenset(data.get_column("service").unique().cast(pl.String).to_list()),
        kpis=frozenset(data.get_column("kpi").unique().cast(pl.String).to_list()),
        axes=frozenset(axes),
        grain=infer_grain(periods, year_start_month),
        first=periods[0],
        last=periods[-1],
    )
    return domain, periods


def selected_kpis(view: ViewState, catalog: pl.DataFrame) -> list[str] | None:
    """KPIs the view keeps (its KPIs and axes, both applying), or None for all."""
    if not view.kpis and not view.axes:
        return None
    keep = catalog
    if view.kpis:
        keep = keep.filter(pl.col("kpi").is_in(list(view.kpis)))
    if view.axes:
        keep = keep.filter(pl.col("axis").is_in(list(view.axes)))
    return keep.get_column("kpi").to_list()


def _window(data: pl.DataFrame | pl.LazyFrame, start: date, end: date) -> pl.LazyFrame:
    """Rows with start <= period <= end. In memory: a slice of the period-sorted frame found by binary
    search (no copy, no scan). A lazy scan of Parquet: a filter, which skips row groups by statistics."""
    if isinstance(data, pl.LazyFrame):
        return data.filter(pl.col("period").is_between(start, end))
    periods = data.get_column("period")
    lo = periods.search_sorted(start, side="left")
    hi = periods.search_sorted(end, side="right")
    return data.slice(lo, hi - lo).lazy()


def _first_shown(view: ViewState, year_start_month: int) -> date:
    assert view.start is not None and view.grain is not None
    return truncate_date(view.start, "month" if view.grain == "ytd" else view.grain, year_start_month)


def _last_day(view: ViewState, year_start_month: int) -> date:
    """The last day of the period holding `to`: a range ends with a whole period of the view's grain."""
    assert view.end is not None and view.grain is not None
    grain = "month" if view.grain == "ytd" else view.grain
    return period_end(truncate_date(view.end, grain, year_start_month), grain)


def _lookback_start(view: ViewState, year_start_month: int, data_grain: str = "month") -> date:
    """How far back rows are needed: the comparison period, and the year's start for year to date."""
    start = _first_shown(view, year_start_month)
    if view.compare != "target":
        shifted = model.comparison_period(view.grain or "month", view.compare, data_grain)
        start = pl.DataFrame({"period": [start]}).select(shifted).item()
    if view.grain == "ytd":
        start = truncate_date(start, "year", year_start_month)
    return start


def filtered_rows(
    data: pl.DataFrame | pl.LazyFrame, catalog: pl.DataFrame, view: ViewState, start: date, end: date
) -> pl.LazyFrame:
    rows = _window(data, start, end)
    if view.services:
        rows = rows.filter(pl.col("service").is_in(list(view.services)))
    kpis = selected_kpis(view, catalog)
    if kpis is not None:
        rows = rows.filter(pl.col("kpi").is_in(kpis))
    return rows


def performance(
    data: pl.DataFrame | pl.LazyFrame,
    catalog: pl.DataFrame,
    view: ViewState,
    data_grain: str,
    year_start_month: int = 1,
    history: pl.DataFrame | None = None,
    total_label: str | None = None,
) -> pl.DataFrame:
    """period × service × KPI at the view's grain within its dates: actual, target, gap, gap_pct,
    status and the comparison, for the services and KPIs it selects; status and gap filters keep the
    series whose last period in the range matches them.

    `history`, when given, is the whole dataset already rolled up at the view's grain with its gaps
    (lib.model, sorted by period; computed once per dataset version): a filter change then only
    filters it. Ranges cover whole periods of the grain either way.

    `total_label`: one series per KPI instead, the total of the selected services (each KPI's
    agg_services rule) named so; its comparison looks back like the services' own."""
    assert view.start is not None and view.end is not None and view.grain is not None
    lookback, end = _lookback_start(view, year_start_month, data_grain), _last_day(view, year_start_month)
    if history is not None:
        base = filtered_rows(history, catalog, view, lookback, end)
    else:
        rows = filtered_rows(data, catalog, view, lookback, end)
        base = model.with_gap(
            model.rollup_time(rows, catalog, view.grain, data_grain, year_start_month), catalog
        )
    if total_label is not None:
        base = model.with_gap(model.rollup_services(base, catalog, total_label), catalog)
    out = model.with_comparison(base, view.grain, view.compare, data_grain)
    out = out.filter(pl.col("period") >= _first_shown(view, year_start_month)).collect()
    return keep_matching_series(out, view).sort("period", "service", "kpi")


def keep_matching_series(frame: pl.DataFrame, view: ViewState) -> pl.DataFrame:
    """Apply the status and gap filters to each service × KPI at its last period in the range."""
    if not view.statuses and view.gap_min is None and view.gap_max is None:
        return frame
    last = frame.filter(pl.col("period") == pl.col("period").max().over("service", "kpi"))
    cond = pl.lit(True)
    if view.statuses:
        cond &= pl.col("status").is_in(list(view.statuses))
    if view.gap_min is not None:
        cond &= pl.col("gap_pct") >= view.gap_min
    if view.gap_max is not None:
        cond &= pl.col("gap_pct") <= view.gap_max
    keep = last.filter(cond).select("service", "kpi")
    return frame.join(keep, on=["service", "kpi"], how="semi")


def latest(frame: pl.DataFrame) -> pl.DataFrame:
    """The last period of the range, one row per service × KPI (each at its own last period)."""
    return frame.filter(pl.col("period") == pl.col("period").max().over("service", "kpi")).sort(
        "service", "kpi"
    )
