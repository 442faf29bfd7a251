"""The briefing pack's content (lib.briefing.content) and its memory (lib.briefing.since), built from the
sample organisation the way the pages build their frames (lib/ui/compute.py), in French and English."""

from __future__ import annotations

import json
import math
import random
import time
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib import model
from lib.briefing.content import CHART_BARS, GROUP_MAX_SERVICES, TABLE_ROWS, build_briefing
from lib.briefing.model import SLIDE_KINDS, Briefing
from lib.briefing.since import SNAPSHOT_VERSION, diff, readable, snapshot
from lib.filters import ViewState, resolve
from lib.fmt import fmt_int, fmt_percent, fmt_signed
from lib.overview import build_overview
from lib.sample import load_sample
from lib.signals import detect, message
from lib.slicing import domain_of, performance
from lib.store import SAMPLE_AUTHOR, Store
from lib.store.sample import load_stories, sample_notes, sample_open_actions
from tests.builders import CATALOG_SCHEMA, as_held

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
LINK = "https://vigie.example/briefing?dataset=sample&lang=fr"


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def frames(data: pl.DataFrame, catalog: pl.DataFrame, view: ViewState | None = None) -> dict:
    """What the Briefing page hands build_briefing, computed as lib/ui/compute.py does."""
    domain, _ = domain_of(data, catalog)
    view, dropped = resolve(view or ViewState(), domain)
    assert dropped == []
    grain = view.grain
    history = (
        model.with_gap(model.rollup_time(data.lazy(), catalog, grain, domain.grain, 1), catalog)
        .collect()
        .sort("period")
    )
    perf = performance(data, catalog, view, domain.grain, history=history if grain != domain.grain else None)
    signals = detect(history, catalog, as_of=view.end)
    return {"view": view, "data_grain": domain.grain, "history": history, "perf": perf, "signals": signals}


@pytest.fixture(scope="module")
def sample():
    loaded = load_sample()
    return loaded.data, loaded.catalog


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("store") / "vigie.db"
    with Store(f"sqlite:///{path}", clock=Clock(NOW - timedelta(days=30))) as s:
        stories, today = load_stories(), (NOW - timedelta(days=30)).date()
        assert s.seed_sample() == 1 + len(sample_open_actions(stories, today)) + len(sample_notes(stories))
        yield s


@pytest.fixture(scope="module")
def inputs(sample):
    return frames(*sample)


def build(inputs, catalog, store, lang, *, previous=None, now=NOW, actions=None, notes=None, **over):
    args = {
        "name": "Organisation exemple",
        "slug": "sample",
        "version": None,
        "perf": inputs["perf"],
        "history": inputs["history"],
        "catalog": catalog,
        "view": inputs["view"],
        "data_grain": inputs["data_grain"],
        "lang": lang,
        "signals": inputs["signals"],
        "actions": store.actions_frame("sample") if actions is None else actions,
        "notes": store.notes_frame("sample") if notes is None else notes,
        "previous": previous,
        "now": now,
        "author": "Chloé Durand",
        "link": LINK,
    } | over
    return build_briefing(**args)


@pytest.fixture(scope="module")
def packs(inputs, sample, store) -> dict[str, tuple[Briefing, dict]]:
    out = {}
    for lang in ("fr", "en"):
        start = time.perf_counter()
        out[lang] = build(inputs, sample[1], store, lang)
        print(f"\nbuild_briefing(sample, {lang}): {time.perf_counter() - start:.3f} s")
    return out


def kinds(pack: Briefing) -> list[str]:
    return [s.kind for s in pack.slides]


# --- The pack of the sample organisation -------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_slide_count_and_kinds(packs, inputs, lang):
    pack, _ = packs[lang]
    services = inputs["perf"]["service"].n_unique()
    rows = inputs["perf"].filter(pl.col("period") == date(2026, 10, 1)).height
    assert (services, rows) == (11, 119)
    expected = (
        ["title", "summary"] + ["group"] * 11 + ["actions"] + ["appendix"] * math.ceil(119 / TABLE_ROWS)
    )
    assert kinds(pack) == expected and len(pack.slides) == 22
    # Slides come in SLIDE_KINDS order.
    assert [SLIDE_KINDS.index(k) for k in kinds(pack)] == sorted(SLIDE_KINDS.index(k) for k in kinds(pack))
    groups = [s.title for s in pack.slides if s.kind == "group"]
    assert groups == [
        "Admissions",
        "Communication",
        "Finances",
        "Formation continue",
        "International",
        "Logistique",
        "Pédagogie",
        "Qualité",
        "Relations entreprises",
        "Ressources humaines",
        "Systèmes d'information",
    ]


