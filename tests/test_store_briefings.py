"""Recorded briefings (migration v3, Store.record_briefing / last_briefing / briefings) on SQLite and on a
real PostgreSQL: every test here runs on both (the `db_url` fixture)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Connection, inspect, text

from lib.store import LATEST, MIGRATIONS, Migration, Store
from lib.store.migrations import migrate
from lib.store.schema import make_engine
from tests.test_store import Clock, db_url  # noqa: F401  (db_url: the SQLite / PostgreSQL fixture)

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
LINK = "https://vigie.example/briefing?dataset=budget&from=2025-11&to=2026-10&lang=fr&service=Finances"
SNAPSHOT = {
    "v": 1,
    "period": "2026-10-01",
    "grain": "month",
    "score": 0.7,
    "series": [
        ["Pédagogie", "Heures de cours « assurées »", "off"],
        ["Systèmes d'information", "😀 中文", "on"],
    ],
    "signals": [],
    "actions": [[1, "planned", None, False, "2026-11-01T00:00:00+00:00"]],
}


def record(store: Store, dataset: str = "budget", **over) -> int:
    values = {
        "version": 3,
        "link": LINK,
        "lang": "fr",
        "period": date(2026, 10, 1),
        "snapshot": SNAPSHOT,
        "author": "Chloé Durand",
    } | over
    return store.record_briefing(dataset, **values)


def test_v3_is_the_briefings_table():
    assert LATEST == 3 and MIGRATIONS[2].version == 3 and "briefings" in MIGRATIONS[2].description


def test_record_then_read_back_newest_first(db_url):  # noqa: F811
    clock = Clock(T0, timedelta(hours=1))
    with Store(db_url, clock=clock) as store:
        clock.now = T0  # the migrations read the clock too
        assert store.last_briefing("budget") is None and store.briefings("budget") == []
        first = record(store)
        second = record(store, lang="en", version=None, author="  Bo  ", snapshot={"v": 1, "note": "deux"})
        record(store, dataset="other")
        got = store.briefings("budget")
        assert [b["id"] for b in got] == [second, first]
        assert got[1] == {
            "id": first,
            "created_at": T0,
            "created_by": "Chloé Durand",
            "link": LINK,
            "lang": "fr",
            "period": date(2026, 10, 1),
            "version": 3,
            "snapshot": SNAPSHOT,
        }
        newest = store.last_briefing("budget")
        assert newest == got[0]
        assert (newest["created_at"], newest["created_by"], newest["version"], newest["lang"]) == (
            T0 + timedelta(hours=1),
            "Bo",
            None,
            "en",
        )
        assert newest["created_at"].tzinfo is not None
        assert [b["snapshot"] for b in store.briefings("other")] == [SNAPSHOT]


def test_same_instant_newest_id_first(db_url):  # noqa: F811
    with Store(db_url, clock=Clock(T0, timedelta(0))) as store:
        ids = [record(store) for _ in range(3)]
        assert [b["id"] for b in store.briefings("budget")] == ids[::-1]
        assert store.last_briefing("budget")["id"] == ids[-1]


def test_a_datetime_period_is_stored_as_its_date(db_url):  # noqa: F811
    with Store(db_url, clock=Clock()) as store:
        record(store, period=datetime(2026, 10, 1, 23, 59))
        assert store.last_briefing("budget")["period"] == date(2026, 10, 1)


@pytest.mark.parametrize(
    ("dataset", "over", "match"),
    [
        ("", {}, "slug is required"),
        ("budget", {"lang": "de"}, "unknown language"),
        ("budget", {"period": "2026-10"}, "period must be a date"),
        ("budget", {"author": "x" * 201}, "at most 200"),
        ("budget", {"snapshot": {"score": math.nan}}, "not plain JSON"),
        ("budget", {"snapshot": {"period": date(2026, 10, 1)}}, "not plain JSON"),
        ("budget", {"snapshot": {"ids": {1, 2}}}, "not plain JSON"),
    ],
)
def test_refused_records_write_nothing(db_url, dataset, over, match):  # noqa: F811
    with Store(db_url, clock=Clock()) as store:
        with pytest.raises(ValueError, match=match):
            record(store, dataset=dataset, **over)
        assert store.briefings(dataset) == []


def test_an_empty_author_is_recorded_as_empty(db_url):  # noqa: F811
    with Store(db_url, clock=Clock()) as store:
        record(store, author="   ")
        assert store.last_briefing("budget")["created_by"] == ""


def test_a_damaged_snapshot_reads_as_none(db_url):  # noqa: F811
    with Store(db_url, clock=Clock()) as store:
        good = record(store)
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("UPDATE briefings SET snapshot = '{not json' WHERE id = :i"), {"i": good})
    finally:
        engine.dispose()
    with Store(db_url) as store:
        found = store.last_briefing("budget")
        assert found["id"] == good and found["snapshot"] is None


def test_from_v2_with_rows_to_v3(db_url):  # noqa: F811
    engine = make_engine(db_url)
    try:
        assert migrate(engine, MIGRATIONS[:2]) == 2
        assert "briefings" not in inspect(engine).get_table_names()
        with Store(db_url, clock=Clock(), migrations=MIGRATIONS[:2]) as old:
            action, _ = old.create_action("budget", service="Finances", title="Relancer", author="Ana")
            note = old.add_note(
                "budget", service="RH", kpi="K", period=date(2026, 1, 1), text="n", author="Ana"
            )
        with Store(db_url, clock=Clock()) as store:
            assert store.schema_version == 3
            assert store.get_action(action.id) == action
            assert [n.id for n in store.notes("budget")] == [note.id]
            recorded = record(store)
            assert store.last_briefing("budget")["id"] == recorded
        columns = {c["name"] for c in inspect(engine).get_columns("briefings")}
        assert columns == {
            "id",
            "dataset",
            "created_at",
            "created_by",
            "link",
            "lang",
            "period",
            "version",
            "snapshot",
        }
    finally:
        engine.dispose()


def test_a_failing_v3_leaves_v2(db_url):  # noqa: F811
    engine = make_engine(db_url)

    def half_v3(conn: Connection) -> None:
        MIGRATIONS[2].apply(conn)
        raise RuntimeError("injected failure")

    try:
        with pytest.raises(RuntimeError, match="injected failure"):
            migrate(engine, [*MIGRATIONS[:2], Migration(3, "half", half_v3)])
        assert "briefings" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT max(version) FROM schema_version")).scalar_one() == 2
        with Store(db_url, clock=Clock()) as store:
            assert store.schema_version == 3 and record(store) == 1
    finally:
        engine.dispose()
