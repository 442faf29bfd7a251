"""The Actions page's logic, without Streamlit: filters on the store's actions frame, counts, the
table and export frames, a draft from a signal, and the rows of an edit conflict.

"Today" is always a parameter, so tests (and a page replaying a past date) choose it.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import polars as pl

from lib.fmt import fmt_date, fmt_datetime, fmt_number
from lib.i18n import t
from lib.store.model import EDITABLE, OPEN_STATUSES, PRIORITIES, STATUSES, Change

DUE_FILTERS = ("overdue", "due_this_month")
SCOPES = ("open", "all")
OVERDUE_SYMBOL = "⚠"
# What a follow-up meeting reads first (late? what, where it stands, by when, who) comes first.
TABLE_COLUMNS = (
    "overdue_flag",
    "id",
    "title",
    "status",
    "due",
    "owner",
    "service",
    "kpi",
    "start",
    "priority",
)
EXPORT_COLUMNS = (
    "id",
    "service",
    "kpi",
    "title",
    "description",
    "owner",
    "start",
    "due",
    "status",
    "priority",
    "overdue",
    "expected_effect",
    "signal_kind",
    "signal_period",
    "signal_message",
    "created_at",
    "created_by",
    "updated_at",
    "updated_by",
)


@dataclass(frozen=True)
class ActionQuery:
    """What the Actions page's filters ask for; an empty tuple means "any"."""

    due: str | None = None  # "overdue" | "due_this_month" | None
    scope: str = "open"  # "open" | "all" statuses (ignored when `statuses` names some)
    statuses: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    kpis: tuple[str, ...] = ()


def month_bounds(today: date) -> tuple[date, date]:
    return today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])


def _is_open() -> pl.Expr:
    return pl.col("status").cast(pl.String).is_in(OPEN_STATUSES)


def overdue_expr(today: date) -> pl.Expr:
    """Open and due before today (due today is not late yet; no due date is never late)."""
    return (_is_open() & (pl.col("due") < pl.lit(today)).fill_null(False)).alias("overdue")


def due_this_month_expr(today: date) -> pl.Expr:
    """Open and due within today's calendar month (late ones of earlier this month included)."""
    first, last = month_bounds(today)
    return (_is_open() & pl.col("due").is_between(pl.lit(first), pl.lit(last)).fill_null(False)).alias(
        "due_this_month"
    )


def flag(frame: pl.DataFrame, today: date) -> pl.DataFrame:
    """The actions with `overdue` and `due_this_month` columns (booleans, never null)."""
    return frame.with_columns(overdue_expr(today), due_this_month_expr(today))


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    # Soonest deadline first, actions without one last; the id keeps ties stable.
    return frame.sort(["due", "id"], nulls_last=True)


def filter_actions(frame: pl.DataFrame, query: ActionQuery, today: date) -> pl.DataFrame:
    """The actions `query` asks for, flagged (see `flag`), soonest due first, no due date last."""
    if query.due is not None and query.due not in DUE_FILTERS:
        raise ValueError(f"unknown due filter {query.due!r}; expected one of {DUE_FILTERS} or None")
    if query.scope not in SCOPES:
        raise ValueError(f"unknown scope {query.scope!r}; expected one of {SCOPES}")
    out = flag(frame, today)
    if query.due:
        out = out.filter(pl.col(query.due))
    if query.statuses:
        out = out.filter(pl.col("status").cast(pl.String).is_in(list(query.statuses)))
    elif query.scope == "open":
        out = out.filter(_is_open())
    for column, wanted in (("owner", query.owners), ("service", query.services), ("kpi", query.kpis)):
        if wanted:
            out = out.filter(pl.col(column).cast(pl.String).is_in(list(wanted)))
    return _sorted(out)


