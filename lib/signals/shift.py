"""The level-shift / trend-break detector: a lasting change of level for the worse, tested online (each
period with the data known then) for every series at once. Shares the context of lib.signals.detectors."""

from __future__ import annotations

import numpy as np

from lib.signals import pool
from lib.signals.detectors import (
    CLIP,
    REF_SHARE,
    SIGMA_WINDOW,
    SPREAD_SHARE,
    WANDER_SLACK,
    Context,
    Fired,
    clipped_mean,
    severity_of,
    t_quantile,
    trend_z,
)
from lib.signals.robust import MAD_TO_SIGMA, change_sigma, count, nanmedian, theil_sen

# The detector's parameters (name, default, minimum, maximum, step), listed in lib.signals.registry;
# defaults tuned on benchmarks/signals_eval.py.
PARAMS: tuple[tuple[str, float, float, float, float], ...] = (
    ("threshold", 3.6, 2.0, 8.0, 0.1),
    ("window", 6, 2, 12, 1),
    ("reference", 24, 6, 36, 1),
    ("trend_z", 3.5, 1.0, 9.0, 0.1),
    ("segment_z", 3.0, 0.0, 8.0, 0.1),
    ("min_band", 0.5, 0.0, 3.0, 0.05),
    ("max_age", 12, 2, 36, 1),
)
# σ is at least HISTORY_SHARE × the robust spread of the whole history before the test window, as
# binary segmentation standardises by the whole series: in a series that wanders (a random walk, a
# smooth trend, a sawtooth of deposits) a move as large as its usual range is not a change. The
# spread of n values is uncertain (it exceeds the noise by chance on short series, where the noise of
# successive changes rules): it counts × (1 − HISTORY_SE / √n), in full only over a long history.
HISTORY_SHARE = 1.15
HISTORY_SE = 1.5
TREND_T = 8.0  # a reference's trend is extrapolated when its slope is this many standard errors
# The noise σ of the successive changes is taken over this many periods before the tested one, where
# the σ every detector shares looks back 24: on a long history about twice the degrees of freedom, so
# a σ that is low by chance passes noise for a shift less often (fewer false alarms on 60-period
# series, more recall at the same threshold).
HISTORY_SIGMA = 60
# Binary segmentation accepts a split when it explains 3·log(n) of the n standardised values' squares,
# i.e. |z| ≥ √(3 log n): a segment of few values needs less. `segment_z` holds for SEGMENT_N values
# in view, and scales as √(log n) (n ≥ 8): at a fixed 3.0 the segment test of a short history (24
# periods: about 18 values before the change) vetoed most 2σ shifts the main test found.
SEGMENT_N = 30
# Pooling within a KPI (lib.signals.pool): the σ of the successive changes counts POOL_DOF degrees of
# freedom per change (successive changes share their values), and the threshold narrows by as much
# as the Student t quantile of POOL_Z does from the series' own degrees of freedom to the pooled ones
# (a series alone keeps `threshold`). On the grid (KPIs of 10), 2σ shifts 0.76 → 0.79, false alarms
# 4.0 → 3.5 %; a flat t threshold instead cost series alone recall and TCPD its F1.
POOL_DOF = 0.5
POOL_Z = 3.0


