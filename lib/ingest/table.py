"""The raw table every reader produces, and the exception readers raise when a file is unusable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from lib.ingest.report import Notice, Rejection

LINE = "__line"  # CSV line, sheet row or 1-based Parquet row of each record
FILE = "__file"  # the file a record comes from (part files of a Parquet folder differ)


class ReadError(Exception):
    """Nothing usable in a file: becomes report.error (Notice `ingest.error.<code>`)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def notice(self) -> Notice:
        return Notice(self.code, self.params, kind="error")


@dataclass
class RawTable:
    """A file as read: headers as written, values as found (strings, or typed from Parquet)."""

    file: str
    kind: str  # "text", "xlsx" or "parquet": how numbers and dates are written
    headers: list[str]  # source headers, surrounding whitespace removed
    frame: pl.DataFrame  # columns c0..c{n-1} (one per header) + LINE (+ FILE for Parquet folders)
    rejected: list[Rejection] = field(default_factory=list)  # whole-record problems (field_count)
    notices: list[Notice] = field(default_factory=list)
    sheet: str | None = None
    decimal_hint: str | None = None  # "," for a ";"-separated text file, where commas are decimals
    rows_read: int = 0  # records read, blank ones left out, field_count ones included
    catalog_sheet: RawTable | None = None  # a KPI catalog found in another sheet of the same workbook
    cp1252: bool = False  # values are Windows-1252 read as Latin-1: see lib.ingest.text.fix_cp1252

    @staticmethod
    def column_names(count: int) -> list[str]:
        return [f"c{i}" for i in range(count)]


# Eager DataFrame.select/with_columns evaluate their expressions one after the other in Polars 2.1;
# going through the lazy engine runs them in parallel (twice as fast on two cores for our parsing).
def select(frame: pl.DataFrame, *exprs: pl.Expr | str | Iterable[pl.Expr | str]) -> pl.DataFrame:
    return frame.lazy().select(*exprs).collect()


def with_columns(frame: pl.DataFrame, *exprs: pl.Expr | Iterable[pl.Expr]) -> pl.DataFrame:
    return frame.lazy().with_columns(*exprs).collect()
