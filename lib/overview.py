"""What the overview shows, as small frames: headline counts, score and its change, completeness,
the heatmap, the leaderboard, the biggest deteriorations and the wins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from lib import model
from lib.wins import wins

HEATMAP_MAX_CELLS = 2500  # beyond this, services × axes instead of services × KPIs
HEATMAP_MAX_SERVICES = 40  # beyond this, the weakest and strongest half each
BOARD_MAX_SERVICES = 24  # the leaderboard likewise
TOP_N = 8


@dataclass(frozen=True)
class Overview:
    at: date | None  # the period shown (the last of the range)
    compare_at: date | None  # the period the score is compared with (None for target)
    counts: dict[str, int]  # status -> number of service × KPI at `at`
    score: float | None
    score_before: float | None
    reported: int  # series with a value at `at`
    expected: int  # series with a value somewhere in the range
    heatmap: pl.DataFrame  # service, kpi or axis (see heatmap_by), gap_pct, status, actual, target, unit
    heatmap_by: str  # "kpi" or "axis"
    services: int  # services in the view (the heatmap and leaderboard may show fewer: ends only)
    leaderboard: pl.DataFrame  # service, score, change (score difference, 0.03 = 3 points), n_on, ...
    deteriorations: pl.DataFrame  # service, kpi, gap_pct, cmp_gap_pct, gap_change, status
    wins: pl.DataFrame  # see lib.wins

    @property
    def completeness(self) -> float | None:
        return self.reported / self.expected if self.expected else None


def _org_score(frame: pl.DataFrame, catalog: pl.DataFrame) -> float | None:
    if frame.is_empty():
        return None
    out = model.scores(frame.lazy(), catalog, ["period"]).collect()
    return out["score"][0]


def _axis_heatmap(now: pl.DataFrame, catalog: pl.DataFrame) -> pl.DataFrame:
    """Services × axes: the share on target and the median gap of the axis' KPIs."""
    axes = catalog.select(pl.col("kpi").cast(pl.Categorical), pl.col("axis").fill_null("—"))
    scored = model.scores(now.join(axes, on="kpi").lazy(), catalog, ["service", "axis"]).collect()
    gaps = now.join(axes, on="kpi").group_by("service", "axis").agg(pl.col("gap_pct").median())
    out = scored.join(gaps, on=["service", "axis"], how="left")
    status = (
        pl.when(pl.col("n_on") + pl.col("n_watch") + pl.col("n_off") == 0)
        .then(pl.lit("none"))
        .when(pl.col("n_off") > 0)
        .then(pl.lit("off"))
        .when(pl.col("n_watch") > 0)
        .then(pl.lit("watch"))
        .otherwise(pl.lit("on"))
    )
    return out.select(
        "service",
        "axis",
        "gap_pct",
        status.cast(model.STATUS).alias("status"),
        "score",
        "n_on",
        "n_watch",
        "n_off",
    )


def _ends(board: pl.DataFrame, keep: int) -> pl.DataFrame:
    """The services to show when there are too many: the strongest and the weakest halves of `keep`
    (board sorted best first)."""
    if board.height <= keep:
        return board.select("service")
    return pl.concat([board.head(keep // 2), board.tail(keep - keep // 2)]).select("service")


def build_overview(
    perf: pl.DataFrame, history: pl.DataFrame, catalog: pl.DataFrame, grain: str, compare: str
) -> Overview:
    """`perf`: lib.slicing.performance for the view; `history`: the whole dataset at the same grain
    with gaps (for streaks and records)."""
    empty = pl.DataFrame()
    if perf.is_empty():
        return Overview(
            at=None,
            compare_at=None,
            counts=dict.fromkeys(model.STATUSES, 0),
            score=None,
            score_before=None,
            reported=0,
            expected=0,
            heatmap=empty,
            heatmap_by="kpi",
            services=0,
            leaderboard=empty,
            deteriorations=empty,
            wins=empty,
        )
    at = perf["period"].max()
    now = perf.filter(pl.col("period") == at)
    counts = {s: now.filter(pl.col("status") == s).height for s in model.STATUSES}
    compare_at = None
    if compare != "target":
        compare_at = pl.DataFrame({"period": [at]}).select(model.comparison_period(grain, compare)).item()
    before = (
        history.filter(pl.col("period") == compare_at).join(
            now.select("service", "kpi"), on=["service", "kpi"], how="semi"
        )
        if compare_at
        else empty
    )
    expected = perf.select("service", "kpi").unique().height

    units = catalog.select(pl.col("kpi").cast(pl.Categorical), pl.col("unit"))
    if now.height <= HEATMAP_MAX_CELLS:
        heat = now.join(units, on="kpi", how="left").select(
            "service", "kpi", "gap_pct", "status", "actual", "target", "unit"
        )
        heat_by = "kpi"
    else:
        heat, heat_by = _axis_heatmap(now, catalog), "axis"

    board = model.scores(now.lazy(), catalog, ["service"]).collect()
    if compare_at is not None and not before.is_empty():
        prev = (
            model.scores(before.lazy(), catalog, ["service"])
            .collect()
            .select("service", pl.col("score").alias("_b"))
        )
        board = (
            board.join(prev, on="service", how="left")
            .with_columns((pl.col("score") - pl.col("_b")).alias("change"))
            .drop("_b")
        )
    else:
        board = board.with_columns(pl.lit(None, pl.Float64).alias("change"))
    board = board.sort(["score", "service"], descending=[True, False], nulls_last=True)
    services = board.height
    heat = heat.join(_ends(board, HEATMAP_MAX_SERVICES), on="service", how="semi")
    board = board.join(_ends(board, BOARD_MAX_SERVICES), on="service", how="semi")

    worse = (
        now.filter(pl.col("gap_change") < 0)
        .sort("gap_change")
        .head(TOP_N)
        .select("service", "kpi", "actual", "target", "gap_pct", "cmp_gap_pct", "gap_change", "status")
    )
    # The history is the whole dataset's: only the view's series may have wins.
    found = wins(history.join(now.select("service", "kpi"), on=["service", "kpi"], how="semi"), catalog, at)
    # One win per series (its strongest), and not only streaks: records and comebacks first.
    found = found.unique(["service", "kpi"], keep="first", maintain_order=True).head(TOP_N)
    return Overview(
        at=at,
        compare_at=compare_at,
        counts=counts,
        score=_org_score(now, catalog),
        score_before=_org_score(before, catalog) if compare_at is not None else None,
        reported=now.filter(pl.col("actual").is_not_null()).height,
        expected=expected,
        heatmap=heat,
        heatmap_by=heat_by,
        services=services,
        leaderboard=board,
        deteriorations=worse,
        wins=found,
    )