@pytest.mark.parametrize(
    ("lang", "period", "subtitle", "filters"),
    [
        (
            "fr",
            "octobre 2026",
            "octobre 2026 · préparé le 26 novembre 2026 par Chloé Durand",
            (
                "Jeu de données : Organisation exemple",
                "Période : novembre 2025 – octobre 2026 · Maille : Mois",
                "Comparé à : Période précédente",
                "Services : Tous",
                "Axes stratégiques : Tous",
                "Indicateurs : Tous",
            ),
        ),
        (
            "en",
            "October 2026",
            "October 2026 · prepared on 26 November 2026 by Chloé Durand",
            (
                "Dataset: Organisation exemple",
                "Period: November 2025 – October 2026 · Grain: Month",
                "Compared with: Previous period",
                "Services: All",
                "Strategic axes: All",
                "KPIs: All",
            ),
        ),
    ],
)
def test_title_slide_period_date_and_filters(packs, lang, period, subtitle, filters):
    pack, _ = packs[lang]
    title = pack.slides[0]
    assert pack.period == period
    assert (
        title.title
        == pack.title
        == {
            "fr": "Revue de performance — Organisation exemple",
            "en": "Performance review — Organisation exemple",
        }[lang]
    )
    assert title.subtitle == subtitle
    assert pack.filters == filters and title.bullets == filters
    assert (pack.lang, pack.link, pack.dataset, pack.dataset_version) == (lang, LINK, "sample", None)
    assert (pack.generated_at, pack.generated_by, pack.organisation) == (
        NOW,
        "Chloé Durand",
        "Organisation exemple",
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_file_stem_carries_dataset_period_and_date(packs, lang):
    pack, _ = packs[lang]
    assert pack.file_stem == "vigie-briefing_sample_2026-10_2026-11-26"
    assert pack.file_name("pptx") == "vigie-briefing_sample_2026-10_2026-11-26.pptx"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_summary_numbers_are_the_overviews(packs, inputs, sample, lang):
    pack, _ = packs[lang]
    ov = build_overview(inputs["perf"], inputs["history"], sample[1], "month", "previous")
    summary = pack.slides[1]
    assert summary.kind == "summary"
    score, on, watch, off, completeness = summary.metrics
    assert score.value == fmt_percent(ov.score, lang)
    assert score.delta == f"{fmt_signed((ov.score - ov.score_before) * 100, lang)} pts"
    assert score.good is (ov.score > ov.score_before)
    assert [m.value for m in (on, watch, off)] == [
        fmt_int(ov.counts[s], lang) for s in ("on", "watch", "off")
    ]
    assert completeness.value == fmt_percent(ov.completeness, lang)
    # The numbers themselves, so a change in lib.overview is seen here too.
    assert (ov.counts, round(ov.score, 4), round(ov.score_before, 4)) == (
        {"on": 80, "watch": 23, "off": 16, "none": 0},
        0.7,
        0.7143,
    )
    expected = {"fr": ("70,0\u00a0%", "−1,4 pts"), "en": ("70.0%", "−1.4 pts")}[lang]
    assert (score.value, score.delta) == expected


def test_summary_lists_the_planted_stories_signals_at_the_last_period(packs, inputs, sample):
    """The five strongest weak signals at October 2026 are all stories planted in the sample."""
    planted = {(s["service"], s["kpi"]) for s in load_stories() if s["end"] == "2026-10-01"}
    units = dict(sample[1].select("kpi", "unit").iter_rows())
    bad = inputs["signals"].filter(pl.col("polarity") == "bad")
    for lang in ("fr", "en"):
        pack, _ = packs[lang]
        prefix = {"fr": "Signal faible : ", "en": "Weak signal: "}[lang]
        shown = [b.removeprefix(prefix) for b in pack.slides[1].bullets if b.startswith(prefix)]
        assert len(shown) == 5
        about = []
        for sentence in shown:
            rows = [
                r for r in bad.iter_rows(named=True) if message(r, lang, units[r["kpi"]] or "") == sentence
            ]
            assert len(rows) == 1, sentence
            about.append((rows[0]["service"], rows[0]["kpi"], rows[0]["kind"]))
        assert {(s, k) for s, k, _ in about} <= planted
        assert about[:2] == [
            ("Communication", "Visites du site web", "level_shift"),
            ("Ressources humaines", "Délai de recrutement", "level_shift"),
        ]
        # One line per series: its strongest signal.
        assert len({(s, k) for s, k, _ in about}) == 5


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_summary_wins_are_the_overviews_first_five(packs, inputs, sample, lang):
    from lib.wins import win_sentence

    pack, _ = packs[lang]
    ov = build_overview(inputs["perf"], inputs["history"], sample[1], "month", "previous")
    units = dict(sample[1].select("kpi", "unit").iter_rows())
    prefix = {"fr": "Réussite : ", "en": "Win: "}[lang]
    wins = [b.removeprefix(prefix) for b in pack.slides[1].bullets if b.startswith(prefix)]
    assert wins == [
        win_sentence(r, lang, units[str(r["kpi"])] or "") for r in ov.wins.head(5).iter_rows(named=True)
    ]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_group_slides_have_a_valid_chart_bullets_and_numbers(packs, inputs, sample, lang):
    pack, _ = packs[lang]
    ov = build_overview(inputs["perf"], inputs["history"], sample[1], "month", "previous")
    board = {r["service"]: r for r in ov.leaderboard.iter_rows(named=True)}
    last = inputs["perf"].filter(pl.col("period") == date(2026, 10, 1))
    for slide in (s for s in pack.slides if s.kind == "group"):
        spec = slide.chart.to_dict()  # validates against the Vega-Lite schema
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        bars = next(iter(spec["datasets"].values()))
        kpis = set(last.filter(pl.col("service") == slide.title)["kpi"].cast(pl.String))
        assert {b["label"] for b in bars} == kpis and len(bars) <= CHART_BARS
        assert slide.chart_alt and slide.title in slide.chart_alt
        assert 3 <= len(slide.bullets) <= 5
        row = board[slide.title]
        score = slide.metrics[0]
        assert score.value == fmt_percent(row["score"], lang)
        assert score.delta == f"{fmt_signed(row['change'] * 100, lang)} pts"
        assert [m.value for m in slide.metrics[1:]] == [
            fmt_int(row[f"n_{s}"], lang) for s in ("on", "watch", "off")
        ]
        assert slide.commentary.startswith({"fr": "Score de ", "en": "Score "}[lang] + score.value)
        moves = last.filter(pl.col("service") == slide.title)["gap_change"].drop_nulls()
        better, worse = (moves >= 0.5).sum(), (moves <= -0.5).sum()
        flat = moves.len() - better - worse
        assert {
            "fr": f"Écarts à l'objectif : {better} en amélioration, {worse} en dégradation, "
            f"{flat} sans changement notable.",
            "en": f"Gaps to target: {better} better, {worse} worse, {flat} about the same.",
        }[lang] in slide.commentary


def test_group_bullets_name_the_worst_kpi_with_its_numbers(packs):
    fr = {s.title: s for s in packs["fr"][0].slides if s.kind == "group"}
    en = {s.title: s for s in packs["en"][0].slides if s.kind == "group"}
    assert fr["Communication"].bullets[:2] == (
        "5 indicateurs sur 10 dans l'objectif, 3 à surveiller, 2 hors objectif.",
        # Babel's French thousands separator is the narrow no-break space.
        "Le plus loin de l'objectif : Visites du site web, 63\u202f099\u00a0nb pour un objectif de "
        "85\u202f000\u00a0nb (−25,8\u00a0%).",
    )
    assert en["Communication"].bullets[:2] == (
        "5 of 10 KPIs on target, 3 to watch, 2 off target.",
        "Furthest from target: Visites du site web, 63,099\u00a0nb against a target of "
        "85,000\u00a0nb (−25.8%).",
    )
    # Every KPI on target: no "furthest from target" line, the score line fills the slide instead.
    assert not any("loin de l'objectif" in b for b in fr["International"].bullets)
    assert (
        fr["International"].bullets[-1]
        == "Score de 100,0\u00a0% (+7,7 pts par rapport à la période précédente)."
    )


def test_commentary_quotes_the_notes_of_its_service(packs, store):
    notes = {n.service: n.text for n in store.notes("sample")}
    assert set(notes) == {"Pédagogie", "Systèmes d'information"}
    for lang, word in (("fr", "Notes des équipes"), ("en", "Team notes")):
        slides = {s.title: s for s in packs[lang][0].slides if s.kind == "group"}
        for service, slide in slides.items():
            if service in notes:
                assert word in slide.commentary and notes[service] in slide.commentary, service
            else:
                assert word not in slide.commentary
                assert slide.commentary.endswith(
                    {"fr": "Aucune note d'équipe sur cette période.", "en": "No team note on this period."}[
                        lang
                    ]
                )
    pedagogie = {s.title: s for s in packs["fr"][0].slides}["Pédagogie"]
    assert pedagogie.commentary.endswith(
        f"«\u00a0{notes['Pédagogie']}\u00a0» (Heures de cours assurées, décembre 2025)."
    )


def test_notes_are_plain_one_line_text_cut_when_long(inputs, sample, store):
    nasty = "<b>**Grève**</b>\n`ligne 2` | =SUM(A1)\t" + "x" * 400
    base = store.notes_frame("sample")
    extra = pl.DataFrame(
        {
            "id": [999, 1000],
            "dataset": ["sample"] * 2,
            "service": ["Finances", "Finances"],
            "kpi": ["Délai de paiement fournisseurs"] * 2,
            "period": [date(2026, 9, 1), date(2024, 1, 1)],  # the second is before the view's range
            "text": [nasty, "Trop ancienne"],
            "created_at": [NOW] * 2,
            "created_by": ["Ana"] * 2,
        },
        schema=base.schema,
    )
    pack, _ = build(inputs, sample[1], store, "fr", notes=pl.concat([base, extra]))
    finances = next(s for s in pack.slides if s.title == "Finances")
    quoted = finances.commentary.split("Notes des équipes : ")[1]
    assert quoted.startswith("«\u00a0<b>**Grève**</b> `ligne 2` | =SUM(A1) xxx")
    assert "\n" not in finances.commentary and "\t" not in finances.commentary
    assert "…\u00a0» (Délai de paiement fournisseurs, septembre 2026)." in quoted
    assert "Trop ancienne" not in finances.commentary


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_appendix_lists_every_result_at_most_fifteen_rows_a_slide(packs, inputs, lang):
    pack, _ = packs[lang]
    parts = [s for s in pack.slides if s.kind == "appendix"]
    assert [p.table.height for p in parts] == [15] * 7 + [14]
    assert parts[0].title.endswith("(1/8)") and parts[-1].title.endswith("(8/8)")
    table = pl.concat([p.table for p in parts])
    assert (
        table.columns
        == {
            "fr": ["Service", "Indicateur", "Réalisé", "Objectif", "Écart", "Statut", "Évolution"],
            "en": ["Service", "KPI", "Actual", "Target", "Gap", "Status", "Change"],
        }[lang]
    )
    assert all(dtype == pl.String for dtype in table.dtypes)
    row = table.filter(
        (pl.col("Service") == "Finances") & (pl.col(table.columns[1]) == "Délai de paiement fournisseurs")
    )
    assert (
        row.row(0)[2:]
        == {
            "fr": ("27,5\u00a0jours", "30,0\u00a0jours", "+8,3\u00a0%", "Atteint", "−4,0 pts"),
            "en": ("27.5\u00a0jours", "30.0\u00a0jours", "+8.3%", "On target", "−4.0 pts"),
        }[lang]
    )
    assert table.height == 119
    # A score out of ten reads 7,2/10, no space, as in the charts.
    ten = table.filter(
        (pl.col("Service") == "Admissions") & (pl.col(table.columns[1]) == "Satisfaction des collaborateurs")
    )
    assert ten.row(0)[2:4] == {"fr": ("7,2/10", "7,2/10"), "en": ("7.2/10", "7.2/10")}[lang]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_workbook_tables(packs, lang):
    pack, _ = packs[lang]
    names = {
        "fr": ["Résultats", "Scores", "Signaux faibles", "Réussites", "Actions à échéance"],
        "en": ["Results", "Scores", "Weak signals", "Wins", "Actions due"],
    }[lang]
    assert list(pack.tables) == names
    assert all(len(n) <= 31 for n in pack.tables)
    results = pack.tables[names[0]]
    assert results.height == 119 and results.schema[results.columns[4]] == pl.Float64  # actual, a number
    assert pack.tables[names[1]].height == 11
    assert pack.tables[names[2]].height == 40  # every weak signal of the view, not only the top 5


# --- Since the last briefing ---------------------------------------------------------------------------


def test_since_slide_lists_a_provoked_status_change_new_signal_and_actions(sample, tmp_path):
    data, catalog = sample
    with Store(f"sqlite:///{tmp_path / 'v.db'}", clock=Clock(datetime(2026, 11, 1, tzinfo=UTC))) as st:
        st.seed_sample()
        # The seed's open actions are dated from 1 November: none falls due between the two briefings.
        seeded = len(st.actions("sample"))
        late, _ = st.create_action(
            "sample",
            service="Finances",
            title="Relancer « les » factures",
            due=date(2026, 11, 15),
            author="Ana",
        )
        closing, _ = st.create_action(
            "sample", service="Logistique", title="Plan énergie", due=date(2027, 3, 1), author="Ana"
        )
        first_at = datetime(2026, 11, 10, tzinfo=UTC)
        base = frames(data, catalog)
        first, snap1 = build(base, catalog, st, "fr", now=first_at)
        assert "since" not in kinds(first)
        st.record_briefing(
            "sample",
            version=None,
            link=LINK,
            lang="fr",
            period=date(2026, 10, 1),
            snapshot=snap1,
            author="Ana",
        )
        # Provoke: the supplier payment time of October 2026 goes far off its 30-day target, and
        # one action is done while the other passes its due date.
        worse = data.with_columns(
            pl.when(
                (pl.col("period") == date(2026, 10, 1))
                & (pl.col("service") == "Finances")
                & (pl.col("kpi") == "Délai de paiement fournisseurs")
            )
            .then(60.0)
            .otherwise(pl.col("actual"))
            .alias("actual")
        )
        st.update_action(closing.id, {"status": "done"}, expected_version=1, author="Bo")
        previous = st.last_briefing("sample")["snapshot"]
        assert previous == json.loads(json.dumps(snap1))
        for lang in ("fr", "en"):
            pack, _ = build(frames(worse, catalog), catalog, st, lang, previous=previous)
            assert kinds(pack)[:3] == ["title", "summary", "since"]
            since = pack.slides[2]
            # The jump also fires three signals the last pack did not have: anomaly, projected miss,
            # volatility (sorted by kind).
            assert [m.value for m in since.metrics] == ["1", "3", "1", "1"]
            expected = {
                "fr": [
                    "Finances — Délai de paiement fournisseurs : Atteint → Non atteint",
                    f"Action nº {seeded + 2} close (Terminée) : Plan énergie (Logistique)",
                    f"Action nº {seeded + 1} désormais en retard (échéance 15 nov. 2026) : "
                    "Relancer « les » factures (Finances)",
                ],
                "en": [
                    "Finances — Délai de paiement fournisseurs: On target → Off target",
                    f"Action #{seeded + 2} closed (Done): Plan énergie (Logistique)",
                    f"Action #{seeded + 1} now overdue (due 15 Nov 2026): "
                    "Relancer « les » factures (Finances)",
                ],
            }[lang]
            assert since.bullets[0] == expected[0]
            assert since.bullets[4:] == tuple(expected[1:])
            signal = {
                "fr": "Signal faible : Délai de paiement fournisseurs — Finances : ",
                "en": "Weak signal: Délai de paiement fournisseurs — Finances: ",
            }[lang]
            assert all(b.startswith(signal) for b in since.bullets[1:4])
            assert {"fr": "60,0\u00a0jours", "en": "60.0\u00a0jours"}[lang] in since.bullets[1]  # the anomaly
            assert (
                since.subtitle
                == {
                    "fr": "Par rapport à la revue du 10 novembre 2026 (octobre 2026)",
                    "en": "Compared with the briefing of 10 November 2026 (October 2026)",
                }[lang]
            )
            sheet = pack.tables[{"fr": "Depuis la dernière revue", "en": "Since last briefing"}[lang]]
            assert sheet.height == 6
        assert (late.id, closing.id) == (seeded + 1, seeded + 2)  # after the seed's


def test_the_same_view_twice_reports_nothing_new(inputs, sample, store):
    _, snap = build(inputs, sample[1], store, "en")
    pack, again = build(inputs, sample[1], store, "en", previous=snap)
    since = pack.slides[2]
    assert since.kind == "since" and [m.value for m in since.metrics] == ["0"] * 4
    assert since.bullets == ("Nothing changed since the last briefing.",)
    assert {k: v for k, v in again.items() if k != "generated_at"} == {
        k: v for k, v in snap.items() if k != "generated_at"
    }


@pytest.mark.parametrize(
    "previous",
    [None, {}, {"v": SNAPSHOT_VERSION + 1}, {"v": SNAPSHOT_VERSION, "period": "2026-13-01"}, "text", [1, 2]],
)
def test_an_unreadable_previous_snapshot_means_no_since_slide(inputs, sample, store, previous):
    pack, _ = build(inputs, sample[1], store, "en", previous=previous)
    assert "since" not in kinds(pack)


def snap(
    series=(), signals=(), actions=(), *, grain="month", today="2026-10-10", at="2026-10-10T08:00:00+00:00"
):
    return {
        "v": SNAPSHOT_VERSION,
        "generated_at": at,
        "today": today,
        "period": "2026-09-01",
        "grain": grain,
        "score": 0.5,
        "series": [list(s) for s in series],
        "signals": [list(s) for s in signals],
        "actions": [list(a) for a in actions],
    }


S = [("A", "k1", "on"), ("A", "k2", "watch"), ("B", "k1", "off"), ("B", "k2", "none")]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (S, S, []),
        # Worse first (by name), then better, then moves to or from "no target".
        (
            S,
            [
                ("A", "k1", "off"),
                ("A", "k2", "on"),
                ("B", "k1", "watch"),
                ("B", "k2", "on"),
                ("C", "k1", "off"),
            ],
            [
                ("A", "k1", "on", "off"),
                ("A", "k2", "watch", "on"),
                ("B", "k1", "off", "watch"),
                ("B", "k2", "none", "on"),
            ],
        ),
        # A series missing from either side is not a change (another view, or not reported).
        (S[:1], [("A", "k1", "on"), ("A", "k2", "off")], []),
    ],
)
def test_diff_status_changes(before, after, expected):
    changes = diff(snap(before), snap(after))
    assert [(c.service, c.kpi, c.before, c.after) for c in changes.status] == expected
    assert changes.counts["status"] == len(expected)


