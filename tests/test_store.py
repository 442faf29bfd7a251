"""lib.store on SQLite and on a real PostgreSQL: every test here runs on both (the `db_url` fixture)."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import polars as pl
import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.exc import IntegrityError

from lib.actions import counts
from lib.config import Settings
from lib.datasets import DatasetLibrary
from lib.i18n import LANGS, t
from lib.signals import KINDS
from lib.store import (
    ACTION_SCHEMA,
    LATEST,
    NOTE_SCHEMA,
    SAMPLE_AUTHOR,
    Action,
    Conflict,
    NotFound,
    SignalRef,
    Store,
    ValidationError,
    conflict_lines,
    due_filter,
    issue_message,
)
from lib.store.sample import load_stories, sample_action, sample_notes, sample_open_actions
from lib.store.schema import comments, normalise_url
from lib.store.text import change_line

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
TODAY = T0.date()
SERVICES = ("Finances", "Ressources humaines", "Systèmes d'information", "Pédagogie")
KPIS = ("Délai de paiement fournisseurs", "Taux de satisfaction", "Incidents informatiques")
# Text is data: markup, accents, quotes, emoji and newlines come back exactly as typed.
NASTY = [
    "Équipe « Île-de-France » — délai ≥ 30 j",
    "<script>alert('x')</script> **bold** `code` | pipe",
    "line 1\nline 2\r\n\ttabbed; DROP TABLE actions; --",
    "😀 emoji, 中文, العربية, \u00a0no-break",
    "x" * 5_000,
]


class Clock:
    """A clock moving one minute per reading."""

    def __init__(self, start: datetime = T0, step: timedelta = timedelta(minutes=1)) -> None:
        self.now, self.step = start, step

    def __call__(self) -> datetime:
        value = self.now
        self.now += self.step
        return value


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh empty database: a SQLite file in tmp_path, or a PostgreSQL database of its own (dropped)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vigie.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    name = f"vigie_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(db_url, clock):
    with Store(db_url, clock=clock) as s:
        yield s


def new_action(store: Store, dataset: str = "ds", **overrides) -> Action:
    values = {"service": "Finances", "title": "Relancer les factures", "author": "Ana"} | overrides
    action, _ = store.create_action(dataset, **values)
    return action


def codes(exc: ValidationError) -> set[tuple[str, str, str]]:
    return {(i.field, i.code, i.level) for i in exc.issues}


# --- Creating and reading ----------------------------------------------------------------------------


def test_create_returns_what_get_reads(store, clock):
    signal = SignalRef("silent_drift", date(2026, 2, 1), 0.62, "Dérive silencieuse depuis 6 mois")
    at = clock.now
    action, warnings = store.create_action(
        "budget-2026",
        service="Finances",
        kpi="Délai de paiement fournisseurs",
        title="  Relancer les factures  ",
        owner=" Céline Petit ",
        description="Deux relances par semaine",
        due=date(2026, 6, 30),
        status="in_progress",
        priority="high",
        expected_effect="-5 jours",
        signal=signal,
        author=" Ana ",
    )
    assert warnings == []
    assert action == store.get_action(action.id)
    assert (action.title, action.owner, action.created_by) == ("Relancer les factures", "Céline Petit", "Ana")
    assert action.start == TODAY  # the clock's date by default
    assert action.signal == signal
    assert action.version == 1
    assert action.created_at == action.updated_at == at
    assert action.created_at.utcoffset() == timedelta(0)
    assert action.updated_by == "Ana"


@pytest.mark.parametrize("value", NASTY[:-1] + ["x" * 200])
def test_title_text_comes_back_exactly(store, value):
    action = new_action(store, title=value, description=value + " (desc)", owner=value[:100])
    got = store.get_action(action.id)
    assert (got.title, got.description, got.owner) == (value.strip(), value + " (desc)", value[:100].strip())


@pytest.mark.parametrize("value", NASTY)
def test_long_and_strange_texts_round_trip(store, value):
    action = new_action(store, expected_effect=value, service=value[:300])
    assert store.get_action(action.id).expected_effect == value
    assert store.get_action(action.id).service == value[:300]
    comment = store.add_comment(action.id, value, author="Bo")
    assert store.comments(action.id) == [comment]
    assert comment.text == value.strip()


def test_empty_kpi_means_none_and_datetimes_mean_their_date(store):
    action = new_action(store, kpi="  ", start=datetime(2026, 4, 2, 15, 30), due=datetime(2026, 5, 1, 0, 0))
    assert (action.kpi, action.start, action.due) == (None, date(2026, 4, 2), date(2026, 5, 1))
    assert store.get_action(action.id) == action


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 10, 8, 0), datetime(2026, 3, 10, 8, 0, tzinfo=UTC)),  # naive: taken as UTC
        (
            datetime(2026, 3, 10, 23, 30, tzinfo=timezone(timedelta(hours=-2))),
            datetime(2026, 3, 11, 1, 30, tzinfo=UTC),
        ),
    ],
)
def test_times_are_stored_and_returned_in_utc(db_url, now, expected):
    with Store(db_url, clock=lambda: now) as s:
        action = new_action(s)
        got = s.get_action(action.id)
        assert got.created_at == expected and got.created_at.tzinfo == UTC
        assert got.start == expected.date()  # "today" is the UTC day


def test_actions_by_due_date_undated_last_then_id(store):
    dues = [date(2026, 9, 1), None, date(2026, 4, 1), None, date(2026, 4, 1), date(2027, 1, 1)]
    ids = [new_action(store, due=d).id for d in dues]
    new_action(store, "other-dataset", due=date(2026, 3, 15))
    listed = store.actions("ds")
    assert [a.id for a in listed] == [ids[2], ids[4], ids[0], ids[5], ids[1], ids[3]]
    assert [a.dataset for a in listed] == ["ds"] * 6
    assert store.actions("nothing-here") == []


def test_actions_frame_matches_actions(store):
    signal = SignalRef("anomaly", date(2025, 12, 1), 0.9, "Pic inhabituel")
    new_action(store, due=date(2026, 5, 1), kpi="Incidents informatiques", signal=signal)
    new_action(store, title="Sans échéance", status="done")
    frame = store.actions_frame("ds")
    assert frame.schema == pl.Schema(ACTION_SCHEMA)
    listed = store.actions("ds")
    assert frame["id"].to_list() == [a.id for a in listed]
    first = frame.row(0, named=True)
    assert (
        first["signal_kind"],
        first["signal_period"],
        first["signal_severity"],
        first["signal_message"],
    ) == (
        "anomaly",
        date(2025, 12, 1),
        0.9,
        "Pic inhabituel",
    )
    assert first["created_at"] == listed[0].created_at
    second = frame.row(1, named=True)
    assert (second["kpi"], second["due"], second["signal_kind"], second["status"]) == (
        None,
        None,
        None,
        "done",
    )
    empty = store.actions_frame("nothing-here")
    assert empty.height == 0 and empty.schema == pl.Schema(ACTION_SCHEMA)


def test_create_actions_in_one_transaction_all_or_none(store):
    signal = SignalRef("anomaly", date(2026, 2, 1), 1, "Pic")
    items = [
        {
            "service": "Finances",
            "title": f"Action {i}",
            "due": date(2026, 4, i + 1),
            "signal": signal if i else None,
        }
        for i in range(5)
    ]
    made, warnings = store.create_actions("ds", items, author="Import", known_services=SERVICES)
    assert warnings == []
    assert [a.title for a in made] == [f"Action {i}" for i in range(5)]
    assert made == store.actions("ds")
    assert made[1].signal == SignalRef("anomaly", date(2026, 2, 1), 1.0, "Pic")
    bad = [
        {"service": "Finances", "title": "ok"},
        {"service": "Financ", "title": ""},
        {"title": "x", "due": TODAY},
    ]
    with pytest.raises(ValidationError) as err:
        store.create_actions("ds", bad, author="Import", known_services=SERVICES)
    assert {(i.code, i.values.get("row")) for i in err.value.issues} == {
        ("unknown_service", 2),
        ("empty_title", 2),
        ("empty_service", 3),
    }
    assert len(store.actions("ds")) == 5  # the valid first item was not written either
    assert store.create_actions("ds", [], author="Import") == ([], [])
    with pytest.raises(ValueError, match="unknown action fields"):
        store.create_actions("ds", [{"service": "S", "title": "t", "version": 3}], author="Import")


# --- Validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"title": "   "}, {("title", "empty_title", "error")}),
        ({"title": "t" * 201}, {("title", "too_long", "error")}),
        ({"service": "Finance"}, {("service", "unknown_service", "error")}),
        ({"service": ""}, {("service", "empty_service", "error")}),
        ({"kpi": "Délai de paiement"}, {("kpi", "unknown_kpi", "error")}),
        ({"status": "closed"}, {("status", "bad_status", "error")}),
        ({"priority": "urgent"}, {("priority", "bad_priority", "error")}),
        ({"start": date(2026, 4, 1), "due": date(2026, 3, 31)}, {("due", "due_before_start", "error")}),
        ({"author": " \t"}, {("author", "empty_author", "error")}),
        ({"description": "d" * 5_001}, {("description", "too_long", "error")}),
        ({"owner": "o" * 5_001}, {("owner", "too_long", "error")}),
        ({"expected_effect": "e" * 5_001}, {("expected_effect", "too_long", "error")}),
        (
            {"signal": SignalRef("anomaly", date(2026, 1, 1), 0.5, "m" * 5_001)},
            {("signal_message", "too_long", "error")},
        ),
        # Everything wrong at once: every issue is reported, the warning included.
        (
            {"title": "", "service": "RH", "status": "x", "priority": "y", "author": "", "kpi": "Taux"},
            {
                ("title", "empty_title", "error"),
                ("service", "unknown_service", "error"),
                ("kpi", "unknown_kpi", "error"),
                ("status", "bad_status", "error"),
                ("priority", "bad_priority", "error"),
                ("author", "empty_author", "error"),
            },
        ),
        (
            {"title": "", "start": date(2026, 1, 1), "due": date(2026, 2, 1)},
            {("title", "empty_title", "error"), ("due", "due_in_past", "warning")},
        ),
    ],
)
def test_invalid_actions_are_refused_with_every_issue(store, overrides, expected):
    with pytest.raises(ValidationError) as err:
        new_action(store, known_services=SERVICES, known_kpis=KPIS, **overrides)
    assert codes(err.value) == expected
    assert store.actions("ds") == []
    for issue in err.value.issues:  # every message renders in both languages
        for lang in LANGS:
            assert issue_message(issue, lang).strip()


@pytest.mark.parametrize(
    ("typed", "closest"),
    [("Finance", "Finances"), ("finances", "Finances"), ("Ressources humaine", "Ressources humaines")],
)
def test_unknown_service_names_the_closest(store, typed, closest):
    with pytest.raises(ValidationError) as err:
        new_action(store, service=typed, known_services=SERVICES)
    (issue,) = err.value.issues
    assert issue.values == {"value": typed, "closest": closest}
    assert issue_message(issue, "en") == (
        f"Service “{typed}” is not in this dataset; the closest name is “{closest}”."
    )
    assert issue_message(issue, "fr") == (
        f"Le service «\u00a0{typed}\u00a0» n'existe pas dans ce jeu de données\u00a0; "
        f"le nom le plus proche est «\u00a0{closest}\u00a0»."
    )


def test_messages_name_the_field_and_the_value(store):
    with pytest.raises(ValidationError) as err:
        new_action(store, title="Ab" * 150, status="fini")
    by_code = {i.code: i for i in err.value.issues}
    assert issue_message(by_code["too_long"], "fr") == (
        "Trop de texte dans «\u00a0Titre\u00a0»\u00a0: 300 caractères pour 200 au plus "
        f"(début\u00a0: «\u00a0{'Ab' * 20}…\u00a0»)."
    )
    assert issue_message(by_code["too_long"], "en").startswith(
        "Too much text in “Title”: 300 characters, at most 200"
    )
    assert issue_message(by_code["bad_status"], "en") == (
        "Status “fini” does not exist; choose one of: Planned, In progress, Done, Dropped."
    )
    assert issue_message(by_code["bad_status"], "fr") == (
        "Le statut «\u00a0fini\u00a0» n'existe pas\u00a0; "
        "choisissez parmi\u00a0: Prévue, En cours, Terminée, Abandonnée."
    )


def test_due_date_in_the_past_is_saved_with_a_warning(store):
    action, warnings = store.create_action(
        "ds", service="Finances", title="t", start=date(2026, 1, 5), due=date(2026, 3, 9), author="Ana"
    )
    assert [(w.field, w.code, w.level) for w in warnings] == [("due", "due_in_past", "warning")]
    assert issue_message(warnings[0], "fr") == (
        "L'échéance (9 mars 2026) est déjà passée (nous sommes le 10 mars 2026). "
        "Enregistrée quand même\u00a0: vérifiez que c'est bien voulu."
    )
    assert issue_message(warnings[0], "en").startswith(
        "The due date (9 March 2026) is already past (today is 10 March"
    )
    assert store.get_action(action.id).due == date(2026, 3, 9)
    # Due today is not in the past.
    assert store.create_action("ds", service="Finances", title="t", due=TODAY, author="Ana")[1] == []


def test_5000_characters_is_the_limit_not_5001(store):
    action = new_action(store, description="d" * 5_000, title="t" * 200)
    assert len(store.get_action(action.id).description) == 5_000
    with pytest.raises(ValidationError):
        store.add_comment(action.id, "c" * 5_001, author="Bo")
    assert store.add_comment(action.id, "c" * 5_000, author="Bo").text == "c" * 5_000


# --- Updating, history, conflicts --------------------------------------------------------------------


def test_update_writes_one_change_per_changed_field(store, clock):
    action = new_action(store, owner="Ana", due=date(2026, 6, 1))
    saved_at = clock.now
    updated, warnings = store.update_action(
        action.id,
        {
            "title": "Relancer les factures",
            "status": "done",
            "due": date(2026, 7, 1),
            "owner": "Bo",
            "kpi": "",
        },
        expected_version=1,
        author="Chloé",
    )
    assert warnings == []
    assert updated == store.get_action(action.id)
    assert (updated.version, updated.status, updated.owner, updated.due) == (
        2,
        "done",
        "Bo",
        date(2026, 7, 1),
    )
    assert (updated.updated_by, updated.updated_at, updated.created_at) == (
        "Chloé",
        saved_at,
        action.created_at,
    )
    history = store.history(action.id)
    assert [(c.version, c.field, c.old, c.new, c.changed_by) for c in history] == [
        (2, "owner", "Ana", "Bo", "Chloé"),
        (2, "due", "2026-06-01", "2026-07-01", "Chloé"),
        (2, "status", "planned", "done", "Chloé"),
    ]
    assert {c.changed_at for c in history} == {saved_at}
    assert change_line(history[2], "fr") == "Statut\u00a0: Prévue → Terminée"
    assert change_line(history[1], "en") == "Due date: 1 Jun 2026 → 1 Jul 2026"
    # The next update builds on the new version; history stays oldest first.
    store.update_action(action.id, {"due": None}, expected_version=2, author="Ana")
    assert [(c.version, c.field, c.old, c.new) for c in store.history(action.id)][-1] == (
        3,
        "due",
        "2026-07-01",
        None,
    )


def test_no_op_update_writes_nothing_and_keeps_the_version(store):
    action = new_action(store, due=date(2026, 6, 1), owner="Ana")
    same, _ = store.update_action(
        action.id,
        changes={"title": " Relancer les factures ", "owner": "Ana", "due": date(2026, 6, 1), "kpi": None},
        expected_version=1,
        author="Bo",
    )
    assert same == action == store.get_action(action.id)
    assert store.history(action.id) == []


def test_invalid_update_writes_nothing(store):
    action = new_action(store)
    with pytest.raises(ValidationError) as err:
        store.update_action(
            action.id,
            {"title": "", "status": "finished", "start": date(2026, 5, 1), "due": date(2026, 4, 1)},
            expected_version=1,
            author="Bo",
        )
    assert codes(err.value) == {
        ("title", "empty_title", "error"),
        ("status", "bad_status", "error"),
        ("due", "due_before_start", "error"),
    }
    assert store.get_action(action.id) == action
    assert store.history(action.id) == []


def test_update_checks_only_what_changes(store):
    # Its service has left the dataset and its due date has passed: it can still be closed, silently.
    action = new_action(store, service="Ancien service", start=date(2026, 1, 1), due=date(2026, 2, 1))
    closed, warnings = store.update_action(
        action.id, {"status": "done"}, expected_version=1, author="Bo", known_services=SERVICES
    )
    assert (closed.status, warnings) == ("done", [])
    with pytest.raises(ValidationError) as err:
        store.update_action(
            action.id, {"service": "Financs"}, expected_version=2, author="Bo", known_services=SERVICES
        )
    assert err.value.issues[0].values == {"value": "Financs", "closest": "Finances"}
    _, warnings = store.update_action(action.id, {"due": date(2026, 3, 1)}, expected_version=2, author="Bo")
    assert [w.code for w in warnings] == ["due_in_past"]


@pytest.mark.parametrize("field", ["dataset", "signal", "version", "created_by", "nonsense"])
def test_only_editable_fields_can_change(store, field):
    action = new_action(store)
    with pytest.raises(ValueError, match="not editable"):
        store.update_action(action.id, {field: "x"}, expected_version=1, author="Bo")


def test_second_of_two_sessions_gets_a_conflict_and_writes_nothing(db_url, clock):
    with Store(db_url, clock=clock) as alice, Store(db_url, clock=clock) as bob:
        action = new_action(alice, owner="Ana", due=date(2026, 6, 1))
        seen_by_bob = bob.get_action(action.id)
        saved, _ = alice.update_action(
            action.id, {"due": date(2026, 9, 1), "owner": "Zoé"}, expected_version=1, author="Alice"
        )
        with pytest.raises(Conflict) as err:
            bob.update_action(
                action.id,
                {"status": "done", "owner": "Bob"},
                expected_version=seen_by_bob.version,
                author="Bob",
            )
        assert err.value.current == saved == bob.get_action(action.id)
        assert err.value.theirs == {"owner": ("Ana", "Zoé"), "due": (date(2026, 6, 1), date(2026, 9, 1))}
        assert [c.changed_by for c in bob.history(action.id)] == ["Alice", "Alice"]
        lines = conflict_lines(err.value, "en")
        assert lines[1:] == [
            "Owner: your version started from “Ana”, Alice saved “Zoé”.",
            "Due date: your version started from “1 Jun 2026”, Alice saved “1 Sept 2026”.",
            "Reload the action to see their version, then make your changes again.",
        ]
        assert lines[0].startswith("Alice saved this action on 10 Mar 2026")
        assert conflict_lines(err.value, "fr")[1] == (
            "Responsable\u00a0: votre version partait de «\u00a0Ana\u00a0», "
            "Alice a enregistré «\u00a0Zoé\u00a0»."
        )
        # Reloaded, Bob's change goes through on top of Alice's.
        final, _ = bob.update_action(action.id, {"status": "done"}, expected_version=2, author="Bob")
        assert (final.version, final.status, final.owner, final.due) == (3, "done", "Zoé", date(2026, 9, 1))


def test_conflict_lists_net_changes_since_the_callers_version(store):
    action = new_action(store, owner="Ana", title="Titre A")
    store.update_action(action.id, {"owner": "Bo", "title": "Titre B"}, expected_version=1, author="X")
    store.update_action(action.id, {"owner": "Ana"}, expected_version=2, author="Y")  # back to where it was
    store.update_action(action.id, {"title": "Titre C", "priority": "low"}, expected_version=3, author="Z")
    with pytest.raises(Conflict) as from_v1:
        store.update_action(action.id, {"status": "done"}, expected_version=1, author="W")
    assert from_v1.value.theirs == {"title": ("Titre A", "Titre C"), "priority": ("medium", "low")}
    with pytest.raises(Conflict) as from_v3:
        store.update_action(action.id, {"status": "done"}, expected_version=3, author="W")
    assert from_v3.value.theirs == {"title": ("Titre B", "Titre C"), "priority": ("medium", "low")}
    assert from_v3.value.current.version == 4
    with pytest.raises(Conflict) as from_future:  # a version that never existed: refused, nothing to show
        store.update_action(action.id, {"status": "done"}, expected_version=9, author="W")
    assert from_future.value.theirs == {}
    assert store.get_action(action.id).status == "planned"


def _race(stores: dict[str, Store], action_id: int, version: int) -> dict[str, Action | Conflict]:
    """Each store saves a different title from the same version at the same instant, in its own thread."""
    barrier = threading.Barrier(len(stores))
    outcome: dict[str, Action | Conflict] = {}

    def edit(name: str, store: Store) -> None:
        barrier.wait()
        try:
            changes = {"title": f"{name} {version}"}
            outcome[name] = store.update_action(action_id, changes, expected_version=version, author=name)[0]
        except Conflict as exc:
            outcome[name] = exc

    threads = [threading.Thread(target=edit, args=item) for item in stores.items()]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    return outcome


def test_threaded_race_exactly_one_wins(db_url, clock):
    rounds = 4
    with Store(db_url, clock=clock) as one, Store(db_url, clock=clock) as two:
        action = new_action(one)
        before = action.title
        for r in range(rounds):
            outcome = _race({"one": one, "two": two}, action.id, version=r + 1)
            winners = [v for v in outcome.values() if isinstance(v, Action)]
            losers = [v for v in outcome.values() if isinstance(v, Conflict)]
            assert (len(winners), len(losers)) == (1, 1), outcome
            assert losers[0].current == winners[0] == one.get_action(action.id)
            assert losers[0].theirs == {"title": (before, winners[0].title)}
            before = winners[0].title
        final = two.get_action(action.id)
        assert final.version == rounds + 1
        assert [c.version for c in two.history(action.id)] == list(range(2, rounds + 2))


def test_missing_things_raise_not_found(store):
    action = new_action(store)
    missing = action.id + 1000
    calls = [
        lambda: store.get_action(missing),
        lambda: store.update_action(missing, {"title": "x"}, expected_version=1, author="Bo"),
        lambda: store.history(missing),
        lambda: store.comments(missing),
        lambda: store.add_comment(missing, "hello", author="Bo"),
        lambda: store.delete_note(missing, author="Bo"),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()


def test_foreign_keys_are_enforced(store, db_url):
    engine = create_engine(normalise_url(db_url))
    if engine.dialect.name == "sqlite":  # the pragma is per connection: the Store's own engine has it
        engine = store._engine
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            insert(comments).values(
                action_id=999, text="orphan", created_at=T0, created_by="x", updated_at=T0, updated_by="x"
            )
        )


# --- Comments ----------------------------------------------------------------------------------------


def test_comments_thread_oldest_first(store):
    action = new_action(store)
    first = store.add_comment(action.id, "  Première relance envoyée  ", author="Ana")
    second = store.add_comment(action.id, "Réponse du fournisseur", author=" Bo ")
    assert store.comments(action.id) == [first, second]
    assert (first.text, second.created_by, first.created_at < second.created_at) == (
        "Première relance envoyée",
        "Bo",
        True,
    )
    assert store.get_action(action.id).version == 1  # commenting is not editing: no conflict with an editor


@pytest.mark.parametrize(
    ("text_", "author", "expected"),
    [
        ("", "Ana", {("text", "empty_text", "error")}),
        (" \n ", "", {("text", "empty_text", "error"), ("author", "empty_author", "error")}),
        ("ok", "  ", {("author", "empty_author", "error")}),
        ("ok", "a" * 5_001, {("author", "too_long", "error")}),
        # The author columns hold 200 characters (PostgreSQL would refuse more): refused before that.
        ("ok", "a" * 201, {("author", "too_long", "error")}),
    ],
)
def test_invalid_comments_are_refused(store, text_, author, expected):
    action = new_action(store)
    with pytest.raises(ValidationError) as err:
        store.add_comment(action.id, text_, author=author)
    assert codes(err.value) == expected
    assert store.comments(action.id) == []


# --- Notes -------------------------------------------------------------------------------------------


def test_notes_filtered_sorted_and_deleted(store):
    add = store.add_note
    march = add("ds", service="Pédagogie", kpi="Heures", period=date(2026, 3, 1), text="Grève", author="Ana")
    jan = add("ds", service="Pédagogie", kpi="Heures", period=date(2026, 1, 1), text="Vacances", author="Bo")
    other = add("ds", service="Finances", kpi="Délai", period=date(2026, 1, 1), text="Clôture", author="Bo")
    add("other-ds", service="Pédagogie", kpi="Heures", period=date(2026, 3, 1), text="Ailleurs", author="Bo")
    assert store.notes("ds") == [other, jan, march]
    assert store.notes("ds", service="Pédagogie") == [jan, march]
    assert store.notes("ds", kpi="Délai") == [other]
    assert store.notes("ds", service="Finances", kpi="Heures") == []
    frame = store.notes_frame("ds", service="Pédagogie")
    assert frame.schema == pl.Schema(NOTE_SCHEMA)
    assert frame["text"].to_list() == ["Vacances", "Grève"]
    assert frame["created_by"].to_list() == ["Bo", "Ana"]
    store.delete_note(jan.id, author="Chloé")
    assert store.notes("ds", service="Pédagogie") == [march]
    with pytest.raises(NotFound):
        store.delete_note(jan.id, author="Chloé")  # already deleted
    assert store.notes_frame("nothing").schema == pl.Schema(NOTE_SCHEMA)


def test_deleted_note_keeps_who_deleted_it(store, db_url):
    note = store.add_note("ds", service="S", kpi="K", period=date(2026, 1, 1), text="t", author="Ana")
    store.delete_note(note.id, author=" Chloé ")
    with store._engine.connect() as conn:
        row = conn.execute(text("SELECT deleted_by, updated_by, created_by FROM notes")).one()
    assert tuple(row) == ("Chloé", "Chloé", "Ana")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"text": " "}, {("text", "empty_text", "error")}),
        ({"service": "Financ"}, {("service", "unknown_service", "error")}),
        ({"kpi": ""}, {("kpi", "empty_kpi", "error")}),
        ({"kpi": "Taux de satisfactoin"}, {("kpi", "unknown_kpi", "error")}),
        (
            {"period": None, "author": ""},
            {("period", "empty_period", "error"), ("author", "empty_author", "error")},
        ),
        ({"text": "n" * 5_001}, {("text", "too_long", "error")}),
    ],
)
def test_invalid_notes_are_refused(store, overrides, expected):
    values = {
        "service": "Finances",
        "kpi": "Taux de satisfaction",
        "period": date(2026, 1, 1),
        "text": "Clôture annuelle",
        "author": "Ana",
    } | overrides
    with pytest.raises(ValidationError) as err:
        store.add_note("ds", known_services=SERVICES, known_kpis=KPIS, **values)
    assert codes(err.value) == expected
    assert store.notes("ds") == []


# --- Names, not ids: actions survive new versions of their dataset ----------------------------------


def test_actions_and_notes_survive_a_new_version_of_the_dataset(store, tmp_path):
    def data(months: list[date], services: tuple[str, ...]) -> pl.DataFrame:
        rows = [(m, s, k, 10.0, 12.0) for m in months for s in services for k in KPIS]
        return pl.DataFrame(rows, schema=["period", "service", "kpi", "actual", "target"], orient="row")

    catalog = pl.DataFrame({"kpi": list(KPIS)})
    library = DatasetLibrary(tmp_path / "data")
    info = library.save("Tableau 2026", data([date(2026, 1, 1)], SERVICES[:2]), catalog, sources=["a.csv"])
    saved, _, _ = library.read(info.slug)
    known = {
        "known_services": saved["service"].unique().to_list(),
        "known_kpis": saved["kpi"].unique().to_list(),
    }
    action = new_action(store, info.slug, service="Finances", kpi=KPIS[0], **known)
    note = store.add_note(
        info.slug, service="Finances", kpi=KPIS[0], period=date(2026, 1, 1), text="n", author="A"
    )
    result = library.append(info.slug, data([date(2026, 2, 1)], SERVICES), None, sources=["b.csv"])
    assert result.changed and library.get(info.slug).version == 2
    assert store.actions(info.slug) == [action]
    assert store.notes(info.slug) == [note]
    appended, _, _ = library.read(info.slug)
    # A service that arrived with the new version is known from then on.
    new_action(store, info.slug, service=SERVICES[3], known_services=appended["service"].unique().to_list())
    assert len(store.actions(info.slug)) == 2


# --- Due filters (pure) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("overdue", [1, 2]),
        ("due_this_month", [2, 3, 4]),
        ("open", [1, 2, 3, 4, 6]),
    ],
)
def test_due_filter(kind, expected):
    today = date(2026, 3, 10)
    rows = [
        (1, "planned", date(2026, 2, 28)),  # overdue from last month
        (2, "in_progress", date(2026, 3, 9)),  # overdue and due this month
        (3, "planned", date(2026, 3, 10)),  # due today: not overdue
        (4, "in_progress", date(2026, 3, 31)),
        (5, "done", date(2026, 3, 1)),  # closed: neither overdue nor due
        (6, "planned", None),
        (7, "dropped", date(2026, 1, 1)),
        (8, "planned", date(2026, 4, 1)),
    ]
    frame = pl.DataFrame(rows, schema={"id": pl.Int64, "status": pl.String, "due": pl.Date}, orient="row")
    frame = frame.filter(pl.col("id") != 8) if kind == "open" else frame
    assert due_filter(frame, kind, today)["id"].to_list() == expected


def test_due_filter_rejects_unknown_kind():
    with pytest.raises(ValueError, match="unknown due filter"):
        due_filter(pl.DataFrame(schema=ACTION_SCHEMA), "late", date(2026, 1, 1))


# --- Sample ------------------------------------------------------------------------------------------


def _seed_size(today: date) -> int:
    stories = load_stories()
    return 1 + len(sample_open_actions(stories, today)) + len(sample_notes(stories))


def test_seed_sample_once(store):
    assert store.seed_sample() == _seed_size(TODAY) == 7
    assert store.seed_sample() == 0
    action = store.get_action(1)  # the done action first, as before the open ones were added
    story = next(s for s in load_stories() if s["kind"] == "corrective_action")
    assert (action.service, action.kpi, action.start) == (
        "Finances",
        "Délai de paiement fournisseurs",
        date.fromisoformat(story["params"]["action_period"]),
    )
    assert (action.status, action.priority, action.owner, action.created_by) == (
        "done",
        "high",
        "Céline Petit",
        SAMPLE_AUTHOR,
    )
    assert action.title == "Dématérialiser le circuit de validation des factures fournisseurs"
    assert "39–43 jours" in action.description and "30 jours" in action.expected_effect
    assert action.due > action.start and action.signal is None
    notes = store.notes("sample")
    assert [(n.service, n.kpi, n.period) for n in notes] == [
        ("Pédagogie", "Heures de cours assurées", date(2025, 12, 1)),
        ("Systèmes d'information", "Incidents informatiques", date(2026, 6, 1)),
    ]
    assert notes[0].text.startswith("Grève des enseignants en décembre 2025")
    assert "baisse de 45\u00a0%" in notes[0].text
    assert notes[1].text.startswith("Campagne d'hameçonnage")
    assert "hausse de 150\u00a0%" in notes[1].text
    assert {n.created_by for n in notes} == {SAMPLE_AUTHOR}


def test_seed_sample_open_actions_answer_the_planted_stories(store):
    store.seed_sample()
    opened = sorted((a for a in store.actions("sample") if a.is_open), key=lambda a: a.id)
    assert [a.id for a in opened] == [2, 3, 4, 5]
    got = [(a.service, a.kpi, a.owner, a.status, a.priority, a.signal.kind, a.signal.period) for a in opened]
    assert got == [
        ("Ressources humaines", "Délai de recrutement", "Mathieu Chevalier", "in_progress", "high",
         "off_target_streak", date(2026, 8, 1)),
        ("Communication", "Visites du site web", "Hugo Lambert", "in_progress", "high",
         "level_shift", date(2026, 6, 1)),
        ("Relations entreprises", "Recettes partenariats entreprises", "Thomas Girard", "planned",
         "medium", "projected_miss", date(2026, 3, 1)),
        ("Admissions", "Taux de satisfaction des candidats", "Inès Bouchard", "planned", "medium",
         "silent_drift", date(2026, 10, 1)),
    ]  # fmt: skip
    stories = {(s["service"], s["kpi"]): s for s in load_stories()}
    for a in opened:
        story = stories[(a.service, a.kpi)]
        assert a.signal.kind == story["kind"] and a.signal.kind in KINDS
        assert date.fromisoformat(story["start"]) <= a.signal.period <= date.fromisoformat(story["end"])
        assert 0 < a.signal.severity < 1 and a.signal.message and a.created_by == SAMPLE_AUTHOR
        assert a.title and a.description and a.expected_effect
    assert "16\u00a0% à 30\u00a0%" in opened[0].description and "45 jours" in opened[0].expected_effect
    assert "baissé de 30\u00a0%" in opened[1].description
    assert "2\u202f302\u00a0k€" in opened[2].description and "2\u202f400\u00a0k€" in opened[2].expected_effect


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, tzinfo=UTC),  # a year's first day: overdue in the year before
        datetime(2026, 1, 31, 23, 59, tzinfo=UTC),  # a month's last day: due this month is today
        datetime(2028, 2, 29, 12, 0, tzinfo=UTC),  # leap day
        datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
    ],
)
def test_seed_sample_dates_follow_the_clock(store, clock, now):
    clock.now = now
    today = now.date()
    assert store.seed_sample("a") == _seed_size(today)
    seeded = store.actions_frame("a")
    got = counts(seeded, today)
    assert (got["open"], got["overdue"], got["done"]) == (4, 1, 1) and got["due_this_month"] >= 1
    opened = seeded.filter(pl.col("status").is_in(["planned", "in_progress"])).sort("id")
    assert opened["due"].to_list()[0] == today - timedelta(days=20)  # the overdue one
    soon = opened.filter(pl.col("due").is_between(today, today + timedelta(days=30)))
    assert soon.height >= 1  # the briefing's "due soon", whatever the day
    assert (opened["start"] < today).all() and (opened["due"] > opened["start"]).all()
    # Deterministic: the same day seeds the same rows in another dataset (ids and stamps aside).
    clock.now = now
    assert store.seed_sample("b") == _seed_size(today)
    keep = [c for c in seeded.columns if c not in ("id", "dataset", "created_at", "updated_at")]
    assert store.actions_frame("b").select(keep).equals(seeded.select(keep))


def test_seed_sample_never_brings_back_what_people_changed(store, clock):
    store.seed_sample("sample")
    done = store.get_action(1)
    store.update_action(
        done.id, {"title": "Autre titre", "status": "in_progress"}, expected_version=1, author="A"
    )
    # An open one moved to another series, renamed and dropped: the seed does not recognise it by
    # those, only by the signal it answers.
    moved = next(a for a in store.actions("sample") if a.signal is not None)
    store.update_action(
        moved.id,
        {"service": "Qualité", "kpi": None, "title": "Déplacée", "status": "dropped"},
        expected_version=1,
        author="A",
    )
    store.delete_note(store.notes("sample")[0].id, author="A")
    clock.now += timedelta(days=45)  # a later day: the open actions' dates would differ
    assert store.seed_sample("sample") == 0
    assert len(store.actions("sample")) == 5 and len(store.notes("sample")) == 1
    assert store.seed_sample("another") == _seed_size(clock.now.date())  # per dataset


def test_sample_seed_matches_the_sample_data():
    """The seeded names exist in the committed sample extract, so the actions show on their charts; the
    open actions' owners are their KPIs' owners there."""
    from lib.sample import SAMPLE_EXTRACT

    frame = pl.read_csv(SAMPLE_EXTRACT.read_bytes())
    owners = {(s, k): o for s, k, o in frame.select("service", "kpi", "owner").unique().iter_rows()}
    stories = load_stories()
    seeded = [sample_action(stories), *sample_open_actions(stories, TODAY)]
    assert {(a.service, a.kpi): a.owner for a in seeded} == {
        (a.service, a.kpi): owners[a.service, a.kpi] for a in seeded
    }
    assert len(seeded) == 5
    assert ("Pédagogie", "Heures de cours assurées") in owners
    assert ("Systèmes d'information", "Incidents informatiques") in owners


# --- Settings, URLs, engines -------------------------------------------------------------------------


def test_from_settings_defaults_to_sqlite_in_the_data_folder(tmp_path):
    data_dir = tmp_path / "nested" / "data"
    with Store.from_settings(Settings(data_dir=data_dir)) as s:
        assert s.dialect == "sqlite" and s.schema_version == LATEST
        new_action(s)
    assert (data_dir / "vigie.db").is_file()
    with Store.from_settings(
        Settings(data_dir=tmp_path / "unused", database_url=f"sqlite:///{data_dir}/vigie.db")
    ) as s:
        assert len(s.actions("ds")) == 1
    assert not (tmp_path / "unused").exists()


def test_sqlite_pragmas(tmp_path):
    with Store(f"sqlite:///{tmp_path / 'x.db'}") as s, s._engine.connect() as conn:
        got = [
            conn.exec_driver_sql(f"PRAGMA {p}").scalar()
            for p in ("journal_mode", "foreign_keys", "busy_timeout")
        ]
    assert got == ["wal", 1, 30_000]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////var/lib/vigie/vigie.db", "sqlite:////var/lib/vigie/vigie.db"),
    ],
)
def test_normalise_url(url, expected):
    assert normalise_url(url) == expected


def test_every_store_key_in_both_languages():
    from lib.store import PRIORITIES, STATUSES
    from lib.store.frames import DUE_FILTERS

    keys = [f"actions.status.{s}" for s in STATUSES] + [f"actions.priority.{p}" for p in PRIORITIES]
    keys += [f"actions.due.{k}" for k in DUE_FILTERS]
    for lang in LANGS:
        assert all(t(k, lang) for k in keys)
