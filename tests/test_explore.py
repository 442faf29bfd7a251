"""Explore's small frames: a KPI's series per service or their total, the watch band, the gap by
service (worst and best when many), the details table, and dates of clicked points."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from lib.explore import (
    MAX_BARS,
    MAX_SERIES,
    details,
    epoch_date,
    gap_by_service,
    kpi_series,
    latest_gaps,
    needs_total,
)
from lib.filters import ViewState
from lib.periods import period_range
from lib.slicing import performance
from tests.builders import CATALOG_SCHEMA, DATA_SCHEMA, as_held

MONTHS = period_range(date(2024, 1, 1), date(2025, 6, 1), "month")
VIEW = ViewState(start=date(2025, 1, 1), end=date(2025, 6, 30), grain="month")
SERIES_COLUMNS = ["period", "series", "actual", "target", "tol_low", "tol_high", "cmp_actual", "status"]


def catalog(*kpis: tuple[str, str, str, float]) -> pl.DataFrame:
    """kpis: (kpi, direction, agg_services, tolerance)."""
    return pl.DataFrame(
        [(k, f"{k}-unit", d, "sum", agg, tol, None, None, 1.0) for k, d, agg, tol in kpis],
        orient="row",
        schema=CATALOG_SCHEMA,
    )


def frame(rows: list[tuple]) -> pl.DataFrame:
    """rows (period, service, kpi, actual, target, weight) -> a dataset as held (sorted, categorical)."""
    out = pl.DataFrame(
        rows,
        orient="row",
        schema=DATA_SCHEMA,
    )
    return as_held(out)


def services_data(n: int, seed: int, kpi: str = "k") -> pl.DataFrame:
    """n services over MONTHS, actual and target in whole numbers, weight 1-4."""
    rng = random.Random(seed)
    return frame(
        [
            (
                m,
                f"S{i:02d}",
                kpi,
                float(rng.randint(50, 150)),
                float(rng.randint(80, 120)),
                float(rng.randint(1, 4)),
            )
            for m in MONTHS
            for i in range(n)
        ]
    )


# --- kpi_series -------------------------------------------------------------------------------------


def drawn(data, cat, label: str, compare: str, kpi: str = "k", view=None) -> pl.DataFrame:
    """What Explore draws for `kpi`: a line per service when few, else their total (as the page does)."""
    view = (view or VIEW).with_(compare=compare)
    perf = performance(data, cat, view, "month")
    if needs_total(perf, kpi):
        perf = performance(data, cat, view.with_(kpis=(kpi,)), "month", total_label=label)
    return kpi_series(perf, cat, kpi, compare)


@pytest.mark.parametrize("n", [1, 3, MAX_SERIES])
def test_a_series_per_service_when_few(n):
    cat = catalog(("k", "higher", "sum", 5.0))
    data = services_data(n, seed=n)
    perf = performance(data, cat, VIEW, "month")
    out = kpi_series(perf, cat, "k", "previous")
    assert out.columns == SERIES_COLUMNS
    assert out["series"].unique().sort().to_list() == [f"S{i:02d}" for i in range(n)]
    assert out.height == n * 6
    expected = perf.sort("service", "period").select(
        pl.col("service").cast(pl.String), "period", "actual", "target", "cmp_actual"
    )
    got = out.select("series", "period", "actual", "target", "cmp_actual")
    assert got.rows() == expected.rows()  # sorted by series, then period
    assert (
        out["status"].cast(pl.String).to_list()
        == perf.sort("service", "period")["status"].cast(pl.String).to_list()
    )


@pytest.mark.parametrize(
    ("rule", "combine"),
    [
        ("sum", lambda xs, ws: sum(xs)),
        ("mean", lambda xs, ws: sum(xs) / len(xs)),
        ("wmean", lambda xs, ws: sum(x * w for x, w in zip(xs, ws, strict=True)) / sum(ws)),
        ("min", lambda xs, ws: min(xs)),
        ("max", lambda xs, ws: max(xs)),
    ],
)
def test_the_total_when_many_services_follows_agg_services(rule, combine):
    cat = catalog(("k", "higher", rule, 5.0))
    data = services_data(MAX_SERIES + 1, seed=7)
    out = drawn(data, cat, "Ensemble", "target")
    assert out["series"].unique().to_list() == ["Ensemble"]
    assert out["period"].to_list() == MONTHS[12:]
    for row in out.iter_rows(named=True):
        month = data.filter(pl.col("period") == row["period"])
        weights = month["weight"].to_list()
        assert row["actual"] == pytest.approx(combine(month["actual"].to_list(), weights))
        assert row["target"] == pytest.approx(combine(month["target"].to_list(), weights))
        gap = (row["actual"] - row["target"]) / abs(row["target"]) * 100
        assert row["status"] == ("on" if gap >= 0 else "watch" if gap >= -5 else "off")
        assert row["cmp_actual"] is None  # against the target, the band says it all


def test_the_total_compares_with_the_previous_total():
    cat = catalog(("k", "higher", "sum", 5.0))
    data = services_data(MAX_SERIES + 2, seed=8)
    out = drawn(data, cat, "Total", "previous", "k")
    totals = dict(data.group_by("period").agg(pl.col("actual").sum()).iter_rows())
    assert out["cmp_actual"].to_list()[1:] == [totals[m] for m in MONTHS[12:17]]


@pytest.mark.parametrize("compare", ["previous", "last_year"])
def test_the_total_compares_with_data_before_the_range(compare):
    cat = catalog(("k", "higher", "sum", 5.0))
    data = services_data(MAX_SERIES + 2, seed=9)
    out = drawn(data, cat, "Total", compare, "k")
    totals = dict(data.group_by("period").agg(pl.col("actual").sum()).iter_rows())
    back = 1 if compare == "previous" else 12
    assert out["cmp_actual"].to_list() == [totals[MONTHS[i - back]] for i in range(12, 18)]


@pytest.mark.parametrize(
    ("direction", "target", "tolerance", "band"),
    [
        ("higher", 100.0, 5.0, (95.0, 100.0)),  # below the target is worse
        ("lower", 100.0, 5.0, (100.0, 105.0)),  # above the target is worse
        ("higher", 200.0, 10.0, (180.0, 200.0)),
        ("lower", 40.0, 25.0, (40.0, 50.0)),
        ("higher", 100.0, 0.0, (100.0, 100.0)),
        ("higher", -100.0, 5.0, (-105.0, -100.0)),  # a negative target: still below is worse
        ("lower", -100.0, 5.0, (-100.0, -95.0)),
        ("higher", 0.0, 5.0, (0.0, 0.0)),
    ],
)
def test_the_watch_band_lies_on_the_worse_side(direction, target, tolerance, band):
    cat = catalog(("k", direction, "sum", tolerance))
    rows = [(m, "A", "k", target, target, None) for m in MONTHS]
    out = drawn(frame(rows), cat, "Total", "previous")
    assert set(zip(out["tol_low"], out["tol_high"], strict=True)) == {band}


@pytest.mark.parametrize(
    ("direction", "target"), [("higher", 100.0), ("lower", 100.0), ("higher", -80.0), ("lower", -80.0)]
)
def test_a_value_inside_the_band_is_watch(direction, target):
    cat = catalog(("k", direction, "sum", 10.0))
    low, high = sorted([target, target * 0.9 if (direction == "higher") == (target > 0) else target * 1.1])
    rows = [
        (m, "A", "k", low + (high - low) * f, target, None)
        for m, f in zip(MONTHS, [0.1, 0.5, 0.9] * 6, strict=True)
    ]
    out = drawn(frame(rows), cat, "Total", "target", "k")
    for row in out.iter_rows(named=True):
        assert row["tol_low"] < row["actual"] < row["tol_high"]
        assert row["status"] == "watch"


def test_an_unknown_kpi_gives_an_empty_series():
    cat = catalog(("k", "higher", "sum", 5.0))
    perf = performance(services_data(2, seed=1), cat, VIEW, "month")
    out = kpi_series(perf, cat, "other", "previous")
    assert out.is_empty() and out.columns == SERIES_COLUMNS


# --- gap_by_service ---------------------------------------------------------------------------------


def gaps_perf(gaps: dict[str, float | None], kpi: str = "k", period: date = date(2025, 6, 1)) -> pl.DataFrame:
    """One period: each service's actual such that its gap is `gap` % (None: no target)."""
    rows = [(period, s, kpi, 100.0 + (g or 0.0), None if g is None else 100.0, None) for s, g in gaps.items()]
    rows.append((date(2025, 5, 1), "Earlier", kpi, 1.0, 100.0, None))  # not at the last period
    cat = catalog((kpi, "higher", "sum", 5.0))
    view = ViewState(start=date(2025, 5, 1), end=date(2025, 6, 30), grain="month", compare="target")
    return performance(frame(rows), cat, view, "month")


