"""Team notes and corrective actions on the Explore time series (lib.charts.series + lib.charts.annotations),
asserted on the chart's spec: where each mark sits, what its tooltip and description say, what is left out."""

from __future__ import annotations

import random
from datetime import date

import polars as pl
import pytest

import lib.charts as C
from lib.charts.annotations import (
    ACTION_SHAPES,
    LABEL_ROWS,
    MAX_ACTIONS,
    NOTE_FILL,
    NOTE_SHAPE,
    period_starts,
    short_title,
)
from lib.i18n import t
from tests.test_charts import firings_frame, layers, months, series_frame, svg_texts, values

LANGS = ("fr", "en")


def notes_frame(rows: list[tuple]) -> pl.DataFrame:
    """(date, series, text, author) -> a notes frame."""
    return pl.DataFrame(
        {
            "period": [r[0] for r in rows],
            "series": [r[1] for r in rows],
            "text": [r[2] for r in rows],
            "author": [r[3] for r in rows],
        },
        schema={"period": pl.Date, "series": pl.String, "text": pl.String, "author": pl.String},
    )


def actions_frame(rows: list[tuple]) -> pl.DataFrame:
    """(id, title, series, start, due, status, owner) -> an actions frame."""
    names = ["id", "title", "series", "start", "due", "status", "owner"]
    schema = {
        "id": pl.Int64,
        "title": pl.String,
        "series": pl.String,
        "start": pl.Date,
        "due": pl.Date,
        "status": pl.String,
        "owner": pl.String,
    }
    return pl.DataFrame([dict(zip(names, r, strict=True)) for r in rows], schema=schema)


def unit_with(spec: dict, column: str) -> dict:
    """The one described unit spec whose data carries `column`."""
    found = [
        u
        for u in layers(spec)
        if "description" in u.get("encoding", {}) and column in (values(spec, u) or [{}])[0]
    ]
    assert len(found) == 1, [u["mark"] for u in found]
    return found[0]


def points_unit(spec: dict) -> dict:
    """The actuals' points (the layer the click selection is on)."""
    (unit,) = [u for u in layers(spec) if {"filter": "isValid(datum.actual)"} in u.get("transform", [])]
    return unit


# --- Notes -------------------------------------------------------------------------------------------------


def test_notes_sit_above_their_point_joined_in_order():
    frame = series_frame(n=6, series=("Admissions", "Qualité"))
    frame = frame.with_columns(  # no actual in April for Qualité: its note has no point to sit on
        pl.when((pl.col("series") == "Qualité") & (pl.col("period") == date(2026, 4, 1)))
        .then(None)
        .otherwise(pl.col("actual"))
        .alias("actual")
    )
    notes = notes_frame(
        [
            (date(2026, 2, 17), "Admissions", "Grève le 17", "Ana"),  # mid-month: on February
            (date(2026, 2, 1), "Admissions", "  Logiciel en panne ", None),
            (date(2026, 4, 1), "Qualité", "Rien à voir", "Bob"),
            (date(2026, 3, 1), "Qualité", "", "Bob"),  # empty: ignored
            (date(2026, 3, 1), "Autre", "Pas sur ces courbes", "Bob"),
            (date(2025, 12, 1), "Admissions", "Avant", "Bob"),
            (date(2026, 7, 1), "Admissions", "Après", "Bob"),  # the month after the last drawn
            (date(2026, 6, 30), "Qualité", "Fin juin", "Cléo"),
        ]
    )
    spec = C.time_series(frame, "fr", grain="month", unit="%", notes=notes).to_dict()
    unit = unit_with(spec, "_note_desc")
    got = [(r["series"], r["period"][:10], r["_notes"], r["_note_offset"]) for r in values(spec, unit)]
    assert got == [
        ("Admissions", "2026-02-01", "Grève le 17 (Ana) · Logiciel en panne", -16),
        ("Qualité", "2026-06-01", "Fin juin (Cléo)", -16),
    ]
    actual = {(r["series"], r["period"]): r["actual"] for r in frame.to_dicts()}
    assert [r["actual"] for r in values(spec, unit)] == [
        actual[("Admissions", date(2026, 2, 1))],
        actual[("Qualité", date(2026, 6, 1))],
    ]
    assert values(spec, unit)[0]["_note_desc"] == (
        "Note de l'équipe, février 2026, Admissions : Grève le 17 (Ana) · Logiciel en panne"
    )
    enc = unit["encoding"]
    assert (enc["x"]["field"], enc["y"]["field"]) == ("period", "actual")
    assert unit["mark"]["yOffset"] == {"expr": "datum._note_offset"} and "aria" not in unit["mark"]
    assert enc["shape"]["scale"] == {"domain": ["Note de l'équipe"], "range": [NOTE_SHAPE]}
    assert enc["fill"]["scale"] == {"domain": ["Note de l'équipe"], "range": [NOTE_FILL]}
    assert [tip["title"] for tip in enc["tooltip"]] == ["Période", "Série", "Notes"]
    assert enc["description"] == {"field": "_note_desc", "type": "nominal"}


