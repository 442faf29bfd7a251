"""The store's records, codes and errors: plain frozen dataclasses, no database here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

STATUSES = ("planned", "in_progress", "done", "dropped")  # i18n actions.status.<code>
PRIORITIES = ("high", "medium", "low")  # i18n actions.priority.<code>
OPEN_STATUSES = ("planned", "in_progress")

# What update_action may change; the dataset and the originating signal are fixed at creation.
EDITABLE = (
    "service",
    "kpi",
    "title",
    "description",
    "owner",
    "start",
    "due",
    "status",
    "priority",
    "expected_effect",
)
DATE_FIELDS = frozenset({"start", "due"})
TITLE_MAX = 200
TEXT_MAX = 5_000
SAMPLE_AUTHOR = "Vigie (exemple)"


@dataclass(frozen=True)
class SignalRef:
    """The signal an action was created from; `message` is in the creator's language."""

    kind: str
    period: date
    severity: float
    message: str


@dataclass(frozen=True)
class Action:
    id: int
    dataset: str
    service: str
    kpi: str | None
    title: str
    description: str
    owner: str
    start: date
    due: date | None
    status: str
    priority: str
    expected_effect: str
    signal: SignalRef | None
    version: int  # optimistic concurrency: +1 on every update
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class Comment:
    id: int
    action_id: int
    text: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Note:
    """A team note on a KPI × service × period ("strike in March")."""

    id: int
    dataset: str
    service: str
    kpi: str
    period: date
    text: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class Change:
    """One changed field of one update: the audit history. Values as text (dates ISO), None for empty."""

    action_id: int
    version: int
    field: str
    old: str | None
    new: str | None
    changed_at: datetime
    changed_by: str


@dataclass(frozen=True)
class Issue:
    """A validation finding; its message is t(f"actions.issue.{code}", lang, **values)."""

    field: str
    code: str
    level: str  # "error" | "warning"
    values: dict = field(default_factory=dict)


class ValidationError(ValueError):
    """Raised when at least one "error" issue exists; carries every issue found, warnings included."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("; ".join(f"{i.field}: {i.code}" for i in issues if i.level == "error"))

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]


class Conflict(RuntimeError):
    """The second of two concurrent edits: nothing was written.

    `current` is what the other person saved; `theirs` maps each field they changed since the version
    the caller started from to (value the caller started from, value they saved).
    """

    def __init__(self, current: Action, theirs: dict[str, tuple], expected_version: int) -> None:
        self.current = current
        self.theirs = theirs
        self.expected_version = expected_version
        super().__init__(
            f"action {current.id} is at version {current.version}, not {expected_version}: "
            f"{current.updated_by} changed {sorted(theirs)}"
        )


class NotFound(LookupError):
    """No such action, comment or note (or a note already deleted)."""


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer Vigie than this one; refusing to write to it."""
