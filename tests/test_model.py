"""The performance model on hand-made frames: every aggregation rule, gap signs, statuses, comparisons."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from lib import model
from tests.builders import DATA_SCHEMA


def frame(rows: list[tuple]) -> pl.LazyFrame:
    """rows: (period, service, kpi, actual, target, weight)."""
    return (
        pl.DataFrame(
            rows,
            orient="row",
            schema=DATA_SCHEMA,
        )
        .with_columns(pl.col("service", "kpi").cast(pl.Categorical))
        .lazy()
    )


def catalog(*kpis: tuple[str, str, str, str, float]) -> pl.DataFrame:
    """kpis: (kpi, direction, agg_time, agg_services, tolerance)."""
    return pl.DataFrame(
        [(*k, 1.0) for k in kpis],
        orient="row",
        schema={
            "kpi": pl.String,
            "direction": pl.String,
            "agg_time": pl.String,
            "agg_services": pl.String,
            "tolerance": pl.Float64,
            "score_weight": pl.Float64,
        },
    )


Q1 = [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]


@pytest.mark.parametrize(
    ("rule", "actuals", "weights", "expected"),
    [
        ("sum", [10, 20, 30], [None] * 3, 60),
        ("mean", [10, 20, 30], [None] * 3, 20),
        ("wmean", [10, 20, 30], [1, 1, 2], (10 + 20 + 60) / 4),
        ("wmean", [10, 20, 30], [None] * 3, 20),  # no weights: the plain mean
        ("last", [10, 20, 30], [None] * 3, 30),
        ("first", [10, 20, 30], [None] * 3, 10),
        ("min", [10, 5, 30], [None] * 3, 5),
        ("max", [10, 50, 30], [None] * 3, 50),
    ],
)
def test_rollup_over_time_follows_each_kpis_rule(rule, actuals, weights, expected):
    rows = [(p, "A", "k", a, a, w) for p, a, w in zip(Q1, actuals, weights, strict=True)]
    out = model.rollup_time(
        frame(rows), catalog(("k", "higher", rule, "sum", 5.0)), "quarter", "month"
    ).collect()
    assert out.height == 1
    assert out["period"][0] == date(2026, 1, 1)
    assert out["actual"][0] == pytest.approx(expected)
    assert out["target"][0] == pytest.approx(expected)  # targets roll up with the same rule


def test_rollup_mixes_rules_in_one_pass_and_years_can_start_in_september():
    rows = [
        (p, "A", k, v, None, None)
        for p in [date(2025, 8, 1), date(2025, 9, 1), date(2025, 10, 1)]
        for k, v in (("revenue", 100.0), ("headcount", float(p.month)))
    ]
    cat = catalog(("revenue", "higher", "sum", "sum", 5.0), ("headcount", "higher", "last", "sum", 5.0))
    out = (
        model.rollup_time(frame(rows), cat, "year", "month", year_start_month=9)
        .collect()
        .sort("kpi", "period")
    )
    got = {(r["kpi"], r["period"]): r["actual"] for r in out.iter_rows(named=True)}
    assert got == {
        ("headcount", date(2024, 9, 1)): 8.0,
        ("headcount", date(2025, 9, 1)): 10.0,
        ("revenue", date(2024, 9, 1)): 100.0,
        ("revenue", date(2025, 9, 1)): 200.0,
    }


def test_targets_roll_up_over_the_reported_months_only():
    rows = [
        (Q1[0], "A", "k", 10, 10, None),
        (Q1[1], "A", "k", 10, 10, None),
        (Q1[2], "A", "k", None, 10, None),
    ]
    out = model.rollup_time(
        frame(rows), catalog(("k", "higher", "sum", "sum", 5.0)), "quarter", "month"
    ).collect()
    assert (out["actual"][0], out["target"][0]) == (20, 20)


def test_year_to_date_accumulates_within_the_year():
    rows = [(date(2025, 12, 1), "A", "k", 5, 5, None)] + [(p, "A", "k", 10, 8, None) for p in Q1]
    out = model.rollup_time(frame(rows), catalog(("k", "higher", "sum", "sum", 5.0)), "ytd", "month")
    out = out.collect().sort("period")
    assert out["actual"].to_list() == [5, 10, 20, 30]
    assert out["target"].to_list() == [5, 8, 16, 24]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("sum", 30.0), ("mean", 15.0), ("wmean", (10 * 1 + 20 * 3) / 4), ("min", 10.0), ("max", 20.0)],
)
def test_rollup_across_services(rule, expected):
    rows = [(Q1[0], "A", "k", 10, 10, 1), (Q1[0], "B", "k", 20, 20, 3)]
    out = model.rollup_services(frame(rows), catalog(("k", "higher", "sum", rule, 5.0)), "Total").collect()
    assert out["service"].cast(pl.String).to_list() == ["Total"]
    assert out["actual"][0] == pytest.approx(expected)


@pytest.mark.parametrize(
    ("direction", "actual", "target", "tolerance", "gap", "gap_pct", "status"),
    [
        ("higher", 90, 100, 5, -10, -10, "off"),
        ("higher", 96, 100, 5, -4, -4, "watch"),
        ("higher", 95, 100, 5, -5, -5, "watch"),  # the edge of the band is still "watch"
        ("higher", 100, 100, 5, 0, 0, "on"),
        ("higher", 110, 100, 5, 10, 10, "on"),
        ("lower", 90, 100, 5, 10, 10, "on"),  # lower is better: below target is good
        ("lower", 104, 100, 5, -4, -4, "watch"),
        ("lower", 120, 100, 5, -20, -20, "off"),
        ("higher", -5, 0, 5, -5, None, "off"),  # zero target: absolute gap only, no watch band
        ("higher", 5, 0, 5, 5, None, "on"),
        ("higher", 5, None, 5, None, None, "none"),
        ("higher", -90, -100, 5, 10, 10, "on"),  # negative target: relative to its magnitude
    ],
)
def test_gap_is_positive_when_better_and_status_uses_the_tolerance(
    direction, actual, target, tolerance, gap, gap_pct, status
):
    cat = catalog(("k", direction, "sum", "sum", float(tolerance)))
    out = model.with_gap(frame([(Q1[0], "A", "k", actual, target, None)]), cat).collect()
    row = out.row(0, named=True)
    assert row["gap"] == (pytest.approx(gap) if gap is not None else None)
    assert row["gap_pct"] == (pytest.approx(gap_pct) if gap_pct is not None else None)
    assert row["status"] == status


@pytest.mark.parametrize(
    ("how", "grain", "expected_cmp"),
    [("previous", "month", 20.0), ("last_year", "month", 5.0), ("target", "month", 25.0)],
)
def test_comparisons(how, grain, expected_cmp):
    rows = [
        (date(2025, 3, 1), "A", "k", 5, 5, None),
        (date(2026, 2, 1), "A", "k", 20, 20, None),
        (date(2026, 3, 1), "A", "k", 30, 25, None),
    ]
    cat = catalog(("k", "higher", "sum", "sum", 5.0))
    out = model.with_comparison(model.with_gap(frame(rows), cat), grain, how).collect()
    row = out.filter(pl.col("period") == date(2026, 3, 1)).row(0, named=True)
    assert row["cmp_actual"] == expected_cmp
    assert row["change"] == 30 - expected_cmp


def test_gap_change_is_in_points():
    rows = [(date(2026, 2, 1), "A", "k", 90, 100, None), (date(2026, 3, 1), "A", "k", 95, 100, None)]
    cat = catalog(("k", "higher", "sum", "sum", 5.0))
    out = model.with_comparison(model.with_gap(frame(rows), cat), "month", "previous").collect()
    assert out.filter(pl.col("period") == date(2026, 3, 1))["gap_change"][0] == pytest.approx(5.0)


def test_scores_are_weighted_shares_on_target():
    rows = [
        (Q1[0], "A", "on1", 10, 5, None),
        (Q1[0], "A", "off1", 1, 5, None),
        (Q1[0], "A", "none", 1, None, None),
    ]
    cat = pl.DataFrame(
        {
            "kpi": ["on1", "off1", "none"],
            "direction": ["higher"] * 3,
            "agg_time": ["sum"] * 3,
            "agg_services": ["sum"] * 3,
            "tolerance": [5.0] * 3,
            "score_weight": [3.0, 1.0, 1.0],
        }
    )
    out = model.scores(model.with_gap(frame(rows), cat), cat, ["period", "service"]).collect()
    row = out.row(0, named=True)
    assert row["score"] == pytest.approx(0.75)
    assert (row["n_on"], row["n_watch"], row["n_off"], row["n_none"]) == (1, 0, 1, 1)


def test_finer_grain_than_the_data_is_refused():
    with pytest.raises(ValueError, match="finer"):
        model.rollup_time(frame([]), catalog(), "day", "month")