@pytest.mark.parametrize(("goods", "offset"), [(0, -16), (1, -27), (3, -49), (4, -49)])
def test_a_note_sits_over_the_good_news_stacked_above_its_point(goods, offset):
    rows = [(2, "Organisation", "good", 0.1 * (k + 1)) for k in range(goods)]
    rows += [(2, "Organisation", "bad", 0.9)]  # warnings hang under the point: no room taken above
    notes = notes_frame([(date(2026, 3, 1), "Organisation", "Grève", "Ana")])
    spec = C.time_series(
        series_frame(), "en", grain="month", unit=None, notes=notes, firings=firings_frame(rows)
    ).to_dict()
    (row,) = values(spec, unit_with(spec, "_note_desc"))
    assert row["_note_offset"] == offset
    # The firings stay the last layer drawn, the notes just before them.
    assert "_desc" in values(spec, layers(spec)[-1])[0]
    assert "_note_desc" in values(spec, layers(spec)[-2])[0]


def test_notes_reach_the_points_tooltip_and_description():
    notes = notes_frame([(date(2026, 3, 1), "Organisation", "Grève", "Ana")])
    spec = C.time_series(series_frame(), "en", grain="month", unit="%", notes=notes).to_dict()
    unit = points_unit(spec)
    rows = values(spec, unit)
    assert [r["_notes"] for r in rows if r["_notes"]] == ["Grève (Ana)"]
    assert sum(r["_notes"] is None for r in rows) == 11
    # A tooltip field would print "null" on the points without notes: a dash there instead. The
    # description says the notes only where there are some.
    titles = [tip["title"] for tip in unit["encoding"]["tooltip"]]
    assert titles == ["Period", "Actual", "Target", "Comparison", "Status", "Notes"]
    assert unit["encoding"]["tooltip"][-1]["field"] == "_notes_text"
    calc = {c["as"]: c["calculate"] for c in unit["transform"] if "calculate" in c}
    assert calc["_notes_text"] == "isValid(datum._notes) ? datum._notes : '–'"
    assert calc["_point_desc"].startswith('"Period: " + datum["_period_text"] + \'; \' + "Actual: "')
    assert calc["_point_desc"].endswith('(isValid(datum["_notes"]) ? "; Notes: " + datum["_notes"] : \'\')')
    assert unit["encoding"]["description"] == {"field": "_point_desc", "type": "nominal"}
    # Without notes, no notes line.
    plain = C.time_series(series_frame(), "en", grain="month", unit="%").to_dict()
    assert "Notes" not in [tip["title"] for tip in points_unit(plain)["encoding"]["tooltip"]]


def test_notes_on_quarters_gather_the_months_notes():
    frame = series_frame(n=4).with_columns(period=pl.Series(months(date(2026, 2, 1), 12)[::3]))  # fiscal Q
    notes = notes_frame(
        [
            (date(2026, 4, 30), "Organisation", "Avril", "A"),  # in Feb–Apr
            (date(2026, 5, 1), "Organisation", "Mai", "B"),  # in May–Jul
            (date(2026, 7, 31), "Organisation", "Juillet", "C"),
            (date(2027, 2, 1), "Organisation", "Trop tard", "D"),  # after the last quarter (Nov–Jan)
        ]
    )
    spec = C.time_series(frame, "fr", grain="quarter", unit=None, notes=notes).to_dict()
    got = [(r["period"][:10], r["_notes"]) for r in values(spec, unit_with(spec, "_note_desc"))]
    assert got == [("2026-02-01", "Avril (A)"), ("2026-05-01", "Mai (B) · Juillet (C)")]


