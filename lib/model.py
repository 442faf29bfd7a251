"""The performance model: KPIs rolled up over time and across services as the catalog says, gap to
target (signed so that positive is better), status, comparisons and scores.

Aggregating is not always summing: each KPI has a rule over time (`agg_time`) and one across services
(`agg_services`); targets roll up with the same rules, over the same rows as the actuals (a quarter
with two months reported compares two months of actuals with two months of targets).
"""

from __future__ import annotations

import polars as pl

from lib.contract import GRAINS
from lib.periods import grain_rank, truncate

STATUSES = ("on", "watch", "off", "none")
STATUS = pl.Enum(STATUSES)
VIEW_GRAINS = (*GRAINS, "ytd")
COMPARES = ("previous", "last_year", "target")
KEYS = ("period", "service", "kpi")
VALUES = ("actual", "target", "weight")


# Each rule as plain aggregations (Polars' fast paths; a when/then or get() inside a group_by falls
# back to per-group evaluation, 20x slower on 10M rows) and a finishing expression over their results.
_PARTS = {
    "sum": lambda c: [pl.col(c).sum().alias(f"_{c}_sum"), pl.col(c).count().alias(f"_{c}_n")],
    "mean": lambda c: [pl.col(c).sum().alias(f"_{c}_sum"), pl.col(c).count().alias(f"_{c}_n")],
    "wmean": lambda c: [
        pl.col(c).sum().alias(f"_{c}_sum"),
        pl.col(c).count().alias(f"_{c}_n"),
        pl.col(f"_{c}_xw").sum().alias(f"_{c}_xw"),
        pl.col(f"_{c}_w").sum().alias(f"_{c}_w"),
    ],
    "last": lambda c: [pl.col(c).sort_by("period").last().alias(f"_{c}_last")],
    "first": lambda c: [pl.col(c).sort_by("period").first().alias(f"_{c}_first")],
    "min": lambda c: [pl.col(c).min().alias(f"_{c}_min")],
    "max": lambda c: [pl.col(c).max().alias(f"_{c}_max")],
}


def _finish(rule: str, c: str) -> pl.Expr:
    """The rule's value from its parts."""
    n, total = pl.col(f"_{c}_n"), pl.col(f"_{c}_sum")
    if rule == "sum":
        # A sum of nothing is unknown, not zero (a KPI without targets keeps a null target).
        return pl.when(n > 0).then(total)
    if rule == "mean":
        return pl.when(n > 0).then(total / n)
    if rule == "wmean":
        # Without weights a weighted mean is the plain mean (the catalog warning already said so).
        w = pl.col(f"_{c}_w")
        return pl.when(w > 0).then(pl.col(f"_{c}_xw") / w).when(n > 0).then(total / n)
    if rule in _PARTS:
        return pl.col(f"_{c}_{rule}")
    raise ValueError(f"unknown aggregation rule {rule!r}")


def _group(lf: pl.LazyFrame, keys: list[str], aggs: list[pl.Expr]) -> pl.LazyFrame:
    """group_by(keys).agg(aggs), hashing one packed integer instead of a date and two categoricals
    (twice as fast on 10M rows); the keys come back with first()."""
    codes = {"service": 21, "kpi": 0}
    if not set(keys) <= {"bucket", "period", "service", "kpi"}:
        return lf.group_by(keys).agg(aggs)
    packed = pl.lit(0, pl.UInt64)
    for key in keys:
        code = pl.col(key).to_physical().cast(pl.UInt64)
        shift = codes.get(key, 42)  # dates (days since 1970, shifted positive) in the high bits
        if key not in codes:
            code = (pl.col(key).to_physical().cast(pl.Int64) + 100_000).cast(pl.UInt64)
        packed = packed + code * (1 << shift)
    out = lf.group_by(packed.alias("_key")).agg(*[pl.col(k).first() for k in keys], *aggs)
    return out.drop("_key")


def _parts(
    lf: pl.LazyFrame, catalog: pl.DataFrame, rule_col: str, keys: list[str], extra: list[pl.Expr]
) -> tuple[pl.LazyFrame, list[str]]:
    """Group `lf` by `keys` computing the parts of every rule in use (plus `extra`), and each group's
    rule in `_rule`; `_pick` then finishes. Returns the frame and the rules."""
    rules = sorted(set(catalog.get_column(rule_col).to_list()))
    unknown = set(rules) - set(_PARTS)
    if unknown:
        raise ValueError(f"unknown aggregation rule(s) {sorted(unknown)}")
    parts: dict[str, pl.Expr] = {}
    for rule in rules:
        for col in ("actual", "target"):
            for expr in _PARTS[rule](col):
                parts.setdefault(expr.meta.output_name(), expr)
    if "wmean" in rules:
        lf = lf.with_columns(
            e
            for col in ("actual", "target")
            for e in (
                (pl.col(col) * pl.col("weight")).alias(f"_{col}_xw"),
                pl.when(pl.col(col).is_not_null()).then(pl.col("weight")).alias(f"_{col}_w"),
            )
        )
    rule_of = catalog.select(pl.col("kpi").cast(pl.Categorical), pl.col(rule_col).alias("_rule")).lazy()
    return _group(lf, keys, [*parts.values(), *extra]).join(rule_of, on="kpi", how="left"), rules


