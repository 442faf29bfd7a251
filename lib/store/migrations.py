"""Versioned schema migrations: an ordered list applied on start, each in its own transaction.

The `schema_version` table holds one row per applied version. Each migration creates its tables from
its own frozen definitions (never from schema.py, which moves on), so replaying v1 in a year still
builds the v1 schema. PostgreSQL and SQLite both run DDL inside transactions (see schema.py for
SQLite), so a migration that fails leaves the database at the previous version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import (
    Column,
    Connection,
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
    func,
    insert,
    inspect,
    select,
    text,
)

from lib.store.model import SchemaTooNew
from lib.store.schema import schema_version

# Any constant: serialises concurrent starts of several app processes on one PostgreSQL database.
_PG_LOCK = 0x56_49_47_49


class Migration(NamedTuple):
    version: int
    description: str
    apply: Callable[[Connection], None]


def _stamps() -> list[Column]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("created_by", String(200), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("updated_by", String(200), nullable=False),
    ]


def _v1(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "actions",
        meta,
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
        Index("ix_actions_dataset_due", "dataset", "due"),
    )
    Table(
        "comments",
        meta,
        Column("id", Integer, primary_key=True),
        Column("action_id", Integer, ForeignKey("actions.id"), nullable=False),
        Column("text", Text, nullable=False),
        *_stamps(),
        Index("ix_comments_action", "action_id"),
    )
    Table(
        "changes",
        meta,
        Column("id", Integer, primary_key=True),
        Column("action_id", Integer, ForeignKey("actions.id"), nullable=False),
        Column("version", Integer, nullable=False),
        Column("field", String(50), nullable=False),
        Column("old", Text),
        Column("new", Text),
        Column("changed_at", DateTime(timezone=True), nullable=False),
        Column("changed_by", String(200), nullable=False),
        Index("ix_changes_action_version", "action_id", "version"),
    )
    meta.create_all(conn)


def _v2(conn: Connection) -> None:
    for ddl in (
        "ADD COLUMN priority VARCHAR(10) DEFAULT 'medium' NOT NULL",
        "ADD COLUMN signal_kind VARCHAR(50)",
        "ADD COLUMN signal_period DATE",
        f"ADD COLUMN signal_severity {Float().compile(dialect=conn.dialect)}",
        "ADD COLUMN signal_message TEXT",
    ):
        conn.execute(text(f"ALTER TABLE actions {ddl}"))
    meta = MetaData()
    Table(
        "notes",
        meta,
        Column("id", Integer, primary_key=True),
        Column("dataset", String(200), nullable=False),
        Column("service", Text, nullable=False),
        Column("kpi", Text, nullable=False),
        Column("period", Date, nullable=False),
        Column("text", Text, nullable=False),
        *_stamps(),
        Column("deleted_at", DateTime(timezone=True)),
        Column("deleted_by", String(200)),
        Index("ix_notes_dataset_period", "dataset", "period"),
    )
    meta.create_all(conn)


def _v3(conn: Connection) -> None:
    meta = MetaData()
    Table(
        "briefings",
        meta,
        Column("id", Integer, primary_key=True),
        Column("dataset", String(200), nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("created_by", String(200), nullable=False),
        Column("link", Text, nullable=False),
        Column("lang", String(5), nullable=False),
        Column("period", Date, nullable=False),
        Column("version", Integer),
        Column("snapshot", Text, nullable=False),
        Index("ix_briefings_dataset_created", "dataset", "created_at"),
    )
    meta.create_all(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "actions, comments, change history", _v1),
    Migration(2, "notes; action priority and originating signal", _v2),
    Migration(3, "briefings: each generated pack and its snapshot", _v3),
)
LATEST = MIGRATIONS[-1].version


def current_version(conn: Connection) -> int:
    """0 for an empty database."""
    if not inspect(conn).has_table(schema_version.name):
        return 0
    return conn.execute(select(func.coalesce(func.max(schema_version.c.version), 0))).scalar_one()


def migrate(
    engine: Engine,
    migrations: Sequence[Migration] = MIGRATIONS,
    *,
    clock: Callable[[], datetime] | None = None,
) -> int:
    """Apply the migrations the database lacks, each in its own transaction; returns the version reached."""
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)) or (versions and versions[0] < 1):
        raise ValueError(f"migration versions must be positive and strictly increasing: {versions}")
    latest = versions[-1] if versions else 0
    now = clock or (lambda: datetime.now(UTC))
    reached = 0
    for migration in [None, *migrations]:  # None: create the version table (and check the version)
        with engine.connect() as conn:
            conn.execution_options(vigie_write=True)
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(select(func.pg_advisory_xact_lock(_PG_LOCK)))
                if migration is None:
                    schema_version.create(conn, checkfirst=True)
                reached = current_version(conn)
                if reached > latest:
                    raise SchemaTooNew(f"database schema version {reached}; this Vigie knows up to {latest}")
                if migration is None or migration.version <= reached:
                    continue
                migration.apply(conn)
                conn.execute(
                    insert(schema_version).values(
                        version=migration.version, description=migration.description, applied_at=now()
                    )
                )
                reached = migration.version
    return reached