def counts(frame: pl.DataFrame, today: date) -> dict[str, int]:
    """open, overdue, due_this_month (open ones) and done, over `frame`."""
    if frame.is_empty():
        return {"open": 0, "overdue": 0, "due_this_month": 0, "done": 0}
    row = frame.select(
        _is_open().sum().alias("open"),
        overdue_expr(today).sum(),
        due_this_month_expr(today).sum(),
        (pl.col("status").cast(pl.String) == "done").sum().alias("done"),
    ).row(0, named=True)
    return {k: int(v) for k, v in row.items()}


def distinct(frame: pl.DataFrame, column: str) -> list[str]:
    """Non-empty distinct values of a text column, sorted."""
    values = frame.get_column(column).cast(pl.String).drop_nulls().unique().to_list()
    return sorted(v for v in values if v.strip())


def _labels(prefix: str, codes: Sequence[str], lang: str) -> dict[str, str]:
    return {c: t(f"{prefix}.{c}", lang) for c in codes}


def _coded(column: str, prefix: str, codes: Sequence[str], lang: str) -> pl.Expr:
    """A code column (status, priority) as its label in `lang`."""
    return pl.col(column).cast(pl.String).replace_strict(_labels(prefix, codes, lang))


def status_label(code: str, lang: str) -> str:
    return t(f"actions.status.{code}", lang)


def priority_label(code: str, lang: str) -> str:
    return t(f"actions.priority.{code}", lang)


def table_frame(flagged: pl.DataFrame, lang: str) -> pl.DataFrame:
    """What the page's table shows: an explicit overdue column (symbol and word, not colour alone),
    translated status and priority. `flagged` comes from `filter_actions`."""
    late = f"{OVERDUE_SYMBOL} {t('actions_page.overdue', lang)}"
    return flagged.select(
        pl.when(pl.col("overdue")).then(pl.lit(late)).otherwise(pl.lit("")).alias("overdue_flag"),
        "id",
        "title",
        _coded("status", "actions.status", STATUSES, lang),
        "due",
        "owner",
        "service",
        pl.col("kpi").fill_null(""),  # an action on the whole service
        "start",
        _coded("priority", "actions.priority", PRIORITIES, lang),
    )


