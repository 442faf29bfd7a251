"""The Actions page through AppTest, on a fresh SQLite store per test: create (valid, refused with the
store's exact messages, saved with a warning), edit, a conflicting edit refused and shown without
loss, comments shown as text, mark done, the downloads' contents, and an action created from a signal."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta

import polars as pl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from lib.actions import counts
from lib.fmt import fmt_date
from lib.i18n import t
from lib.store import SAMPLE_AUTHOR, Issue, Store, issue_message
from lib.ui.text import md_escape
from tests.apptest_harness import APP, click_label, open_page, seeded_store

TODAY = date.today()


@pytest.fixture
def db(tmp_path, monkeypatch):
    """This test's data folder (its SQLite file), and a second Store on it: "the other person"."""
    with seeded_store(tmp_path, monkeypatch) as other:
        yield other


def _open(lang: str = "en", *, author: str | None = "Ana", **query) -> AppTest:
    return open_page("pages/actions.py", lang, author=author, **query)


_click = click_label


def _fill(at: AppTest, prefix: str, **values) -> None:
    for field, value in values.items():
        key = prefix + field
        for kind in ("selectbox", "text_input", "text_area", "date_input"):
            widgets = [w for w in getattr(at, kind) if w.key == key]
            if widgets:
                widgets[0].set_value(value)
                break
        else:
            raise AssertionError(f"no widget {key}")


def _texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _mine(store: Store) -> list:
    return [a for a in store.actions("sample") if a.created_by != SAMPLE_AUTHOR]


def _seeded(store: Store, service: str | None = None) -> pl.DataFrame:
    frame = store.actions_frame("sample").filter(pl.col("created_by") == SAMPLE_AUTHOR)
    return frame if service is None else frame.filter(pl.col("service") == service)


_LABELS = {"open": "Open", "overdue": "Overdue", "due_this_month": "Due this month", "done": "Done"}


def _expected(store: Store, service: str | None = None, **extra: int) -> dict[str, str]:
    """The page's metrics: the seed's own counts today (from the seeded rows) plus `extra` of the test's."""
    seed = counts(_seeded(store, service), TODAY)
    return {label: str(seed[key] + extra.get(key, 0)) for key, label in _LABELS.items()}


def _next_id(store: Store, n: int = 1) -> int:
    """The id of this test's n-th action: seeded rows come first."""
    return _seeded(store).height + n


def test_create_asks_a_name_once_then_saves_and_clears_the_form(db):
    at = _open(author=None)
    seed = counts(_seeded(db), TODAY)
    assert seed["open"] >= 4 and seed["overdue"] == 1 and seed["done"] == 1
    assert _metrics(at) == _expected(db)
    due = TODAY + timedelta(days=40)
    _fill(
        at,
        "_ac_",
        service="Finances",
        kpi="Délai de paiement fournisseurs",
        title="Relancer les fournisseurs",
        owner="Léa",
        due=due,
        priority="high",
        expected_effect="−5 jours",
    )
    _click(at, "Create the action")
    assert _mine(db) == []  # nothing written until a name is given
    assert at.text_input(key="_author_input_create").label == "Your name"
    at.text_input(key="_author_input_create").set_value("Ana")
    _click(at, "Continue")
    assert _texts(at, "success") == [f"Action no. {_next_id(db)} created."]
    (action,) = _mine(db)
    assert (action.service, action.kpi, action.title, action.owner) == (
        "Finances",
        "Délai de paiement fournisseurs",
        "Relancer les fournisseurs",
        "Léa",
    )
    assert (action.start, action.due, action.status, action.priority) == (TODAY, due, "planned", "high")
    assert (action.expected_effect, action.created_by, action.signal) == ("−5 jours", "Ana", None)
    assert at.text_input(key="_ac_title").value == "" and at.selectbox(key="_ac_service").value is None
    assert _metrics(at)["Open"] == _expected(db, open=1)["Open"]
    # The name is asked once per session: the next write goes straight through.
    _fill(at, "_ac_", service="Qualité", title="Deuxième")
    _click(at, "Create the action")
    assert _texts(at, "success") == [f"Action no. {_next_id(db, 2)} created."] and len(_mine(db)) == 2


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_create_refused_shows_the_stores_messages_and_keeps_what_was_typed(db, lang):
    at = _open(lang)
    _fill(at, "_ac_", title="   ", owner="Marc", description="Pourquoi <b>ça</b>")
    _click(at, t("actions_page.create.save", lang))
    assert _mine(db) == []
    expected = [issue_message(Issue("service", "empty_service", "error"), lang)]
    expected.append(issue_message(Issue("title", "empty_title", "error"), lang))
    assert _texts(at, "error") == [t("actions_page.create.refused", lang), *map(md_escape, expected)]
    assert at.text_input(key="_ac_owner").value == "Marc"
    assert at.text_area(key="_ac_description").value == "Pourquoi <b>ça</b>"