def test_diff_new_signals_only_for_series_the_last_briefing_saw():
    before = snap(S[:2], signals=[("A", "k1", "anomaly")])
    after = snap(
        S,
        signals=[
            ("A", "k1", "anomaly"),
            ("A", "k1", "level_shift"),
            ("A", "k2", "silent_drift"),
            ("B", "k1", "anomaly"),
        ],
    )
    assert diff(before, after).new_signals == (("A", "k1", "level_shift"), ("A", "k2", "silent_drift"))


@pytest.mark.parametrize(
    ("before", "after", "closed", "late"),
    [
        # id, status, due, overdue then, updated_at
        (
            [(1, "planned", "2026-10-20", False, "2026-10-01T00:00:00+00:00")],
            [(1, "done", "2026-10-20", False, "2026-10-15T00:00:00+00:00")],
            (1,),
            (),
        ),
        (
            [(1, "planned", "2026-10-20", False, "2026-10-01T00:00:00+00:00")],
            [(1, "in_progress", "2026-10-20", True, "2026-10-15T00:00:00+00:00")],
            (),
            (1,),
        ),
        # Already late last time: not news.
        (
            [(1, "planned", "2026-10-01", True, "2026-09-01T00:00:00+00:00")],
            [(1, "planned", "2026-10-01", True, "2026-09-01T00:00:00+00:00")],
            (),
            (),
        ),
        # Already closed last time: not news.
        (
            [(1, "dropped", "2026-10-01", False, "2026-09-01T00:00:00+00:00")],
            [(1, "dropped", "2026-10-01", False, "2026-09-01T00:00:00+00:00")],
            (),
            (),
        ),
        # Not in the last pack: news only if closed after it, or due after its date.
        (
            [],
            [
                (7, "done", None, False, "2026-10-11T00:00:00+00:00"),
                (8, "done", None, False, "2026-10-09T00:00:00+00:00"),
                (9, "planned", "2026-10-12", True, "2026-10-01T00:00:00+00:00"),
                (10, "planned", "2026-10-05", True, "2026-10-01T00:00:00+00:00"),
            ],
            (7,),
            (9,),
        ),
    ],
)
def test_diff_actions_closed_and_newly_overdue(before, after, closed, late):
    changes = diff(snap(actions=before), snap(actions=after, today="2026-10-30"))
    assert (changes.closed, changes.newly_overdue) == (closed, late)