@pytest.mark.parametrize(
    ("periods", "grain", "expected"),
    [
        ([date(2026, 1, 1), date(2026, 3, 1)], "month", [date(2026, m, 1) for m in (1, 2, 3, 4)]),
        ([date(2026, 2, 1), date(2026, 8, 1)], "quarter", [date(2026, m, 1) for m in (2, 5, 8, 11)]),
        ([date(2025, 11, 1)], "quarter", [date(2025, 11, 1), date(2026, 2, 1)]),
        (
            [date(2024, 7, 1), date(2025, 7, 1)],
            "year",
            [date(2024, 7, 1), date(2025, 7, 1), date(2026, 7, 1)],
        ),
        ([date(2026, 3, 2), date(2026, 3, 16)], "week", [date(2026, 3, d) for d in (2, 9, 16, 23)]),
        ([date(2026, 2, 27)], "day", [date(2026, 2, 27), date(2026, 2, 28)]),
        ([], "month", []),
    ],
)
def test_period_starts_step_from_the_first_period(periods, grain, expected):
    assert period_starts(periods, grain) == expected


# --- Actions -----------------------------------------------------------------------------------------------

TITLE = "Dématérialiser le circuit de validation des factures fournisseurs"
AT_LIMIT = "Un titre de quarante-huit signes, pas un de plus"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Relancer", "Relancer"),
        ("  Relancer   les  services  ", "Relancer les services"),
        (TITLE, "Dématérialiser le circuit de validation des…"),
        ("a" * 60, "a" * 47 + "…"),
        (AT_LIMIT, AT_LIMIT),
        (AT_LIMIT + "!", "Un titre de quarante-huit signes, pas un de…"),
    ],
)
def test_short_titles_cut_at_a_word(title, expected):
    assert short_title(title) == expected
    assert len(short_title(title)) <= 48


