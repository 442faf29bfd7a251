"""Schema migrations on SQLite and PostgreSQL: from empty, from v1 with rows, restarts, failures."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Connection, MetaData, Table, inspect, text

from lib.store import LATEST, MIGRATIONS, Migration, SchemaTooNew, SignalRef, Store
from lib.store.migrations import current_version, migrate
from lib.store.schema import make_engine, metadata
from tests.test_store import Clock, db_url  # noqa: F401  (db_url: the SQLite / PostgreSQL fixture)

T1 = datetime(2025, 6, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def engine(db_url):  # noqa: F811
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


def versions(engine) -> list[tuple[int, str]]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT version, description FROM schema_version ORDER BY version"))
        return [tuple(r) for r in rows]


def table_names(engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_migration_list_is_ordered_from_one():
    assert [m.version for m in MIGRATIONS] == list(range(1, len(MIGRATIONS) + 1))
    assert LATEST == MIGRATIONS[-1].version >= 2
    assert all(m.description for m in MIGRATIONS)


@pytest.mark.parametrize("bad", [[2, 1], [1, 1], [0, 1]])
def test_migrate_refuses_a_disordered_list(engine, bad):
    with pytest.raises(ValueError, match="strictly increasing"):
        migrate(engine, [Migration(v, "x", lambda conn: None) for v in bad])
    assert "schema_version" not in table_names(engine)


def test_from_empty_to_latest_matches_the_declared_schema(db_url, engine):  # noqa: F811
    assert table_names(engine) == set()
    with Store(db_url, clock=Clock()) as store:
        assert store.schema_version == LATEST
    assert versions(engine) == [(m.version, m.description) for m in MIGRATIONS]
    # What the migrations built is what schema.py (the queries' view) declares: names, nullability, indexes.
    insp = inspect(engine)
    assert table_names(engine) == set(metadata.tables)
    for name, table in metadata.tables.items():
        built = {c["name"]: c["nullable"] for c in insp.get_columns(name)}
        declared = {c.name: c.nullable for c in table.columns}
        assert built == declared, name
        assert {i["name"] for i in insp.get_indexes(name)} == {i.name for i in table.indexes}, name


def _v1_rows(conn: Connection) -> None:
    """Rows as a v1 Vigie wrote them (no priority, no signal, no notes table): actions 1 and 2."""
    meta = MetaData()
    actions, comments, changes = (
        Table(n, meta, autoload_with=conn) for n in ("actions", "comments", "changes")
    )
    stamps = {"created_at": T1, "created_by": "Ana", "updated_at": T1, "updated_by": "Bo"}
    conn.execute(
        actions.insert(),
        [
            {
                "dataset": "budget",
                "service": "Finances",
                "kpi": "Délai de paiement fournisseurs",
                "title": "Relancer « les » factures",
                "description": "Deux fois par semaine",
                "owner": "Céline Petit",
                "start": date(2025, 6, 1),
                "due": date(2025, 9, 30),
                "status": "in_progress",
                "expected_effect": "-5 jours",
                "version": 2,
                **stamps,
            },
            {
                "dataset": "budget",
                "service": "RH",
                "kpi": None,
                "title": "Sans échéance",
                "description": "",
                "owner": "",
                "start": date(2025, 7, 1),
                "due": None,
                "status": "planned",
                "expected_effect": "",
                "version": 1,
                **stamps,
            },
        ],
    )
    conn.execute(comments.insert().values(action_id=1, text="Première relance", **stamps))
    conn.execute(
        changes.insert().values(
            action_id=1,
            version=2,
            field="status",
            old="planned",
            new="in_progress",
            changed_at=T1,
            changed_by="Bo",
        )
    )


def test_from_v1_with_rows_to_latest(db_url, engine):  # noqa: F811
    assert migrate(engine, MIGRATIONS[:1]) == 1
    assert "notes" not in table_names(engine)
    with engine.begin() as conn:
        _v1_rows(conn)
    with Store(db_url, clock=Clock()) as store:
        assert store.schema_version == LATEST
        first, second = store.actions("budget")
        assert (first.id, first.title, first.status, first.version, first.owner) == (
            1,
            "Relancer « les » factures",
            "in_progress",
            2,
            "Céline Petit",
        )
        assert (first.priority, first.signal, first.created_at, first.updated_by) == (
            "medium",
            None,
            T1,
            "Bo",
        )
        assert (second.id, second.kpi, second.due, second.priority) == (2, None, None, "medium")
        assert [c.text for c in store.comments(1)] == ["Première relance"]
        assert [(c.field, c.old, c.new) for c in store.history(1)] == [("status", "planned", "in_progress")]
        # The migrated rows take part in everything new: edits, conflicts, signals, notes.
        store.update_action(1, {"priority": "high"}, expected_version=2, author="Chloé")
        assert store.get_action(1).priority == "high"
        signal = SignalRef("anomaly", date(2025, 8, 1), 0.7, "Pic")
        created, _ = store.create_action(
            "budget", service="Finances", title="Nouvelle", signal=signal, author="A"
        )
        assert created.id == 3 and store.get_action(created.id).signal == signal
        assert store.add_note(
            "budget", service="RH", kpi="K", period=date(2025, 7, 1), text="n", author="A"
        ).id


def test_restart_is_idempotent(db_url, engine):  # noqa: F811
    with Store(db_url, clock=Clock()) as store:
        action, _ = store.create_action("ds", service="S", title="t", author="A")
    with engine.connect() as conn:
        applied = conn.execute(text("SELECT version, applied_at FROM schema_version ORDER BY version")).all()
    for _ in range(2):
        with Store(db_url, clock=Clock(datetime(2030, 1, 1, tzinfo=UTC))) as again:
            assert again.schema_version == LATEST
            assert again.actions("ds") == [action]
    with engine.connect() as conn:
        assert (
            conn.execute(text("SELECT version, applied_at FROM schema_version ORDER BY version")).all()
            == applied
        )


def _boom_after(ddl: str):
    def apply(conn: Connection) -> None:
        conn.execute(text(ddl))
        conn.execute(text("UPDATE actions SET title = 'changed by a failed migration'"))
        raise RuntimeError("injected failure")

    return apply


def test_a_failing_migration_leaves_the_previous_version(db_url, engine):  # noqa: F811
    with Store(db_url, clock=Clock()) as store:
        action, _ = store.create_action("ds", service="S", title="kept", author="A")
    broken = [*MIGRATIONS, Migration(LATEST + 1, "broken", _boom_after("CREATE TABLE half_done (x INTEGER)"))]
    with pytest.raises(RuntimeError, match="injected failure"):
        Store(db_url, migrations=broken)
    assert versions(engine)[-1][0] == LATEST
    assert "half_done" not in table_names(engine)
    with Store(db_url) as store:
        assert store.get_action(action.id) == action


def test_a_failing_v2_leaves_v1_without_its_new_columns(db_url, engine):  # noqa: F811
    """The ALTER TABLEs of a failed migration are rolled back too (transactional DDL, SQLite included)."""
    migrate(engine, MIGRATIONS[:1])
    with engine.begin() as conn:
        _v1_rows(conn)

    def half_v2(conn: Connection) -> None:
        MIGRATIONS[1].apply(conn)
        raise RuntimeError("injected failure")

    with pytest.raises(RuntimeError, match="injected failure"):
        migrate(engine, [MIGRATIONS[0], Migration(2, "half", half_v2)])
    assert [v for v, _ in versions(engine)] == [1]
    assert "notes" not in table_names(engine)
    assert "priority" not in {c["name"] for c in inspect(engine).get_columns("actions")}
    # ... and the real v2 then applies cleanly.
    with Store(db_url) as store:
        assert store.schema_version == LATEST and store.get_action(1).priority == "medium"


def test_a_database_from_a_newer_vigie_is_refused(db_url, engine):  # noqa: F811
    Store(db_url).close()
    with pytest.raises(SchemaTooNew, match=f"version {LATEST}"):
        Store(db_url, migrations=MIGRATIONS[:1])


def test_two_processes_starting_at_once_migrate_once(db_url, engine):  # noqa: F811
    barrier, errors, stores = threading.Barrier(3), [], []

    def start() -> None:
        barrier.wait()
        try:
            stores.append(Store(db_url))
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    for s in stores:
        s.close()
    assert errors == [] and len(stores) == 3
    assert [v for v, _ in versions(engine)] == [m.version for m in MIGRATIONS]


def test_current_version_of_an_empty_database(engine):
    with engine.connect() as conn:
        assert current_version(conn) == 0
    migrate(engine, MIGRATIONS[:1])
    with engine.connect() as conn:
        assert current_version(conn) == 1
