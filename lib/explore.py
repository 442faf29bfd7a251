"""What Explore draws, as small frames: a KPI's time series (per service, or their total), the gap by
service at the last period, and the details table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

MAX_SERIES = 6  # more services than this and the time series shows their total
MAX_BARS = 40  # more services than this and the bars show the worst and best 20


def needs_total(perf: pl.DataFrame, kpi: str) -> bool:
    """Too many services to draw one line each: draw their total."""
    return perf.filter(pl.col("kpi") == kpi)["service"].n_unique() > MAX_SERIES


def kpi_series(perf: pl.DataFrame, catalog: pl.DataFrame, kpi: str, compare: str) -> pl.DataFrame:
    """period, series, actual, target, tol_low, tol_high, cmp_actual, status for one KPI, one series
    per service of `perf` (pass lib.slicing.performance(..., total_label=...) to draw a total)."""
    rows = perf.filter(pl.col("kpi") == kpi)
    entry = catalog.filter(pl.col("kpi") == kpi)
    tolerance = entry["tolerance"][0] if entry.height else 0.0
    lower_better = entry.height > 0 and entry["direction"][0] == "lower"
    # The watch band: between the target and the tolerance, on the side that is worse; the tolerance is
    # a share of |target| (as in lib.model.with_gap), so a negative target keeps the band on that side.
    worse = 1 if lower_better else -1
    edge = pl.col("target") + worse * pl.col("target").abs() * tolerance / 100
    band = [
        pl.min_horizontal("target", edge).alias("tol_low"),
        pl.max_horizontal("target", edge).alias("tol_high"),
    ]
    return rows.select(
        "period",
        pl.col("service").cast(pl.String).alias("series"),
        "actual",
        "target",
        *band,
        pl.col("cmp_actual") if compare != "target" else pl.lit(None, pl.Float64).alias("cmp_actual"),
        "status",
    ).sort("series", "period")


def gap_by_service(perf: pl.DataFrame, kpi: str) -> pl.DataFrame:
    """label, gap_pct, status, actual, target at the KPI's last period; the worst and best when many."""
    rows = perf.filter(pl.col("kpi") == kpi)
    if rows.is_empty():
        return rows.select(pl.col("service").alias("label"), "gap_pct", "status", "actual", "target")
    last = rows.filter(pl.col("period") == pl.col("period").max())
    last = last.filter(pl.col("gap_pct").is_not_null()).sort("gap_pct", "service")
    if last.height > MAX_BARS:
        half = MAX_BARS // 2
        last = pl.concat([last.head(half), last.tail(half)])
    return last.select(
        pl.col("service").cast(pl.String).alias("label"), "gap_pct", "status", "actual", "target"
    )


def latest_gaps(perf: pl.DataFrame) -> pl.DataFrame:
    """gap_pct and status of every service × KPI at the last period (for the distribution)."""
    return perf.filter(pl.col("period") == pl.col("period").max()).select("gap_pct", "status")


DETAIL_COLUMNS = (
    "period",
    "service",
    "kpi",
    "actual",
    "target",
    "gap",
    "gap_pct",
    "status",
    "cmp_actual",
    "change",
    "gap_change",
)


def details(
    perf: pl.DataFrame,
    catalog: pl.DataFrame,
    period_labels: dict[date, str],
    status_labels: dict[str, str],
    limit: int | None = None,
) -> pl.DataFrame:
    """The details table: one row per period × service × KPI, newest first (the first `limit`), with
    the unit and the period and status as words of the user's language."""
    units = catalog.select(pl.col("kpi").cast(pl.Categorical), "unit")
    newest = perf.sort(["period", "service", "kpi"], descending=[True, False, False])
    if limit is not None:
        newest = newest.head(limit)
    return (
        newest.join(units, on="kpi", how="left", maintain_order="left")
        .select(*DETAIL_COLUMNS[:3], "unit", *DETAIL_COLUMNS[3:])
        .with_columns(
            pl.col("period").replace_strict(period_labels, return_dtype=pl.String),
            pl.col("service", "kpi").cast(pl.String),
            pl.col("status").cast(pl.String).replace_strict(status_labels, return_dtype=pl.String),
        )
    )


def epoch_date(value: float | int | str | None) -> date | None:
    """The date of a selected point on a temporal axis (Vega-Lite sends epoch milliseconds, at the
    browser's local midnight: round to the nearest day rather than truncate)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return (datetime.fromtimestamp(value / 1000, tz=UTC) + timedelta(hours=12)).date()
    return date.fromisoformat(str(value)[:10])
