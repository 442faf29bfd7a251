"""The Actions page's pure logic (lib.actions) and its timeline (lib.charts.gantt): filters checked
against a row-by-row reading of the rules, exact table/export/conflict texts, the Gantt's spec."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib import actions as A
from lib.charts.gantt import GANTT_COLORS, GANTT_SHAPES, gantt, gantt_frame
from lib.export import to_csv
from lib.i18n import t
from lib.store import ACTION_SCHEMA, OPEN_STATUSES, PRIORITIES, STATUSES, Change, due_filter

TODAY = date(2026, 3, 15)
STAMP = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def frame(rows: list[dict]) -> pl.DataFrame:
    """Actions as the store's actions_frame gives them (its schema), from a few fields each."""
    full = []
    for r in rows:
        full.append(
            {
                "dataset": "sample",
                "kpi": None,
                "description": "",
                "owner": "",
                "start": date(2026, 1, 1),
                "priority": "medium",
                "expected_effect": "",
                "signal_kind": None,
                "signal_period": None,
                "signal_severity": None,
                "signal_message": None,
                "version": 1,
                "created_at": STAMP,
                "created_by": "Ana",
                "updated_at": STAMP,
                "updated_by": "Ana",
                "title": f"Action {r['id']}",
                "service": "Finances",
                **r,
            }
        )
    return pl.DataFrame(full, schema=ACTION_SCHEMA)


# id, status, due: each row's role is in its comment (TODAY is 15 March 2026).
CASES = frame(
    [
        {"id": 1, "status": "planned", "due": date(2026, 3, 14), "owner": "Léa"},  # late, this month
        {"id": 2, "status": "in_progress", "due": date(2026, 3, 15), "owner": "Marc"},  # due today: not late
        {"id": 3, "status": "done", "due": date(2026, 3, 1), "service": "RH"},  # done: never late
        {"id": 4, "status": "planned", "due": None, "owner": "Léa"},  # no due date: never late
        {"id": 5, "status": "dropped", "due": date(2026, 2, 1)},  # dropped: never late
        {"id": 6, "status": "in_progress", "due": date(2026, 4, 1), "service": "RH"},  # next month
        {"id": 7, "status": "planned", "due": date(2026, 3, 31), "kpi": "Délai"},  # end of this month
        {"id": 8, "status": "planned", "due": date(2026, 2, 28), "kpi": "Délai"},  # late, last month
    ]
)


def ids(out: pl.DataFrame) -> list[int]:
    return out.get_column("id").to_list()


def test_codes_are_the_stores():
    assert (A.STATUSES, A.PRIORITIES, A.OPEN_STATUSES) == (STATUSES, PRIORITIES, OPEN_STATUSES)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Open by default, soonest due first, no due date last.
        (A.ActionQuery(), [8, 1, 2, 7, 6, 4]),
        (A.ActionQuery(scope="all"), [5, 8, 3, 1, 2, 7, 6, 4]),
        (A.ActionQuery(due="overdue"), [8, 1]),
        (A.ActionQuery(due="overdue", scope="all"), [8, 1]),  # closed ones are never late
        (A.ActionQuery(due="due_this_month"), [1, 2, 7]),
        (A.ActionQuery(statuses=("done", "dropped")), [5, 3]),  # statuses override the scope
        (A.ActionQuery(statuses=("planned",), due="overdue"), [8, 1]),
        (A.ActionQuery(owners=("Léa",)), [1, 4]),
        (A.ActionQuery(services=("RH",), scope="all"), [3, 6]),
        (A.ActionQuery(kpis=("Délai",)), [8, 7]),
        (A.ActionQuery(owners=("Personne",)), []),
    ],
)
def test_filter_actions(query, expected):
    assert ids(A.filter_actions(CASES, query, TODAY)) == expected


@pytest.mark.parametrize("bad", [A.ActionQuery(due="late"), A.ActionQuery(scope="closed")])
def test_unknown_filters_raise(bad):
    with pytest.raises(ValueError, match="unknown"):
        A.filter_actions(CASES, bad, TODAY)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (TODAY, {"open": 6, "overdue": 2, "due_this_month": 3, "done": 1}),
        # On 1 April: 2 and 7 are late too, and 6 is due this month.
        (date(2026, 4, 1), {"open": 6, "overdue": 4, "due_this_month": 1, "done": 1}),
        (date(2025, 1, 1), {"open": 6, "overdue": 0, "due_this_month": 0, "done": 1}),
    ],
)
def test_counts(today, expected):
    assert A.counts(CASES, today) == expected