def test_naive_times_read_as_utc():
    before = snap(at="2026-10-10T08:00:00")  # naive: UTC
    after = snap(actions=[(7, "done", None, False, "2026-10-10T09:00:00+00:00")])
    assert diff(before, after).closed == (7,)
    assert diff(before, after).generated_at == datetime(2026, 10, 10, 8, tzinfo=UTC)
    out = snapshot(
        period=date(2026, 9, 1),
        grain="month",
        now_rows=pl.DataFrame(schema={"service": pl.String, "kpi": pl.String, "status": pl.String}),
        signals=pl.DataFrame(),
        actions=pl.DataFrame(
            schema={
                "id": pl.Int64,
                "status": pl.String,
                "due": pl.Date,
                "updated_at": pl.Datetime("us", "UTC"),
            }
        ),
        today=date(2026, 10, 2),
        generated_at=datetime(2026, 10, 2, 7),
        score=None,
    )
    assert out["generated_at"] == "2026-10-02T07:00:00+00:00"


def test_diff_across_grains_compares_no_status():
    changes = diff(snap(S, grain="quarter"), snap([("A", "k1", "off")]))
    assert (changes.comparable, changes.status, changes.grain) == (False, (), "quarter")


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (snap(), True),
        ({**snap(), "v": 2}, False),
        ({**snap(), "series": "x"}, False),
        ({k: v for k, v in snap().items() if k != "period"}, False),
        ({**snap(), "period": None}, False),
        ({**snap(), "grain": 3}, False),
        (None, False),
        ([], False),
    ],
)
def test_readable(value, ok):
    assert readable(value) is ok