def test_actions_mark_their_start_and_due_on_their_periods():
    frame = series_frame(n=12, series=("Finances", "Qualité"))
    actions = actions_frame(
        [
            (7, TITLE, "Finances", date(2026, 3, 1), date(2026, 5, 31), "done", "Céline Petit"),
            (8, "Relance", "Qualité", date(2026, 6, 10), None, "planned", None),
            (9, "Hors champ", "Autre", date(2026, 4, 1), date(2026, 6, 1), "planned", "X"),
            (10, "Trop tôt", "Finances", date(2025, 4, 1), date(2025, 6, 1), "done", "X"),
            (11, "À cheval", "Finances", date(2025, 11, 1), date(2026, 2, 1), "in_progress", ""),
            (12, "Plus tard", "Qualité", date(2026, 12, 20), date(2027, 3, 1), "dropped", "Y"),
        ]
    )
    spec = C.time_series(frame, "en", grain="month", unit="%", actions=actions).to_dict()
    marks = unit_with(spec, "_action_desc")
    got = [
        (r["id"], r["_edge"], r["_x"][:10], r["_y"], r["_label"], r["_next"] and r["_next"][:10])
        for r in values(spec, marks)
    ]
    # Rows by start (11, 7, 8, 12 -> rows 0, 1, 2, 0); within a row, by date.
    assert got == [
        (11, "due", "2026-02-01", 7, "", None),
        (12, "start", "2026-12-01", 7, "Plus tard", None),
        (7, "start", "2026-03-01", 21, "Dématérialiser le circuit de validation des…", None),
        (7, "due", "2026-05-01", 21, "", None),
        (8, "start", "2026-06-01", 35, "Relance", None),
    ]
    first = values(spec, marks)[2]
    assert first["_action_desc"] == (
        f"Action start: {TITLE} (Done), Finances; start: 1 Mar 2026; due: 31 May 2026; owner: Céline Petit"
    )
    assert (first["_owner_text"], first["_status_text"], first["_start_text"], first["_due_text"]) == (
        "Céline Petit",
        "Done",
        "1 Mar 2026",
        "31 May 2026",
    )
    qual = values(spec, marks)[4]
    assert (qual["_owner_text"], qual["_due_text"], qual["_status_text"]) == ("—", "—", "Planned")
    enc = marks["encoding"]
    assert enc["shape"]["scale"] == {
        "domain": ["Action start", "Due date"],
        "range": [ACTION_SHAPES["start"], ACTION_SHAPES["due"]],
    }
    assert enc["shape"]["legend"]["title"] == "Corrective actions"
    assert [tip["title"] for tip in enc["tooltip"]] == [
        "Marker",
        "Title",
        "Service",
        "Owner",
        "Status",
        "Start",
        "Due date",
    ]
    assert enc["description"] == {"field": "_action_desc", "type": "nominal"}
    assert enc["x"]["field"] == "_x" and enc["y"] == {"value": 0}
    assert marks["mark"]["yOffset"] == {"expr": "datum._edge === 'due' ? height - 7 : datum._y"}
    # The rules: under the curves, aria off, solid at a start and dashed at a due date.
    (rules,) = [u for u in layers(spec) if u["mark"]["type"] == "rule"]
    assert rules["mark"]["aria"] is False
    assert rules["mark"]["strokeDash"] == {"expr": "datum._edge === 'due' ? [5, 3] : [1, 0]"}
    order = layers(spec)
    assert order.index(rules) < order.index(points_unit(spec)) < order.index(marks)
    # The labels repeat the markers' description: hidden from screen readers, clicks go through.
    (labels,) = [u for u in layers(spec) if u["mark"]["type"] == "text"]
    assert labels["mark"]["aria"] is False and "tooltip" not in labels["encoding"]
    assert labels["encoding"]["text"] == {"field": "_label", "type": "nominal"}
    assert "width" in labels["mark"]["limit"]["expr"] and "datum._next" in labels["mark"]["limit"]["expr"]


def test_a_single_series_tooltip_leaves_the_service_out_and_french_dates_read_french():
    actions = actions_frame(
        [(1, "Relance", "Organisation", date(2026, 2, 14), date(2026, 9, 1), "done", "Ana")]
    )
    spec = C.time_series(series_frame(), "fr", grain="month", unit=None, actions=actions).to_dict()
    marks = unit_with(spec, "_action_desc")
    assert [tip["title"] for tip in marks["encoding"]["tooltip"]] == [
        "Repère",
        "Titre",
        "Responsable",
        "Statut",
        "Début",
        "Échéance",
    ]
    start = values(spec, marks)[0]
    assert (start["_start_text"], start["_due_text"], start["_status_text"]) == (
        "14 févr. 2026",
        "1 sept. 2026",
        "Terminée",
    )


def test_only_the_latest_actions_are_drawn():
    rng = random.Random(5)
    rows = [
        (
            i,
            f"Action {i}",
            "Organisation",
            date(2026, rng.randint(1, 12), rng.randint(1, 28)),
            None,
            "planned",
            "",
        )
        for i in range(MAX_ACTIONS + 15)
    ]
    spec = C.time_series(
        series_frame(), "en", grain="month", unit=None, actions=actions_frame(rows)
    ).to_dict()
    drawn = values(spec, unit_with(spec, "_action_desc"))
    assert len(drawn) == MAX_ACTIONS
    kept = sorted(rows, key=lambda r: (r[3], r[0]))[-MAX_ACTIONS:]
    assert sorted(r["id"] for r in drawn) == sorted(r[0] for r in kept)
    assert {r["_y"] for r in drawn} == {7 + 14 * k for k in range(LABEL_ROWS)}