def _change_point(x: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Index in [lo, hi) of the most likely single change of mean in each window x[..., :] (the split
    maximising the two-sample statistic, i.e. least squares), as an offset from the window end."""
    w = x.shape[-1]
    best = np.full(x.shape[:-1], np.nan)
    best_stat = np.full(x.shape[:-1], -np.inf)
    for h in range(lo, hi):
        a, b = x[..., : w - h], x[..., w - h :]
        na, nb = count(a), count(b)
        with np.errstate(invalid="ignore", divide="ignore"):
            ma = np.nansum(a, axis=-1) / na
            mb = np.nansum(b, axis=-1) / nb
            stat = (ma - mb) ** 2 * na * nb / (na + nb)
        better = np.nan_to_num(stat, nan=-np.inf) > best_stat
        best = np.where(better, h, best)
        best_stat = np.where(better, stat, best_stat)
    return best


def level_shift(ctx: Context, p: dict[str, float]) -> Fired:
    """A lasting change of level for the worse: the last h periods (2 ≤ h ≤ `window`) against the
    `reference` periods before them, clipped means (a spike is not a shift), the reference's trend
    extrapolated when Mann–Kendall finds one (|z| ≥ `trend_z`), beyond `threshold` σ. σ is the noise
    of successive changes (over the last HISTORY_SIGMA periods), or the spread of the reference's
    values when the series wanders more, and at least the robust spread of the whole history
    (HISTORY_SHARE), as binary segmentation standardises. The changes' σ is moderated by the KPI's
    other services (lib.signals.pool) and, where it sets σ, the threshold narrows as much as the surer
    σ allows (a Student t quantile's ratio): a series alone in its KPI keeps the flat threshold.

    A loop over periods, vectorised over series, because each series restarts after a change (as a
    CUSUM does): later tests only compare with values from the last change on. A fired shift stays
    active while the level since the change stays below the level before it by half the threshold,
    for at most `max_age` periods."""
    panel = ctx.panel
    s_n, t_n = panel.shape
    h_max, r = int(p["window"]), int(p["reference"])
    # Its own window (the reference and the tested periods), not the widest any detector reads: the
    # segment in view and the spread before the test must not change when another detector looks back
    # further.
    w = h_max + r
    xs = ctx.x[..., ctx.w - w :]
    thresholds = ctx.strict(p["threshold"])
    j = np.arange(w)
    names = ("since", "before", "after", "z")
    out = {k: np.full((s_n, t_n), np.nan) for k in names}
    active = np.zeros((s_n, t_n), bool)
    last_change = np.full(s_n, -1.0e9)
    prior_s2, prior_d0 = _kpi_prior(ctx)
    cur = {k: np.full(s_n, np.nan) for k in ("since", "before", "sigma")}
    for t in range(t_n):
        first_j = last_change - (t - w + 1)
        xt = np.where(j[None, :] >= first_j[:, None], xs[:, t, :], np.nan)
        ref = xt[:, w - h_max - r : w - h_max]
        n_ref = count(ref)
        alive = ctx.valid[:, t] & (ctx.seen[:, t] >= p["min_history"]) & (n_ref >= min(r, 12) * REF_SHARE)
        # A cheap first pass (plain means, the changes' σ, no trend) keeps the rows worth the full
        # test: those at half the threshold, and those whose reference trends.
        with np.errstate(invalid="ignore", divide="ignore"):
            tail = np.nancumsum(xt[:, ::-1], axis=1)
            ref_mean = np.nansum(ref, axis=1) / n_ref
            z1 = np.full(s_n, np.inf)
            for h in range(2, h_max + 1):
                z = (tail[:, h - 1] / h - ref_mean) / (ctx.sigma[:, t] * np.sqrt(1 / h + 1 / n_ref))
                z1 = np.fmin(z1, z)
            tz = trend_z(ref, ctx.sigma[:, t])
        trending = np.abs(tz) >= p["trend_z"]
        # Where σ is a floor above the reference's own scatter (a smooth climb), its line is sure.
        floored = np.flatnonzero(alive & ~trending & (ctx.sigma[:, t] <= ctx.floor[:, t] * (1 + 1e-9)))
        if floored.size:
            trending[floored] = np.abs(_slope_t(ref[floored])) >= TREND_T
        rows = np.flatnonzero(alive & ((z1 <= -0.5 * thresholds[:, t]) | trending))
        best_z = np.full(s_n, np.inf)
        best_level = np.full(s_n, np.nan)
        sigma = ctx.sigma[:, t].copy()
        thr_t = thresholds[:, t].copy()
        if rows.size:
            sigma_t = ctx.sigma[:, t].copy()
            hs, n_hs = _history_sigma(ctx, rows, t)
            # While a season could pass for a change (ctx.unsure) the risk is the season, not σ: nothing
            # is borrowed.
            d0 = np.where(ctx.unsure[rows, t], 0.0, prior_d0[rows, t])
            hs, narrow = _pooled(hs, POOL_DOF * np.maximum(n_hs - 1, 0), prior_s2[rows, t], d0)
            # Values deseasonalised with the data's own profile carry that profile's error, which a surer
            # σ does not shrink: their threshold stays (narrowed, their false alarms doubled on the grid).
            narrow = np.where(ctx.season.source[rows, t] == 2, 1.0, narrow)
            sigma_t[rows] = np.where(np.isnan(hs), sigma_t[rows], np.fmax(hs, ctx.floor[rows, t]))
            now = (xt, ref, n_ref, trending, sigma_t, xs[:, t, : w - h_max])
            bz, bl, sp, sg = _shift_scan(*(a[rows] for a in now), 0.0, p)
            # Only the changes' σ is made surer by the KPI: where the series' own spread sets σ (it
            # wanders), the threshold stays.
            thr_t[rows] = thresholds[rows, t] * np.where(sg <= sigma_t[rows] * (1 + 1e-9), narrow, 1.0)
            # The whole history's spread (a sort of every past value) only raises σ: only the rows
            # that fire without it need it.
            need = np.flatnonzero(bz <= -thr_t[rows])
            if need.size and t >= h_max:
                sub = rows[need]
                spread = HISTORY_SHARE * _history_spread(ctx, sub, t, t - h_max)
                bz[need], bl[need], sp[need], sg[need] = _shift_scan(*(a[sub] for a in now), spread, p)
                thr_t[sub] = np.where(sg[need] <= sigma_t[sub] * (1 + 1e-9), thr_t[sub], thresholds[sub, t])
            with np.errstate(invalid="ignore"):  # inf × 0 where no test ran: NaN, then not big
                big = np.nan_to_num(-bz * sp) >= p["min_band"] * ctx.band[rows, t]
            bz = np.where(big, bz, np.inf)
            cand = bz <= -thr_t[rows]
            if cand.any():
                seg = _segment_z(xt[rows[cand]], ctx.floor[rows[cand], t], h_max)
                limit = p["segment_z"] * _segment_scale(count(xt[rows[cand]]))
                bz[cand] = np.where(seg <= -limit, bz[cand], np.inf)
            best_z[rows], best_level[rows], sigma[rows] = bz, bl, sg
        fire = best_z <= -thr_t
        # The previous shift, if any, still holds?
        start_j = cur["since"] - (t - w + 1)
        keep = ~np.isnan(cur["since"]) & (t - cur["since"] < p["max_age"]) & (start_j >= 0) & ctx.valid[:, t]
        held = np.flatnonzero(keep)
        if held.size:
            post = _median_from(xs[held, t, :], start_j[held])
            keep[held] &= (post - cur["before"][held]) / cur["sigma"][held] <= -thresholds[held, t] / 2
        new = fire & ~keep
        since = np.full(s_n, np.nan)
        fresh = np.flatnonzero(new)
        if fresh.size:
            since[fresh] = t - _change_point(xt[fresh, w - h_max - r :], 1, h_max + 1) + 1
        for k, v in (("since", since), ("before", best_level), ("sigma", sigma)):
            cur[k] = np.where(new, v, np.where(keep, cur[k], np.nan))
        last_change = np.where(new, since, last_change)
        now = new | keep
        active[:, t] = now
        on = np.flatnonzero(now)
        if on.size:
            post = _median_from(xs[on, t, :], cur["since"][on] - (t - w + 1))
            out["since"][on, t] = cur["since"][on]
            out["before"][on, t] = cur["before"][on]
            out["after"][on, t] = post
            out["z"][on, t] = (post - cur["before"][on]) / cur["sigma"][on]
    x_sev = (out["before"] - out["after"]) / ctx.band
    return Fired(
        active,
        severity_of(x_sev),
        {
            "since": out["since"],
            "before": ctx.to_actual(out["before"]),
            "after": ctx.to_actual(out["after"]),
            "z": out["z"],
        },
    )


def _shift_scan(
    xt: np.ndarray,
    ref: np.ndarray,
    n_ref: np.ndarray,
    trending: np.ndarray,
    sigma0: np.ndarray,
    before: np.ndarray,
    history_spread: np.ndarray | float,
    p,
) -> tuple[np.ndarray, ...]:
    """The full shift test of some rows: (best z, level it is measured from, its standard error, σ)."""
    s_n, w = xt.shape
    h_max, r = int(p["window"]), int(p["reference"])
    trend = np.zeros(s_n)
    if trending.any():
        trend[trending] = np.nan_to_num(theil_sen(ref[trending])[0])
    # A short reference (early history, after a change) holds its values at its end: its middle is
    # nearer the test, and its slope less sure.
    valid_ref = ~np.isnan(ref)
    mid = np.where(n_ref > 0, (valid_ref * np.arange(r)).sum(axis=1) / np.maximum(n_ref, 1), (r - 1) / 2)
    nr = np.maximum(n_ref, 3).astype(float)
    slope_var = np.where(trending, 12.0 / (nr * (nr * nr - 1)) / 0.91, 0.0)
    # Wandering series (random walks, autocorrelated noise) move their mean more than successive
    # changes suggest: the spread of the reference's values around its level and trend sets σ.
    pos_ref = np.arange(r) - mid[:, None]
    resid = ref - nanmedian(ref)[:, None] - trend[:, None] * pos_ref
    wander = MAD_TO_SIGMA * nanmedian(np.abs(resid - nanmedian(resid)[:, None])) / WANDER_SLACK
    # And a shift must stand out of the series' own range, as binary segmentation asks of a
    # standardised series: σ is at least SPREAD_SHARE × the values' spread before the test window.
    spread_all = MAD_TO_SIGMA * nanmedian(np.abs(before - nanmedian(before)[:, None]))
    sigma = np.fmax(np.fmax(sigma0, np.nan_to_num(wander)), np.nan_to_num(SPREAD_SHARE * spread_all))
    sigma = np.fmax(sigma, np.nan_to_num(history_spread))
    ref_level = clipped_mean(ref, nanmedian(ref), CLIP * sigma)
    best_z = np.full(s_n, np.inf)
    best_level = np.full(s_n, np.nan)
    best_spread = np.zeros(s_n)
    for h in range(2, h_max + 1):
        test = xt[:, w - h :]
        dist = r - mid + h_max - (h + 1) / 2  # from the reference's middle to the test's
        level = ref_level + trend * dist
        shift = clipped_mean(test, level, CLIP * sigma) - level
        spread = sigma * np.sqrt(1 / h + 1 / np.maximum(n_ref, 1) + slope_var * dist**2)
        z = np.where(count(test) == h, shift / spread, np.inf)
        better = z < best_z
        best_z = np.where(better, z, best_z)
        best_level = np.where(better, level, best_level)
        best_spread = np.where(better, spread, best_spread)
    return best_z, best_level, best_spread, sigma


def _segment_scale(n: np.ndarray) -> np.ndarray:
    """Factor on `segment_z` for a segment of n values in view: √(log n / log SEGMENT_N), n ≥ 8."""
    return np.sqrt(np.log(np.maximum(n, 8)) / np.log(SEGMENT_N))


def _segment_z(xt: np.ndarray, floor: np.ndarray, h_max: int) -> np.ndarray:
    """The whole segment in view since the last change must agree: the last h values against the
    rest of it, its spread taken from all its values (change included), as binary segmentation does
    on a standardised series. Most negative z over h."""
    n_seg = count(xt)
    total = np.nansum(xt, axis=1)
    seg_z = np.full(xt.shape[0], np.inf)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev2 = np.nansum((xt - (total / n_seg)[:, None]) ** 2, axis=1)
        sd_seg = np.fmax(np.sqrt(dev2 / np.maximum(n_seg - 1, 1)), floor)
        for h in range(2, h_max + 1):
            part = xt[:, -h:]
            nb = count(part)
            na = n_seg - nb
            mb = np.nansum(part, axis=1) / nb
            ma = (total - np.nansum(part, axis=1)) / na
            z = (mb - ma) / (sd_seg * np.sqrt(1 / nb + 1 / na))
            seg_z = np.fmin(seg_z, np.where((na >= 6) & (nb == h), z, np.inf))
    return seg_z


def _history_spread(ctx: Context, rows: np.ndarray, t: int, end: int) -> np.ndarray:
    """Robust σ (MAD) of the values of some rows from the start to period `end`, deseasonalised with
    the profile known at t, discounted while few (HISTORY_SE). Only for the rows a test may fire on."""
    y = ctx.panel.y[rows, : end + 1]
    if ctx.season.m:
        ph = np.arange(end + 1) % ctx.season.m
        y = y / ctx.season.mult[rows, t][:, ph] - ctx.season.add[rows, t][:, ph]
    trust = np.clip(1 - HISTORY_SE / np.sqrt(np.maximum(count(y), 1)), 0, 1)
    return MAD_TO_SIGMA * nanmedian(np.abs(y - nanmedian(y)[:, None])) * trust


def _history_sigma(ctx: Context, rows: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
    """Noise σ of the successive changes of some rows over the HISTORY_SIGMA periods before t,
    deseasonalised with the profile known at t (NaN with fewer than three values), and the number of
    values it is from."""
    lo = max(0, t - HISTORY_SIGMA)
    y = ctx.panel.y[rows, lo:t]
    if ctx.season.m:
        ph = np.arange(lo, t) % ctx.season.m
        y = y / ctx.season.mult[rows, t][:, ph] - ctx.season.add[rows, t][:, ph]
    if y.shape[1] < 3:
        return np.full(rows.size, np.nan), np.zeros(rows.size)
    return change_sigma(y), count(y)


def _kpi_prior(ctx: Context) -> tuple[np.ndarray, np.ndarray]:
    """The KPI's prior of each series' noise variance at each period, (σ0², d0) (S, T), from the
    shared σ of every series of the KPI (the changes of the SIGMA_WINDOW periods before t)."""
    n = count(ctx.x[..., max(0, ctx.w - SIGMA_WINDOW - 1) : ctx.w - 1])
    dof = POOL_DOF * np.maximum(n - 1, 0)
    s2 = np.where(dof > 0, ctx.sigma**2, np.nan)
    # Deseasonalised values carry the error of their profile too: they are pooled among themselves
    # (one call: the adjusted values of a KPI as a group of their own).
    adjusted = ctx.season.source > 0
    s_n = s2.shape[0]
    both = np.concatenate([np.where(adjusted, np.nan, s2), np.where(adjusted, s2, np.nan)])
    g = np.concatenate([ctx.group, ctx.group + int(ctx.group.max(initial=0)) + 1])
    s0, d0 = pool.group_prior(both, np.concatenate([dof, dof]), g)
    s0, d0 = np.where(adjusted, s0[s_n:], s0[:s_n]), np.where(adjusted, d0[s_n:], d0[:s_n])
    return s0, d0


def _pooled(sigma: np.ndarray, dof: np.ndarray, s0: np.ndarray, d0: np.ndarray) -> tuple[np.ndarray, ...]:
    """σ moderated by the KPI's prior (σ0², d0), and the factor on the threshold: the Student t
    quantile of POOL_Z at the pooled degrees of freedom over the one at the series' own (1 unpooled)."""
    use = (d0 > 0) & np.isfinite(sigma) & (dof > 0)
    if not use.any():
        return sigma, np.ones(sigma.shape)
    with np.errstate(invalid="ignore"):
        post = np.sqrt((d0 * np.nan_to_num(s0) + dof * sigma**2) / (d0 + dof))
    narrow = np.where(use, t_quantile(POOL_Z, dof + d0) / t_quantile(POOL_Z, dof), 1.0)
    return np.where(use, post, sigma), narrow


def _slope_t(a: np.ndarray) -> np.ndarray:
    """t statistic of the least-squares slope of each row, against its own residual scatter."""
    pos = np.arange(a.shape[-1], dtype=float)
    valid = ~np.isnan(a)
    n = valid.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        px = np.where(valid, pos, np.nan)
        dx = px - (np.nansum(px, axis=-1) / n)[..., None]
        dy = a - (np.nansum(a, axis=-1) / n)[..., None]
        sxx = np.nansum(dx * dx, axis=-1)
        slope = np.nansum(dx * dy, axis=-1) / sxx
        rss = np.nansum((dy - slope[..., None] * dx) ** 2, axis=-1)
        se = np.sqrt(rss / np.maximum(n - 2, 1) / sxx)
        return np.where((n >= 6) & (sxx > 0), np.nan_to_num(slope / se), 0.0)


def _median_from(x: np.ndarray, start_j: np.ndarray) -> np.ndarray:
    """Median of each row of x (S, W) from column start_j on (NaN start: NaN)."""
    j = np.arange(x.shape[-1])
    return nanmedian(np.where(j[None, :] >= np.nan_to_num(start_j, nan=x.shape[-1])[:, None], x, np.nan))
