"""The overview's small frames on hand-made data: counts, score and its change, completeness, the
heatmap by KPI or by axis, the strongest and weakest services at scale, deteriorations and wins."""

from __future__ import annotations

import random
import statistics
from datetime import date

import polars as pl
import pytest

from lib import model
from lib.filters import ViewState
from lib.overview import BOARD_MAX_SERVICES, HEATMAP_MAX_CELLS, HEATMAP_MAX_SERVICES, TOP_N, build_overview
from lib.periods import period_range
from lib.slicing import performance
from tests.builders import CATALOG_SCHEMA, DATA_SCHEMA, as_held


def catalog(kpis: list[tuple]) -> pl.DataFrame:
    """kpis: (kpi, direction, tolerance, axis, score_weight)."""
    return pl.DataFrame(
        [(k, "u", d, "sum", "sum", tol, axis, None, w) for k, d, tol, axis, w in kpis],
        orient="row",
        schema=CATALOG_SCHEMA,
    ).with_columns(unit=pl.col("kpi") + "-unit")


def frame(rows: list[tuple]) -> pl.DataFrame:
    """rows (period, service, kpi, actual, target) -> a dataset as held (sorted, categorical)."""
    out = pl.DataFrame(
        [(*r, None) for r in rows],
        orient="row",
        schema=DATA_SCHEMA,
    )
    return as_held(out)


def history(data: pl.DataFrame, cat: pl.DataFrame, grain: str = "month") -> pl.DataFrame:
    return model.with_gap(model.rollup_time(data.lazy(), cat, grain, "month"), cat).collect()


def overview(data, cat, view: ViewState, past: pl.DataFrame | None = None):
    perf = performance(data, cat, view, "month")
    return build_overview(perf, history(data, cat) if past is None else past, cat, view.grain, view.compare)


def strings(df: pl.DataFrame, *cols: str) -> list[tuple]:
    """Rows of `cols`, categorical and enum columns as text."""
    text = (pl.Categorical, pl.Enum)
    return list(
        df.select(
            pl.col(c).cast(pl.String) if isinstance(df.schema[c], text) else pl.col(c) for c in cols
        ).iter_rows()
    )


# --- a small organisation, by hand ------------------------------------------------------------------

FEB, MAR = date(2025, 2, 1), date(2025, 3, 1)
SMALL_CATALOG = catalog(
    [
        ("k1", "higher", 5.0, "Clients", 2.0),
        ("k2", "lower", 10.0, "Efficience", 1.0),
        ("k3", "higher", 5.0, None, 1.0),
    ]
)
# (service, kpi): (February actual, March actual), target 100; k3 of A has no target; C/k1 stops in February.
SMALL = {
    ("A", "k1"): (90, 110),  # off -> on
    ("A", "k2"): (100, 105),  # on -> watch (lower is better, -5 % within 10)
    ("A", "k3"): (50, 50),  # no target: none
    ("B", "k1"): (100, 90),  # on -> off (-10 %)
    ("B", "k2"): (120, 80),  # off -> on (+20 %)
    ("B", "k3"): (100, 100),  # on -> on
    ("C", "k1"): (100, None),  # not reported in March
    ("C", "k2"): (100, 130),  # on -> off (-30 %)
    ("C", "k3"): (100, 96),  # on -> watch (-4 %)
}


def small_data() -> pl.DataFrame:
    rows = []
    for (s, k), values in SMALL.items():
        for period, actual in zip((FEB, MAR), values, strict=True):
            if actual is not None:
                rows.append((period, s, k, float(actual), None if (s, k) == ("A", "k3") else 100.0))
    return frame(rows)


def small(compare: str = "previous", **changes):
    view = ViewState(start=FEB, end=date(2025, 3, 31), grain="month", compare=compare, **changes)
    return overview(small_data(), SMALL_CATALOG, view)


def test_counts_per_status_at_the_last_period():
    ov = small()
    assert ov.at == MAR
    assert ov.counts == {"on": 3, "watch": 2, "off": 2, "none": 1}


