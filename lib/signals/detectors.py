"""The statistical detectors: each a small rule evaluated for every series at every period at once,
reading only the data known at that period.

Each returns a `Fired`: `active` (S, T), `severity` (S, T) and the numbers its sentence needs, (S, T)
arrays in actual units (period-valued numbers are period indices, NaN when none). Values are oriented
(down is worse) and deseasonalised as known at each period (lib.signals.panel).

Severity is comparable across kinds: 1 − 2^(−x), where x is the deterioration at stake measured in
the KPI's tolerance bands (tolerance % × target; 3 noise σ when the KPI has no target or tolerance).
One band gives 0.5, two 0.75, three 0.875.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lib.signals import pool
from lib.signals.panel import Panel, Season, season
from lib.signals.robust import change_sigma, count, nanmedian, trailing

SIGMA_WINDOW = 24  # periods the shared noise estimate looks back over
UNSURE_FACTOR = 1.4  # a season swings the level too: until a year of history can tell, ask for more
TOL_FLOOR = 0.25  # smallest noise believed, in tolerance bands: smaller moves do not matter to anyone
SPREAD_SHARE = 0.7
WANDER_SLACK = 1.25  # the values' spread sets σ only when it exceeds the changes' σ by this much
REF_SHARE = 0.75  # share of 12 reference periods a shift test needs (after a change too)
CLIP = 3.0  # values further than this many σ from a level count as this far (spikes are not shifts)


@dataclass
class Fired:
    active: np.ndarray
    severity: np.ndarray
    numbers: dict[str, np.ndarray] = field(default_factory=dict)


def severity_of(x: np.ndarray) -> np.ndarray:
    return np.clip(1 - np.power(2.0, -np.nan_to_num(np.maximum(x, 0))), 0, 1)


@dataclass
class Context:
    """What every detector shares: the panel, deseasonalised windows and noise scales."""

    panel: Panel
    season: Season
    x: np.ndarray  # (S, T, W) oriented deseasonalised values, element W-1 is period t
    seen: np.ndarray  # (S, T) values observed up to t
    valid: np.ndarray  # (S, T) a value at t
    floor: np.ndarray  # (S, T) smallest noise σ believed
    sigma: np.ndarray  # (S, T) noise σ of the SIGMA_WINDOW periods before t (floored)
    band: np.ndarray  # (S, T) one tolerance band (or 3σ) in oriented deseasonalised units
    unsure: np.ndarray  # (S, T) too little history to know whether the series is seasonal
    group: np.ndarray  # (S,) each series' KPI as a code: the anomaly's σ is pooled within it

    def strict(self, threshold: float) -> np.ndarray:
        """A detector's threshold, raised by UNSURE_FACTOR while a season could pass for a change."""
        return np.where(self.unsure, threshold * UNSURE_FACTOR, threshold)

    @property
    def w(self) -> int:
        return self.x.shape[-1]

    def now_factor(self) -> tuple[np.ndarray, np.ndarray]:
        """(mult, add) of each period as seen at that period: to put values back in actual units."""
        s_n, t_n = self.panel.shape
        if self.season.m == 0:
            return np.ones((s_n, t_n)), np.zeros((s_n, t_n))
        ph = (np.arange(t_n) % self.season.m)[None, :, None]
        mult = np.take_along_axis(self.season.mult, np.broadcast_to(ph, (s_n, t_n, 1)), axis=-1)[..., 0]
        add = np.take_along_axis(self.season.add, np.broadcast_to(ph, (s_n, t_n, 1)), axis=-1)[..., 0]
        return mult, add

    def to_actual(self, oriented: np.ndarray) -> np.ndarray:
        """Deseasonalised oriented values at each period back to actual units."""
        mult, add = self.now_factor()
        return (oriented + add) * mult * self.panel.sign[:, None]


