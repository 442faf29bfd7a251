"""Actions and notes as Polars frames (one row each, the records' fields), and the due-date filters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import polars as pl

from lib.store.model import OPEN_STATUSES

_STAMP = pl.Datetime("us", "UTC")
ACTION_SCHEMA = {
    "id": pl.Int64,
    "dataset": pl.String,
    "service": pl.String,
    "kpi": pl.String,
    "title": pl.String,
    "description": pl.String,
    "owner": pl.String,
    "start": pl.Date,
    "due": pl.Date,
    "status": pl.String,
    "priority": pl.String,
    "expected_effect": pl.String,
    "signal_kind": pl.String,
    "signal_period": pl.Date,
    "signal_severity": pl.Float64,
    "signal_message": pl.String,
    "version": pl.Int64,
    "created_at": _STAMP,
    "created_by": pl.String,
    "updated_at": _STAMP,
    "updated_by": pl.String,
}
NOTE_SCHEMA = {
    "id": pl.Int64,
    "dataset": pl.String,
    "service": pl.String,
    "kpi": pl.String,
    "period": pl.Date,
    "text": pl.String,
    "created_at": _STAMP,
    "created_by": pl.String,
}
DUE_FILTERS = ("overdue", "due_this_month", "open")  # i18n actions.due.<kind>


def rows_frame(rows: Iterable[Sequence], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=schema, orient="row")


def due_filter(frame: pl.DataFrame, kind: str, today: date) -> pl.DataFrame:
    """Open actions that are overdue (due before today), due this calendar month, or simply open.

    Done and dropped actions are never overdue nor due: they need no follow-up.
    """
    if kind not in DUE_FILTERS:
        raise ValueError(f"unknown due filter {kind!r}; expected one of {DUE_FILTERS}")
    open_ = pl.col("status").is_in(OPEN_STATUSES)
    if kind == "overdue":
        return frame.filter(open_ & (pl.col("due") < today))
    if kind == "due_this_month":
        month = pl.col("due").dt.truncate("1mo") == date(today.year, today.month, 1)
        return frame.filter(open_ & month)
    return frame.filter(open_)
