"""Robust statistics along the last axis of numpy arrays, NaN meaning "no value".

Every function works on arrays shaped (series, time, window) at once, so a detector evaluates all
series at every period in a handful of array operations. Medians sort once (NaNs sort last) and pick
the middle of the valid values: several times faster than np.nanmedian on many short rows.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

MAD_TO_SIGMA = 1.4826  # a normal variable's standard deviation is 1.4826 × its median absolute deviation


def count(a: np.ndarray) -> np.ndarray:
    return (~np.isnan(a)).sum(axis=-1)


def _pick(sorted_a: np.ndarray, index: np.ndarray) -> np.ndarray:
    return np.take_along_axis(sorted_a, index[..., None], axis=-1)[..., 0]


def nanmedian(a: np.ndarray) -> np.ndarray:
    """Median of the valid values of each row (NaN for a row without any)."""
    s = np.sort(a, axis=-1)
    n = count(a)
    lo = np.maximum((n - 1) // 2, 0)
    hi = np.maximum(n // 2, 0)
    hi = np.minimum(hi, a.shape[-1] - 1)
    out = (_pick(s, lo) + _pick(s, hi)) / 2
    return np.where(n > 0, out, np.nan)


def nanquantile_sorted(s: np.ndarray, n: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """The value of 0-based (fractional) `rank` among the `n` valid values of rows already sorted."""
    rank = np.clip(np.nan_to_num(rank), 0, np.maximum(n - 1, 0))
    lo = np.floor(rank).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    frac = rank - lo
    out = _pick(s, lo) * (1 - frac) + _pick(s, hi) * frac
    return np.where(n > 0, out, np.nan)


def diff_sigma(a: np.ndarray) -> np.ndarray:
    """Noise σ from successive differences: 1.4826 × MAD(diff) / √2. A level shift or a trend moves
    few differences (or all alike), so they do not inflate it, unlike the spread of the values."""
    d = np.diff(a, axis=-1)
    med = nanmedian(d)
    return MAD_TO_SIGMA * nanmedian(np.abs(d - med[..., None])) / math.sqrt(2)


TRIM = 0.2  # share of the largest changes a noise scale leaves out


@cache
def _trim_factors(n_max: int, trim: float) -> np.ndarray:
    """factors[n] = E[trimmed mean of squares of n standard normal changes]: what `change_sigma`
    divides by so that its estimate is unbiased for normal noise (seeded simulation, computed once)."""
    rng = np.random.default_rng(0)
    out = np.ones(n_max + 1)
    for n in range(1, n_max + 1):
        keep = max(1, n - int(math.floor(trim * n)))
        x = np.sort(rng.normal(size=(4000, n)) ** 2, axis=1)[:, :keep]
        out[n] = x.mean()
    return out


def change_sigma(a: np.ndarray, trim: float = TRIM) -> np.ndarray:
    """Noise σ from successive differences: root mean square of the changes without the largest
    `trim` share, / √2, corrected for the trimming. A level shift or a spike moves one or two changes
    (left out), a trend moves them all alike (centred away); far less noisy than a MAD on few points."""
    d = np.diff(a, axis=-1)
    valid = ~np.isnan(d)
    n = valid.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        d = d - (np.where(valid, d, 0.0).sum(axis=-1) / n)[..., None]  # a trend moves every change alike
    sq = d * d
    keep = np.maximum(n - np.floor(trim * n).astype(np.int64), 1)
    width = sq.shape[-1]
    k_full = max(width - int(math.floor(trim * width)), 1)
    total = np.zeros(n.shape)
    full = n == width
    if full.any():
        # Rows without gaps keep the same count: a partition (linear) instead of a sort.
        part = np.partition(sq[full], k_full - 1, axis=-1)[..., :k_full]
        total[full] = part.sum(axis=-1)
    if (~full).any():
        srt = np.sort(sq[~full], axis=-1)  # NaN last
        mask = np.arange(width) < keep[~full][..., None]
        total[~full] = np.where(mask, np.nan_to_num(srt), 0.0).sum(axis=-1)
    # One table for every width up to a power of two (its values do not depend on its size): windows
    # of every length, as a detector's growing history makes, do not each simulate their own.
    factors = _trim_factors(max(64, 1 << (max(a.shape[-1], 2) - 1).bit_length()), trim)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = total / keep / factors[np.minimum(n, len(factors) - 1)] / 2
    return np.where(n >= 2, np.sqrt(var), np.nan)


def pairs(w: int) -> tuple[np.ndarray, np.ndarray]:
    """Index pairs i < j of a window of w points."""
    i, j = np.triu_indices(w, k=1)
    return i, j


def theil_sen(a: np.ndarray, z_ci: float = 1.645) -> tuple[np.ndarray, ...]:
    """Theil–Sen slope of each row (median of pairwise slopes) with Sen's confidence bounds, and the
    Mann–Kendall statistic: returns (slope, slope_low, slope_high, mk_z, n_valid).

    Positions are the window's indices (one per period); missing values drop their pairs. Sen's
    bounds are order statistics of the slopes at (N ∓ z·√Var(S)) / 2 (Gilbert 1987); the Mann–Kendall
    z has the continuity correction and the variance of a series without ties.
    """
    w = a.shape[-1]
    i, j = pairs(w)
    dx = (j - i).astype(float)
    dy = a[..., j] - a[..., i]
    slopes = dy / dx
    n_pairs = count(slopes)
    s = np.sort(slopes, axis=-1)
    slope = nanquantile_sorted(s, n_pairs, (n_pairs - 1) / 2)
    n = count(a)
    var = n * (n - 1) * (2 * n + 5) / 18.0
    mk = np.nansum(np.sign(dy), axis=-1)
    sd = np.sqrt(np.where(var > 0, var, np.nan))
    mk_z = np.where(mk > 0, mk - 1, np.where(mk < 0, mk + 1, 0)) / sd
    c = z_ci * sd
    low = nanquantile_sorted(s, n_pairs, (n_pairs - c) / 2 - 1)
    high = nanquantile_sorted(s, n_pairs, (n_pairs + c) / 2)
    return slope, low, high, mk_z, n


def mann_kendall(a: np.ndarray) -> np.ndarray:
    """Mann–Kendall z of each row (continuity-corrected, no-ties variance), without the slopes."""
    score = np.zeros(a.shape[:-1])
    for lag in range(1, a.shape[-1]):
        score += np.nansum(np.sign(a[..., lag:] - a[..., :-lag]), axis=-1)
    n = count(a)
    var = n * (n - 1) * (2 * n + 5) / 18.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(var > 0, (score - np.sign(score)) / np.sqrt(var), 0.0)


def normal_cdf(z: np.ndarray | float) -> np.ndarray:
    """Φ(z), vectorised (Abramowitz & Stegun 7.1.26: error below 1.5e-7)."""
    z = np.asarray(z, dtype=float)
    x = np.abs(z) / math.sqrt(2)
    k = 1 / (1 + 0.3275911 * x)
    poly = k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429))))
    erf = 1 - poly * np.exp(-x * x)
    return 0.5 * (1 + np.sign(z) * erf)


def trailing(a: np.ndarray, n: int, lag: int = 0) -> np.ndarray:
    """View (S, T, n) of a (S, T) array: [s, t, i] = a[s, t - lag - n + 1 + i], NaN before the start."""
    s_count, t_count = a.shape
    pad = np.full((s_count, n + lag - 1), np.nan)
    padded = np.concatenate([pad, a], axis=1)
    view = np.lib.stride_tricks.sliding_window_view(padded, n + lag, axis=1)
    return view[..., :n]
