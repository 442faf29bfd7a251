"""The silent-drift detector: a deteriorating trend while the KPI is still on target."""

from __future__ import annotations

import numpy as np

from lib.signals.detectors import (
    CLIP,
    NU_SHARE,
    OFF_RUN,
    SIGMA_WINDOW,
    Context,
    Fired,
    _runs,
    clipped_mean,
    severity_of,
)
from lib.signals.robust import count, mann_kendall, nanmedian, theil_sen

# The detector's parameters (name, default, minimum, maximum, step), listed in lib.signals.registry;
# defaults tuned on benchmarks/signals_eval.py.
PARAMS: tuple[tuple[str, float, float, float, float], ...] = (
    ("window", 8, 5, 24, 1),
    ("mk_z", 1.0, 0.0, 4.0, 0.05),
    ("drop_z", 3.5, 1.0, 8.0, 0.1),
    ("reference", 22, 6, 36, 1),
)


def silent_drift(ctx: Context, p: dict[str, float]) -> Fired:
    """A deteriorating trend while still on target (not yet off target OFF_RUN periods in a row): over
    the last `window` periods the Theil–Sen slope goes the wrong way, Mann–Kendall finds the trend
    (z ≥ `mk_z`), and a matched ramp (the last h values against the `reference` periods before the
    window, weighted 1..h, best h) stands `drop_z` standard errors below (a trend that has not yet
    moved the level is not yet worth a signal)."""
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
    # σ pooled from the successive changes (about n / 2 degrees of freedom) and the reference's
    # spread around its level (clipped): a reference that does not sit still widens it.
    sigma = ctx.sigma
    nu_d = NU_SHARE * np.minimum(np.maximum(ctx.seen - 2, 1), SIGMA_WINDOW)
    rr = np.clip(ref - ref_level[..., None], -CLIP * sigma[..., None], CLIP * sigma[..., None])
    rss = np.where(np.isnan(rr), 0.0, rr * rr).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.fmax(np.sqrt((nu_d * sigma**2 + rss) / (nu_d + np.maximum(n_ref - 1, 0))), ctx.floor)
    lim = CLIP * sigma[..., None]
    dev = ctx.x[..., w - n_w :] - ref_level[..., None]
    dev = np.minimum(np.maximum(dev, -lim), lim)
    valid = ~np.isnan(dev)
    dev = np.where(valid, dev, 0.0)
    tail_valid = np.cumsum(valid[..., ::-1], axis=-1)  # [..., h - 1]: valid values among the last h
    ramp = np.full(ctx.sigma.shape, -np.inf)
    for h in range(3, n_w + 1):
        k = np.zeros(n_w)
        k[n_w - h :] = np.arange(1, h + 1)
        num = -(dev @ k)
        sd = sigma * np.sqrt((k * k).sum() + k.sum() ** 2 / np.maximum(n_ref, 1))
        ramp = np.fmax(ramp, np.where(tail_valid[..., h - 1] == h, num / sd, -np.inf))
    drop_z = ramp
    # Still on target: not yet off OFF_RUN periods in a row (one noisy month beyond the tolerance does
    # not make a drift loud; a streak does, and is then the off-target signal's).
    still_on = (_runs(panel.status == 2) < OFF_RUN) & (panel.status >= 0)
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
