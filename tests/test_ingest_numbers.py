"""Numbers as people write them: separators decided per column, rare forms after the sample, typed columns."""

from __future__ import annotations

import math
import random

import polars as pl
import pytest

from lib.ingest.numbers import SAMPLE_ROWS, decide_formats, parse_number_columns

NBSP, NNBSP = "\u00a0", "\u202f"


def parse(values: list[str | None], hint: str | None = None, excel: bool = False) -> list[float | None | str]:
    """Parsed values, with "BAD" where the value is not a number."""
    frame, _ = parse_number_columns(
        pl.DataFrame({"v": values}, schema={"v": pl.String}), ["v"], hint=hint, excel=excel
    )
    return ["BAD" if bad else value for value, bad in frame.select("v", "v__bad").iter_rows()]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # French: decimal comma, thousands by space, NBSP, narrow NBSP or dots.
        (["1 234,5", "12,25"], [1234.5, 12.25]),
        ([f"1{NBSP}234,5", f"2{NBSP}000{NBSP}000,75"], [1234.5, 2000000.75]),
        ([f"1{NNBSP}234,5", "3,1"], [1234.5, 3.1]),
        (["1.234,5", "2.000.000"], [1234.5, 2000000.0]),
        (["85,3 %", "85,3%", "+5", "-5", "\u22125,5"], [85.3, 85.3, 5.0, -5.0, -5.5]),
        # English: decimal dot, thousands by comma.
        (["1,234.5", "12.25", "1,000,000"], [1234.5, 12.25, 1000000.0]),
        # Plain integers and blanks.
        (["12", "", "   ", None, "0"], [12.0, None, None, None, 0.0]),
        # Garbage and spreadsheet errors are not numbers; neither are nan and inf written as text.
        (
            ["abc", "#N/A", "n/a", "-", "nan", "inf", "1e3"],
            ["BAD", "BAD", "BAD", "BAD", "BAD", "BAD", 1000.0],
        ),
        # The column's majority decides; a value written the other way is not silently misread.
        (["1.234,5", "2,5", "1.5"], [1234.5, 2.5, "BAD"]),
        (["1,234.5", "2.5", "1,5"], [1234.5, 2.5, "BAD"]),
        # A tie reads the French way.
        (["1.234,5", "1.5"], [1234.5, "BAD"]),
        (["1 234,5", "1,234,5"], [1234.5, "BAD"]),
        # Two decimal separators.
        (["1,5", "1,5,5"], [1.5, "BAD"]),
    ],
)
def test_values(values, expected):
    assert parse(values) == expected


@pytest.mark.parametrize(
    ("values", "hint", "expected"),
    [
        # "1.234" alone reads as a decimal (the dot is only thousands when commas are decimals).
        (["1.234", "2.5"], None, [1.234, 2.5]),
        (["1.234"], ",", [1.234]),
        # "1,234" alone: French unless the file says otherwise (a "," separated file is English).
        (["1,234"], None, [1.234]),
        (["1,234"], ";", [1.234]),
        (["1,234"], ".", [1234.0]),
        # A value with a comma decimal settles the column: the dots are thousands.
        (["1.234", "0,5"], None, [1234.0, 0.5]),
        (["1,234", "0.5"], None, [1234.0, 0.5]),
    ],
)
def test_ambiguous_values_are_decided_per_column(values, hint, expected):
    assert parse(values, hint=hint if hint in (",", ".") else ("," if hint == ";" else None)) == expected


def test_other_columns_of_the_file_decide_an_ambiguous_one():
    frame = pl.DataFrame({"a": ["1.234", "2.345"], "b": ["1 000,5", "3,25"]})
    formats = decide_formats(frame, ["a", "b"])
    assert formats["a"].decimal == "," and formats["b"].decimal == ","
    out, _ = parse_number_columns(frame, ["a", "b"])
    assert out["a"].to_list() == [1234.0, 2345.0]


def test_rare_forms_after_the_sample_are_still_read():
    # The plain conversion is planned on a sample; rows it fails on are retried with the full
    # cleaning, so a rare "+5", "85 %" or narrow NBSP deep in the column is read, not rejected.
    rng = random.Random(7)
    n = SAMPLE_ROWS * 5
    values = [f"{rng.randint(1, 999)},{rng.randint(0, 9)}" for _ in range(n)]
    rare = {
        n - 1: ("+5", 5.0),
        n - 7: ("85 %", 85.0),
        n - 13: (f"1{NNBSP}234,5", 1234.5),
        n - 19: ("1.234,5", 1234.5),
        n - 23: ("\u22122", -2.0),
        n - 29: ("1.5", "BAD"),
        n - 31: ("x", "BAD"),
        n - 37: ("\t", None),
    }
    for i, (text, _) in rare.items():
        values[i] = text
    out = parse(values)
    for i, (text, expected) in rare.items():
        assert out[i] == expected, text
    assert out[0] == float(values[0].replace(",", "."))
    assert sum(1 for v in out if v == "BAD") == 2


def test_excel_numeric_cells_are_plain_dot_decimals():
    # In a workbook, numeric cells arrive as "1234.5"; text cells tell how people write numbers.
    assert parse(["1234.5", "13,5", "2.5"], excel=True) == [1234.5, 13.5, 2.5]
    assert parse(["1234.5", "1.234"], excel=True) == [1234.5, 1.234]


def test_typed_columns():
    frame = pl.DataFrame({"i": [1, None, 3], "f": [1.5, math.nan, math.inf]})
    out, formats = parse_number_columns(frame, ["i", "f"])
    assert formats == {}
    assert out["i"].to_list() == [1.0, None, 3.0] and out["i"].dtype == pl.Float64
    assert out["f"].to_list() == [1.5, None, None]  # NaN is "no value"; infinity is not a measurement
    assert out["f__bad"].to_list() == [False, False, True]
    assert out["f__blank"].to_list() == [False, True, False]