def test_counts_of_nothing_are_zeros():
    assert A.counts(CASES.clear(), TODAY) == {"open": 0, "overdue": 0, "due_this_month": 0, "done": 0}


def _random_actions(seed: int, n: int = 300) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for i in range(1, n + 1):
        start = date(2025, 6, 1) + timedelta(days=rng.randrange(0, 300))
        due = None if rng.random() < 0.15 else start + timedelta(days=rng.randrange(0, 200))
        rows.append(
            {
                "id": i,
                "status": rng.choice(STATUSES),
                "start": start,
                "due": due,
                "owner": rng.choice(["", "Léa", "Marc", "Zoé"]),
                "service": rng.choice(["Finances", "RH", "Achats"]),
                "kpi": rng.choice([None, "Délai", "Coût"]),
            }
        )
    return frame(rows)


def _reference(rows: list[dict], q: A.ActionQuery, today: date) -> list[int]:
    """The rules read one action at a time."""
    first = today.replace(day=1)
    out = []
    for r in rows:
        is_open = r["status"] in OPEN_STATUSES
        late = is_open and r["due"] is not None and r["due"] < today
        this_month = (
            is_open and r["due"] is not None and (r["due"].year, r["due"].month) == (first.year, first.month)
        )
        if q.due == "overdue" and not late or q.due == "due_this_month" and not this_month:
            continue
        if (
            q.statuses
            and r["status"] not in q.statuses
            or not q.statuses
            and q.scope == "open"
            and not is_open
        ):
            continue
        if q.owners and r["owner"] not in q.owners or q.services and r["service"] not in q.services:
            continue
        if q.kpis and r["kpi"] not in q.kpis:
            continue
        out.append(r)
    out.sort(key=lambda r: (r["due"] is None, r["due"] or date.min, r["id"]))
    return [r["id"] for r in out]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_filters_agree_with_the_rules_read_row_by_row(seed):
    actions = _random_actions(seed)
    rows = actions.to_dicts()
    rng = random.Random(seed * 97)
    for _ in range(60):
        q = A.ActionQuery(
            due=rng.choice([None, *A.DUE_FILTERS]),
            scope=rng.choice(A.SCOPES),
            statuses=tuple(rng.sample(STATUSES, rng.randrange(0, 3))),
            owners=tuple(rng.sample(["Léa", "Marc", "Zoé"], rng.randrange(0, 2))),
            services=tuple(rng.sample(["Finances", "RH", "Achats"], rng.randrange(0, 3))),
            kpis=tuple(rng.sample(["Délai", "Coût"], rng.randrange(0, 2))),
        )
        today = date(2025, 6, 1) + timedelta(days=rng.randrange(0, 500))
        assert ids(A.filter_actions(actions, q, today)) == _reference(rows, q, today), q


@pytest.mark.parametrize("kind", ["overdue", "due_this_month"])
def test_due_filters_agree_with_the_stores(kind):
    actions = _random_actions(7)
    for today in (date(2025, 9, 30), date(2026, 1, 1), date(2026, 2, 15)):
        mine = set(ids(A.filter_actions(actions, A.ActionQuery(due=kind), today)))
        assert mine == set(ids(due_filter(actions, kind, today)))


@pytest.mark.parametrize(
    ("lang", "flag", "planned"), [("fr", "⚠ en retard", "Prévue"), ("en", "⚠ overdue", "Planned")]
)
def test_table_flags_late_rows_with_a_symbol_and_a_word(lang, flag, planned):
    table = A.table_frame(A.filter_actions(CASES, A.ActionQuery(), TODAY), lang)
    assert table.columns == list(A.TABLE_COLUMNS)
    assert dict(zip(table["id"], table["overdue_flag"], strict=True)) == {
        8: flag,
        1: flag,
        2: "",
        7: "",
        6: "",
        4: "",
    }
    assert table.filter(pl.col("id") == 1)["status"].item() == planned