def test_a_due_date_in_the_past_is_saved_with_a_warning(db):
    at = _open()
    _fill(at, "_ac_", service="Ressources humaines", title="Rattrapage")
    _fill(at, "_ac_", start=date(2020, 1, 1), due=date(2020, 2, 1))
    _click(at, "Create the action")
    assert _texts(at, "success") == [f"Action no. {_next_id(db)} created."]
    today = fmt_date(TODAY, "en", "long")
    expected = (
        f"The due date (1 February 2020) is already past (today is {today}). "
        "Saved anyway: check it is what you meant."
    )
    assert _texts(at, "warning") == [md_escape(expected)]
    assert _mine(db)[0].due == date(2020, 2, 1)
    # It is late: flagged in the counts.
    assert _metrics(at)["Overdue"] == _expected(db, overdue=1)["Overdue"]


def _seed_action(db: Store, **changes) -> int:
    values = {"service": "Finances", "title": "Réduire les délais", "owner": "Léa", "author": "Ana"}
    action, _ = db.create_action("sample", **{**values, **changes})
    return action.id


def test_edit_saves_the_changes_and_the_history_shows_them(db):
    action_id = _seed_action(db)
    at = _open()
    at.selectbox(key="_w_action_pick").set_value(action_id).run()
    assert at.text_input(key="_ae_title").value == "Réduire les délais"
    _fill(at, "_ae_", owner="Marc", status="in_progress")
    _click(at, "Save the changes")
    assert _texts(at, "success") == ["Changes saved (version 2)."]
    saved = db.get_action(action_id)
    assert (saved.owner, saved.status, saved.version, saved.updated_by) == ("Marc", "in_progress", 2, "Ana")
    history = at.dataframe[-1].value
    assert history[["Field", "Before", "After"]].values.tolist() == [
        ["Owner", "Léa", "Marc"],
        ["Status", "Planned", "In progress"],
    ]
    # Saving again without a change writes nothing.
    _click(at, "Save the changes")
    assert _texts(at, "info")[-1] == "Nothing changed: there was nothing to save."
    assert db.get_action(action_id).version == 2


def test_a_conflicting_edit_is_refused_shown_and_nothing_is_lost(db):
    action_id = _seed_action(db, due=TODAY + timedelta(days=30))
    at = _open()
    at.selectbox(key="_w_action_pick").set_value(action_id).run()
    # Bob saves between the moment the form was loaded and Ana's save.
    db.update_action(action_id, {"title": "Bob's title", "due": None}, expected_version=1, author="Bob")
    _fill(at, "_ae_", title="Ana's title", owner="Zoé")
    _click(at, "Save the changes")
    saved = db.get_action(action_id)
    assert (saved.title, saved.owner, saved.due, saved.version) == (
        "Bob's title",
        "Léa",
        None,
        2,
    )  # untouched
    (message,) = _texts(at, "error")
    assert message.startswith("Bob changed this action on ") and "Your changes were not saved" in message
    shown = at.dataframe[-2].value  # their changes (the last table is the history)
    assert shown.values.tolist() == [
        ["Title", "Réduire les délais", "Bob's title", "Ana's title"],
        [
            "Due date",
            fmt_date(TODAY + timedelta(days=30), "en"),
            "—",
            fmt_date(TODAY + timedelta(days=30), "en"),
        ],
    ]
    # What Ana typed is still in the form.
    assert at.text_input(key="_ae_title").value == "Ana's title"
    assert at.text_input(key="_ae_owner").value == "Zoé"
    # She keeps her changes (her title over Bob's, knowingly) and takes his where she changed nothing.
    _click(at, "Keep my changes")
    assert at.text_input(key="_ae_title").value == "Ana's title"
    assert at.date_input(key="_ae_due").value is None
    _click(at, "Save the changes")
    saved = db.get_action(action_id)
    assert (saved.title, saved.owner, saved.due, saved.version) == ("Ana's title", "Zoé", None, 3)
    assert _texts(at, "success") == ["Changes saved (version 3)."]


