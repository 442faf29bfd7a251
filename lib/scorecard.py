"""One service's scorecard: every KPI with its status, value, target, gap, trend and recent history."""

from __future__ import annotations

from datetime import date

import polars as pl

from lib import model

SPARK_PERIODS = 12


def scorecard(perf: pl.DataFrame, catalog: pl.DataFrame, service: str) -> pl.DataFrame:
    """One row per KPI of `service` at its last period in the range: kpi, axis, unit, direction,
    period, actual, target, gap, gap_pct, status, cmp_actual, change, gap_change and `trend`
    ("better", "worse", "flat" or null: the gap's move against the comparison), sorted by axis then
    status (off first) then KPI."""
    rows = perf.filter(pl.col("service") == service)
    if rows.is_empty():
        return rows
    last = rows.filter(pl.col("period") == pl.col("period").max().over("kpi"))
    info = catalog.select(pl.col("kpi").cast(pl.Categorical), "axis", "unit", "direction", "description")
    trend = (
        pl.when(pl.col("gap_change").is_null())
        .then(None)
        .when(pl.col("gap_change").abs() < 0.5)
        .then(pl.lit("flat"))
        .when(pl.col("gap_change") > 0)
        .then(pl.lit("better"))
        .otherwise(pl.lit("worse"))
    )
    order = {s: i for i, s in enumerate(("off", "watch", "on", "none"))}
    return (
        last.join(info, on="kpi", how="left")
        .with_columns(
            trend.alias("trend"), pl.col("status").cast(pl.String).replace_strict(order).alias("_o")
        )
        .sort(["axis", "_o", "kpi"], nulls_last=True)
        .drop("_o")
    )


def spark_frame(perf: pl.DataFrame, service: str, kpi: str, since: date | None = None) -> pl.DataFrame:
    """period, actual, target, status of the KPI's last SPARK_PERIODS periods, reaching back to
    `since` (and two periods before it) when that is earlier: a signal's start stays in view."""
    rows = perf.filter((pl.col("service") == service) & (pl.col("kpi") == kpi)).sort("period")
    keep = SPARK_PERIODS
    if since is not None:
        keep = max(keep, rows.filter(pl.col("period") >= since).height + 2)
    return rows.tail(keep).select("period", "actual", "target", "status")


def service_score(card: pl.DataFrame, catalog: pl.DataFrame) -> float | None:
    if card.is_empty():
        return None
    return model.scores(card.lazy(), catalog, ["service"]).collect()["score"][0]