def test_export_is_translated_and_formula_safe():
    nasty = frame(
        [
            {"id": 1, "status": "planned", "due": date(2026, 3, 1), "title": '=HYPERLINK("http://x")'},
            {"id": 2, "status": "done", "due": None, "owner": "+33 1 23", "description": "-2 points"},
        ]
    )
    out = A.export_frame(A.filter_actions(nasty, A.ActionQuery(scope="all"), TODAY), "fr")
    assert out.columns == list(A.EXPORT_COLUMNS)
    csv = to_csv(out, A.headers("fr")).decode("utf-8-sig").splitlines()
    assert csv[0].split(",")[:4] == ["N°", "Service", "Indicateur", "Titre"]
    assert '"\'=HYPERLINK(""http://x"")"' in csv[1] and ",oui," in csv[1] and ",Prévue," in csv[1]
    assert ",'+33 1 23," in csv[2] and ",'-2 points," in csv[2] and ",non," in csv[2]
    # Times in UTC to the second, as the header says (a spreadsheet has no time zones).
    assert out["created_at"].to_list() == ["2026-03-01 09:30:00", "2026-03-01 09:30:00"]


def test_export_name_says_dataset_and_day():
    assert A.export_name("budget-2026", TODAY, "xlsx") == "vigie_budget-2026_actions_2026-03-15.xlsx"


@pytest.mark.parametrize(
    ("lang", "title"),
    [("fr", "Hors objectif de suite — Délai"), ("en", "Off target in a row — Délai")],
)
def test_draft_from_a_signal(lang, title):
    row = {
        "kind": "off_target_streak",
        "service": "RH",
        "kpi": "Délai",
        "period": date(2026, 2, 1),
        "severity": 0.8,
    }
    draft = A.draft_from_signal(row, "Délai — RH : hors objectif", lang)
    assert draft == {
        "service": "RH",
        "kpi": "Délai",
        "title": title,
        "signal": {
            "kind": "off_target_streak",
            "period": date(2026, 2, 1),
            "severity": 0.8,
            "message": "Délai — RH : hors objectif",
        },
    }


@pytest.mark.parametrize(
    ("draft", "expected"),
    [
        # An Explore point: service, KPI and its period as the start.
        (
            {"service": "RH", "kpi": "Délai", "start": date(2026, 2, 1)},
            {"service": "RH", "kpi": "Délai", "start": date(2026, 2, 1)},
        ),
        # Names the dataset does not have, wrong types and unknown codes are dropped, not guessed.
        (
            {"service": "Marketing", "kpi": None, "start": "2026-02-01", "status": "closed", "title": 3},
            {},
        ),
        (
            {"due": datetime(2026, 4, 1, 12, tzinfo=UTC), "priority": "high", "owner": "Léa", "signal": {}},
            {"due": date(2026, 4, 1), "priority": "high", "owner": "Léa"},
        ),
    ],
)
def test_draft_values(draft, expected):
    assert A.draft_values(draft, ["RH", "Finances"], ["Délai"]) == expected


def test_conflict_rows_show_start_theirs_and_yours_in_form_order():
    theirs = {"status": ("planned", "done"), "due": (date(2026, 4, 1), None), "title": ("A", "B")}
    mine = {"status": "in_progress", "due": date(2026, 5, 1), "title": "A"}
    out = A.conflict_frame(theirs, mine, "fr")
    assert out.rows() == [
        ("Titre", "A", "B", "A"),
        ("Échéance", "1 avr. 2026", "—", "1 mai 2026"),
        ("Statut", "Prévue", "Terminée", "En cours"),
    ]


def test_changed_fields():
    assert A.changed_fields({"a": 1, "b": None}, {"a": 1, "b": "x"}) == {"b": "x"}


def test_history_reads_codes_and_dates():
    when = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)
    changes = [
        Change(1, 2, "status", "planned", "done", when, "Léa"),
        Change(1, 2, "due", "2026-04-01", None, when, "Léa"),
    ]
    out = A.history_frame(changes, "en")
    assert out.columns == list(A.HISTORY_COLUMNS)
    assert out.select("version", "field", "old", "new").rows() == [
        (2, "Status", "Planned", "Done"),
        (2, "Due date", "1 Apr 2026", "—"),
    ]
    assert out["changed_by"].to_list() == ["Léa", "Léa"]


def test_every_header_is_translated():
    for lang in ("fr", "en"):
        columns = (*A.EXPORT_COLUMNS, *A.TABLE_COLUMNS, *A.HISTORY_COLUMNS, "started_from", "theirs", "yours")
        assert all(A.headers(lang, columns).values())


# --- Gantt --------------------------------------------------------------------------------------------


def units(spec: dict) -> list[dict]:
    if "layer" in spec:
        return [u for layer in spec["layer"] for u in units(layer)]
    return [spec]


def mark(unit: dict) -> dict:
    return unit["mark"] if isinstance(unit["mark"], dict) else {"type": unit["mark"]}


def datasets(spec: dict) -> dict[str, list[dict]]:
    return spec["datasets"]