def test_taking_their_version_loads_it_into_the_form(db):
    action_id = _seed_action(db)
    at = _open()
    at.selectbox(key="_w_action_pick").set_value(action_id).run()
    db.update_action(action_id, {"owner": "Bob"}, expected_version=1, author="Bob")
    _fill(at, "_ae_", owner="Zoé")
    _click(at, "Save the changes")
    _click(at, "Load their version")
    assert at.text_input(key="_ae_owner").value == "Bob" and not _texts(at, "error")


def test_comments_are_shown_as_text_oldest_first(db):
    action_id = _seed_action(db)
    at = _open()
    at.selectbox(key="_w_action_pick").set_value(action_id).run()
    at.text_area(key="_cm_text").set_value("**Relancé** <script>x</script> [lien](http://x)")
    _click(at, "Post the comment")
    at.text_area(key="_cm_text").set_value("Deuxième")
    _click(at, "Post the comment")
    texts = _texts(at, "markdown")
    first = texts.index(md_escape("**Relancé** <script>x</script> [lien](http://x)"))
    assert texts[first + 1] == "Deuxième"
    assert [c.text for c in db.comments(action_id)][-1] == "Deuxième"
    assert any(x.startswith("Ana · ") for x in _texts(at, "caption"))
    # An empty comment is refused with the store's message.
    at.text_area(key="_cm_text").set_value("  ")
    _click(at, "Post the comment")
    assert _texts(at, "error") == [md_escape(issue_message(Issue("text", "empty_text", "error"), "en"))]


def test_mark_done_closes_the_action(db):
    action_id = _seed_action(db)
    at = _open()
    assert _metrics(at)["Open"] == _expected(db, open=1)["Open"]
    at.selectbox(key="_w_action_pick").set_value(action_id).run()
    _click(at, "Mark done")
    assert db.get_action(action_id).status == "done"
    assert _metrics(at) == _expected(db, done=1)
    assert at.selectbox(key="_ae_status").value == "done"
    assert next(b for b in at.button if b.label == "Mark done").disabled


def test_the_shared_filters_apply(db):
    _seed_action(db, service="Admissions")
    _seed_action(db, service="Finances", due=date(2020, 1, 1), start=date(2019, 1, 1))
    at = _open(service="Admissions")
    assert _metrics(at) == _expected(db, "Admissions", open=1)
    table = at.dataframe[0].value
    assert set(table["service"].tolist()) == {"Admissions"}
    assert len(table) == counts(_seeded(db, "Admissions"), TODAY)["open"] + 1


