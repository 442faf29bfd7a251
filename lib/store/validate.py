"""Checks on what a user typed, all at once: a list of Issues (errors refuse the write, warnings don't).

Messages: t(f"actions.issue.{code}", lang, **values). Values that read differently per language come
as a `_fr` / `_en` pair (field names, dates, lists of choices), the catalog's convention.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from datetime import date

from lib.fmt import fmt_date, fmt_int
from lib.i18n import LANGS, t
from lib.store.model import PRIORITIES, STATUSES, TEXT_MAX, TITLE_MAX, Issue

PREVIEW = 40  # characters of an over-long text quoted in its message


def _both(make) -> dict[str, str]:
    return {lang: make(lang) for lang in LANGS}


def _per_lang(name: str, make) -> dict[str, str]:
    return {f"{name}_{lang}": text for lang, text in _both(make).items()}


def _dates(**values: date) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in values.items():
        out.update(_per_lang(name, lambda lang, v=value: fmt_date(v, lang, "long")))
    return out


def _choices(prefix: str, codes: tuple[str, ...]) -> dict[str, str]:
    return _per_lang("allowed", lambda lang: ", ".join(t(f"actions.{prefix}.{c}", lang) for c in codes))


def _preview(value: str) -> str:
    return value if len(value) <= PREVIEW else value[:PREVIEW].rstrip() + "…"


def closest(value: str, known: Collection[str]) -> str:
    """The known name most like `value` (difflib's ratio, case-insensitive); '—' when none is known."""
    names = sorted(known)
    if not names:
        return "—"
    lowered = {name.casefold(): name for name in names}
    best = difflib.get_close_matches(value.casefold(), list(lowered), n=1, cutoff=0.0)
    return lowered[best[0]]


def check_length(field: str, value: str | None) -> list[Issue]:
    # Titles and authors are String(200) columns (PostgreSQL enforces the length); the rest is Text.
    limit = TITLE_MAX if field in ("title", "author") else TEXT_MAX
    if value is None or len(value) <= limit:
        return []
    values = {"start": _preview(value)}
    values.update(_per_lang("length", lambda lang: fmt_int(len(value), lang)))
    values.update(_per_lang("max", lambda lang: fmt_int(limit, lang)))
    values.update(_per_lang("field", lambda lang: t(f"actions.field.{field}", lang)))
    return [Issue(field, "too_long", "error", values)]


def check_author(author: str) -> list[Issue]:
    if not author.strip():
        return [Issue("author", "empty_author", "error", {})]
    return check_length("author", author)


def check_text(text: str, field: str = "text") -> list[Issue]:
    if not text.strip():
        return [Issue(field, "empty_text", "error", {})]
    return check_length(field, text)


def check_name(
    field: str, value: str | None, known: Collection[str] | None, *, required: bool = True
) -> list[Issue]:
    """A service or KPI name; unknown ones name the closest known one."""
    if value is None or not value.strip():
        return [Issue(field, f"empty_{field}", "error", {})] if required else []
    if known is not None and value not in known:
        return [Issue(field, f"unknown_{field}", "error", {"value": value, "closest": closest(value, known)})]
    return check_length(field, value)


def check_action(
    values: Mapping[str, object],
    *,
    today: date,
    checked: Collection[str],
    known_services: Collection[str] | None = None,
    known_kpis: Collection[str] | None = None,
) -> list[Issue]:
    """Issues of an action's values (all fields present); only fields in `checked` are judged.

    An update checks only what it changes: an action whose service left the dataset, or whose due date
    has passed, can still be closed or commented on without tripping on old news.
    """
    issues: list[Issue] = []
    if "service" in checked:
        issues += check_name("service", values["service"], known_services)  # type: ignore[arg-type]
    if "kpi" in checked:
        issues += check_name("kpi", values["kpi"], known_kpis, required=False)  # type: ignore[arg-type]
    if "title" in checked:
        title = str(values["title"])
        issues += [Issue("title", "empty_title", "error", {})] if not title.strip() else []
        issues += check_length("title", title)
    for field in ("description", "owner", "expected_effect"):
        if field in checked:
            issues += check_length(field, str(values[field]))
    if "status" in checked and values["status"] not in STATUSES:
        issues.append(
            Issue(
                "status", "bad_status", "error", {"value": values["status"], **_choices("status", STATUSES)}
            )
        )
    if "priority" in checked and values["priority"] not in PRIORITIES:
        issues.append(
            Issue(
                "priority",
                "bad_priority",
                "error",
                {"value": values["priority"], **_choices("priority", PRIORITIES)},
            )
        )
    start, due = values["start"], values["due"]
    if "start" in checked and not isinstance(start, date):
        issues.append(Issue("start", "empty_start", "error", {}))
    elif isinstance(due, date) and ({"start", "due"} & set(checked)):
        if due < start:  # type: ignore[operator]
            issues.append(Issue("due", "due_before_start", "error", _dates(due=due, start=start)))  # type: ignore[arg-type]
        elif "due" in checked and due < today:
            issues.append(Issue("due", "due_in_past", "warning", _dates(due=due, today=today)))
    return issues
