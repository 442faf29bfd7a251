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

import math
from dataclasses import dataclass, field

import numpy as np

from lib.signals.panel import Panel, Season, season
from lib.signals.robust import change_sigma, count, mann_kendall, nanmedian, theil_sen, trailing

SIGMA_WINDOW = 24  # periods the shared noise estimate looks back over
UNSURE_FACTOR = 1.4  # a season swings the level too: until a year of history can tell, ask for more
TOL_FLOOR = 0.25  # smallest noise believed, in tolerance bands: smaller moves do not matter to anyone
MEDIAN_VAR = math.pi / 2
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
    band = np.where(np.isnan(tol), 3 * sigma, tol)
    unsure = (seas.source == 0) & (seen < panel.season + lag) if panel.season else np.zeros((s_n, t_n), bool)
    return Context(panel, seas, x, seen, valid, floor, sigma, band, unsure)


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


def anomaly(ctx: Context, p: dict[str, float]) -> Fired:
    """The latest value outside its expected range: median of the previous `baseline` periods (after
    the seasonal adjustment) ± `threshold` robust σ, σ from successive differences with a floor.
    Only the bad side fires."""
    w, k, n_b = ctx.w, p["threshold"], int(p["baseline"])
    ref = ctx.x[..., w - 1 - n_b : w - 1]
    now = ctx.x[..., w - 1]
    expected = nanmedian(ref)
    n = count(ref)
    spread = ctx.sigma * np.sqrt(1 + MEDIAN_VAR / np.maximum(n, 1))
    z = (now - expected) / spread
    active = (z <= -ctx.strict(k)) & (n >= min(n_b, p["min_history"]) * 0.75) & (ctx.seen >= p["min_history"])
    active &= ctx.valid
    lo_or, hi_or = ctx.to_actual(expected - k * spread), ctx.to_actual(expected + k * spread)
    sign = ctx.panel.sign[:, None]
    low, high = np.where(sign > 0, lo_or, hi_or), np.where(sign > 0, hi_or, lo_or)
    x = (expected - now) / ctx.band
    return Fired(
        active,
        severity_of(x),
        {"expected": ctx.to_actual(expected), "low": low, "high": high, "z": z},
    )


def trend_z(a: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """z of the least-squares slope of each row against noise σ: a cheap test of a trend (O(n), where
    Mann–Kendall is O(n²)); Theil–Sen then measures the slope of the few rows that pass."""
    pos = np.arange(a.shape[-1], dtype=float)
    valid = ~np.isnan(a)
    n = valid.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        px = np.where(valid, pos, np.nan)
        dx = px - (np.nansum(px, axis=-1) / n)[..., None]
        dy = a - (np.nansum(a, axis=-1) / n)[..., None]
        sxx = np.nansum(dx * dx, axis=-1)
        slope = np.nansum(dx * dy, axis=-1) / sxx
        return np.where((n >= 4) & (sxx > 0), slope * np.sqrt(sxx) / sigma, 0.0)


def clipped_mean(a: np.ndarray, center: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Mean of the values of each row clipped to center ± limit (a Huber-like location)."""
    clipped = np.clip(a, (center - limit)[..., None], (center + limit)[..., None])
    return np.nansum(clipped, axis=-1) / np.maximum(count(a), 1)


def silent_drift(ctx: Context, p: dict[str, float]) -> Fired:
    """A deteriorating trend while still on target (status on or watch, or no target): over the last
    `window` periods the Theil–Sen slope goes the wrong way, Mann–Kendall finds the trend (z ≥ `mk_z`),
    and the line now stands below the `reference` periods before the window by `drop_z` standard
    errors (a trend that has not yet moved the level is not yet worth a signal)."""
    panel = ctx.panel
    w, n_w, r = ctx.w, int(p["window"]), int(p["reference"])
    win = ctx.x[..., w - n_w :]
    n = count(win)
    mk_z = mann_kendall(win)
    # Theil–Sen (a sort of every pairwise slope) only where Mann–Kendall already sees a decline.
    down = mk_z <= -p["mk_z"]
    slope, low, high = (np.full(n.shape, np.nan) for _ in range(3))
    if down.any():
        slope[down], low[down], high[down] = theil_sen(win[down], z_ci=1.645)[:3]
    pos = np.arange(n_w) - (n_w - 1)
    fitted = nanmedian(win - slope[..., None] * pos)
    ref = ctx.x[..., w - n_w - r : w - n_w]
    n_ref = count(ref)
    ref_level = clipped_mean(ref, nanmedian(ref), CLIP * ctx.sigma)
    # Ramp statistic: the last h values against the reference, weighted 1..h (the matched filter of a
    # trend starting h periods ago), best h; deviations clipped at CLIP σ.
    ramp = np.full(ctx.sigma.shape, -np.inf)
    for h in range(3, n_w + 1):
        k = np.arange(1, h + 1, dtype=float)
        dev = np.clip(
            ctx.x[..., w - h :] - ref_level[..., None],
            -CLIP * ctx.sigma[..., None],
            CLIP * ctx.sigma[..., None],
        )
        num = -(np.nan_to_num(dev) * k).sum(axis=-1)
        sd = ctx.sigma * np.sqrt((k * k).sum() + k.sum() ** 2 / np.maximum(n_ref, 1))
        z = np.where(count(dev) == h, num / sd, -np.inf)
        ramp = np.fmax(ramp, z)
    drop_z = ramp
    still_on = np.isin(panel.status, (0, 1, 3))
    active = (mk_z <= -p["mk_z"]) & (drop_z >= ctx.strict(p["drop_z"])) & (slope < 0) & still_on
    active &= ctx.valid & (ctx.seen >= p["min_history"]) & (n >= n_w - 1) & (n_ref >= r * 0.5)
    # When would the line cross the (deseasonalised) target?
    mult, add = ctx.now_factor()
    target = panel.target * panel.sign[:, None] / mult - add
    t_idx = np.arange(panel.shape[1])[None, :]

    def crossing(s: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            k = np.ceil((fitted - target) / -s)
        return np.where((s < 0) & (fitted >= target), t_idx + np.maximum(k, 1), np.nan)

    peak = np.nanargmax(np.where(np.isnan(win), -np.inf, win), axis=-1)
    x_sev = -slope * 6 / ctx.band
    return Fired(
        active,
        severity_of(x_sev),
        {
            "slope_per_period": slope * mult * panel.sign[:, None],
            "n_periods": (n_w - 1 - peak).astype(float),
            "since": t_idx - (n_w - 1 - peak).astype(float),
            "before": ctx.to_actual(ref_level),
            "miss_period": crossing(slope),
            "miss_low": crossing(low),
            "miss_high": crossing(high),
            "z": mk_z,
        },
    )


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
