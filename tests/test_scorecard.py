"""One service's scorecard: each KPI at its own last period, ordered by axis then status then name,
its trend against the comparison, the sparkline's periods and the service's score."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from lib.filters import ViewState
from lib.periods import period_range
from lib.scorecard import SPARK_PERIODS, scorecard, service_score, spark_frame
from lib.slicing import performance
from tests.builders import CATALOG_SCHEMA, DATA_SCHEMA, as_held

MONTHS = period_range(date(2024, 1, 1), date(2025, 3, 1), "month")  # 15 months
FEB, MAR = date(2025, 2, 1), date(2025, 3, 1)


def catalog(kpis: list[tuple]) -> pl.DataFrame:
    """kpis: (kpi, axis, direction, score_weight)."""
    return pl.DataFrame(
        [(k, f"{k}-unit", d, "sum", "sum", 5.0, axis, f"About {k}", w) for k, axis, d, w in kpis],
        orient="row",
        schema=CATALOG_SCHEMA,
    )


def frame(rows: list[tuple]) -> pl.DataFrame:
    """rows (period, service, kpi, actual, target)."""
    out = pl.DataFrame(
        [(*r, None) for r in rows],
        orient="row",
        schema=DATA_SCHEMA,
    )
    return as_held(out)


def perf(
    data: pl.DataFrame, cat: pl.DataFrame, compare: str = "previous", start: date = date(2024, 4, 1)
) -> pl.DataFrame:
    view = ViewState(start=start, end=date(2025, 3, 31), grain="month", compare=compare)
    return performance(data, cat, view, "month")


# kpi, axis, status in March (target 100; None: no target), last month reported
ORDER_CASES = [
    ("Zeta", "Clients", "off", MAR),
    ("Alpha", "Clients", "on", MAR),
    ("Beta", "Clients", "off", MAR),
    ("Gamma", "Clients", "watch", MAR),
    ("Delta", "Clients", "none", MAR),
    ("Eta", "Efficience", "on", MAR),
    ("Theta", None, "off", MAR),
    ("Iota", None, "on", FEB),  # stopped in February: shown at its own last period
    ("Kappa", "Achats", "watch", MAR),
]
ACTUAL = {"on": 110.0, "watch": 97.0, "off": 80.0, "none": 50.0}


def order_data() -> tuple[pl.DataFrame, pl.DataFrame]:
    cat = catalog([(k, axis, "higher", 1.0) for k, axis, _, _ in ORDER_CASES])
    rows = []
    for kpi, _, status, last in ORDER_CASES:
        for m in MONTHS:
            if m <= last:
                rows.append((m, "RH", kpi, ACTUAL[status], None if status == "none" else 100.0))
            rows.append((m, "Achats", kpi, 1.0, 100.0))  # another service: never on RH's card
    return frame(rows), cat


def test_order_by_axis_then_status_then_kpi():
    data, cat = order_data()
    card = scorecard(perf(data, cat), cat, "RH")
    got = card.select(pl.col("kpi").cast(pl.String), "axis", pl.col("status").cast(pl.String)).rows()
    assert got == [
        ("Kappa", "Achats", "watch"),
        ("Beta", "Clients", "off"),
        ("Zeta", "Clients", "off"),
        ("Gamma", "Clients", "watch"),
        ("Alpha", "Clients", "on"),
        ("Delta", "Clients", "none"),
        ("Eta", "Efficience", "on"),
        ("Theta", None, "off"),  # no axis: last
        ("Iota", None, "on"),
    ]


def test_each_kpi_at_its_own_last_period_with_its_catalog_entry():
    data, cat = order_data()
    card = scorecard(perf(data, cat), cat, "RH")
    periods = dict(card.select(pl.col("kpi").cast(pl.String), "period").iter_rows())
    assert periods == {k: last for k, _, _, last in ORDER_CASES}
    for name in (
        "axis",
        "unit",
        "direction",
        "description",
        "trend",
        "gap",
        "gap_pct",
        "cmp_actual",
        "change",
    ):
        assert name in card.columns
    row = card.filter(pl.col("kpi") == "Gamma").row(0, named=True)
    assert (row["unit"], row["description"], row["direction"]) == ("Gamma-unit", "About Gamma", "higher")
    assert (row["actual"], row["target"], row["gap_pct"]) == (97.0, 100.0, pytest.approx(-3.0))
    assert card["service"].cast(pl.String).unique().to_list() == ["RH"]


def test_a_service_without_rows_has_an_empty_card():
    data, cat = order_data()
    assert scorecard(perf(data, cat), cat, "Nowhere").is_empty()
    assert service_score(scorecard(perf(data, cat), cat, "Nowhere"), cat) is None


@pytest.mark.parametrize(
    ("before", "now", "direction", "trend"),
    [
        (100.0, 110.0, "higher", "better"),
        (100.0, 90.0, "higher", "worse"),
        (100.0, 100.0, "higher", "flat"),
        (100.0, 100.4, "higher", "flat"),  # under half a point
        (100.0, 99.6, "higher", "flat"),
        (100.0, 100.5, "higher", "better"),  # half a point moves
        (100.0, 99.5, "higher", "worse"),
        (100.0, 90.0, "lower", "better"),  # lower is better: the gap grew
        (100.0, 110.0, "lower", "worse"),
        (80.0, 85.0, "higher", "better"),  # still off target, but better
    ],
)
def test_trend(before, now, direction, trend):
    cat = catalog([("k", "X", direction, 1.0)])
    rows = [(m, "RH", "k", before, 100.0) for m in MONTHS[:-1]] + [(MAR, "RH", "k", now, 100.0)]
    card = scorecard(perf(frame(rows), cat), cat, "RH")
    assert card["trend"].to_list() == [trend]


@pytest.mark.parametrize(
    ("compare", "rows"),
    [
        ("target", [(m, "RH", "k", 90.0, 100.0) for m in MONTHS]),  # no comparison period
        ("previous", [(MAR, "RH", "k", 90.0, 100.0)]),  # nothing before
        ("previous", [(FEB, "RH", "k", 90.0, None), (MAR, "RH", "k", 90.0, 100.0)]),  # no gap before
        ("previous", [(FEB, "RH", "k", 90.0, 100.0), (MAR, "RH", "k", 90.0, None)]),  # no gap now
    ],
)
def test_no_trend_without_two_gaps(compare, rows):
    cat = catalog([("k", "X", "higher", 1.0)])
    card = scorecard(perf(frame(rows), cat, compare), cat, "RH")
    assert card["trend"].to_list() == [None]


def test_sparkline_is_the_last_twelve_periods_in_order():
    cat = catalog([("k", "X", "higher", 1.0), ("other", "X", "higher", 1.0)])
    rows = [
        (m, s, k, float(i), 100.0)
        for i, m in enumerate(MONTHS)
        for s in ("RH", "Achats")
        for k in ("k", "other")
    ]
    shuffled = perf(frame(rows), cat, start=MONTHS[0]).sample(fraction=1.0, shuffle=True, seed=5)
    assert shuffled["period"].n_unique() == 15
    spark = spark_frame(shuffled, "RH", "k")
    assert SPARK_PERIODS == 12
    assert spark.columns == ["period", "actual", "target", "status"]
    assert spark["period"].to_list() == MONTHS[3:]
    assert spark["actual"].to_list() == [float(i) for i in range(3, 15)]
    assert spark_frame(shuffled, "RH", "nowhere").is_empty()


def test_sparkline_shorter_than_twelve():
    cat = catalog([("k", "X", "higher", 1.0)])
    rows = [(m, "RH", "k", 1.0, 1.0) for m in MONTHS[-4:]]
    assert spark_frame(perf(frame(rows), cat), "RH", "k")["period"].to_list() == MONTHS[-4:]


@pytest.mark.parametrize(
    ("statuses", "weights", "score"),
    [
        (["on", "on", "off"], [1.0, 1.0, 1.0], 2 / 3),
        (["on", "off", "off"], [3.0, 1.0, 1.0], 3 / 5),
        (["on", "watch", "none"], [1.0, 1.0, 5.0], 1 / 2),  # no target: not counted
        (["none", "none", "none"], [1.0, 1.0, 1.0], None),
        (["off", "watch", "off"], [1.0, 1.0, 1.0], 0.0),
    ],
)
def test_service_score(statuses, weights, score):
    names = ["a", "b", "c"]
    cat = catalog([(k, "X", "higher", w) for k, w in zip(names, weights, strict=True)])
    rows = [
        (MAR, "RH", k, ACTUAL[s], None if s == "none" else 100.0)
        for k, s in zip(names, statuses, strict=True)
    ]
    card = scorecard(perf(frame(rows), cat), cat, "RH")
    got = service_score(card, cat)
    assert got == (pytest.approx(score) if score is not None else None)