def test_snapshot_is_plain_json_and_sorted():
    now_rows = pl.DataFrame(
        {"service": ["B", "A", "A"], "kpi": ["k", "k2", "k1"], "status": ["on", "off", "watch"]},
        schema={"service": pl.Categorical, "kpi": pl.Categorical, "status": model.STATUS},
    )
    signals = pl.DataFrame(
        {
            "service": ["A", "A"],
            "kpi": ["k1", "k1"],
            "kind": ["anomaly", "win_record"],
            "polarity": ["bad", "good"],
        }
    )
    actions = pl.DataFrame(
        {
            "id": [2, 1],
            "status": ["planned", "done"],
            "due": [date(2026, 10, 1), None],
            "updated_at": [datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 9, 2, tzinfo=UTC)],
        }
    )
    out = snapshot(
        period=date(2026, 9, 1),
        grain="month",
        now_rows=now_rows,
        signals=signals,
        actions=actions,
        today=date(2026, 10, 2),
        generated_at=NOW,
        score=None,
    )
    assert json.loads(json.dumps(out, allow_nan=False)) == out
    assert out["series"] == [["A", "k1", "watch"], ["A", "k2", "off"], ["B", "k", "on"]]
    assert out["signals"] == [["A", "k1", "anomaly"]]
    assert out["actions"] == [
        [1, "done", None, False, "2026-09-02T00:00:00+00:00"],
        [2, "planned", "2026-10-01", True, "2026-09-01T00:00:00+00:00"],
    ]


