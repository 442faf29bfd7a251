"""The level-shift / trend-break detector: a lasting change of level for the worse, tested online (each
period with the data known then) for every series at once. Shares the context of lib.signals.detectors."""

from __future__ import annotations

import numpy as np

from lib.signals.detectors import (
    CLIP,
    REF_SHARE,
    SPREAD_SHARE,
    WANDER_SLACK,
    Context,
    Fired,
    clipped_mean,
    severity_of,
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
# A shift is over when the team has put it right: its last RECOVERY_RUN values all nearer the level
# before it than the level since the change (a median). For the smallest shift the test finds (2σ), a
# lasting shift passes for put right 0.4 % of periods by chance (three values each 1σ above their
# mean) and a real return is seen 59 % of the time at each period; larger shifts' returns at once.
# The shifted periods are then left out of later references (the level they are measured from is the
# one before the shift, as it is again).
RECOVERY_RUN = 3


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
    (HISTORY_SHARE), as binary segmentation standardises.

    A loop over periods, vectorised over series, because each series restarts after a change (as a
    CUSUM does): later tests only compare with values from the last change on. A fired shift stays
    active while the level since the change stays below the level before it by half the threshold,
    for at most `max_age` periods, and ends as soon as its last RECOVERY_RUN values are all nearer the
    level before it than the level since: put right, its periods then stay out of later references."""
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
    prior_change = np.full(s_n, -1.0e9)  # the change before the current shift: restored on recovery
    gap = np.full((s_n, 2), np.nan)  # [first, end) periods of a recovered shift, out of references
    cur = {k: np.full(s_n, np.nan) for k in ("since", "before", "sigma")}
    for t in range(t_n):
        period = (j + (t - w + 1))[None, :]  # each window column's period
        with np.errstate(invalid="ignore"):
            seen = (period >= last_change[:, None]) & ~((period >= gap[:, :1]) & (period < gap[:, 1:]))
        xt = np.where(seen, xs[:, t, :], np.nan)
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
        if rows.size:
            sigma_t = ctx.sigma[:, t].copy()
            hs = _history_sigma(ctx, rows, t)
            sigma_t[rows] = np.where(np.isnan(hs), sigma_t[rows], np.fmax(hs, ctx.floor[rows, t]))
            now = (xt, ref, n_ref, trending, sigma_t, xs[:, t, : w - h_max])
            bz, bl, sp, sg = _shift_scan(*(a[rows] for a in now), 0.0, p)
            # The whole history's spread (a sort of every past value) only raises σ: only the rows
            # that fire without it need it.
            need = np.flatnonzero(bz <= -thresholds[rows, t])
            if need.size and t >= h_max:
                sub = rows[need]
                spread = HISTORY_SHARE * _history_spread(ctx, sub, t, t - h_max)
                bz[need], bl[need], sp[need], sg[need] = _shift_scan(*(a[sub] for a in now), spread, p)
            with np.errstate(invalid="ignore"):  # inf × 0 where no test ran: NaN, then not big
                big = np.nan_to_num(-bz * sp) >= p["min_band"] * ctx.band[rows, t]
            bz = np.where(big, bz, np.inf)
            cand = bz <= -thresholds[rows, t]
            if cand.any():
                seg = _segment_z(xt[rows[cand]], ctx.floor[rows[cand], t], h_max)
                limit = p["segment_z"] * _segment_scale(count(xt[rows[cand]]))
                bz[cand] = np.where(seg <= -limit, bz[cand], np.inf)
            best_z[rows], best_level[rows], sigma[rows] = bz, bl, sg
        fire = best_z <= -thresholds[:, t]
        # The previous shift, if any, still holds?
        start_j = cur["since"] - (t - w + 1)
        keep = ~np.isnan(cur["since"]) & (t - cur["since"] < p["max_age"]) & (start_j >= 0) & ctx.valid[:, t]
        held = np.flatnonzero(keep)
        if held.size:
            post = _median_from(xs[held, t, :], start_j[held])
            keep[held] &= (post - cur["before"][held]) / cur["sigma"][held] <= -thresholds[held, t] / 2
            # Put right: the last RECOVERY_RUN values, all after the change, nearer the level before.
            halfway = (cur["before"][held] + post) / 2
            with np.errstate(invalid="ignore"):
                back = (xs[held, t, w - RECOVERY_RUN :] > halfway[:, None]).all(axis=1)
            back &= keep[held] & (start_j[held] < w - RECOVERY_RUN)
            if back.any():
                done = held[back]
                keep[done] = False
                # One gap is remembered: an earlier one's periods are left out by starting after it.
                last_change[done] = np.fmax(prior_change[done], np.nan_to_num(gap[done, 1], nan=-1.0e9))
                gap[done] = np.stack([cur["since"][done], np.full(done.size, t - RECOVERY_RUN + 1.0)], axis=1)
        new = fire & ~keep
        since = np.full(s_n, np.nan)
        fresh = np.flatnonzero(new)
        if fresh.size:
            since[fresh] = t - _change_point(xt[fresh, w - h_max - r :], 1, h_max + 1) + 1
        for k, v in (("since", since), ("before", best_level), ("sigma", sigma)):
            cur[k] = np.where(new, v, np.where(keep, cur[k], np.nan))
        prior_change = np.where(new, last_change, prior_change)
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


def _history_sigma(ctx: Context, rows: np.ndarray, t: int) -> np.ndarray:
    """Noise σ of the successive changes of some rows over the HISTORY_SIGMA periods before t,
    deseasonalised with the profile known at t (NaN with fewer than three values)."""
    lo = max(0, t - HISTORY_SIGMA)
    y = ctx.panel.y[rows, lo:t]
    if ctx.season.m:
        ph = np.arange(lo, t) % ctx.season.m
        y = y / ctx.season.mult[rows, t][:, ph] - ctx.season.add[rows, t][:, ph]
    return change_sigma(y) if y.shape[1] >= 3 else np.full(rows.size, np.nan)


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