def _pick(frame: pl.LazyFrame, rules: list[str]) -> pl.LazyFrame:
    """Each group's value from the parts of its own rule."""

    def pick(col: str) -> pl.Expr:
        expr = pl.when(pl.col("_rule") == rules[0]).then(_finish(rules[0], col))
        for rule in rules[1:]:
            expr = expr.when(pl.col("_rule") == rule).then(_finish(rule, col))
        return expr.alias(col)

    return frame.with_columns(pick("actual"), pick("target")).drop(pl.selectors.starts_with("_"))


def _by_rule(
    lf: pl.LazyFrame, catalog: pl.DataFrame, rule_col: str, keys: list[str], extra: list[pl.Expr]
) -> pl.LazyFrame:
    """Group `lf` by `keys`, each KPI aggregated with its own rule, in one pass: the parts of every
    rule in use are computed for every group, then each group keeps its KPI's rule."""
    if catalog.is_empty():
        return lf.select(*keys, *VALUES).head(0)
    frame, rules = _parts(lf, catalog, rule_col, keys, extra)
    return _pick(frame, rules)


def rollup_time(
    lf: pl.LazyFrame, catalog: pl.DataFrame, grain: str, data_grain: str, year_start_month: int = 1
) -> pl.LazyFrame:
    """Rows at `grain` (one per period × service × KPI), each KPI aggregated with its `agg_time`.

    `ytd` gives, at each month (or the data's own grain when coarser), the aggregate from the start
    of its year to that period.
    """
    if grain == "ytd":
        return _year_to_date(lf, catalog, data_grain, year_start_month)
    if grain_rank(grain) < grain_rank(data_grain):
        raise ValueError(f"grain {grain!r} is finer than the data's own ({data_grain!r})")
    lf = lf.filter(pl.col("actual").is_not_null()).select(*KEYS, *VALUES)
    if grain == data_grain:
        return lf
    lf = lf.with_columns(truncate(pl.col("period"), grain, year_start_month).alias("bucket"))
    out = _by_rule(lf, catalog, "agg_time", ["bucket", "service", "kpi"], [pl.col("weight").sum()])
    return out.rename({"bucket": "period"}).select(*KEYS, *VALUES)


def _year_to_date(
    lf: pl.LazyFrame, catalog: pl.DataFrame, data_grain: str, year_start_month: int
) -> pl.LazyFrame:
    """At each month (or the data's own grain when coarser), the aggregate since the year's start:
    the rules' parts are accumulated (sums and counts add up, min and max run on, the last value
    carries forward) and only then finished, so a year-to-date mean of daily data is the mean of the
    days, not of the monthly means."""
    if catalog.is_empty():
        return lf.select(*KEYS, *VALUES).head(0)
    base_grain = data_grain if grain_rank(data_grain) > grain_rank("month") else "month"
    lf = lf.filter(pl.col("actual").is_not_null()).select(*KEYS, *VALUES)
    lf = lf.with_columns(truncate(pl.col("period"), base_grain, year_start_month).alias("bucket"))
    frame, rules = _parts(lf, catalog, "agg_time", ["bucket", "service", "kpi"], [pl.col("weight").sum()])
    frame = (
        frame.rename({"bucket": "period"})
        .with_columns(truncate(pl.col("period"), "year", year_start_month).alias("_year"))
        .sort("service", "kpi", "period")
    )
    over = ["service", "kpi", "_year"]
    names = frame.collect_schema().names()

    def running(name: str) -> pl.Expr:
        c = pl.col(name)
        if name.endswith(("_min",)):
            return c.cum_min().over(over)
        if name.endswith("_max"):
            return c.cum_max().over(over)
        if name.endswith("_last"):
            return c.forward_fill().over(over)
        if name.endswith("_first"):
            return c.drop_nulls().first().over(over)
        return c.cum_sum().over(over)  # sums, counts, weighted sums, weights

    parts = [n for n in names if n.startswith(("_actual_", "_target_"))]
    frame = frame.with_columns(*(running(n) for n in parts), pl.col("weight").cum_sum().over(over))
    return _pick(frame, rules).select(*KEYS, *VALUES)


def rollup_services(lf: pl.LazyFrame, catalog: pl.DataFrame, label: str) -> pl.LazyFrame:
    """The organisation total: one row per period × KPI, `service` = `label`, each KPI with its
    `agg_services` rule (weights add up, so weighted means stay weighted)."""
    out = _by_rule(lf, catalog, "agg_services", ["period", "kpi"], [pl.col("weight").sum()])
    return out.with_columns(pl.lit(label).cast(pl.Categorical).alias("service")).select(*KEYS, *VALUES)


def _rules(catalog: pl.DataFrame) -> pl.DataFrame:
    return catalog.select(
        pl.col("kpi").cast(pl.Categorical),
        pl.when(pl.col("direction") == "lower").then(-1.0).otherwise(1.0).alias("_sign"),
        pl.col("tolerance").fill_null(0.0).alias("_tolerance"),
    )