class _Captured(MediaFileManager):
    """The media file manager AppTest uses, keeping each download's deferred builder by file name."""

    built: dict[str, Callable[[], bytes]] = {}

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        _Captured.built[file_name] = data_callable
        return super().add_deferred(data_callable, mimetype, coordinates, file_name, **kwargs)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_downloads_hold_the_filtered_table_formula_safe(db, monkeypatch, lang):
    monkeypatch.setattr(app_test_module, "MediaFileManager", _Captured)
    _Captured.built.clear()
    _seed_action(db, title='=HYPERLINK("http://x","clic")', due=date(2020, 1, 1), start=date(2019, 1, 1))
    _seed_action(db, title="Fermée", status="done")
    at = _open(lang)
    name = f"vigie_sample_actions_{TODAY.isoformat()}"
    csv = _Captured.built[f"{name}.csv"]().decode("utf-8-sig").splitlines()
    assert csv[0].startswith(
        ",".join(t(f"actions_page.col.{c}", lang) for c in ("id", "service", "kpi", "title"))
    )
    seed = counts(_seeded(db), TODAY)
    assert len(csv) == 1 + seed["open"] + 1  # open only, as the table shows: the done ones are filtered out
    late = t("actions_page.yes", lang)
    # Due in 2020, theirs comes first (soonest due first).
    assert (
        csv[1].startswith(f'{_next_id(db)},Finances,,"\'=HYPERLINK(""http://x"",""clic"")",')
        and f",{late}," in csv[1]
    )
    sheet = pl.read_excel(io.BytesIO(_Captured.built[f"{name}.xlsx"]()))
    assert (
        sheet.height == seed["open"] + 1
        and sheet[t("actions_page.col.title", lang)][0] == '\'=HYPERLINK("http://x","clic")'
    )
    # All statuses: theirs and the sample's done action too.
    at.radio(key="_af_scope").set_value("all").run()
    ids = [
        line.split(",")[0] for line in _Captured.built[f"{name}.csv"]().decode("utf-8-sig").splitlines()[1:]
    ]
    assert sorted(map(int, ids)) == list(range(1, _next_id(db, 2) + 1))


def test_signed_in_user_is_the_author(db):
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": True, "name": "Chloé Martin", "email": "chloe@example.org"}
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/actions.py")
    at.run()
    _fill(at, "_ac_", service="Qualité", title="Audit")
    _click(at, "Create the action")
    assert [a.created_by for a in _mine(db)] == ["Chloé Martin"]


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_create_from_a_signal_lands_on_the_form_prefilled(db, lang):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    at.session_state["_author"] = "Ana"
    at.run()
    at.switch_page("pages/signals.py")
    at.run()
    label = t("actions_page.from_signal", lang)
    buttons = [b for b in at.button if b.label == label]
    assert buttons, [b.label for b in at.button]
    buttons[0].click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == t("actions_page.title", lang)
    service, kpi, title = (
        at.selectbox(key="_ac_service").value,
        at.selectbox(key="_ac_kpi").value,
        at.text_input(key="_ac_title").value,
    )
    assert service and kpi and title.endswith(f" — {kpi}")
    (info,) = [
        x
        for x in _texts(at, "info")
        if x.startswith(md_escape(t("actions_page.create.from_signal", lang, message="")))
    ]
    assert f"{kpi} — {service}" in info.replace("\\", "")
    _click(at, t("actions_page.create.save", lang))
    (action,) = _mine(db)
    assert (action.service, action.kpi, action.title) == (service, kpi, title)
    assert action.signal is not None and action.signal.message.startswith(f"{kpi} — {service}")
    assert action.signal.kind in title or t(f"signals.kind.{action.signal.kind}", lang) in title
    assert 0 < action.signal.severity <= 1


def test_a_draft_prefills_the_form_once(db):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    # What Explore leaves when a point is picked: its service, KPI and period.
    at.session_state["_action_draft"] = {"service": "RH", "kpi": "Effectif", "start": date(2026, 2, 1)}
    at.switch_page("pages/actions.py")
    at.run()
    assert at.selectbox(key="_ac_service").value is None  # "RH" is not a service of the sample
    assert at.selectbox(key="_ac_kpi").value == "Effectif"
    assert at.date_input(key="_ac_start").value == date(2026, 2, 1)
    assert "_action_draft" not in at.session_state
    # Consumed once: a later run (a filter changed) neither applies it again nor loses the form.
    at.radio(key="_af_scope").set_value("all").run()
    assert at.selectbox(key="_ac_kpi").value == "Effectif" and at.date_input(key="_ac_start").value == date(
        2026, 2, 1
    )


def test_the_followed_action_stays_picked_when_someone_renames_it(db):
    action_id = _seed_action(db)
    at = _open()
    at.selectbox(key="_w_action_pick").set_value(action_id).run()
    db.update_action(action_id, {"title": "Renamed by Bob"}, expected_version=1, author="Bob")
    at.run()
    assert at.selectbox(key="_w_action_pick").value == action_id
    assert at.text_input(key="_ae_title").value == "Réduire les délais"  # the form keeps what it loaded