def context(panel: Panel, w: int, lag: int) -> Context:
    s_n, t_n = panel.shape
    seas = season(panel, lag)
    x = seas.adjust(trailing(panel.y, w))
    valid = ~np.isnan(panel.actual)
    seen = np.cumsum(valid, axis=1)
    finite = panel.actual[valid]
    integer = np.zeros(s_n, bool)
    if finite.size:
        whole = np.where(valid, np.abs(panel.actual - np.round(panel.actual)) < 1e-9, True).all(axis=1)
        integer = whole & valid.any(axis=1)
    level = np.abs(nanmedian(x[..., max(0, w - SIGMA_WINDOW - 1) : w - 1]))
    mult_now = np.ones((s_n, t_n))
    if seas.m:
        ph = (np.arange(t_n) % seas.m)[None, :, None]
        mult_now = np.take_along_axis(seas.mult, np.broadcast_to(ph, (s_n, t_n, 1)), axis=-1)[..., 0]
    tol = panel.tolerance[:, None] / 100 * np.abs(panel.target / mult_now)
    tol = np.where(np.isfinite(tol) & (tol > 0), tol, np.nan)
    floor = np.fmax(np.where(integer[:, None], 0.5, 0.0), np.nan_to_num(0.005 * level))
    floor = np.fmax(floor, np.nan_to_num(TOL_FLOOR * tol))
    floor = np.fmax(floor, 1e-9)
    sigma = np.fmax(change_sigma(x[..., max(0, w - SIGMA_WINDOW - 1) : w - 1]), floor)
    group = np.unique(np.asarray(panel.kpi, dtype=object), return_inverse=True)[1].ravel()
    band = np.where(np.isnan(tol), 3 * sigma, tol)
    unsure = (seas.source == 0) & (seen < panel.season + lag) if panel.season else np.zeros((s_n, t_n), bool)
    return Context(panel, seas, x, seen, valid, floor, sigma, band, unsure, group)


def _runs(flag: np.ndarray) -> np.ndarray:
    """Length of the run of True ending at each period (0 where False)."""
    out = np.zeros(flag.shape, dtype=np.int64)
    run = np.zeros(flag.shape[0], dtype=np.int64)
    for t in range(flag.shape[1]):
        run = np.where(flag[:, t], run + 1, 0)
        out[:, t] = run
    return out


def off_target_streak(ctx: Context, p: dict[str, float]) -> Fired:
    """Off target (status `off`, beyond the tolerance) N periods in a row."""
    panel = ctx.panel
    off = panel.status == 2
    run = _runs(off)
    active = run >= int(p["periods"])
    tol = np.where(panel.tolerance > 0, panel.tolerance, 5.0)[:, None]
    depth = -panel.gap_pct / tol
    # Typical depth over the run's last periods (up to six), so one bad month does not dominate.
    recent = trailing(depth, 6)
    keep = np.arange(6)[None, None, :] >= 6 - np.minimum(run, 6)[..., None]
    x = nanmedian(np.where(keep, recent, np.nan))
    return Fired(active, severity_of(x), {"n_periods": run.astype(float)})


# F statistic a yearly sine wave must reach in the baseline to be part of the expectation. 6.5 rather
# than 5: waves chosen by chance on a plain series fit its noise (its σ about 3 % low, its expectation
# noisier than its leverage says); behind a σ from its own few values the wide t threshold hid that,
# with the σ pooled in the KPI it showed as 1.6 times the nominal false alarms over the first periods.
ANOMALY_F_MIN = 6.5
# Residuals beyond this many σ weigh less in the baseline fit (a past spike neither bends it nor widens
# σ); 3 rather than 2: clipped residuals at 2σ gave a σ so noisy that it cost more recall at equal false
# alarms than the robustness was worth, and a spike worth flagging is beyond 3σ anyway.
HUBER = 3.0
WAVES = 2  # sine pairs a year the baseline may fit (real seasons have more than one harmonic)
HUBER_STEPS = 1  # refits after pulling outlying values back (more changed nothing on the grid)
KAPPA = 0.9950  # E[min(Z², HUBER²)] of a standard normal: clipped residuals' variance
OFF_RUN = 3  # off target this many periods in a row: the off-target streak's (default), no longer silent
WAVE_POINTS = 3  # values per fitted coefficient a baseline with waves needs (at least a year)
NU_SHARE = 0.5  # degrees of freedom of a noise σ from n successive changes (trimmed): about n / 2


def t_quantile(z: float, nu: np.ndarray) -> np.ndarray:
    """The Student t quantile matching the normal quantile `z` with `nu` degrees of freedom
    (Cornish–Fisher expansion): a threshold that accounts for a σ estimated from few values."""
    nu = np.maximum(nu, 1.0)
    return z + (z**3 + z) / (4 * nu) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * nu * nu)


CHUNK = 2048  # rows fitted together: arrays that stay in the processor's cache