def with_gap(lf: pl.LazyFrame, catalog: pl.DataFrame) -> pl.LazyFrame:
    """Add `gap` (actual − target, sign flipped for lower-is-better KPIs: positive is better),
    `gap_pct` (gap in percent of |target|; null for a zero target, which has an absolute gap only)
    and `status` (on / watch within the KPI's tolerance / off / none without a target)."""
    # A difference within float noise of the target is no gap: summing days in another order must
    # not flip a KPI exactly on target to "watch" (2.18 against 2.1799999999999997).
    raw = (pl.col("actual") - pl.col("target")) * pl.col("_sign")
    gap = (
        pl.when(raw.abs() <= 1e-9 * pl.max_horizontal(pl.col("actual").abs(), pl.col("target").abs()))
        .then(0.0)
        .otherwise(raw)
    )
    gap_pct = pl.when(pl.col("target") != 0).then(pl.col("gap") / pl.col("target").abs() * 100)
    status = (
        pl.when(pl.col("actual").is_null() | pl.col("target").is_null())
        .then(pl.lit("none"))
        .when(pl.col("gap") >= 0)
        .then(pl.lit("on"))
        .when(pl.col("gap_pct") >= -pl.col("_tolerance"))
        .then(pl.lit("watch"))
        .otherwise(pl.lit("off"))
    )
    return (
        lf.join(_rules(catalog).lazy(), on="kpi", how="left")
        .with_columns(gap.alias("gap"))
        .with_columns(gap_pct.alias("gap_pct"))
        .with_columns(status.cast(STATUS).alias("status"))
        .drop("_sign", "_tolerance")
    )


def comparison_period(grain: str, how: str, data_grain: str = "month") -> pl.Expr:
    """The period each row is compared with: the one before, or the same one a year earlier. Year to
    date steps by its own periods: months, or the data's grain when coarser (quarters)."""
    if how == "previous" and grain == "ytd":
        grain = data_grain if grain_rank(data_grain) > grain_rank("month") else "month"
    if how == "previous":
        step = {
            "day": "-1d",
            "week": "-1w",
            "month": "-1mo",
            "quarter": "-3mo",
            "year": "-1y",
            "ytd": "-1mo",
        }[grain]
    elif how == "last_year":
        step = "-52w" if grain == "week" else "-1y"
    else:
        raise ValueError(f"no comparison period for {how!r}")
    return pl.col("period").dt.offset_by(step)


def with_comparison(lf: pl.LazyFrame, grain: str, how: str, data_grain: str = "month") -> pl.LazyFrame:
    """Add `cmp_actual`, `cmp_gap_pct`, `cmp_status`, `change` (actual − comparison), `change_pct`
    and `gap_change` (change of gap_pct, in points). With `target` the comparison is the target itself."""
    if how == "target":
        lf = lf.with_columns(
            pl.col("target").alias("cmp_actual"),
            pl.lit(None, pl.Float64).alias("cmp_gap_pct"),
            pl.lit(None, STATUS).alias("cmp_status"),
        )
    else:
        other = lf.select(
            pl.col("period").alias("_cmp_period"),
            "service",
            "kpi",
            pl.col("actual").alias("cmp_actual"),
            pl.col("gap_pct").alias("cmp_gap_pct"),
            pl.col("status").alias("cmp_status"),
        )
        lf = (
            lf.with_columns(comparison_period(grain, how, data_grain).alias("_cmp_period"))
            .join(other, on=["_cmp_period", "service", "kpi"], how="left")
            .drop("_cmp_period")
        )
    return lf.with_columns(
        (pl.col("actual") - pl.col("cmp_actual")).alias("change"),
        pl.when(pl.col("cmp_actual") != 0)
        .then((pl.col("actual") - pl.col("cmp_actual")) / pl.col("cmp_actual").abs() * 100)
        .alias("change_pct"),
        (pl.col("gap_pct") - pl.col("cmp_gap_pct")).alias("gap_change"),
    )


def scores(lf: pl.LazyFrame, catalog: pl.DataFrame, by: list[str]) -> pl.LazyFrame:
    """Score = weighted share of KPIs on target among those with a target (`score_weight` from the
    catalog, default 1), with counts per status. `by` e.g. ["period", "service"] or ["period"]."""
    weights = catalog.select(
        pl.col("kpi").cast(pl.Categorical), pl.col("score_weight").fill_null(1.0).alias("_w")
    )
    counted = pl.col("status") != "none"
    return (
        lf.join(weights.lazy(), on="kpi", how="left")
        .group_by(by)
        .agg(
            pl.when(pl.col("_w").filter(counted).sum() > 0)
            .then(pl.col("_w").filter(pl.col("status") == "on").sum() / pl.col("_w").filter(counted).sum())
            .alias("score"),
            *[(pl.col("status") == s).sum().alias(f"n_{s}") for s in STATUSES],
        )
        .sort(by)
    )