def test_gap_by_service_worst_first():
    perf = gaps_perf({"A": 5.0, "B": -12.0, "C": -3.0, "D": None, "E": 0.0})
    out = gap_by_service(perf, "k")
    assert out.columns == ["label", "gap_pct", "status", "actual", "target"]
    assert out["label"].to_list() == ["B", "C", "E", "A"]  # no gap without a target; May is left out
    assert out["gap_pct"].to_list() == pytest.approx([-12.0, -3.0, 0.0, 5.0])
    assert out["status"].cast(pl.String).to_list() == ["off", "watch", "on", "on"]


@pytest.mark.parametrize("n", [MAX_BARS, MAX_BARS + 1, 100])
def test_gap_by_service_keeps_the_worst_and_best_when_many(n):
    gaps = [float(g) for g in random.Random(n).sample(range(-500, 500), n)]  # distinct
    perf = gaps_perf({f"S{i:03d}": g / 10 for i, g in enumerate(gaps)})
    out = gap_by_service(perf, "k")
    ranked = sorted(g / 10 for g in gaps)
    expected = ranked if n <= MAX_BARS else ranked[: MAX_BARS // 2] + ranked[-(MAX_BARS // 2) :]
    assert out["gap_pct"].to_list() == pytest.approx(expected)
    assert out.height == min(n, MAX_BARS)


def test_gap_by_service_at_the_kpis_own_last_period():
    perf = pl.concat([gaps_perf({"A": 1.0}, "k1"), gaps_perf({"B": -8.0}, "k2", period=date(2025, 5, 1))])
    assert gap_by_service(perf, "k2")["label"].to_list() == ["Earlier", "B"]
    assert gap_by_service(perf, "k1")["label"].to_list() == ["A"]
    assert gap_by_service(perf, "none").columns == ["label", "gap_pct", "status", "actual", "target"]
    assert gap_by_service(perf, "none").is_empty()


def test_latest_gaps_are_those_of_the_last_period():
    perf = gaps_perf({"A": 5.0, "B": -12.0, "D": None})
    out = latest_gaps(perf).sort("gap_pct", nulls_last=True)
    assert out.columns == ["gap_pct", "status"]
    assert out.rows() == [(-12.0, "off"), (5.0, "on"), (None, "none")]


# --- details ----------------------------------------------------------------------------------------

DETAIL_CATALOG = catalog(("Recettes", "higher", "sum", 5.0), ("Délai", "lower", "mean", 10.0))
LABELS = {m: m.strftime("%b %Y") for m in MONTHS}
STATUS_WORDS = {"on": "Atteint", "watch": "Vigilance", "off": "Non atteint", "none": "Sans objectif"}


def detail_perf() -> pl.DataFrame:
    rng = random.Random(3)
    rows = [
        (m, s, k, float(rng.randint(0, 200)), None if (s, k) == ("B", "Délai") else 100.0, None)
        for m in MONTHS
        for s in ("B", "A", "C")
        for k in ("Recettes", "Délai")
    ]
    return performance(frame(rows), DETAIL_CATALOG, VIEW, "month")


def test_details_newest_first_with_words():
    out = details(detail_perf(), DETAIL_CATALOG, LABELS, STATUS_WORDS)
    assert out.columns == [
        "period",
        "service",
        "kpi",
        "unit",
        "actual",
        "target",
        "gap",
        "gap_pct",
        "status",
        "cmp_actual",
        "change",
        "gap_change",
    ]
    assert out.height == 6 * 3 * 2
    assert (
        out.schema["period"]
        == out.schema["service"]
        == out.schema["kpi"]
        == out.schema["status"]
        == pl.String
    )
    head = out.head(7).select("period", "service", "kpi", "unit").rows()
    assert head == [
        ("Jun 2025", "A", "Délai", "Délai-unit"),
        ("Jun 2025", "A", "Recettes", "Recettes-unit"),
        ("Jun 2025", "B", "Délai", "Délai-unit"),
        ("Jun 2025", "B", "Recettes", "Recettes-unit"),
        ("Jun 2025", "C", "Délai", "Délai-unit"),
        ("Jun 2025", "C", "Recettes", "Recettes-unit"),
        ("May 2025", "A", "Délai", "Délai-unit"),
    ]
    assert set(out["status"]) <= set(STATUS_WORDS.values())
    assert out.filter((pl.col("service") == "B") & (pl.col("kpi") == "Délai"))[
        "status"
    ].unique().to_list() == ["Sans objectif"]


@pytest.mark.parametrize("limit", [0, 1, 5, 36, 100, None])
def test_details_limit_keeps_the_newest(limit):
    full = details(detail_perf(), DETAIL_CATALOG, LABELS, STATUS_WORDS)
    out = details(detail_perf(), DETAIL_CATALOG, LABELS, STATUS_WORDS, limit=limit)
    assert out.equals(full.head(limit) if limit is not None else full)
    assert out.height == min(36, limit if limit is not None else 36)


def test_details_values_match_the_view():
    perf = detail_perf()
    out = details(perf, DETAIL_CATALOG, LABELS, STATUS_WORDS)
    row = out.filter(
        (pl.col("period") == "Mar 2025") & (pl.col("service") == "C") & (pl.col("kpi") == "Délai")
    )
    source = perf.filter(
        (pl.col("period") == date(2025, 3, 1)) & (pl.col("service") == "C") & (pl.col("kpi") == "Délai")
    )
    cols = ["actual", "target", "gap", "gap_pct", "cmp_actual", "change", "gap_change"]
    assert row.select(cols).rows() == source.select(cols).rows()
    assert row["status"][0] == STATUS_WORDS[source["status"].cast(pl.String)[0]]


# --- epoch_date -------------------------------------------------------------------------------------


def local_midnight_ms(day: date, utc_offset_hours: float) -> float:
    """Epoch milliseconds of `day` at midnight in a browser at UTC+offset (what Vega-Lite sends)."""
    midnight_utc = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return (midnight_utc - timedelta(hours=utc_offset_hours)).timestamp() * 1000


DAYS = [date(2025, 3, 1), date(2025, 1, 1), date(2024, 12, 31), date(2024, 2, 29), date(2026, 10, 26)]


@pytest.mark.parametrize("offset", [-5, 2, 0, -11, -3.5, 1, 5.5, 9, 12])
@pytest.mark.parametrize("day", DAYS)
def test_epoch_date_at_local_midnight(day, offset):
    ms = local_midnight_ms(day, offset)
    assert epoch_date(ms) == day
    assert epoch_date(int(ms)) == day


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("2025-03-01", date(2025, 3, 1)),
        ("2025-03-01T00:00:00.000Z", date(2025, 3, 1)),
        ("2025-03-01T23:00:00", date(2025, 3, 1)),
        (local_midnight_ms(date(2025, 3, 1), -5) + 3_600_000, date(2025, 3, 1)),  # an hour of DST drift
        (local_midnight_ms(date(2025, 3, 1), 2) - 3_600_000, date(2025, 3, 1)),
    ],
)
def test_epoch_date_other_values(value, expected):
    assert epoch_date(value) == expected


