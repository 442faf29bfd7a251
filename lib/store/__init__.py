"""Corrective actions, their comments and audit history, and team notes: SQLite by default, PostgreSQL by URL.

    store = Store.from_settings(Settings.load())        # migrates on start
    action, warnings = store.create_action("sample", service="Finances", title="…", author="Ana")
    store.update_action(action.id, {"status": "done"}, expected_version=action.version, author="Ana")

Everything refers to datasets by slug and to services and KPIs by name, so it survives new versions
and appends of a dataset. No Streamlit here: lib/ui caches one Store per process.
"""

from lib.store.frames import ACTION_SCHEMA, DUE_FILTERS, NOTE_SCHEMA, due_filter
from lib.store.migrations import LATEST, MIGRATIONS, Migration
from lib.store.model import (
    EDITABLE,
    OPEN_STATUSES,
    PRIORITIES,
    SAMPLE_AUTHOR,
    STATUSES,
    TEXT_MAX,
    TITLE_MAX,
    Action,
    Change,
    Comment,
    Conflict,
    Issue,
    Note,
    NotFound,
    SchemaTooNew,
    SignalRef,
    ValidationError,
)
from lib.store.store import Store
from lib.store.text import conflict_lines, issue_message

__all__ = [
    "ACTION_SCHEMA",
    "DUE_FILTERS",
    "EDITABLE",
    "LATEST",
    "MIGRATIONS",
    "NOTE_SCHEMA",
    "OPEN_STATUSES",
    "PRIORITIES",
    "SAMPLE_AUTHOR",
    "STATUSES",
    "TEXT_MAX",
    "TITLE_MAX",
    "Action",
    "Change",
    "Comment",
    "Conflict",
    "Issue",
    "Migration",
    "Note",
    "NotFound",
    "SchemaTooNew",
    "SignalRef",
    "Store",
    "ValidationError",
    "conflict_lines",
    "due_filter",
    "issue_message",
]