# --- Other views ---------------------------------------------------------------------------------------


def synthetic(services: int, seed: int = 7) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`services` services × 4 KPIs (three axes and one KPI without) × 15 months, seeded."""
    rng = random.Random(seed)
    kpis = [("Taux A", "Axe 1"), ("Délai B", "Axe 2"), ("Coût C", "Axe 2"), ("Volume D", None)]
    catalog = pl.DataFrame(
        {
            "kpi": [k for k, _ in kpis],
            "unit": ["%", "jours", "k€", "nb"],
            "direction": ["higher", "lower", "lower", "higher"],
            "agg_time": ["mean", "mean", "sum", "sum"],
            "agg_services": ["mean", "mean", "sum", "sum"],
            "tolerance": [5.0, 10.0, 10.0, 10.0],
            "axis": [a for _, a in kpis],
            "description": [""] * 4,
            "score_weight": [1.0] * 4,
        },
        schema={
            k: v
            for k, v in CATALOG_SCHEMA.items()
            if k
            in (
                "kpi",
                "unit",
                "direction",
                "agg_time",
                "agg_services",
                "tolerance",
                "axis",
                "description",
                "score_weight",
            )
        },
    )
    rows = []
    for m in range(15):
        period = date(2025 + (m + 7) // 12, (m + 7) % 12 + 1, 1)
        for s in range(services):
            for kpi, _ in kpis:
                target = 100.0
                rows.append(
                    (period, f"Service {s + 1:02d}", kpi, target * rng.uniform(0.8, 1.2), target, None)
                )
    data = pl.DataFrame(rows, schema=["period", "service", "kpi", "actual", "target", "weight"], orient="row")
    return as_held(data.with_columns(pl.col("weight").cast(pl.Float64))), catalog


def test_more_services_than_fit_means_one_slide_per_axis(store):
    data, catalog = synthetic(GROUP_MAX_SERVICES + 8)
    got = frames(data, catalog)
    empty = store.actions_frame("none")
    pack, _ = build(got, catalog, store, "en", actions=empty, notes=store.notes_frame("none"), slug="many")
    groups = [s for s in pack.slides if s.kind == "group"]
    assert [s.title for s in groups] == [
        "Strategic axis: Axe 1",
        "Strategic axis: Axe 2",
        "Strategic axis: No axis",
    ]
    for slide in groups:
        bars = next(iter(slide.chart.to_dict()["datasets"].values()))
        assert len(bars) == CHART_BARS  # the furthest from target of 20 services
        assert (
            slide.chart.to_dict()["title"]
            == "Median gap to target by service, October 2026 (the 15 furthest from target)"
        )
        assert slide.bullets[0].endswith("off target.") and "service × KPI pairs" in slide.bullets[0]
    assert pack.file_stem == "vigie-briefing_many_2026-10_2026-11-26"


def test_a_view_with_nothing_in_it(inputs, sample, store):
    empty = inputs["perf"].clear()
    pack, snap_ = build(inputs, sample[1], store, "en", perf=empty)
    assert kinds(pack) == ["title", "summary", "actions"]
    assert pack.slides[1].bullets == (
        "No KPI matches these filters: widen the period or clear some filters.",
    )
    assert snap_["series"] == [] and pack.period == "—"


def test_filters_in_words(sample, store):
    data, catalog = sample
    view = ViewState(
        services=("Finances", "Pédagogie"),
        kpis=("Délai de paiement fournisseurs", "Heures de cours assurées", "Taux d'absentéisme"),
        statuses=("off", "watch"),
        gap_min=-50.0,
        compare="last_year",
        start=date(2026, 1, 1),
        end=date(2026, 9, 30),
        grain="quarter",
    )
    got = frames(data, catalog, view)
    pack, _ = build(got, catalog, store, "fr", version=3)
    assert pack.filters == (
        "Jeu de données : Organisation exemple (version 3)",
        "Période : T1 2026 – T3 2026 · Maille : Trimestre",
        "Comparé à : Même période l'an dernier",
        "Services : Finances, Pédagogie",
        "Axes stratégiques : Tous",
        "Indicateurs : Délai de paiement fournisseurs, Heures de cours assurées, Taux d'absentéisme",
        "Statut : Non atteint, À surveiller",
        "Écart à l'objectif : de −50,0\u00a0% à —",
    )


def test_actions_overdue_and_due_soon_table_split_by_fifteen(inputs, sample, store):
    today = NOW.date()
    base = store.actions_frame("sample").filter(pl.col("created_by") != SAMPLE_AUTHOR)  # only these rows
    rows = []
    for i in range(20):
        rows.append(
            {
                **dict.fromkeys(base.columns),
                "id": 100 + i,
                "dataset": "sample",
                "service": "Finances",
                "kpi": None if i % 2 else "Délai de paiement fournisseurs",
                "title": f"=Action {i}",
                "owner": "",
                "start": today - timedelta(days=60),
                "due": today + timedelta(days=i * 3 - 10),  # -10 .. +47 days
                "status": "planned" if i % 3 else "in_progress",
                "priority": "medium",
                "version": 1,
            }
        )
    rows.append({**rows[0], "id": 200, "status": "done", "due": today - timedelta(days=5)})
    actions = pl.concat([base, pl.DataFrame(rows, schema=base.schema)])
    pack, snap_ = build(inputs, sample[1], store, "en", actions=actions)
    slides = [s for s in pack.slides if s.kind == "actions"]
    # Due from 10 days ago up to 30 days ahead: i = 0..13 (done ones and later ones left out).
    assert [s.table.height for s in slides] == [14]
    assert [m.value for m in slides[0].metrics] == ["4", "10"]
    table = slides[0].table
    assert table.columns == ["#", "Action", "Service", "KPI", "Owner", "Due", "Status", "Deadline"]
    assert table.row(0) == (
        "100",
        "=Action 0",
        "Finances",
        "Délai de paiement fournisseurs",
        "—",
        "16 Nov 2026",
        "In progress",
        "10 days late",
    )
    assert table["Deadline"].to_list()[3:5] == ["1 day late", "In 2 days"]
    assert sum(a[3] for a in snap_["actions"]) == 4
    many = pl.concat([actions, pl.DataFrame([{**r, "id": r["id"] + 1000} for r in rows], schema=base.schema)])
    pack, _ = build(inputs, sample[1], store, "fr", actions=many)
    slides = [s for s in pack.slides if s.kind == "actions"]
    assert [s.table.height for s in slides] == [15, 13]
    assert [s.title for s in slides] == [
        "Actions en retard et à échéance sous 30 jours (1/2)",
        "Actions en retard et à échéance sous 30 jours (2/2)",
    ]


@pytest.mark.parametrize(
    ("view", "period", "stem_period", "delta"),
    [
        (ViewState(grain="ytd"), "Cumul annuel à fin octobre 2026", "2026-10", "+2,1 pts"),
        (ViewState(grain="quarter", compare="last_year"), "T4 2026", "2026-10", "−4,3 pts"),
        (ViewState(grain="year", compare="target"), "2026", "2026-01", None),  # no change against a target
    ],
)
def test_other_grains_and_comparisons(sample, store, view, period, stem_period, delta):
    got = frames(*sample, view)
    pack, snap_ = build(got, sample[1], store, "fr")
    assert kinds(pack).count("group") == 11
    assert (pack.period, pack.file_stem) == (period, f"vigie-briefing_sample_{stem_period}_2026-11-26")
    assert pack.slides[1].metrics[0].delta == delta
    assert snap_["grain"] == view.grain
    for slide in (s for s in pack.slides if s.kind == "group"):
        slide.chart.to_dict()
        if delta is None:
            assert "pts par rapport" not in slide.commentary


@pytest.mark.parametrize(
    ("lang", "counts"),
    [
        ("fr", "0 indicateur sur 1 dans l'objectif, 0 à surveiller, 1 hors objectif."),
        ("en", "0 of 1 KPI on target, 0 to watch, 1 off target."),
    ],
)
def test_counts_agree_with_their_number(sample, store, lang, counts):
    got = frames(*sample, ViewState(services=("Finances",), statuses=("off",)))
    pack, _ = build(got, sample[1], store, lang)
    (finances,) = [s for s in pack.slides if s.kind == "group"]
    assert finances.bullets[0] == counts
    assert (
        finances.commentary
        == {
            "fr": "Score de 0,0\u00a0% (0,0 pts par rapport à la période précédente). Écarts à l'objectif : "
            "0 en amélioration, 1 en dégradation, 0 sans changement notable. "
            "1 série présente un signal faible. Aucune note d'équipe sur cette période.",
            "en": "Score 0.0% (0.0 pts against the previous period). Gaps to target: 0 better, 1 worse, "
            "0 about the same. 1 series shows a weak signal. No team note on this period.",
        }[lang]
    )


def test_at_scale_the_appendix_keeps_the_results_furthest_from_target(store):
    """160 results: the appendix prints the 120 furthest from target (8 slides), says so, and the
    workbook's results table keeps all 160."""
    from lib.briefing.content import APPENDIX_MAX_ROWS

    data, catalog = synthetic(40)
    got = frames(data, catalog)
    empty = store.actions_frame("none")
    pack, _ = build(got, catalog, store, "en", actions=empty, notes=store.notes_frame("none"), slug="many")
    appendix = [s for s in pack.slides if s.kind == "appendix"]
    assert sum(s.table.height for s in appendix) == APPENDIX_MAX_ROWS == 120
    assert len(appendix) == 8
    assert {s.subtitle for s in appendix} == {
        "The 120 results furthest from target of 160: the Excel workbook holds them all."
    }
    assert max(t.height for t in pack.tables.values()) == 160
    # Those kept are the furthest from target: every gap left out is at least as good as any kept.
    now = got["perf"].filter(pl.col("period") == got["perf"]["period"].max())
    cut = now.sort("gap_pct", nulls_last=True)["gap_pct"][APPENDIX_MAX_ROWS - 1]
    kept = {(r[0], r[1]) for s in appendix for r in s.table.select(s.table.columns[:2]).iter_rows()}
    pairs_now = now.select(pl.col("service", "kpi").cast(pl.String), "gap_pct").iter_rows()
    left_out = [gap for service, kpi, gap in pairs_now if (service, kpi) not in kept]
    assert len(left_out) == 160 - APPENDIX_MAX_ROWS
    assert min(left_out) >= cut
