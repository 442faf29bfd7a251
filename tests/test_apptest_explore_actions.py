"""Explore with the team's notes and corrective actions, through AppTest on a fresh SQLite store per test
(the sample's corrective action and notes seeded): the action's markers and its "did it work?" view,
a note added on the selected point reaching the chart (and deleted), an action created from the point.

AppTest cannot click a chart: the selected point is put in the session as a click leaves it."""

from __future__ import annotations

import io
import json
from datetime import date, datetime

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib.i18n import t
from lib.store.sample import load_stories, sample_action
from lib.ui import annotations as notes_ui
from lib.ui import store as ui_store
from lib.ui.text import md_escape
from tests.apptest_harness import APP, seeded_store

KPI = "Délai de paiement fournisseurs"
SERVICE = "Finances"
ACTION = sample_action(load_stories())


@pytest.fixture
def db(tmp_path, monkeypatch):
    """This test's data folder (its SQLite file) and a Store on it, the sample seeded as the page does."""
    with seeded_store(tmp_path, monkeypatch) as store:
        yield store


def explore(lang: str, *, author: str | None = None, point: date | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in {"lang": lang, "service": SERVICE, "kpi": KPI, **query}.items():
        at.query_params[key] = value
    if author:
        at.session_state[ui_store.AUTHOR_KEY] = author
    if point:
        at.session_state[notes_ui.POINT_KEY] = notes_ui.Point(KPI, SERVICE, point)
    at.run()
    at.switch_page("pages/explore.py")
    at.run()
    assert not at.exception, at.exception
    return at


def rows_with(at: AppTest, column: str, chart: int = 0) -> list[dict]:
    """The rows of the chart's dataset that carries `column` (empty when none does)."""
    element = at.get("vega_lite_chart")[chart].proto
    for dataset in element.datasets:
        frame = pl.read_ipc_stream(io.BytesIO(dataset.data.data))
        if column in frame.columns:
            return frame.to_dicts()
    return []


def day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def spec(at: AppTest, chart: int = 0) -> dict:
    return json.loads(at.get("vega_lite_chart")[chart].proto.spec)


def click(at: AppTest, key: str) -> AppTest:
    (button,) = [b for b in at.button if b.key == key]
    button.click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_sample_action_is_marked_and_reads_as_an_improvement(lang, db):
    at = explore(lang)
    marks = rows_with(at, "_action_desc")
    got = sorted((r["_edge"], day(r["_x"]), r["title"]) for r in marks)
    # Its start (March 2026) and its due date (91 days later, in May) on the curve, in the default range.
    assert got == [("due", date(2026, 5, 1), ACTION.title), ("start", date(2026, 3, 1), ACTION.title)]
    start = next(r for r in marks if r["_edge"] == "start")
    assert start["_status_text"] == t("actions.status.done", lang) and start["_owner_text"] == ACTION.owner
    # "Did it work?": the action's view, open, reading as an improvement, its chart and its method.
    (expander,) = at.expander
    status = t("actions.status.done", lang)
    assert expander.label == md_escape(
        t("explore.effect_view.expander", lang, title=ACTION.title, service=SERVICE, status=status)
    )
    (verdict,) = expander.success
    assert t("effect.verdict.improved", lang) in verdict.value.replace("\\", "")
    assert not expander.error and not expander.info
    assert t("explore.effect_view.method", lang) in [c.value for c in expander.caption]
    effect = spec(at, 1)
    assert effect["description"].startswith(t("effect.sentence.measured", lang).split("{")[0])


def test_a_series_with_no_action_has_no_marker_nor_effect_view(db):
    service, kpi = "Qualité", "Taux de conformité des audits"
    assert not [a for a in db.actions("sample") if (a.service, a.kpi) == (service, kpi)]  # none seeded
    at = explore("en", service=service, kpi=kpi)
    assert rows_with(at, "_action_desc") == [] and not at.expander
    assert t("explore.notes.hint", "en") in [c.value for c in at.caption]


def test_a_note_added_on_the_selected_point_reaches_the_chart_then_goes(db):
    june = date(2026, 6, 1)
    at = explore("fr", point=june)
    heading = t("explore.notes.selected", "fr", series=SERVICE, period="juin 2026")
    assert any(md_escape(heading) in m.value for m in at.markdown)
    assert t("explore.notes.none", "fr") in [c.value for c in at.caption]
    assert rows_with(at, "_note_desc") == []
    # No name given yet in this session: the note waits for one, then is written with it.
    at.text_area(key=f"_note_text_{KPI}").input("Logiciel financier en panne deux semaines")
    click(at, f"FormSubmitter:_note_form_{KPI}-{t('explore.notes.save', 'fr')}")
    assert db.notes("sample", kpi=KPI) == []
    at.text_input(key=f"_author_input_explore_{KPI}").input("Ana")
    click(at, f"FormSubmitter:_author_form_explore_{KPI}-{t('actions_page.author.save', 'fr')}")
    (note,) = db.notes("sample", kpi=KPI)
    assert (note.service, note.period, note.created_by) == (SERVICE, june, "Ana")
    assert t("explore.notes.saved", "fr") in [s.value for s in at.success]
    # On the chart: a bubble on June with its text and author, and the same in June's point tooltip.
    (bubble,) = rows_with(at, "_note_desc")
    assert (
        day(bubble["period"]) == june
        and bubble["_notes"] == "Logiciel financier en panne deux semaines (Ana)"
    )
    points = {day(r["period"]): r["_notes"] for r in rows_with(at, "_status")}
    assert points[june] == bubble["_notes"] and points[date(2026, 5, 1)] is None
    assert at.text_area(key=f"_note_text_{KPI}").value == ""
    # The point's notes list it with its delete button; deleting takes it off the chart.
    assert "Logiciel financier en panne deux semaines" in [m.value for m in at.markdown]
    click(at, f"_note_del_{note.id}")
    assert db.notes("sample", kpi=KPI) == [] and rows_with(at, "_note_desc") == []
    assert t("explore.notes.deleted", "fr") in [s.value for s in at.success]


def test_an_empty_note_is_refused_with_the_stores_message(db):
    at = explore("en", author="Ana", point=date(2026, 4, 1))
    at.text_area(key=f"_note_text_{KPI}").input("   ")
    click(at, f"FormSubmitter:_note_form_{KPI}-{t('explore.notes.save', 'en')}")
    assert md_escape(t("actions.issue.empty_text", "en")) in [e.value for e in at.error]
    assert db.notes("sample", kpi=KPI) == []


def test_a_point_out_of_the_view_shows_no_panel(db):
    at = explore("en", author="Ana", point=date(2024, 6, 1))  # before the default range
    assert not at.text_area and t("explore.notes.hint", "en") in [c.value for c in at.caption]


def test_create_an_action_from_the_selected_point_opens_actions_prefilled(db, monkeypatch):
    drafts = []
    take = ui_store.take_draft

    def spy() -> dict | None:
        draft = take()
        drafts.append(draft)
        return draft

    monkeypatch.setattr(ui_store, "take_draft", spy)
    at = explore("en", author="Ana", point=date(2026, 8, 1))
    click(at, f"_act_from_{KPI}")
    assert drafts[0] == {"service": SERVICE, "kpi": KPI, "start": date(2026, 8, 1)}
    assert at.title[0].value == t("actions_page.title", "en")
    assert at.selectbox(key="_ac_service").value == SERVICE
    assert at.selectbox(key="_ac_kpi").value == KPI
    # The filters came along.
    assert at.query_params["service"] == SERVICE and at.query_params["kpi"] == KPI


@pytest.mark.parametrize(
    ("kpi", "start", "verdict", "note"),
    [
        # A series with no planted story: the same method, no effect read into it.
        ("Délai de clôture mensuelle", date(2026, 3, 1), "effect.verdict.no_clear_effect", None),
        # Two months of data after the start (September, October): too early to say.
        (KPI, date(2026, 9, 1), None, "explore.effect_view.not_enough"),
    ],
)
def test_no_effect_and_too_early_do_not_read_as_an_improvement(kpi, start, verdict, note, db):
    title = f"Test action from {start:%B}"
    db.create_action("sample", service=SERVICE, kpi=kpi, title=title, start=start, author="Ana")
    at = explore("en", kpi=kpi)
    (view,) = [e for e in at.expander if e.label.startswith(md_escape(title))]
    assert not view.success and not view.error
    (message,) = view.info
    if verdict:
        assert t(verdict, "en") in message.value.replace("\\", "")
    else:
        assert message.value.replace("\\", "").startswith("Since September 2026: not enough data yet")
        assert t(note, "en") in [c.value for c in view.caption]
    assert t("explore.effect_view.method", "en") in [c.value for c in view.caption]


def test_clearing_the_selection_closes_the_panel_and_renews_the_chart(db):
    at = explore("en", author="Ana", point=date(2026, 4, 1))
    assert at.text_area and at.get("vega_lite_chart")[0].proto.id
    first = at.get("vega_lite_chart")[0].proto.id
    click(at, f"_clear_{KPI}")
    assert not at.text_area and t("explore.notes.hint", "en") in [c.value for c in at.caption]
    assert notes_ui.POINT_KEY not in at.session_state
    # A new widget: the chart's own highlight of the point goes with the selection.
    assert at.get("vega_lite_chart")[0].proto.id != first
