"""lib.periods: grain inference from spacing, truncation (with a fiscal year start), labels."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from lib.periods import infer_grain, next_period, period_label, period_range, truncate, truncate_date


@pytest.mark.parametrize(
    ("value", "grain", "ysm", "expected"),
    [
        (date(2025, 3, 13), "day", 1, date(2025, 3, 13)),
        (date(2025, 3, 13), "week", 1, date(2025, 3, 10)),  # Thursday -> ISO Monday
        (date(2025, 3, 16), "week", 1, date(2025, 3, 10)),  # Sunday belongs to the week before
        (date(2025, 3, 17), "week", 1, date(2025, 3, 17)),
        (date(2025, 3, 31), "month", 1, date(2025, 3, 1)),
        (date(2025, 5, 20), "quarter", 1, date(2025, 4, 1)),
        (date(2025, 12, 31), "year", 1, date(2025, 1, 1)),
        # Academic year from September: 2025-10-15 is in the quarter and the year starting 2025-09-01.
        (date(2025, 10, 15), "quarter", 9, date(2025, 9, 1)),
        (date(2025, 10, 15), "year", 9, date(2025, 9, 1)),
        (date(2026, 2, 1), "quarter", 9, date(2025, 12, 1)),
        (date(2026, 3, 1), "quarter", 9, date(2026, 3, 1)),
        (date(2026, 8, 31), "year", 9, date(2025, 9, 1)),
        (date(2025, 8, 31), "year", 9, date(2024, 9, 1)),
        (date(2025, 1, 10), "quarter", 4, date(2025, 1, 1)),  # April start: quarters Apr, Jul, Oct, Jan
        (date(2025, 3, 10), "year", 4, date(2024, 4, 1)),
    ],
)
def test_truncate_date_expr_and_series_agree(value, grain, ysm, expected):
    assert truncate_date(value, grain, ysm) == expected
    series = truncate(pl.Series("p", [value]), grain, ysm)
    assert series.to_list() == [expected] and series.name == "p"
    expr = pl.DataFrame({"p": [value]}).select(truncate(pl.col("p"), grain, ysm)).item()
    assert expr == expected


def test_truncate_rejects_unknown_grain():
    with pytest.raises(ValueError, match="unknown grain"):
        truncate_date(date(2025, 1, 1), "semester")


def _monthly(first: date, count: int, end_of_month: bool = False) -> list[date]:
    out = []
    for i in range(count):
        start = next_period(first, "month") if i else first
        first = start
        out.append(next_period(start, "month") - timedelta(days=1) if end_of_month else start)
    return out


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ([], "day"),
        ([date(2025, 3, 1)], "month"),
        ([date(2025, 3, 31)], "month"),  # a lone end-of-month date
        ([date(2025, 3, 14)], "day"),
        ([date(2025, 1, 1) + timedelta(days=i) for i in range(10)], "day"),
        ([date(2025, 1, 6) + timedelta(weeks=i) for i in range(8)], "week"),
        (_monthly(date(2025, 1, 1), 6), "month"),
        # End-of-month dates are monthly: 31/01, 28/02, 31/03 ...
        ([date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)], "month"),
        # Mid-month dates with a gap are still monthly.
        ([date(2025, 1, 15), date(2025, 2, 15), date(2025, 5, 15)], "month"),
        ([date(2025, 3, 31), date(2025, 6, 30), date(2025, 9, 30), date(2025, 12, 31)], "quarter"),
        ([date(2023, 1, 1), date(2024, 1, 1), date(2025, 1, 1)], "year"),
        ([date(2023, 12, 31), date(2024, 12, 31)], "year"),
        # Two dates in one month cannot be monthly, and weekly needs one weekday throughout.
        ([date(2025, 1, 1), date(2025, 1, 30)], "day"),
        ([date(2025, 1, 6), date(2025, 1, 14), date(2025, 1, 20)], "day"),
        ([date(2025, 1, 6), date(2025, 1, 20), date(2025, 2, 3)], "week"),  # fortnightly Mondays
    ],
)
def test_infer_grain(dates, expected):
    assert infer_grain(dates) == expected


def test_infer_grain_with_september_year():
    # 1 Sept each year: yearly whatever the year start; with ysm 9, 2024-09 and 2025-08 are one year.
    assert infer_grain([date(2024, 9, 1), date(2025, 9, 1)], 9) == "year"
    assert infer_grain([date(2024, 9, 1), date(2025, 8, 1)], 9) == "quarter"


@pytest.mark.parametrize(
    ("value", "grain", "ysm", "fr", "en"),
    [
        (date(2026, 3, 1), "month", 1, "mars 2026", "March 2026"),
        (date(2026, 2, 1), "month", 1, "février 2026", "February 2026"),
        (date(2026, 1, 1), "quarter", 1, "T1 2026", "Q1 2026"),
        (date(2026, 10, 1), "quarter", 1, "T4 2026", "Q4 2026"),
        (date(2026, 3, 16), "week", 1, "S12 2026", "W12 2026"),
        (date(2026, 1, 1), "year", 1, "2026", "2026"),
        (date(2025, 9, 1), "quarter", 9, "T1 2025-2026", "Q1 2025-2026"),
        (date(2026, 6, 1), "quarter", 9, "T4 2025-2026", "Q4 2025-2026"),
        (date(2025, 9, 1), "year", 9, "2025-2026", "2025-2026"),
        (date(2026, 3, 14), "day", 1, "14 mars 2026", "14 Mar 2026"),
    ],
)
def test_period_label(value, grain, ysm, fr, en):
    assert period_label(value, grain, "fr", ysm) == fr
    assert period_label(value, grain, "en", ysm) == en


def test_period_label_short_months():
    assert period_label(date(2026, 1, 1), "month", "fr", short=True) == "janv. 2026"
    assert period_label(date(2026, 1, 1), "month", "en", short=True) == "Jan 2026"


@pytest.mark.parametrize(
    ("first", "last", "grain", "ysm", "expected"),
    [
        (
            date(2025, 1, 15),
            date(2025, 4, 2),
            "month",
            1,
            [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1)],
        ),
        (
            date(2025, 10, 1),
            date(2026, 3, 1),
            "quarter",
            9,
            [date(2025, 9, 1), date(2025, 12, 1), date(2026, 3, 1)],
        ),
        (
            date(2025, 12, 29),
            date(2026, 1, 12),
            "week",
            1,
            [date(2025, 12, 29), date(2026, 1, 5), date(2026, 1, 12)],
        ),
        (
            date(2024, 2, 28),
            date(2024, 3, 1),
            "day",
            1,
            [date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1)],
        ),
        (date(2025, 5, 1), date(2025, 4, 1), "month", 1, []),
    ],
)
def test_period_range(first, last, grain, ysm, expected):
    assert period_range(first, last, grain, ysm) == expected