def test_total_label_is_categorical_safe():
    # The total joins with series of services: its label must be plain text like theirs.
    cat = catalog(("k", "higher", "sum", 5.0))
    out = drawn(services_data(MAX_SERIES + 1, seed=2), cat, "Total — tous", "last_year")
    assert out.schema["series"] == pl.String
    assert out["series"].unique().to_list() == ["Total — tous"]


# --- The signal replay on a KPI's chart ---------------------------------------------------------------------

from lib.signals import SCHEMA as SIGNAL_SCHEMA  # noqa: E402
from lib.signals.engine import chart_firings  # noqa: E402


def trail(rows: list[tuple]) -> pl.DataFrame:
    """(month index in MONTHS, service, kpi, kind, severity) -> a replay with the numbers sentences read."""
    polarity = {"off_target_streak": "bad", "win_record": "good"}
    records = [
        {
            "service": s,
            "kpi": k,
            "kind": kind,
            "polarity": polarity[kind],
            "severity": sev,
            "period": MONTHS[i],
            "as_of": MONTHS[i],
            "grain": "month",
            "value": 71.5,
            "target": 80.0,
            "n_periods": 3,
            "before": 70.25,
        }
        for i, s, k, kind, sev in rows
    ]
    return pl.DataFrame(records, schema_overrides=SIGNAL_SCHEMA).select(
        [pl.col(n).cast(d) if n in records[0] else pl.lit(None, d).alias(n) for n, d in SIGNAL_SCHEMA.items()]
    )


