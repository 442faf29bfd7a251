"""Sentences about the store's findings, in the user's language (the page shows them as they come)."""

from __future__ import annotations

from datetime import date

from lib.fmt import fmt_date, fmt_datetime
from lib.i18n import t
from lib.store.model import Change, Conflict, Issue


def issue_message(issue: Issue, lang: str) -> str:
    return t(f"actions.issue.{issue.code}", lang, **issue.values)


def field_label(field: str, lang: str) -> str:
    return t(f"actions.field.{field}", lang)


def value_text(field: str, value: object, lang: str) -> str:
    """A field's value as a person reads it: labels for codes, formatted dates, '—' for nothing."""
    if value is None or value == "":
        return "—"
    if field in ("status", "priority"):
        return t(f"actions.{field}.{value}", lang)
    if isinstance(value, date):
        return fmt_date(value, lang)
    if field in ("start", "due"):  # history values come as ISO text
        return fmt_date(date.fromisoformat(str(value)), lang)
    return str(value)


def change_line(change: Change, lang: str) -> str:
    """One line of an action's history: 'Status: Planned → Done'."""
    return t(
        "actions.history.change",
        lang,
        field=field_label(change.field, lang),
        old=value_text(change.field, change.old, lang),
        new=value_text(change.field, change.new, lang),
    )


def conflict_lines(conflict: Conflict, lang: str) -> list[str]:
    """Who saved what meanwhile, one line per field they changed, then what to do."""
    current = conflict.current
    lines = [
        t(
            "actions.conflict.message",
            lang,
            author=current.updated_by,
            when=fmt_datetime(current.updated_at, lang),
        )
    ]
    for field, (base, theirs) in conflict.theirs.items():
        lines.append(
            t(
                "actions.conflict.field",
                lang,
                field=field_label(field, lang),
                base=value_text(field, base, lang),
                theirs=value_text(field, theirs, lang),
                author=current.updated_by,
            )
        )
    lines.append(t("actions.conflict.advice", lang))
    return lines