def export_frame(flagged: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The filtered actions as downloaded: every field a reader needs, labels in the UI language."""
    yes, no = t("actions_page.yes", lang), t("actions_page.no", lang)
    out = flagged
    for column, dtype in (
        ("signal_kind", pl.String),
        ("signal_period", pl.Date),
        ("signal_message", pl.String),
    ):
        if column not in out.columns:
            out = out.with_columns(pl.lit(None, dtype).alias(column))
    written = {
        "status": _coded("status", "actions.status", STATUSES, lang),
        "priority": _coded("priority", "actions.priority", PRIORITIES, lang),
        "overdue": pl.when(pl.col("overdue")).then(pl.lit(yes)).otherwise(pl.lit(no)).alias("overdue"),
        **{c: pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S") for c in ("created_at", "updated_at")},
    }
    return out.select(written.get(c, c) for c in EXPORT_COLUMNS)


def headers(lang: str, columns: Sequence[str] = EXPORT_COLUMNS) -> dict[str, str]:
    return {c: t(f"actions_page.col.{c}", lang) for c in columns}


def draft_from_signal(row: Mapping[str, object], message: str, lang: str) -> dict:
    """The create form's draft for a signal card: service, KPI, a title from the signal's kind, and the
    signal itself (kind, period, severity, its sentence in the UI language)."""
    kind = str(row["kind"])
    title = t("actions_page.draft_title", lang, kind=t(f"signals.kind.{kind}", lang), kpi=row["kpi"])
    return {
        "service": str(row["service"]),
        "kpi": str(row["kpi"]),
        "title": title,
        "signal": {
            "kind": kind,
            "period": row["period"],
            "severity": float(row["severity"]),  # type: ignore[arg-type]
            "message": message,
        },
    }


def draft_values(draft: Mapping[str, object], services: Sequence[str], kpis: Sequence[str]) -> dict:
    """The create form's fields a draft (from a signal card or an Explore point) may prefill: names the
    dataset has, dates, known codes and text; anything else is left to its default."""
    out: dict[str, object] = {}
    for field in EDITABLE:
        value = draft.get(field)
        if field == "service" and value in services or field == "kpi" and value in kpis:
            out[field] = value
        elif field in ("start", "due") and isinstance(value, date):
            out[field] = value.date() if isinstance(value, datetime) else value
        elif field == "status" and value in STATUSES or field == "priority" and value in PRIORITIES:
            out[field] = value
        elif field in ("title", "description", "owner", "expected_effect") and isinstance(value, str):
            out[field] = value
    return out


def value_text(field: str, value: object, lang: str) -> str:
    """A field's value as a person reads it (translated codes, local dates, '—' for nothing)."""
    if value is None or value == "":
        return "—"
    if field == "status" and value in STATUSES:
        return status_label(str(value), lang)
    if field == "priority" and value in PRIORITIES:
        return priority_label(str(value), lang)
    if isinstance(value, datetime):
        return fmt_datetime(value, lang)
    if isinstance(value, date):
        return fmt_date(value, lang)
    if isinstance(value, float):
        return fmt_number(value, lang, 2)
    return str(value)


def conflict_frame(
    theirs: Mapping[str, tuple[object, object]], mine: Mapping[str, object], lang: str
) -> pl.DataFrame:
    """One row per field the other person changed: the value you started from, theirs, and yours
    (what you typed, kept so nothing is lost). Fields in the form's order."""
    order = {f: i for i, f in enumerate(EDITABLE)}
    rows = []
    for field in sorted(theirs, key=lambda f: (order.get(f, len(order)), f)):
        start, their = theirs[field]
        rows.append(
            {
                "field": t(f"actions_page.field.{field}", lang)
                if field in order
                else field,  # a field the form does not edit (should not happen): its name
                "started_from": value_text(field, start, lang),
                "theirs": value_text(field, their, lang),
                "yours": value_text(field, mine.get(field), lang),
            }
        )
    schema = {"field": pl.String, "started_from": pl.String, "theirs": pl.String, "yours": pl.String}
    return pl.DataFrame(rows, schema=schema)


def changed_fields(before: Mapping[str, object], typed: Mapping[str, object]) -> dict[str, object]:
    """The fields of `typed` that differ from `before` (what an update sends)."""
    return {k: v for k, v in typed.items() if before.get(k) != v}


def _stored_value(field: str, text: str | None) -> object:
    """An audit value (dates as ISO text) back to what value_text formats."""
    if text is not None and field in ("start", "due"):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return text
    return text


HISTORY_COLUMNS = ("version", "changed_at", "changed_by", "field", "old", "new")


def history_frame(changes: Sequence[Change], lang: str) -> pl.DataFrame:
    """The audit history (lib.store Change records, oldest first) as a person reads it."""
    order = {f: i for i, f in enumerate(EDITABLE)}
    rows = [
        {
            "version": c.version,
            "changed_at": fmt_datetime(c.changed_at, lang),
            "changed_by": c.changed_by,
            "field": t(f"actions_page.field.{c.field}", lang) if c.field in order else c.field,
            "old": value_text(c.field, _stored_value(c.field, c.old), lang),
            "new": value_text(c.field, _stored_value(c.field, c.new), lang),
        }
        for c in changes
    ]
    schema = {"version": pl.Int64, **dict.fromkeys(HISTORY_COLUMNS[1:], pl.String)}
    return pl.DataFrame(rows, schema=schema)


def export_name(dataset: str, today: date, ext: str) -> str:
    """vigie_<dataset>_actions_<date>.<ext>: the file says what it holds and when it was taken."""
    return f"vigie_{dataset}_actions_{today.isoformat()}.{ext}"