def rows_of(spec: dict, unit: dict) -> list[dict]:
    return datasets(spec)[unit["data"]["name"]]


def test_gantt_bars_run_from_start_to_due_in_start_order():
    flagged = A.flag(CASES, TODAY)
    spec = gantt(flagged, "en", today=TODAY).to_dict()
    bar = units(spec)[0]
    assert mark(bar)["type"] == "bar"
    enc = bar["encoding"]
    assert enc["x"]["field"] == "start" and enc["x2"]["field"] == "end" and enc["y"]["field"] == "label"
    assert enc["description"]["field"] == "_desc"
    # All start on 1 Jan: by id.
    late = {1, 8}
    assert enc["y"]["sort"] == [("⚠ " if i in late else "") + f"#{i} Action {i}" for i in range(1, 9)]
    rows = {r["label"].removeprefix("⚠ "): r for r in rows_of(spec, bar)}
    assert rows["#1 Action 1"]["end"].startswith("2026-03-14")
    # An open action without a due date runs to today; a closed one is a point at its start.
    assert (
        rows["#4 Action 4"]["end"].startswith("2026-03-15") and rows["#4 Action 4"]["_due"] == "no due date"
    )
    assert rows["#5 Action 5"]["end"].startswith("2026-02-01")
    assert rows["#8 Action 8"]["_desc"] == (
        "#8 Action 8, Finances: Planned, from 1 Jan 2026 to 28 Feb 2026. 15 days overdue"
    )


def test_gantt_status_is_colour_shape_and_dash():
    spec = gantt(A.flag(CASES, TODAY), "fr", today=TODAY).to_dict()
    bar, ends = units(spec)[:2]
    labels = [t(f"actions.status.{s}", "fr") for s in GANTT_COLORS]
    assert bar["encoding"]["color"]["scale"] == {"domain": labels, "range": list(GANTT_COLORS.values())}
    assert bar["encoding"]["strokeDash"]["field"] == "_status"
    assert mark(ends)["type"] == "point" and ends["encoding"]["x"]["field"] == "end"
    assert ends["encoding"]["shape"]["scale"]["range"] == list(GANTT_SHAPES.values())
    assert mark(ends)["aria"] is False
    assert spec["config"]["locale"]["number"]["decimal"] == ","


def test_gantt_marks_the_late_ones_and_today():
    spec = gantt(A.flag(CASES, TODAY), "en", today=TODAY).to_dict()
    layers = units(spec)
    overrun, rule, today_text = layers[2:]
    assert mark(overrun)["type"] == "bar" and overrun["encoding"]["x2"]["field"] == "today"
    # Late ones carry a symbol on their label, not only the vermillion overrun.
    assert sorted(r["label"] for r in rows_of(spec, overrun)) == ["⚠ #1 Action 1", "⚠ #8 Action 8"]
    assert mark(rule)["type"] == "rule" and rows_of(spec, rule)[0]["today"].startswith("2026-03-15")
    assert rows_of(spec, today_text)[0]["_text"] == "Today"
    assert all(mark(u).get("aria") is False for u in (overrun, rule, today_text))
    # Nobody late: no overrun layer.
    on_time = gantt(A.flag(CASES, date(2025, 1, 1)), "en", today=date(2025, 1, 1)).to_dict()
    assert len(units(on_time)) == 4 and not any(
        "⚠" in r["label"] for r in rows_of(on_time, units(on_time)[0])
    )


def test_gantt_tooltips_are_translated():
    bar = units(gantt(A.flag(CASES, TODAY), "fr", today=TODAY).to_dict())[0]
    titles = [tt["title"] for tt in bar["encoding"]["tooltip"]]
    assert titles == ["Titre", "Service", "Responsable", "Statut", "Début", "Échéance", "en retard"]


def test_gantt_labels_are_cut_not_the_chart():
    long = frame([{"id": 1, "status": "planned", "due": None, "title": "x" * 100}])
    assert gantt_frame(long, "en", TODAY)["label"].item() == "#1 " + "x" * 38 + "…"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (CASES.lazy(), "LazyFrame"),
        (CASES.drop("due"), "missing column"),
        (pl.concat([CASES, CASES]), "duplicated"),
        (CASES.with_columns(pl.lit("closed").alias("status")), "unknown status"),
    ],
)
def test_gantt_refuses_bad_input_saying_why(bad, message):
    with pytest.raises(ValueError, match=message):
        gantt(bad, "en", today=TODAY)
