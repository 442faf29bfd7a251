"""What a briefing remembers (its snapshot) and what changed since the last one.

A snapshot is plain JSON (the store keeps it as text): the period briefed, the status of every
service × KPI in the view, the weak signals active, and the actions with their status and whether
they were overdue, all at the briefing's date. `diff` compares the last briefing's snapshot with
today's: KPIs whose status changed, new signals, actions closed or newly overdue.

Only what both briefings could see is compared: a series outside the previous view cannot have
"changed" nor have "new" signals, so a pack built with other filters never reports false news.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import polars as pl

from lib.store.model import OPEN_STATUSES

SNAPSHOT_VERSION = 1
# Worse statuses rank higher: a move up this list is a deterioration.
_RANK = {"on": 0, "watch": 1, "off": 2}


@dataclass(frozen=True)
class StatusChange:
    service: str
    kpi: str
    before: str
    after: str

    @property
    def worse(self) -> bool | None:
        """True for a deterioration, False for an improvement, None when either has no target."""
        if self.before not in _RANK or self.after not in _RANK:
            return None
        return _RANK[self.after] > _RANK[self.before]


@dataclass(frozen=True)
class Changes:
    """What changed since the previous briefing (`generated_at`, at `period` and `grain`)."""

    generated_at: datetime | None
    period: date
    grain: str
    comparable: bool  # same grain: statuses can be compared
    status: tuple[StatusChange, ...] = ()
    new_signals: tuple[tuple[str, str, str], ...] = ()  # (service, kpi, kind)
    closed: tuple[int, ...] = ()  # action ids
    newly_overdue: tuple[int, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.status or self.new_signals or self.closed or self.newly_overdue)


def _aware(value: datetime) -> datetime:
    """Naive means UTC (as in the store): aware and naive times never meet in a comparison."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _series(frame: pl.DataFrame, *columns: str) -> list[list]:
    """Rows of `columns` as JSON lists, names as text, sorted (a snapshot compares equal when equal)."""
    if frame.is_empty():
        return []
    rows = frame.select(pl.col(c).cast(pl.String) for c in columns).unique().sort(list(columns))
    return [list(r) for r in rows.iter_rows()]


def snapshot(
    *,
    period: date,
    grain: str,
    now_rows: pl.DataFrame,
    signals: pl.DataFrame,
    actions: pl.DataFrame,
    today: date,
    generated_at: datetime,
    score: float | None,
) -> dict:
    """The briefing's memory: `now_rows` (service, kpi, status at the period briefed), the weak signals
    active (service, kpi, kind; good news left out), and `actions` (id, status, due, updated_at) as of
    `today`."""
    acts = []
    for row in actions.select("id", "status", "due", "updated_at").sort("id").iter_rows(named=True):
        is_open = row["status"] in OPEN_STATUSES
        late = bool(is_open and row["due"] is not None and row["due"] < today)
        due = row["due"].isoformat() if row["due"] is not None else None
        updated = row["updated_at"].isoformat() if row["updated_at"] is not None else None
        acts.append([int(row["id"]), str(row["status"]), due, late, updated])
    bad = signals.filter(pl.col("polarity") == "bad") if "polarity" in signals.columns else signals
    return {
        "v": SNAPSHOT_VERSION,
        "generated_at": _aware(generated_at).isoformat(),
        "today": today.isoformat(),
        "period": period.isoformat(),
        "grain": grain,
        "score": score,
        "series": _series(now_rows, "service", "kpi", "status"),
        "signals": _series(bad, "service", "kpi", "kind"),
        "actions": acts,
    }


def readable(snap: object) -> bool:
    """A snapshot this version can compare with (an older or damaged one is ignored, never fatal)."""
    if not isinstance(snap, dict) or snap.get("v") != SNAPSHOT_VERSION:
        return False
    try:
        date.fromisoformat(snap["period"])
        return all(isinstance(snap[k], list) for k in ("series", "signals", "actions")) and isinstance(
            snap["grain"], str
        )
    except (KeyError, TypeError, ValueError):
        return False


def _keyed(rows: Iterable[list], width: int) -> dict[tuple, list]:
    return {tuple(r[:width]): r for r in rows}


def diff(previous: dict, current: dict) -> Changes:
    """What changed from `previous` to `current` (both from `snapshot`; `previous` checked `readable`)."""
    grain = previous["grain"]
    comparable = grain == current["grain"]
    before = {k: r[2] for k, r in _keyed(previous["series"], 2).items()}
    now = {k: r[2] for k, r in _keyed(current["series"], 2).items()}
    status: list[StatusChange] = []
    if comparable:
        status = [
            StatusChange(s, k, before[(s, k)], after)
            for (s, k), after in now.items()
            if (s, k) in before and before[(s, k)] != after
        ]
    # Deteriorations first, then improvements, then moves to or from "no target"; by name within each.
    status.sort(key=lambda c: ({True: 0, False: 1, None: 2}[c.worse], c.service, c.kpi))
    seen = {tuple(r) for r in previous["signals"]}
    new_signals = sorted(
        (s, k, kind)
        for s, k, kind in (tuple(r) for r in current["signals"])
        if (s, k) in before and (s, k, kind) not in seen
    )
    old = {int(r[0]): r for r in previous["actions"]}
    stamp = _aware(datetime.fromisoformat(previous["generated_at"])) if previous.get("generated_at") else None
    then = date.fromisoformat(previous["today"]) if previous.get("today") else None
    closed, late = [], []
    for act_id, state, due, overdue, updated in current["actions"]:
        was = old.get(int(act_id))
        # An action the previous pack did not list (created since, or outside its view) counts only
        # when what makes it news happened after that pack: closed since, due since.
        if state not in OPEN_STATUSES and (
            was[1] in OPEN_STATUSES
            if was is not None
            else stamp is not None and updated is not None and _aware(datetime.fromisoformat(updated)) > stamp
        ):
            closed.append(int(act_id))
        if overdue and (
            not was[3] if was is not None else then is not None and date.fromisoformat(due) >= then
        ):
            late.append(int(act_id))
    return Changes(
        generated_at=stamp,
        period=date.fromisoformat(previous["period"]),
        grain=grain,
        comparable=comparable,
        status=tuple(status),
        new_signals=tuple(new_signals),
        closed=tuple(closed),
        newly_overdue=tuple(late),
        counts={
            "status": len(status),
            "new_signals": len(new_signals),
            "closed": len(closed),
            "newly_overdue": len(late),
        },
    )
