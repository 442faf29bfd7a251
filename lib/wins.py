"""Wins: what teams achieved, defined once. The overview credits them and the weak signals reuse them
as good news.

Each win is a row (service, kpi, kind, period, value, strength 0-1 for ranking, and the numbers its
sentence needs), computed for every series at once from a history at one grain (lib.model frames:
period, service, kpi, actual, target, gap, gap_pct, status; sorted or not). `wins_each_period` judges
every period in one pass (the weak signals' replay); `wins` is its filter at one period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from lib.fmt import fmt_number, fmt_signed
from lib.i18n import t


@dataclass(frozen=True)
class WinRules:
    streak_min: int = 6  # periods on target in a row to count as a streak
    record_min_history: int = 12  # periods before a value can be a record
    improved_min_points: float = 5.0  # gap gained since the comparison, in points of target


KINDS = ("back_on_target", "record", "streak", "most_improved")
# Equalling the best is not a record, nor beating it by rounding: a monthly mean of daily values is
# summed in a different order from run to run (parallel aggregation), so its last digits differ.
RECORD_TIE = 1e-9


def wins_each_period(
    history: pl.DataFrame, catalog: pl.DataFrame, rules: WinRules | None = None
) -> pl.DataFrame:
    """Every win at every period, in one pass: each row judged with that period's data and the rows
    before it only. Sorted by period, then strongest first."""
    rules = rules or WinRules()
    sign = catalog.select(
        pl.col("kpi").cast(pl.Categorical),
        pl.when(pl.col("direction") == "lower").then(-1.0).otherwise(1.0).alias("_s"),
    )
    series = ["service", "kpi"]
    # Every column below looks only backwards within its series (shift, cumulative): a row's wins are
    # those of a history cut at its period, which is what makes `wins` a filter of this frame. Windows
    # keep the row order within each series, so sorting by period is enough (and nearly free: histories
    # come sorted by period), where a sort by series would cost more than all the rest.
    h = (
        history.sort("period", maintain_order=True)
        .join(sign, on="kpi", how="left")
        .with_columns(
            (pl.col("actual") * pl.col("_s")).alias("_better"), (pl.col("status") == "on").alias("_on")
        )
        .with_columns(
            # The best of every earlier value: a month without an actual does not reset it.
            pl.col("_better").cum_max().forward_fill().shift(1).over(series).alias("_best_before"),
            pl.col("_better").cum_count().over(series).alias("_n"),
            (~pl.col("_on")).cum_sum().over(series).alias("_run"),
            pl.col("status").shift(1).over(series).alias("_prev_status"),
            pl.col("gap_pct").shift(1).over(series).alias("_prev_gap"),
        )
        .with_columns(pl.col("_on").cum_sum().over([*series, "_run"]).alias("_streak"))
    )
    base = ["service", "kpi", "period", "actual", "target", "gap_pct"]
    found = [
        h.filter(pl.col("_on") & pl.col("_prev_status").is_in(["watch", "off"])).select(
            *base,
            pl.lit("back_on_target").alias("kind"),
            pl.col("_prev_gap").alias("before"),
            (0.5 + (pl.col("gap_pct") - pl.col("_prev_gap")).clip(0, 25) / 50).alias("strength"),
        ),
        h.filter(
            (pl.col("_n") > rules.record_min_history)
            & (pl.col("_better") > pl.col("_best_before") + RECORD_TIE * pl.col("_best_before").abs())
        ).select(
            *base,
            pl.lit("record").alias("kind"),
            (pl.col("_best_before") * pl.col("_s")).alias("before"),
            pl.lit(0.8).alias("strength"),
        ),
        h.filter(pl.col("_on") & (pl.col("_streak") >= rules.streak_min)).select(
            *base,
            pl.lit("streak").alias("kind"),
            pl.col("_streak").cast(pl.Float64).alias("before"),
            (pl.col("_streak") / 24).clip(0.3, 0.9).alias("strength"),
        ),
        h.filter((pl.col("gap_pct") - pl.col("_prev_gap")) >= rules.improved_min_points).select(
            *base,
            pl.lit("most_improved").alias("kind"),
            pl.col("_prev_gap").alias("before"),
            (0.4 + (pl.col("gap_pct") - pl.col("_prev_gap")) / 50).clip(0, 1).alias("strength"),
        ),
    ]
    out = pl.concat(found, how="vertical")
    return out.sort(
        ["period", "strength", "service", "kpi", "kind"], descending=[False, True, False, False, False]
    )


def wins(
    history: pl.DataFrame, catalog: pl.DataFrame, at: date, rules: WinRules | None = None
) -> pl.DataFrame:
    """Every win at period `at` (each series' last period must be `at`), strongest first."""
    # Rows after `at` cannot change the wins at `at` (see wins_each_period): cut them to save work.
    judged = wins_each_period(history.filter(pl.col("period") <= at), catalog, rules)
    return judged.filter(pl.col("period") == at)


def win_sentence(row: dict, lang: str, unit: str = "") -> str:
    """One sentence with its numbers, e.g. « Admissions — Candidatures : record (812, précédent 790). »"""
    values = {
        "service": row["service"],
        "kpi": row["kpi"],
        "value": f"{fmt_number(row['actual'], lang)}\u00a0{unit}"
        if unit
        else fmt_number(row["actual"], lang),
        "gap": fmt_signed(row["gap_pct"], lang),
        "before": fmt_number(row["before"], lang, 0)
        if row["kind"] == "streak"
        else fmt_signed(row["before"], lang)
        if row["kind"] in ("back_on_target", "most_improved")
        else fmt_number(row["before"], lang),
    }
    return t(f"wins.{row['kind']}", lang, **values)
