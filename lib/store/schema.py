"""The tables as the latest migration leaves them, and the engine with its per-dialect settings.

Migrations (migrations.py) create and alter these tables with their own frozen definitions; the test
suite checks that the result matches this module, which is what the queries use.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.types import TypeDecorator

SQLITE_FILE = "vigie.db"
BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for another one before giving up


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on the way out whatever the backend (SQLite keeps no offset); naive means UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()


def _stamps() -> list[Column]:
    return [
        Column("created_at", UTCDateTime, nullable=False),
        Column("created_by", String(200), nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        Column("updated_by", String(200), nullable=False),
    ]


schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

actions = Table(
    "actions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dataset", String(200), nullable=False),
    Column("service", Text, nullable=False),
    Column("kpi", Text),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("owner", Text, nullable=False),
    Column("start", Date, nullable=False),
    Column("due", Date),
    Column("status", String(20), nullable=False),
    Column("expected_effect", Text, nullable=False),
    Column("version", Integer, nullable=False),
    *_stamps(),
    # v2
    Column("priority", String(10), nullable=False, server_default="medium"),
    Column("signal_kind", String(50)),
    Column("signal_period", Date),
    Column("signal_severity", Float),
    Column("signal_message", Text),
    Index("ix_actions_dataset_due", "dataset", "due"),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action_id", Integer, ForeignKey("actions.id"), nullable=False),
    Column("text", Text, nullable=False),
    *_stamps(),
    Index("ix_comments_action", "action_id"),
)

changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("action_id", Integer, ForeignKey("actions.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("field", String(50), nullable=False),
    Column("old", Text),
    Column("new", Text),
    Column("changed_at", UTCDateTime, nullable=False),
    Column("changed_by", String(200), nullable=False),
    Index("ix_changes_action_version", "action_id", "version"),
)

# v2. A deleted note keeps its row (deleted_at/by): the audit trail of who removed what.
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dataset", String(200), nullable=False),
    Column("service", Text, nullable=False),
    Column("kpi", Text, nullable=False),
    Column("period", Date, nullable=False),
    Column("text", Text, nullable=False),
    *_stamps(),
    Column("deleted_at", UTCDateTime),
    Column("deleted_by", String(200)),
    Index("ix_notes_dataset_period", "dataset", "period"),
)

# v3. One row per generated briefing pack; `snapshot` is JSON text (lib.briefing.since), so both
# backends store it the same way and a newer Vigie can read an older one.
briefings = Table(
    "briefings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("dataset", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("link", Text, nullable=False),
    Column("lang", String(5), nullable=False),
    Column("period", Date, nullable=False),
    Column("version", Integer),  # the dataset's version; None for the bundled sample
    Column("snapshot", Text, nullable=False),
    Index("ix_briefings_dataset_created", "dataset", "created_at"),
)


def normalise_url(url: str) -> str:
    """`postgres://` and `postgresql://` mean psycopg 3 here (psycopg2 is not installed)."""
    parsed = make_url(
        url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url
    )
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sqlite_url(data_dir: Path) -> str:
    data_dir = Path(data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / SQLITE_FILE}"


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True)


def _sqlite_engine(url: str) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # pysqlite would otherwise run DDL outside any transaction (a failed migration half-applied) and
        # open writes as DEFERRED (two writers then fail on upgrade instead of waiting): SQLAlchemy's
        # documented recipe is to switch its own transaction handling off and emit BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent on power loss with NORMAL
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # Writers take the write lock at BEGIN (and wait for it up to busy_timeout), so a read-then-write
        # transaction never fails half-way because another writer got in first.
        conn.exec_driver_sql(
            "BEGIN IMMEDIATE" if conn.get_execution_options().get("vigie_write") else "BEGIN"
        )

    return engine