@pytest.mark.parametrize(
    ("compare", "compare_at", "score_before"),
    [
        ("previous", FEB, 6 / 9),  # February, on the same series as March (C/k1 left out)
        ("last_year", date(2024, 3, 1), None),  # no data a year before
        ("target", None, None),
    ],
)
def test_score_and_its_change(compare, compare_at, score_before):
    ov = small(compare)
    # Weighted: k1 counts twice. On in March: A/k1 (2), B/k2, B/k3 out of 9 weights with a target.
    assert ov.score == pytest.approx(4 / 9)
    assert ov.compare_at == compare_at
    assert ov.score_before == (pytest.approx(score_before) if score_before is not None else None)


def test_completeness_counts_series_reported_at_the_last_period():
    ov = small()
    assert (ov.reported, ov.expected) == (8, 9)
    assert ov.completeness == pytest.approx(8 / 9)


def test_leaderboard_scores_and_changes_best_first():
    ov = small()
    board = ov.leaderboard
    assert board["service"].cast(pl.String).to_list() == ["A", "B", "C"]
    assert board["score"].to_list() == pytest.approx([2 / 3, 1 / 2, 0.0])
    assert board["change"].to_list() == pytest.approx([2 / 3 - 1 / 3, 1 / 2 - 3 / 4, 0.0 - 1.0])
    assert (board["n_on"].to_list(), board["n_off"].to_list()) == ([1, 2, 0], [0, 1, 1])
    assert ov.services == 3


@pytest.mark.parametrize("compare", ["target", "last_year"])
def test_leaderboard_without_a_comparison_has_no_change(compare):
    ov = small(compare)
    assert ov.leaderboard["change"].to_list() == [None, None, None]


def test_heatmap_by_kpi():
    ov = small()
    assert ov.heatmap_by == "kpi"
    heat = ov.heatmap.sort("service", "kpi")
    assert heat.columns == ["service", "kpi", "gap_pct", "status", "actual", "target", "unit"]
    assert strings(heat, "service", "kpi", "status", "unit") == [
        ("A", "k1", "on", "k1-unit"),
        ("A", "k2", "watch", "k2-unit"),
        ("A", "k3", "none", "k3-unit"),
        ("B", "k1", "off", "k1-unit"),
        ("B", "k2", "on", "k2-unit"),
        ("B", "k3", "on", "k3-unit"),
        ("C", "k2", "off", "k2-unit"),
        ("C", "k3", "watch", "k3-unit"),
    ]
    gaps = heat["gap_pct"].to_list()
    assert gaps[2] is None
    assert gaps[:2] + gaps[3:] == pytest.approx([10, -5, -10, 20, 0, -30, -4])


def test_deteriorations_worst_first():
    ov = small()
    assert strings(ov.deteriorations, "service", "kpi", "gap_change") == [
        ("C", "k2", pytest.approx(-30)),
        ("B", "k1", pytest.approx(-10)),
        ("A", "k2", pytest.approx(-5)),
        ("C", "k3", pytest.approx(-4)),
    ]
    assert ov.deteriorations["cmp_gap_pct"].to_list() == pytest.approx([0, 0, 0, 0])


def test_no_deteriorations_against_the_target():
    assert small("target").deteriorations.is_empty()


def test_deteriorations_keep_the_worst_eight():
    rows = [
        (p, f"S{i}", "k1", 100.0 - (i * 3 if p == MAR else 0), 100.0) for i in range(12) for p in (FEB, MAR)
    ]
    ov = overview(frame(rows), SMALL_CATALOG, ViewState(start=FEB, end=date(2025, 3, 31), grain="month"))
    assert TOP_N == 8
    assert ov.deteriorations["service"].cast(pl.String).to_list() == [f"S{i}" for i in range(11, 3, -1)]
    assert ov.deteriorations["gap_change"].to_list() == pytest.approx([-3.0 * i for i in range(11, 3, -1)])