def test_actions_make_room_at_the_top_of_the_plot():
    actions = actions_frame(
        [(k, f"A{k}", "Organisation", date(2026, 2 + k, 1), None, "planned", "") for k in range(3)]
    )
    plain = C.time_series(series_frame(), "fr", grain="month", unit=None).to_dict()
    one = C.time_series(series_frame(), "fr", grain="month", unit=None, actions=actions.head(1)).to_dict()
    three = C.time_series(series_frame(), "fr", grain="month", unit=None, actions=actions).to_dict()

    def domain(spec: dict) -> list[float]:
        return points_unit(spec)["encoding"]["y"]["scale"]["domain"]

    (low, high), (low1, high1), (low3, high3) = domain(plain), domain(one), domain(three)
    assert low == low1 == low3 and high < high1 < high3
    plot = 280 - 45
    # The extra room is the markers' rows in pixels of the plot.
    assert (high1 - high) / (high1 - low) * plot == pytest.approx(7 + 14)
    assert (high3 - high) / (high3 - low) * plot == pytest.approx(7 + 3 * 14)


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        (
            actions_frame([(1, "A", "Organisation", date(2026, 2, 1), None, "closed", "")]),
            "unknown status \\['closed'\\]",
        ),
        (
            actions_frame([(1, "A", "Organisation", date(2026, 2, 1), None, "done", "")]).drop("due"),
            "missing column\\(s\\) \\['due'\\]",
        ),
    ],
)
def test_bad_actions_are_refused(actions, message):
    with pytest.raises(ValueError, match=message):
        C.time_series(series_frame(), "fr", grain="month", unit=None, actions=actions)


@pytest.mark.parametrize(
    ("notes", "actions"),
    [
        (None, None),
        (notes_frame([]), actions_frame([])),
        (
            notes_frame([(date(2030, 1, 1), "Organisation", "Loin", "A")]),
            actions_frame([(1, "A", "Ailleurs", date(2026, 2, 1), None, "done", "")]),
        ),
    ],
)
def test_nothing_to_draw_leaves_the_chart_as_it_was(notes, actions):
    plain = C.time_series(series_frame(), "fr", grain="month", unit=None).to_dict()
    spec = C.time_series(series_frame(), "fr", grain="month", unit=None, notes=notes, actions=actions)
    assert spec.to_dict() == plain


# --- The whole chart ---------------------------------------------------------------------------------------


def full_chart(lang: str):
    frame = series_frame(n=12, series=("Finances", "Qualité"))
    notes = notes_frame([(date(2026, 3, 1), "Finances", "Grève", "Ana")])
    actions = actions_frame(
        [(1, "Relance des services", "Finances", date(2026, 2, 1), date(2026, 6, 1), "in_progress", "Bob")]
    )
    fired = firings_frame([(4, "Qualité", "bad", 0.5)])
    return C.time_series(frame, lang, grain="month", unit="%", notes=notes, actions=actions, firings=fired)


@pytest.mark.parametrize("lang", LANGS)
def test_the_chart_renders_its_legends_and_labels(lang):
    texts = svg_texts(full_chart(lang))
    expected = [
        t("explore.actions.legend", lang),
        t("explore.actions.start", lang),
        t("explore.actions.due", lang),
        t("explore.notes.legend", lang),
        t("explore.firings.legend", lang),
        "Relance des services",
    ]
    assert all(text in texts for text in expected), texts


def test_every_mark_is_described_or_hidden_and_the_chart_grows_for_its_legends():
    spec = full_chart("en").to_dict()
    for unit in layers(spec):
        mark = unit["mark"]
        encoding = unit.get("encoding", {})
        described = encoding.get("tooltip") or encoding.get("description") or mark.get("tooltip")
        assert mark.get("aria") is False or described, (mark, encoding)
    assert spec["resolve"]["scale"] == {"shape": "independent", "fill": "independent", "color": "independent"}
    statuses = series_frame(n=12, series=("Finances", "Qualité"))["status"].n_unique()
    # Lines (actual, target, comparison), the band, 2 series, statuses, actions (2), a note, a warning.
    rows = 3 + 1 + (2 + 1) + (statuses + 1) + (2 + 1) + 1 + (1 + 1)
    assert spec["height"] == 45 + rows * 20 + 6 * 10
    assert [p["name"] for p in _params(spec)] == ["point"]


def _params(spec: dict) -> list[dict]:
    found = list(spec.get("params", []))
    for layer in spec.get("layer", []):
        found += _params(layer)
    return found