TRAIL = trail(
    [
        (12, "A", "k1", "off_target_streak", 0.5),
        (13, "A", "k1", "win_record", 0.8),
        (14, "B", "k1", "off_target_streak", 0.9),
        (15, "C", "k1", "win_record", 0.8),
        (16, "A", "k2", "off_target_streak", 0.7),
        (17, "B", "k1", "win_record", 0.8),
        (2, "A", "k1", "win_record", 0.8),
    ]
)


@pytest.mark.parametrize(
    ("kpi", "services", "start", "end", "expected"),
    [
        # Warnings first (most severe first), then good news; another KPI's and service's left out.
        (
            "k1",
            ["A", "B"],
            None,
            None,
            [(14, "B", "bad"), (12, "A", "bad"), (2, "A", "good"), (13, "A", "good"), (17, "B", "good")],
        ),
        ("k1", ["A", "B"], MONTHS[12], MONTHS[16], [(14, "B", "bad"), (12, "A", "bad"), (13, "A", "good")]),
        ("k2", ["A", "B", "C"], MONTHS[12], None, [(16, "A", "bad")]),
        ("k1", ["Z"], None, None, []),
        ("k3", ["A"], None, None, []),
    ],
)
def test_chart_firings_pick_the_charts_kpi_services_and_range(kpi, services, start, end, expected):
    out = chart_firings(TRAIL, "en", kpi=kpi, services=services, start=start, end=end)
    assert out.columns == ["period", "series", "polarity", "kind", "message", "severity"]
    assert [
        (MONTHS.index(p), s, pol) for p, s, pol in out.select("period", "series", "polarity").iter_rows()
    ] == expected


