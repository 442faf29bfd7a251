"""Period texts: every format Vigie reads, the d/m order decided per column, Excel serials."""

from __future__ import annotations

from datetime import date

import pytest

from lib.ingest.dates import DATE_FORM, day_first, parse_period, parse_periods


@pytest.mark.parametrize(
    ("text", "start", "form"),
    [
        ("2025-03-31", date(2025, 3, 31), DATE_FORM),
        ("2025/03/31", date(2025, 3, 31), DATE_FORM),
        ("2025-03-31 00:00:00", date(2025, 3, 31), DATE_FORM),  # how XLSX date cells arrive
        ("2025-03-31T12:30:00Z", date(2025, 3, 31), DATE_FORM),
        ("31/03/2025", date(2025, 3, 31), DATE_FORM),
        ("31-03-2025", date(2025, 3, 31), DATE_FORM),
        ("31.03.2025", date(2025, 3, 31), DATE_FORM),
        ("1/3/25", date(2025, 3, 1), DATE_FORM),
        ("20250331", date(2025, 3, 31), DATE_FORM),
        ("2025-03", date(2025, 3, 1), "month"),
        ("2025/3", date(2025, 3, 1), "month"),
        ("03/2025", date(2025, 3, 1), "month"),
        ("3-2025", date(2025, 3, 1), "month"),
        ("202503", date(2025, 3, 1), "month"),
        ("2025", date(2025, 1, 1), "year"),
        ("2025-2026", date(2025, 1, 1), "year"),
        ("2025-Q1", date(2025, 1, 1), "quarter"),
        ("2025 Q3", date(2025, 7, 1), "quarter"),
        ("Q1 2025", date(2025, 1, 1), "quarter"),
        ("q4-2025", date(2025, 10, 1), "quarter"),
        ("T1 2025", date(2025, 1, 1), "quarter"),
        ("T2 2025", date(2025, 4, 1), "quarter"),
        ("2025T3", date(2025, 7, 1), "quarter"),
        ("2025-W12", date(2025, 3, 17), "week"),
        ("2025W01", date(2024, 12, 30), "week"),  # ISO week 1 of 2025 starts in 2024
        ("S12 2025", date(2025, 3, 17), "week"),
        ("W12 2025", date(2025, 3, 17), "week"),
        ("janv. 2025", date(2025, 1, 1), "month"),
        ("janvier 2025", date(2025, 1, 1), "month"),
        ("Janv 2025", date(2025, 1, 1), "month"),
        ("févr. 2025", date(2025, 2, 1), "month"),
        ("fevrier 2025", date(2025, 2, 1), "month"),
        ("février 2025", date(2025, 2, 1), "month"),
        ("mars 2025", date(2025, 3, 1), "month"),
        ("avr. 2025", date(2025, 4, 1), "month"),
        ("mai 2025", date(2025, 5, 1), "month"),
        ("juin 2025", date(2025, 6, 1), "month"),
        ("juil 2025", date(2025, 7, 1), "month"),
        ("juillet 2025", date(2025, 7, 1), "month"),
        ("août 2025", date(2025, 8, 1), "month"),
        ("aout 2025", date(2025, 8, 1), "month"),
        ("sept. 2025", date(2025, 9, 1), "month"),
        ("oct. 2025", date(2025, 10, 1), "month"),
        ("nov 2025", date(2025, 11, 1), "month"),
        ("déc. 2025", date(2025, 12, 1), "month"),
        ("décembre 2025", date(2025, 12, 1), "month"),
        ("janv.-25", date(2025, 1, 1), "month"),  # Excel's French mmm-yy
        ("Jan 2025", date(2025, 1, 1), "month"),
        ("January 2025", date(2025, 1, 1), "month"),
        ("Sep-2025", date(2025, 9, 1), "month"),
        ("15 mars 2025", date(2025, 3, 15), DATE_FORM),
        ("1er mars 2025", date(2025, 3, 1), DATE_FORM),
        ("March 15, 2025", date(2025, 3, 15), DATE_FORM),
        ("  2025-03  ", date(2025, 3, 1), "month"),
    ],
)
def test_each_format(text, start, form):
    assert parse_periods([text]) == {text: (start, form)}


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "2025-13",
        "13/2025",
        "31/02/2025",
        "2025-02-30",
        "Q5 2025",
        "2025-W54",
        "foo 2025",
        "12345",
        "1899",
        "45658",
        "2025-03-31-01",
    ],
)
def test_unreadable(text):
    assert parse_periods([text]) == {text: (None, None)}


def test_month_first_only_when_the_values_prove_it():
    us = ["12/31/2025", "01/15/2026", "02/01/2026"]
    assert not day_first(us)
    assert parse_periods(us)["02/01/2026"] == (date(2026, 2, 1), DATE_FORM)
    # French default: ambiguous values read day first ...
    assert parse_periods(["02/01/2026", "03/01/2026"])["02/01/2026"] == (date(2026, 1, 2), DATE_FORM)
    # ... and a value over 12 in first place settles it the same way.
    assert day_first(["13/01/2026", "01/02/2026"])
    # Contradictory values (both parts over 12 somewhere): day first, and the impossible one is bad.
    mixed = parse_periods(["13/01/2026", "01/13/2026"])
    assert mixed["13/01/2026"] == (date(2026, 1, 13), DATE_FORM) and mixed["01/13/2026"] == (None, None)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("45658", date(2025, 1, 1)),
        ("45716", date(2025, 2, 28)),
        ("45658.5", date(2025, 1, 1)),
        ("1", date(1899, 12, 31)),
    ],
)
def test_excel_serials_only_in_workbooks(text, start):
    assert parse_periods([text], excel=True) == {text: (start, DATE_FORM)}
    assert parse_periods([text]) == {text: (None, None)}


def test_year_start_month_moves_quarters_and_years():
    parsed = parse_periods(["2025", "T1 2025", "Q3 2025", "2025-2026"], year_start_month=9)
    assert parsed == {
        "2025": (date(2025, 9, 1), "year"),
        "T1 2025": (date(2025, 9, 1), "quarter"),
        "Q3 2025": (date(2026, 3, 1), "quarter"),
        "2025-2026": (date(2025, 9, 1), "year"),
    }


def test_parse_period_single_value():
    assert parse_period("mars 2026") == date(2026, 3, 1)
    assert parse_period("n/a") is None
