"""Did it work? The effect of a corrective action on one KPI of one service.

The KPI after the action's start is compared with two things:

- *before*: the mean of the last `BEFORE` periods with an actual before the start;
- *had nothing been done*: the signals' projection (lib.signals.projection: the Theil–Sen line of
  the last 12 deseasonalised values, its slope damped, put back into its season), fitted on the data
  known up to the period before the start and extended over every period after it (`forecast` takes
  any horizon, so it runs past the year's end). One difference, on purpose: the slope is always kept
  (`TREND_Z` = 0), where the signals keep it only when significant (|z| ≥ 1.96). Dropping an unproven
  slope suits an alarm, but a counterfactual without it sits at the middle of its 12 values and lags
  a real trend by 5–6 periods: on 200 seeded trending series with no effect (tests/test_effect.py),
  the false "improved" rate was 23.5 % with the signals' rule and band, 15.5 % with the slope's
  error added to the band, 9 % with the slope kept as well. Where the signals keep the slope, the
  counterfactual and its band are exactly their projection. After a change of level within the 12
  values (a slip that prompted the action), both take the level since it, without a slope; the band
  still counts a slope's error over the values since the change, so it is the wider.

Effect = mean(actuals after the start) − mean(counterfactual) over the periods from the start (its
own period included) that have an actual, in the KPI's units (negative: lower than expected).

Its 80 % interval is effect ± 1.2816 · sd, sd² = (A + B) / n², n the periods averaged, m their
seasonal factors, k their damped horizons, w the values the line is fitted on, c = (w − 1) / 2:
- A = σ² · ((Σm)² / w + (Σ m·(k + c))² / Sxx): the projection's own error, shared by every period
  (its level and its slope: the signals' prediction band without its noise term); σ the signals'
  robust noise (trimmed successive changes, floored at a quarter of the tolerance) before the start;
- B = σ_a² · Σm²: the noise of the n actuals averaged, σ_a the larger of σ and the spread of the
  after-period values (deseasonalised) around their mean, so a noisier period after widens it.
Both are treated as independent and normal. The band drawn per period is σ·m·√(1 + 1/w + (k+c)²/Sxx).

Honestly: this is a before/after comparison against a trend, not a controlled experiment. The
interval covers the noise and the fit's error, not a wrong model: anything else that changed at the
same time (a new rule, a season the history is too short to show, a step in the last two periods
before the start, too close to it to be told from noise) is counted as the action's effect. With no
effect at all, an 80 % interval still reads "improved" about one time in ten, and "worse" one time in ten.

Verdict, direction-aware: "improved" when the whole interval is on the better side of zero, "worse"
when it is wholly on the worse side, else "no_clear_effect". Status "not_enough_data" (no verdict)
with fewer than `min_after` periods with an actual from the start on, or fewer than `BEFORE` before it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import polars as pl

from lib.fmt import fmt_signed
from lib.i18n import t
from lib.periods import infer_grain, period_label, period_range, truncate, truncate_date
from lib.signals import detectors as det
from lib.signals.engine import _sizes
from lib.signals.panel import build
from lib.signals.projection import Z80, Forecast, _line, forecast
from lib.signals.registry import resolve
from lib.signals.text import amount

TREND_Z = 0.0
BEFORE = 6  # periods with an actual needed before the start; the "before" mean is over the last ones
VERDICTS = ("improved", "no_clear_effect", "worse")
SERIES_SCHEMA = {
    "period": pl.Date(),
    "actual": pl.Float64(),
    "counterfactual": pl.Float64(),
    "low": pl.Float64(),
    "high": pl.Float64(),
}


@dataclass(frozen=True)
class Effect:
    status: str  # "measured" | "not_enough_data"
    verdict: str | None  # "improved" | "no_clear_effect" | "worse" (direction-aware)
    n_before: int
    n_after: int
    min_after: int
    before_mean: float | None
    after_mean: float | None
    counterfactual_mean: float | None  # the projection had nothing been done
    effect: float | None  # after − counterfactual, actual units (sign as the KPI)
    low: float | None  # 80 % interval of the effect
    high: float | None
    series: pl.DataFrame  # period, actual, counterfactual, low, high (for the chart)
    start: date | None = None  # the period the action starts in (first "after" period)
    grain: str = "month"
    direction: str = "higher"  # is higher better?


def _series_rows(history: pl.DataFrame, service: str, kpi: str, as_of: date | None) -> pl.DataFrame:
    h = history.filter(
        (pl.col("service").cast(pl.String) == service) & (pl.col("kpi").cast(pl.String) == kpi)
    )
    if as_of is not None:
        h = h.filter(pl.col("period") <= as_of)
    target = pl.col("target") if "target" in h.columns else pl.lit(None, pl.Float64)
    weight = pl.col("weight") if "weight" in h.columns else pl.lit(None, pl.Float64)
    return h.select(
        pl.col("period").cast(pl.Date),
        pl.col("actual").cast(pl.Float64),
        target.cast(pl.Float64).alias("target"),
        weight.cast(pl.Float64).alias("weight"),
    ).sort("period")


def _direction(catalog: pl.DataFrame, kpi: str) -> str:
    row = catalog.filter(pl.col("kpi").cast(pl.String) == kpi)
    if row.is_empty() or "direction" not in row.columns:
        return "higher"
    return "lower" if row.get_column("direction").cast(pl.String)[0] == "lower" else "higher"


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if values.size else None


def effect(
    history: pl.DataFrame,
    catalog: pl.DataFrame,
    *,
    service: str,
    kpi: str,
    start: date,
    year_start_month: int = 1,
    min_after: int = 3,
    as_of: date | None = None,
) -> Effect:
    """The effect of an action started on `start` on `kpi` of `service` (see the module docstring).

    `history`: a lib.model frame at one grain (period, service, kpi, actual, target, ...); rows after
    `as_of` are ignored. `start` may fall inside a period: that period is the first one after. The
    series' periods come back as their period's start, every one from the first to the last."""
    if min_after < 1:
        raise ValueError(f"min_after must be at least 1, got {min_after}")
    direction = _direction(catalog, kpi)
    rows = _series_rows(history, service, kpi, as_of)
    if rows.is_empty():
        return Effect("not_enough_data", None, 0, 0, min_after, None, None, None, None, None, None,
                      pl.DataFrame(schema=SERIES_SCHEMA), start, "month", direction)  # fmt: skip
    grain = infer_grain(rows.get_column("period").to_list(), year_start_month)
    first = truncate_date(start, grain, year_start_month)
    # Every period of the range, a missing one as a gap: the projection counts periods by position.
    rows = rows.with_columns(truncate(pl.col("period"), grain, year_start_month))
    rows = rows.unique("period", keep="first")
    periods = period_range(
        rows.get_column("period").min(), rows.get_column("period").max(), grain, year_start_month
    )
    full = pl.DataFrame({"period": periods}, schema={"period": pl.Date}).join(rows, on="period", how="left")
    full = full.sort("period")
    actual = full.get_column("actual").to_numpy().astype(float)
    has = np.isfinite(actual)
    after_mask = np.array(periods, dtype="datetime64[D]") >= np.datetime64(first)
    before_vals, after_vals = actual[has & ~after_mask], actual[has & after_mask]
    series = full.select(
        pl.col("period"),
        pl.Series("actual", np.where(has, actual, np.nan), nan_to_null=True),
        *(pl.lit(None, pl.Float64).alias(c) for c in ("counterfactual", "low", "high")),
    )
    found = Effect(
        "not_enough_data",
        None,
        n_before=int(before_vals.size),
        n_after=int(after_vals.size),
        min_after=min_after,
        before_mean=_mean(before_vals[-BEFORE:]),
        after_mean=_mean(after_vals),
        counterfactual_mean=None,
        effect=None,
        low=None,
        high=None,
        series=series,
        start=first,
        grain=grain,
        direction=direction,
    )
    if found.n_before < BEFORE or found.n_after < min_after:
        return found
    fit = _counterfactual(full, catalog, service, kpi, after_mask, has, year_start_month)
    if fit is None:
        return found
    cf_each, sd_each, cf_mean, sd = fit
    pad = np.full(int(np.argmax(after_mask)), np.nan)
    series = series.with_columns(
        pl.Series("counterfactual", np.r_[pad, cf_each], nan_to_null=True),
        pl.Series("low", np.r_[pad, cf_each - Z80 * sd_each], nan_to_null=True),
        pl.Series("high", np.r_[pad, cf_each + Z80 * sd_each], nan_to_null=True),
    )
    eff = float(after_vals.mean() - cf_mean)
    low, high = eff - Z80 * sd, eff + Z80 * sd
    sign = -1.0 if direction == "lower" else 1.0
    better_low, better_high = sorted((low * sign, high * sign))
    verdict = "improved" if better_low > 0 else "worse" if better_high < 0 else "no_clear_effect"
    return replace(
        found,
        status="measured",
        verdict=verdict,
        counterfactual_mean=cf_mean,
        effect=eff,
        low=low,
        high=high,
        series=series,
    )


def _slope_lever(fc: Forecast) -> Forecast:
    """`fc` with the slope's error counted whatever the slope (a straight line's prediction band)."""
    n = fc.n
    return replace(fc, inv_sxx=np.where(n > 1, 12.0 / (n * (n * n - 1)), 0.0))


def _counterfactual(
    full: pl.DataFrame,
    catalog: pl.DataFrame,
    service: str,
    kpi: str,
    after_mask: np.ndarray,
    has: np.ndarray,
    year_start_month: int,
) -> tuple[np.ndarray, np.ndarray, float, float] | None:
    """(counterfactual and its sd at every period from the start, mean of the counterfactual over the
    after periods with an actual, sd of the effect), or None when the projection has no value."""
    t0 = int(np.argmax(after_mask))
    frame = full.with_columns(pl.lit(service).alias("service"), pl.lit(kpi).alias("kpi"))
    p = resolve(None)
    w, lag = _sizes(p)
    panel = build(frame, catalog, frame.get_column("period")[t0 - 1], year_start_month)
    ctx = det.context(panel, w, lag)
    pm = p["projected_miss"]
    line = _line(ctx, int(pm["window"]), TREND_Z)
    t = t0 - 1
    ahead = _slope_lever(forecast(ctx, t, np.arange(t0, len(after_mask)), line))
    cf_each, sd_each = ahead.mean[0], np.sqrt(ahead.var_each()[0])
    used = np.flatnonzero(has[t0:]) + t0
    fc = _slope_lever(forecast(ctx, t, used, line))
    if not np.isfinite(fc.mean).all() or not np.isfinite(fc.sigma2).all():
        return None
    n, m, sigma2 = used.size, fc.mult[0], float(fc.sigma2[0])
    fit_var = float(fc.var_sum()[0]) - sigma2 * float((m**2).sum())  # the level's and the slope's
    # The after values deseasonalised as the projection sees them (oriented, divided by the season).
    y = full.get_column("actual").to_numpy().astype(float)[used] * panel.sign[0]
    add = ctx.season.add[0, t, used % ctx.season.m] if ctx.season.m else 0.0
    spread2 = float(np.var(y / m - add, ddof=1)) if n > 1 else 0.0
    noise_var = max(sigma2, spread2) * float((m**2).sum())
    sd = float(np.sqrt(fit_var + noise_var)) / n
    return cf_each, sd_each, float(fc.mean[0].mean()), sd


# --- The sentence ------------------------------------------------------------------------------


def _signed(value: float, lang: str, unit: str, decimals: int) -> str:
    """−14,7 jours; a change of a percentage in points (−2,5 pts)."""
    text = fmt_signed(value, lang, decimals)
    unit = t("effect.unit.points", lang) if unit == "%" else unit
    return f"{text}\u00a0{unit}" if unit else text


def effect_sentence(eff: Effect, lang: str, unit: str = "") -> str:
    """One sentence with its numbers, e.g. « Depuis mars 2026 : 27,1 jours en moyenne contre 45,8
    attendus sans l'action (−18,7 jours, intervalle 80 % : −20,1 à −17,3) : amélioration nette. »"""
    since = period_label(eff.start, eff.grain, lang) if eff.start else "—"
    if eff.status != "measured":
        reason = "after" if eff.n_after < eff.min_after else "before"
        need, have = (eff.min_after, eff.n_after) if reason == "after" else (BEFORE, eff.n_before)
        return t(
            f"effect.sentence.not_enough_{reason}",
            lang,
            since=since,
            need=need,
            have=have,
            periods=t(f"effect.periods.{eff.grain}", lang),
        )
    span = max(abs(eff.effect or 0.0), abs(eff.low or 0.0), abs(eff.high or 0.0))
    d = 0 if span >= 100 else 1 if span >= 1 else 2
    return t(
        "effect.sentence.measured",
        lang,
        since=since,
        after=amount(eff.after_mean, lang, unit),
        expected=amount(eff.counterfactual_mean, lang),
        before=amount(eff.before_mean, lang),
        n_before=min(eff.n_before, BEFORE),
        periods=t(f"effect.periods.{eff.grain}", lang),
        effect=_signed(eff.effect or 0.0, lang, unit, d),
        low=fmt_signed(eff.low, lang, d),
        high=fmt_signed(eff.high, lang, d),
        verdict=t(f"effect.verdict.{eff.verdict}", lang),
    )