def test_chart_firings_are_cut_to_the_limit_warnings_first():
    out = chart_firings(TRAIL, "en", kpi="k1", services=["A", "B", "C"], limit=3)
    assert out.select("series", "polarity", "severity").rows() == [
        ("B", "bad", 0.9),
        ("A", "bad", 0.5),
        ("A", "good", 0.8),
    ]


@pytest.mark.parametrize(
    ("lang", "kind", "message"),
    [
        (
            "fr",
            "Hors objectif de suite",
            "k1 — A : hors objectif 3\u00a0mois de suite (71,5\u00a0% pour un objectif de 80,0\u00a0%).",
        ),
        (
            "en",
            "Off target in a row",
            "k1 — A: off target for 3\u00a0months in a row (71.5% against a target of 80.0%).",
        ),
    ],
)
def test_chart_firings_speak_the_language_with_the_unit(lang, kind, message):
    out = chart_firings(TRAIL, lang, kpi="k1", services=["A"], unit="%", limit=1)
    assert out.select("kind", "message").row(0) == (kind, message)


def test_one_kpis_replay_is_the_whole_replays_for_that_kpi():
    """Explore replays one KPI at a time (lib.ui.compute.signal_replay): the detectors judge each series
    alone, so every KPI of the sample gets the firings of the whole replay, their numbers to the last
    few bits (numpy sums a batch of other series in another order)."""
    from polars.testing import assert_frame_equal

    from lib import model
    from lib.sample import load_sample
    from lib.signals import replay

    loaded = load_sample()
    lf = model.rollup_time(loaded.data.lazy(), loaded.catalog, "month", "month")
    history = model.with_gap(lf, loaded.catalog).collect().sort("period")
    whole = replay(history, loaded.catalog)
    kpis = history["kpi"].cast(pl.String).unique().sort().to_list()
    assert len(kpis) > 40 and whole["polarity"].n_unique() == 2
    for kpi in kpis:
        alone = replay(history.filter(pl.col("kpi") == kpi), loaded.catalog)
        assert_frame_equal(alone, whole.filter(pl.col("kpi") == kpi), rel_tol=1e-12, abs_tol=1e-12)