def _design(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns of the baseline fit over n periods before the tested one (a level, then sine pairs of
    period m) and their values at the tested period."""
    ang = 2 * np.pi * (np.arange(n) - n) / max(m, 1)
    cols = [np.ones(n)]
    for i in range(1, (0 if m < 3 else min(WAVES, n // m)) + 1):
        cols += [np.cos(i * ang), np.sin(i * ang)]
    here = np.zeros(len(cols))
    here[0] = 1.0
    here[1::2] = 1.0  # the tested period is at angle 0: cosines 1, sines 0
    return np.stack(cols, axis=1), here


def _fit_models(y, valid, code, sigma, design, here, m, pinvs):
    """_baseline on rows sorted by their pattern of gaps `code` (each pattern shares a pseudo-inverse,
    cached in `pinvs`)."""
    n_rows = len(y)
    k = valid.sum(axis=1)
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1], True])
    groups = list(zip(starts[:-1], starts[1:], strict=True))
    limit = HUBER * sigma[:, None]
    gap = k < y.shape[1]
    best = None
    for p in range(1, design.shape[1] + 1, 2):
        d, h = design[:, :p], here[:p]
        ops = []
        for a, _ in groups:
            key = (int(code[a]), p)
            if key not in pinvs:
                pinvs[key] = np.linalg.pinv(d * valid[a, :, None])
            ops.append(pinvs[key])

        def fit(values, d=d, ops=ops):
            out = np.empty((n_rows, d.shape[1]))
            for (a, b), op in zip(groups, ops, strict=True):
                out[a:b] = values[a:b] @ op.T
            return out

        yc = y
        for _ in range(HUBER_STEPS):
            fitted = fit(yc) @ d.T
            r = np.subtract(y, fitted)
            np.clip(r, -limit, limit, out=r)
            yc = np.add(fitted, r, out=r)
            yc[gap] *= valid[gap]
        beta = fit(yc)
        r = np.subtract(y, beta @ d.T)
        np.clip(r, -limit, limit, out=r)
        r[gap] *= valid[gap]
        lever = np.empty(n_rows)
        for (a, b), op in zip(groups, ops, strict=True):
            v = h @ op  # the prediction's weights on the values
            lever[a:b] = v @ v
        fit_p = (beta @ h, lever, np.einsum("ij,ij->i", r, r) / KAPPA, k - p)
        if best is None:
            best = fit_p
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            f_stat = ((best[2] - fit_p[2]) / 2) / (fit_p[2] / np.maximum(fit_p[3], 1))
        use = (k >= max(m, WAVE_POINTS * p)) & (f_stat >= ANOMALY_F_MIN)
        best = tuple(np.where(use, new, old) for new, old in zip(fit_p, best, strict=True))
    return best


def _baseline(ref: np.ndarray, sigma: np.ndarray, m: int) -> tuple[np.ndarray, ...]:
    """Expected next value of each row of `ref` (N, n), the variance factor of that expectation (in
    σ²), and the clipped residuals' sum of squares (÷ its normal expectation) with its degrees of
    freedom: a level, plus sine waves of period m (one pair from a year of baseline, two from two
    years) when F tests find them. Robust: values further than HUBER σ from a first fit are pulled
    back to that distance before the fit is redone (a past spike does not bend it)."""
    n_rows, n = ref.shape
    missing = np.isnan(ref)
    # Rows sorted by their pattern of gaps (few patterns: mostly periods before a series starts).
    if n <= 62:
        code = (missing * (1 << np.arange(n, dtype=np.int64))).sum(axis=1)
    else:
        code = np.unique(missing, axis=0, return_inverse=True)[1].ravel()
    order = np.argsort(code, kind="stable")
    design, here = _design(n, m)
    out = [np.empty(n_rows) for _ in range(4)]
    pinvs: dict = {}
    for a in range(0, n_rows, CHUNK):
        rows = order[a : a + CHUNK]
        valid = ~missing[rows]
        y = np.where(valid, ref[rows], 0.0)
        parts = _fit_models(y, valid, code[rows], sigma[rows], design, here, m, pinvs)
        for o, part in zip(out, parts, strict=True):
            o[rows] = part
    return tuple(out)


def anomaly(ctx: Context, p: dict[str, float]) -> Fired:
    """The latest value outside its expected range: the expectation fitted to the previous `baseline`
    periods (a level, with yearly waves when the baseline itself shows them; robust), ± `threshold`
    σ widened by the expectation's own uncertainty and, with few periods behind σ, like a Student t
    quantile. σ is the baseline's residuals' (clipped at HUBER σ), moderated by the KPI's other
    services (lib.signals.pool), with a floor. Only the bad side fires. A season from a phased target
    is divided out first; one from the data is fitted here, on the raw values, from a year of baseline
    (the shared profile waits for the tested periods of level shifts to pass)."""
    w, k, n_b = ctx.w, p["threshold"], int(p["baseline"])
    s_n, t_n = ctx.panel.shape
    # The data's own season is fitted here, on the raw values (a phased target's stays removed).
    raw = ctx.season.source != 1
    yw = trailing(ctx.panel.y, n_b + 1)
    xw = ctx.x[..., w - 1 - n_b :]
    n = count(yw[..., :n_b])
    alive = ctx.valid & (ctx.seen >= p["min_history"]) & (n >= min(n_b, p["min_history"]) * 0.75)
    expected, lever, rss, now = (np.full((s_n, t_n), np.nan) for _ in range(4))
    dof = np.zeros((s_n, t_n))
    s_idx, t_idx = np.nonzero(alive)
    if s_idx.size:
        win = np.where(raw[s_idx, t_idx, None], yw[s_idx, t_idx], xw[s_idx, t_idx])
        e, lv, rs, df = _baseline(win[:, :n_b], ctx.sigma[s_idx, t_idx], ctx.season.m)
        expected[s_idx, t_idx], lever[s_idx, t_idx] = e, lv
        rss[s_idx, t_idx], dof[s_idx, t_idx], now[s_idx, t_idx] = rs, df, win[:, n_b]
    # σ from the baseline's residuals alone: the prediction error of the model that gives the
    # expectation, with exactly its degrees of freedom, so the Student t threshold holds whatever the
    # history. (Pooling in the successive changes of the same periods counted their information twice:
    # a threshold too low on long histories, and a σ that kept a season the waves had removed.)
    nu = dof
    with np.errstate(invalid="ignore", divide="ignore"):
        s2 = np.where(nu > 0, rss / nu, np.nan)
    # Moderated with the KPI's other services at that period (lib.signals.pool): a short history borrows
    # what their noise says, as much as their noises agree (relative to their expected level when
    # services of different sizes agree better so); the t threshold counts the degrees of freedom that
    # adds. On the grid (KPIs of 10 services), 5σ spikes 0.885 → 0.93, false alarms alike.
    s2, nu = pool.moderate(s2, nu, ctx.group, expected)
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.fmax(np.sqrt(s2), ctx.floor)
    spread = sigma * np.sqrt(1 + lever)
    thr = t_quantile(k, nu)
    z = (now - expected) / spread
    active = alive & (z <= -thr)
    sign = ctx.panel.sign[:, None]

    def actual(oriented: np.ndarray) -> np.ndarray:
        return np.where(raw, oriented * sign, ctx.to_actual(oriented))

    lo_or, hi_or = actual(expected - thr * spread), actual(expected + thr * spread)
    low, high = np.where(sign > 0, lo_or, hi_or), np.where(sign > 0, hi_or, lo_or)
    x = (expected - now) / ctx.band
    return Fired(active, severity_of(x), {"expected": actual(expected), "low": low, "high": high, "z": z})


def trend_z(a: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """z of the least-squares slope of each row against noise σ: a cheap test of a trend (O(n), where
    Mann–Kendall is O(n²)); Theil–Sen then measures the slope of the few rows that pass. Sums as
    matrix products over the valid values (several times faster than nan-aware reductions)."""
    pos = np.arange(a.shape[-1], dtype=float)
    valid = ~np.isnan(a)
    v = valid.astype(float)
    y = np.where(valid, a, 0.0)
    n = v.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = (v @ pos) / n
        sxx = v @ (pos * pos) - n * mx * mx
        sxy = y @ pos - mx * y.sum(axis=-1)
        slope = sxy / sxx
        return np.where((n >= 4) & (sxx > 1e-9), slope * np.sqrt(np.maximum(sxx, 0)) / sigma, 0.0)


def clipped_mean(a: np.ndarray, center: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Mean of the values of each row clipped to center ± limit (a Huber-like location)."""
    clipped = np.clip(a, (center - limit)[..., None], (center + limit)[..., None])
    return np.nansum(clipped, axis=-1) / np.maximum(count(a), 1)


def volatility_jump(ctx: Context, p: dict[str, float]) -> Fired:
    """Noise that grows: the spread of the last `window` period-to-period changes (the two largest
    left out, so a single spike or step is not volatility) against the robust spread of the
    `reference` periods before, at least `ratio` times larger."""
    w, n_v, r = ctx.w, int(p["window"]), int(p["reference"])
    recent = ctx.x[..., w - n_v :]
    n = count(recent)
    sigma_recent = change_sigma(recent, trim=0.3)
    ref = ctx.x[..., w - n_v - r : w - n_v]
    sigma_ref = np.fmax(change_sigma(ref), ctx.floor)
    ratio = sigma_recent / sigma_ref
    active = (ratio >= p["ratio"]) & (n >= n_v - 2) & (count(ref) >= r * 0.75)
    active &= ctx.valid & (ctx.seen >= p["min_history"])
    mult, _ = ctx.now_factor()
    x_sev = 2 * (sigma_recent - sigma_ref) / ctx.band
    return Fired(
        active,
        severity_of(x_sev),
        {"before": sigma_ref * mult, "after": sigma_recent * mult, "z": ratio},
    )