def test_an_empty_view():
    ov = small(services=("Nowhere",))
    assert (ov.at, ov.score, ov.score_before, ov.completeness) == (None, None, None, None)
    assert ov.counts == {"on": 0, "watch": 0, "off": 0, "none": 0}
    assert ov.heatmap.is_empty() and ov.leaderboard.is_empty() and ov.wins.is_empty()


# --- at scale: axes instead of KPIs, the ends of the ranking ----------------------------------------


def scale_data(n_services: int, n_kpis: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """One month; each cell's gap drawn among on / watch / off / no target. Returns data, catalog
    and the cells {(service, kpi): gap_pct or None}."""
    rng = random.Random(seed)
    cat = catalog([(f"K{j:02d}", "higher", 5.0, f"X{j % 4}", 1.0) for j in range(n_kpis)])
    cells, rows = {}, []
    for i in range(n_services):
        for j in range(n_kpis):
            gap = rng.choice([12.0, 4.0, 0.0, -2.0, -4.0, -10.0, -25.0, None])
            actual = 100.0 + (gap or 0.0)
            rows.append((MAR, f"S{i:02d}", f"K{j:02d}", actual, None if gap is None else 100.0))
            cells[(f"S{i:02d}", f"K{j:02d}")] = gap
    return frame(rows), cat, cells


def ranking(cells: dict) -> list[str]:
    """Services best first by share on target (ties by name), as the leaderboard sorts them."""
    scores = {}
    for s in sorted({s for s, _ in cells}):
        gaps = [g for (s2, _), g in cells.items() if s2 == s and g is not None]
        scores[s] = sum(g >= 0 for g in gaps) / len(gaps)
    return sorted(scores, key=lambda s: (-scores[s], s))


def ends(order: list[str], keep: int) -> set[str]:
    return set(order[: keep // 2]) | set(order[len(order) - (keep - keep // 2) :])


@pytest.mark.parametrize(
    ("n_services", "n_kpis", "by"),
    [
        (10, 5, "kpi"),
        (HEATMAP_MAX_SERVICES, 3, "kpi"),  # exactly at the limit: everyone shown
        (45, 3, "kpi"),
        (25, 100, "kpi"),  # 2 500 cells: still by KPI
        (51, 50, "axis"),  # 2 550 cells
        (60, 50, "axis"),
    ],
)
def test_heatmap_and_leaderboard_at_scale(n_services, n_kpis, by):
    data, cat, cells = scale_data(n_services, n_kpis, seed=n_services * 100 + n_kpis)
    view = ViewState(start=MAR, end=date(2025, 3, 31), grain="month", compare="target")
    ov = overview(data, cat, view)
    assert HEATMAP_MAX_CELLS == 2500
    assert ov.heatmap_by == by
    order = ranking(cells)
    assert ov.services == n_services
    board = ov.leaderboard["service"].cast(pl.String).to_list()
    assert set(board) == (ends(order, BOARD_MAX_SERVICES) if n_services > BOARD_MAX_SERVICES else set(order))
    assert board == [s for s in order if s in set(board)]  # still best first
    shown = set(ov.heatmap["service"].cast(pl.String).to_list())
    assert shown == (ends(order, HEATMAP_MAX_SERVICES) if n_services > HEATMAP_MAX_SERVICES else set(order))
    if by == "kpi":
        assert ov.heatmap.height == len(shown) * n_kpis
    else:
        assert ov.heatmap.height == len(shown) * 4  # four axes


def test_heatmap_by_axis_values():
    data, cat, cells = scale_data(60, 50, seed=11)
    view = ViewState(start=MAR, end=date(2025, 3, 31), grain="month", compare="target")
    ov = overview(data, cat, view)
    assert ov.heatmap_by == "axis"
    assert ov.heatmap.columns == ["service", "axis", "gap_pct", "status", "score", "n_on", "n_watch", "n_off"]
    for row in ov.heatmap.with_columns(pl.col("service", "axis", "status").cast(pl.String)).iter_rows(
        named=True
    ):
        gaps = [
            g for (s, k), g in cells.items() if s == row["service"] and f"X{int(k[1:]) % 4}" == row["axis"]
        ]
        known = [g for g in gaps if g is not None]
        n_on, n_watch = sum(g >= 0 for g in known), sum(-5 <= g < 0 for g in known)
        n_off = len(known) - n_on - n_watch
        assert (row["n_on"], row["n_watch"], row["n_off"]) == (n_on, n_watch, n_off)
        assert row["score"] == pytest.approx(n_on / len(known))
        assert row["gap_pct"] == pytest.approx(statistics.median(known))
        assert row["status"] == ("off" if n_off else "watch" if n_watch else "on")


def test_an_axis_of_kpis_without_target_is_none_and_kpis_without_axis_are_grouped():
    cat = catalog([("a", "higher", 5.0, "X", 1.0), ("b", "higher", 5.0, None, 1.0)])
    rows = [(MAR, f"S{i:03d}", k, 90.0, None if k == "a" else 100.0) for i in range(1300) for k in ("a", "b")]
    view = ViewState(start=MAR, end=date(2025, 3, 31), grain="month", compare="target")
    ov = overview(frame(rows), cat, view)
    assert ov.heatmap_by == "axis"
    got = set(strings(ov.heatmap, "axis", "status"))
    assert got == {("X", "none"), ("—", "off")}
    assert ov.heatmap.filter(pl.col("axis") == "X")["score"].null_count() == ov.heatmap.height // 2


# --- wins -------------------------------------------------------------------------------------------

MONTHS = period_range(date(2024, 1, 1), date(2025, 3, 1), "month")  # 15 months


def story(series: dict[tuple[str, str], list[float]]) -> pl.DataFrame:
    """Actual month by month (target 100) for each series."""
    return frame(
        [
            (m, s, k, a, 100.0)
            for (s, k), values in series.items()
            for m, a in zip(MONTHS, values, strict=True)
        ]
    )


WIN_CATALOG = catalog([(k, "higher", 5.0, None, 1.0) for k in ("k1", "k2", "k3")])
WIN_STORIES = {
    ("A", "k1"): [110.0] * 15,  # a streak of 15 only (strength 15/24)
    ("A", "k2"): [100.0] * 13 + [80.0, 105.0],  # back on target (1.0) and most improved (0.9)
    ("B", "k1"): [90.0 + i % 3 for i in range(14)] + [99.0],  # record (0.8) and most improved (0.57)
    ("B", "k2"): [80.0] * 15,  # nothing
    ("C", "k3"): [110.0] * 8 + [90.0] + [110.0] * 6,  # a streak of 6 (0.3)
}


def test_one_win_per_series_the_strongest_first():
    view = ViewState(start=date(2025, 1, 1), end=date(2025, 3, 31), grain="month")
    ov = overview(story(WIN_STORIES), WIN_CATALOG, view)
    assert strings(ov.wins, "service", "kpi", "kind") == [
        ("A", "k2", "back_on_target"),
        ("B", "k1", "record"),
        ("A", "k1", "streak"),
        ("C", "k3", "streak"),
    ]
    assert ov.wins["strength"].to_list() == pytest.approx([1.0, 0.8, 15 / 24, 0.3])


def test_wins_are_those_of_the_view():
    view = ViewState(start=date(2025, 1, 1), end=date(2025, 3, 31), grain="month", services=("A",))
    ov = overview(story(WIN_STORIES), WIN_CATALOG, view)  # the history is the whole dataset's
    assert strings(ov.wins, "service", "kpi", "kind") == [
        ("A", "k2", "back_on_target"),
        ("A", "k1", "streak"),
    ]
    view = view.with_(services=(), kpis=("k3",))
    assert strings(overview(story(WIN_STORIES), WIN_CATALOG, view).wins, "service", "kpi") == [("C", "k3")]


def test_at_most_eight_wins():
    series = {(f"S{i:02d}", "k1"): [100.0 + i] * 15 for i in range(12)}
    view = ViewState(start=date(2025, 1, 1), end=date(2025, 3, 31), grain="month")
    ov = overview(story(series), WIN_CATALOG, view)
    assert ov.wins.height == TOP_N
    assert ov.wins.select("service", "kpi").is_unique().all()
