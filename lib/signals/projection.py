"""Projections to the deadline (the end of the year, whose first month is configurable) and the
projected-miss detector.

The forecast of a series at period t: the Theil–Sen line of its last `window` deseasonalised values
(slope kept only when the least-squares slope is significant, |z| ≥ `trend_z`; else the level),
its slope damped (× 0.9 a period ahead, so at most 9 periods' worth of it), put back into its season.
Where the window holds a change of level (a step either way of at least SPLIT_Z standard errors,
with SPLIT_MIN values each side, that fits better than a straight line), only the values since it
count, as a level: a slip or a recovery is not a trend to carry on, nor averaged away. Not while the
series is too short to tell a season from a change (a yearly wave would pass for a step).
Its variance at horizon k is σ²·(1 + 1/n + (k' + (n−1)/2)²/Sxx), σ the robust noise, k' the damped
horizon, the last term only with a slope (the prediction interval of a straight line).

The year's aggregate follows the KPI's `agg_time`: `sum` adds the known periods and the forecasts,
`mean` / `wmean` average them (weights of future periods unknown: plain mean), `last` takes the
forecast at the deadline, `min` / `max` the smallest / largest of known values and forecasts, `first`
the year's first value. The target of the year is aggregated the same way; targets of future periods
(not in the history) are last year's targets of the same periods, scaled by how this year's known
targets compare with last year's, else the latest target (in its season).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np

from lib.periods import next_period, truncate_date
from lib.signals.detectors import Context, Fired, severity_of, trend_z
from lib.signals.robust import MAD_TO_SIGMA, count, nanmedian, normal_cdf, theil_sen

Z80 = 1.2816  # the 80 % two-sided interval shown with projections
DAMPING = 0.9  # a trend fades by this factor each period ahead (damped trend: a slope seen over a few
# periods is not extrapolated over a whole year at full strength)


def extend_periods(periods: list[date], grain: str, n: int) -> list[date]:
    """`periods` followed by the next `n` periods."""
    out = list(periods)
    for _ in range(n):
        out.append(next_period(out[-1], grain))
    return out


@dataclass(frozen=True)
class Calendar:
    periods: list[date]  # panel periods then future ones
    year: np.ndarray  # fiscal year start (as ordinal day) of each period

    @classmethod
    def of(cls, periods: list[date], grain: str, m: int, year_start_month: int) -> Calendar:
        # Far enough to hold the whole of next year, whatever the grain.
        per_year = {"day": 366, "week": 53, "month": 12, "quarter": 4, "year": 1}.get(grain, max(m, 1))
        ext = extend_periods(periods, grain, 2 * per_year + 2)
        year = np.array([truncate_date(p, "year", year_start_month).toordinal() for p in ext])
        return cls(ext, year)

    def year_span(self, t: int) -> tuple[int, int]:
        """(first, last) period index of the year the deadline at t falls in: the year holding the
        period after t (at a year's last period, the next year)."""
        y = self.year[t + 1]
        idx = np.flatnonzero(self.year == y)
        return int(idx[0]), int(idx[-1])


SPLIT_Z = 4.0  # a change of level either way within the line's window, this many standard errors...
SPLIT_MIN = 3  # ...with at least this many values each side: the line starts after it


def _split(win: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """Index in each window (..., n) of the first value after its change of level, or 0 when it has
    none. The split is the one of largest two-sample statistic (least squares, SPLIT_MIN values each
    side); it stands when its segments differ by SPLIT_Z standard errors both in mean (against the
    noise σ) and in median (against the larger of the noise σ and the robust scatter around the
    medians: a season the profile missed, a wave, is no step; a spike moves no median), and when a
    step fits the window better than a straight line (a trend is no step either)."""
    n_w = win.shape[-1]
    shape = win.shape[:-1]
    a = np.ascontiguousarray(win.reshape(-1, n_w).T)  # (n_w, windows): each position's values contiguous
    valid = ~np.isnan(a)
    cs, cn = np.cumsum(np.where(valid, a, 0.0), axis=0), np.cumsum(valid, axis=0)
    tot, n = cs[-1], cn[-1]
    best_gain = np.zeros(n.shape)
    best_k = np.zeros(n.shape, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in range(SPLIT_MIN, n_w - SPLIT_MIN + 1):
            na = cn[k - 1]
            nb = n - na
            diff = cs[k - 1] / na - (tot - cs[k - 1]) / nb
            gain = diff * diff * na * nb / n  # the step's share of the sum of squares (NaN: no values)
            better = (na >= SPLIT_MIN) & (nb >= SPLIT_MIN) & (gain > best_gain)
            best_gain[better] = gain[better]
            best_k[better] = k
        # A cheap first pass keeps the windows worth the full test: the step's z from the means and the
        # noise σ (its share of the squares is z²σ²).
        first = (best_k > 0) & (best_gain >= (SPLIT_Z * sigma.ravel()) ** 2)
    out = np.zeros(n.size, dtype=np.int64)
    cand = np.flatnonzero(first)
    if not cand.size:
        return out.reshape(shape)
    w = win.reshape(-1, n_w)[cand]
    k = best_k[cand]
    ok = ~np.isnan(w)
    m = ok.sum(axis=1)
    # A straight line's share of the squares, to beat.
    pos = np.where(ok, np.arange(n_w), 0.0)
    dx = np.where(ok, pos - (pos.sum(axis=1) / m)[:, None], 0.0)
    line_gain = (dx * np.nan_to_num(w)).sum(axis=1) ** 2 / np.fmax((dx * dx).sum(axis=1), 1e-300)
    after = np.arange(n_w) >= k[:, None]
    med_a = nanmedian(np.where(after, np.nan, w))
    med_b = nanmedian(np.where(after, w, np.nan))
    scatter = MAD_TO_SIGMA * nanmedian(np.abs(w - np.where(after, med_b[:, None], med_a[:, None])))
    nb = count(np.where(after, w, np.nan))
    na = m - nb
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.abs(med_b - med_a) / (np.fmax(scatter, sigma.ravel()[cand]) * np.sqrt(1 / na + 1 / nb))
    out[cand] = np.where((np.nan_to_num(z) >= SPLIT_Z) & (best_gain[cand] > line_gain), k, 0)
    return out.reshape(shape)


def _line(ctx: Context, n_w: int, trend_z_min: float) -> tuple[np.ndarray, ...]:
    """(level at t, slope, Sxx-weight or 0, n) of every series at every period, deseasonalised. After
    a change of level within the window (`_split`), the level of the values since, without a slope."""
    w = ctx.w
    win = ctx.x[..., w - n_w :]
    n = count(win)
    # Theil–Sen only where Mann–Kendall finds a trend (the slope is 0 elsewhere): far fewer sorts.
    trending = np.abs(trend_z(win, ctx.sigma)) >= trend_z_min
    # Until a year of history (and the tested periods) can tell a season from a change, a yearly wave
    # the profile cannot remove yet passes for a step (one of 2σ splits a third of 12-value windows):
    # those windows keep their median.
    k = np.where(ctx.unsure, 0, _split(win, ctx.sigma))
    stepped = k > 0
    trending &= ~stepped
    slope = np.zeros(n.shape)
    if trending.any():
        slope[trending] = np.nan_to_num(theil_sen(win[trending])[0])
    pos = np.arange(n_w) - (n_w - 1)
    finite = ~np.isnan(win)
    level = nanmedian(np.where(finite, win - slope[..., None] * pos, np.nan))  # NaN for an empty window
    if stepped.any():  # the level of the values since the step (few windows: a subset)
        since = np.where(np.arange(n_w) >= k[stepped][:, None], win[stepped], np.nan)
        level[stepped], n[stepped] = nanmedian(since), count(since)
    sxx = n_w * (n_w * n_w - 1) / 12.0
    return level, slope, np.where(slope != 0, 1 / sxx, 0.0), n


@dataclass(frozen=True)
class Forecast:
    """Forecasts at period t of future periods, (S, F) arrays, with what their variances need."""

    mean: np.ndarray  # actual units
    mult: np.ndarray  # seasonal factor of each future period
    k: np.ndarray  # (F,) horizon, damped (the slope's lever)
    center: np.ndarray  # (S,) (n - 1) / 2
    sigma2: np.ndarray  # (S,) noise variance, deseasonalised
    n: np.ndarray  # (S,) points in the line's window
    inv_sxx: np.ndarray  # (S,) 1 / Sxx, 0 without a slope

    def var_each(self) -> np.ndarray:
        """Prediction variance of each future period."""
        lever = (
            1 + 1 / self.n[:, None] + self.inv_sxx[:, None] * (self.k[None, :] + self.center[:, None]) ** 2
        )
        return self.sigma2[:, None] * self.mult**2 * lever

    def var_sum(self) -> np.ndarray:
        """Variance of the sum of the future periods: noise adds up by variance, the level's and the
        slope's errors are shared by every period and add up by standard deviation."""
        noise = (self.mult**2).sum(axis=1)
        level = self.mult.sum(axis=1) ** 2 / self.n
        slope = self.inv_sxx * (self.mult * (self.k[None, :] + self.center[:, None])).sum(axis=1) ** 2
        return self.sigma2 * (noise + level + slope)


def forecast(ctx: Context, t: int, future: np.ndarray, line: tuple) -> Forecast:
    """Forecast at period t of periods `future` (indices > t) for every series."""
    level, slope, inv_sxx, n = line
    k = (future - t).astype(float)
    reach = DAMPING * (1 - DAMPING**k) / (1 - DAMPING)  # Σ φ^i for i = 1..k
    mean_or = level[:, t, None] + slope[:, t, None] * reach[None, :]
    m = ctx.season.m
    s_n = ctx.panel.shape[0]
    if m:
        ph = future % m
        mult = ctx.season.mult[:, t, :][:, ph]
        add = ctx.season.add[:, t, :][:, ph]
    else:
        mult, add = np.ones((s_n, len(future))), np.zeros((s_n, len(future)))
    n_t = np.maximum(n[:, t], 1).astype(float)
    mean = (mean_or + add) * mult * ctx.panel.sign[:, None]
    return Forecast(mean, mult, reach, (n_t - 1) / 2, ctx.sigma[:, t] ** 2, n_t, inv_sxx[:, t])


def _targets(ctx: Context, t: int, future: np.ndarray) -> np.ndarray:
    """Targets of future periods: last year's, scaled by this year's known targets against last
    year's; else the latest target moved along its season."""
    panel = ctx.panel
    m = max(ctx.season.m, 1)
    tg = panel.target
    t_n = panel.shape[1]
    past = future - m
    known = np.clip(past, 0, t_n - 1)
    last_year = np.where((past >= 0) & (past <= t), tg[:, known], np.nan)
    recent = np.arange(max(0, t - m + 1), t + 1)
    before = recent - m
    ok = before >= 0
    if ok.any():
        num = np.nansum(np.where(~np.isnan(tg[:, before[ok]]), tg[:, recent[ok]], np.nan), axis=1)
        den = np.nansum(np.where(~np.isnan(tg[:, recent[ok]]), tg[:, before[ok]], np.nan), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(den != 0, num / den, np.nan)
    else:
        ratio = np.full(panel.shape[0], np.nan)
    scaled = last_year * ratio[:, None]
    last_known = _last_value(tg[:, : t + 1])
    mult_t = ctx.season.mult[:, t, t % ctx.season.m] if ctx.season.m else np.ones(panel.shape[0])
    mult_f = ctx.season.mult[:, t, :][:, future % ctx.season.m] if ctx.season.m else 1.0
    fallback = (last_known / mult_t)[:, None] * mult_f
    return np.where(np.isnan(scaled), fallback, scaled)


def _last_value(a: np.ndarray) -> np.ndarray:
    """Last non-NaN value of each row."""
    valid = ~np.isnan(a)
    idx = np.where(valid.any(axis=1), a.shape[1] - 1 - np.argmax(valid[:, ::-1], axis=1), 0)
    out = a[np.arange(a.shape[0]), idx]
    return np.where(valid.any(axis=1), out, np.nan)


@dataclass
class YearView:
    projected: np.ndarray
    sd: np.ndarray
    year_target: np.ndarray
    deadline: int


def year_view(ctx: Context, cal: Calendar, t: int, line: tuple, agg: np.ndarray) -> YearView:
    """The year's aggregate projected at period t, its standard deviation and the year's target."""
    panel = ctx.panel
    first, last = cal.year_span(t)
    known = np.arange(first, t + 1)
    future = np.arange(max(t + 1, first), last + 1)
    fc = forecast(ctx, t, future, line)
    tg_future = _targets(ctx, t, future)
    act_known = panel.actual[:, known] if known.size else np.zeros((panel.shape[0], 0))
    tg_known = panel.target[:, known] if known.size else np.zeros((panel.shape[0], 0))
    both = np.concatenate([act_known, fc.mean], axis=1)
    tg_all = np.concatenate([tg_known, tg_future], axis=1)
    n_all = (~np.isnan(both)).sum(axis=1)
    var_sum = fc.var_sum()
    var_each = fc.var_each()
    proj = np.full(panel.shape[0], np.nan)
    sd = np.full(panel.shape[0], np.nan)
    target = np.full(panel.shape[0], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows (no target) give NaN, as they should
        for rule in np.unique(agg):
            rows = agg == rule
            if rule == "sum":
                proj[rows] = np.nansum(both[rows], axis=1)
                sd[rows] = np.sqrt(var_sum[rows])
                target[rows] = np.where(
                    np.isnan(tg_all[rows]).all(axis=1), np.nan, np.nansum(tg_all[rows], axis=1)
                )
            elif rule in ("last", "first"):
                col = -1 if rule == "last" else 0
                proj[rows] = both[rows, col]
                sd[rows] = np.sqrt(var_each[rows, col]) if future.size and rule == "last" else 0.0
                target[rows] = tg_all[rows, col]
            elif rule in ("min", "max"):
                fn = np.nanmin if rule == "min" else np.nanmax
                proj[rows] = fn(both[rows], axis=1)
                sd[rows] = np.sqrt(var_each[rows].mean(axis=1)) if future.size else 0.0
                target[rows] = fn(tg_all[rows], axis=1)
            else:  # mean, wmean
                proj[rows] = np.nansum(both[rows], axis=1) / n_all[rows]
                sd[rows] = np.sqrt(var_sum[rows]) / n_all[rows]
                target[rows] = np.nanmean(tg_all[rows], axis=1)
    return YearView(proj, sd, target, last)


def projected_miss(ctx: Context, p: dict[str, float], cal: Calendar) -> Fired:
    """The year's aggregate projected at the deadline misses the year's target with probability at
    least `confidence`, by at least `min_gap` tolerance bands."""
    panel = ctx.panel
    s_n, t_n = panel.shape
    line = _line(ctx, int(p["window"]), p["trend_z"])
    names = ("projected", "projected_low", "projected_high", "year_target", "deadline", "p_miss")
    nums = {k: np.full((s_n, t_n), np.nan) for k in names}
    active = np.zeros((s_n, t_n), bool)
    sev = np.zeros((s_n, t_n))
    sign = panel.sign
    for t in range(t_n):
        ready = ctx.valid[:, t] & (ctx.seen[:, t] >= p["min_history"])
        if not ready.any():
            continue
        view = year_view(ctx, cal, t, line, panel.agg_time)
        short = (view.year_target - view.projected) * sign  # > 0: worse than target
        sd = np.fmax(view.sd, 1e-12)
        p_miss = normal_cdf(short / sd)
        band = panel.tolerance / 100 * np.abs(view.year_target)
        band = np.where(band > 0, band, np.nan)
        gap_ok = short >= p["min_gap"] * np.nan_to_num(band, nan=0.0)
        fire = ready & (p_miss >= p["confidence"]) & gap_ok & ~np.isnan(view.year_target) & ~ctx.unsure[:, t]
        active[:, t] = fire
        sev[:, t] = severity_of(short / np.where(np.isnan(band), 3 * ctx.sigma[:, t], band))
        nums["projected"][:, t] = view.projected
        nums["projected_low"][:, t] = view.projected - Z80 * view.sd
        nums["projected_high"][:, t] = view.projected + Z80 * view.sd
        nums["year_target"][:, t] = view.year_target
        nums["deadline"][:, t] = view.deadline
        nums["p_miss"][:, t] = p_miss
    return Fired(active, sev, nums)
