"""Period grains: infer the grain of a set of dates, truncate dates to a grain, label periods.

Quarters and years follow `year_start_month` (Settings.year_start_month): with 9, the year runs from
September to August and its first quarter is September-November. A period is always stored as the
date it starts on; labels name quarters and years by that start (fiscal year "2025-2026").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import overload

import polars as pl
from babel.dates import format_date

from lib.contract import GRAINS

_BABEL_LOCALE = {"fr": "fr_FR", "en": "en_GB"}
_QUARTER = {"fr": "T", "en": "Q"}
_WEEK = {"fr": "S", "en": "W"}

# Smallest gap between two distinct dates that still reads as this grain; the dates must also fall in
# distinct periods of the grain. End-of-month dates (31/01, 28/02) are 28 days apart at least.
_MIN_GAP_DAYS = {"year": 300, "quarter": 80, "month": 25, "week": 7}


def grain_rank(grain: str) -> int:
    """0 for day (finest) up to 4 for year."""
    return GRAINS.index(grain)


def truncate_date(value: date, grain: str, year_start_month: int = 1) -> date:
    """The start of the period of `grain` holding `value`."""
    if grain == "day":
        return value
    if grain == "week":
        return value - timedelta(days=value.weekday())
    months = value.year * 12 + value.month - 1
    if grain == "quarter":
        months -= (months - (year_start_month - 1)) % 3
    elif grain == "year":
        months -= (months - (year_start_month - 1)) % 12
    elif grain != "month":
        raise ValueError(f"unknown grain {grain!r}; expected one of {GRAINS}")
    return date(months // 12, months % 12 + 1, 1)


def _truncate_expr(expr: pl.Expr, grain: str, year_start_month: int) -> pl.Expr:
    if grain == "day":
        return expr
    if grain == "week":
        return expr.dt.truncate("1w")  # ISO weeks: Monday
    if grain == "month":
        # Day arithmetic on the physical day number: a third faster than dt.month_start() on 10M rows.
        return (expr.to_physical() - expr.dt.day().cast(pl.Int32) + 1).cast(pl.Date)
    months = expr.dt.year().cast(pl.Int32) * 12 + expr.dt.month().cast(pl.Int32) - 1
    step = {"quarter": 3, "year": 12}.get(grain)
    if step is None:
        raise ValueError(f"unknown grain {grain!r}; expected one of {GRAINS}")
    start = months - (months - (year_start_month - 1)) % step
    return pl.date(start // 12, start % 12 + 1, 1)


@overload
def truncate(values: pl.Expr, grain: str, year_start_month: int = 1) -> pl.Expr: ...
@overload
def truncate(values: pl.Series, grain: str, year_start_month: int = 1) -> pl.Series: ...
def truncate(values: pl.Expr | pl.Series, grain: str, year_start_month: int = 1) -> pl.Expr | pl.Series:
    """Dates (an expression or a Series of Date) moved to the start of their period."""
    if isinstance(values, pl.Series):
        name = values.name
        out = pl.DataFrame({"d": values}).select(_truncate_expr(pl.col("d"), grain, year_start_month))
        return out.to_series().alias(name)
    return _truncate_expr(values, grain, year_start_month)


def infer_grain(dates: Iterable[date], year_start_month: int = 1) -> str:
    """The grain a set of full dates is reported at, from their spacing.

    The coarsest grain such that the distinct dates fall in distinct periods and are at least
    `_MIN_GAP_DAYS` apart (weekly also needs one weekday throughout): 31/01, 28/02, 31/03 is
    monthly; 2025-01-06, 2025-01-13 weekly. A single date reads as monthly when it is the first or
    the last day of a month, else daily.
    """
    distinct = sorted({d for d in dates if d is not None})
    if not distinct:
        return "day"
    if len(distinct) == 1:
        only = distinct[0]
        return "month" if only.day == 1 or (only + timedelta(days=1)).day == 1 else "day"
    min_gap = min((b - a).days for a, b in zip(distinct, distinct[1:], strict=False))
    same_weekday = len({d.weekday() for d in distinct}) == 1
    for grain in ("year", "quarter", "month", "week"):
        if min_gap < _MIN_GAP_DAYS[grain] or (grain == "week" and not same_weekday):
            continue
        buckets = {truncate_date(d, grain, year_start_month) for d in distinct}
        if len(buckets) == len(distinct):
            return grain
    return "day"


def period_range(first: date, last: date, grain: str, year_start_month: int = 1) -> list[date]:
    """Every period start of `grain` from the period holding `first` to the one holding `last`."""
    current = truncate_date(first, grain, year_start_month)
    end = truncate_date(last, grain, year_start_month)
    out: list[date] = []
    while current <= end:
        out.append(current)
        current = next_period(current, grain)
    return out


def next_period(start: date, grain: str) -> date:
    """The start of the period after the one starting at `start`."""
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    step = {"month": 1, "quarter": 3, "year": 12}[grain]
    months = start.year * 12 + start.month - 1 + step
    return date(months // 12, months % 12 + 1, 1)


def _fiscal_year(start: date, year_start_month: int) -> str:
    year = start.year if start.month >= year_start_month else start.year - 1
    return str(year) if year_start_month == 1 else f"{year}-{year + 1}"


def period_label(
    value: date, grain: str, lang: str, year_start_month: int = 1, *, short: bool = False
) -> str:
    """'mars 2026' / 'March 2026', 'T1 2026' / 'Q1 2026', 'S12 2026' / 'W12 2026', '2026'.

    `short` abbreviates month names ('janv. 2026' / 'Jan 2026').
    """
    lang = lang if lang in _BABEL_LOCALE else "fr"
    locale = _BABEL_LOCALE[lang]
    if grain == "day":
        return format_date(value, "short" if short else "medium", locale=locale)
    if grain == "week":
        iso_year, week, _ = value.isocalendar()
        return f"{_WEEK[lang]}{week} {iso_year}"
    if grain == "month":
        return format_date(value, "MMM y" if short else "MMMM y", locale=locale)
    start = truncate_date(value, grain, year_start_month)
    if grain == "quarter":
        number = (start.month - year_start_month) % 12 // 3 + 1
        return f"{_QUARTER[lang]}{number} {_fiscal_year(start, year_start_month)}"
    if grain == "year":
        return _fiscal_year(start, year_start_month)
    raise ValueError(f"unknown grain {grain!r}; expected one of {GRAINS}")
