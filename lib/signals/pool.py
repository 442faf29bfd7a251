"""Noise σ estimated with help from the KPI's other services: empirical-Bayes moderated variances.

A service's σ from its own 12 to 60 values is uncertain: a threshold that allows for that (a Student t
with few degrees of freedom) must be wide, and short histories miss real changes. The services of one
KPI measure the same thing, so their noises tell something about each other. Smyth's moderated
variance (limma, 2004) takes exactly what they tell: the variances of a KPI's series are treated as
draws from a scaled inverse χ² distribution (prior σ0², d0 degrees of freedom) fitted to them by the
method of moments on log s²; each series' variance becomes

    s̃² = (d0·σ0² + d·s²) / (d0 + d),   with d0 + d degrees of freedom.

d0 is learnt from the data: services whose noises look alike (the spread of their log s² no more than
their estimation error) give a large d0 and a σ close to the KPI's; services whose noises differ give a
small d0 and each keeps mostly its own. Under that model a t test on s̃ with d0 + d degrees of freedom
holds its false-alarm rate exactly, whatever d0 is. With a handful of services rather than limma's
thousands of genes, σ0² and d0 are themselves uncertain, so d0 is taken on the safe side (see prior),
and a service far noisier than the others keeps its own σ (a noisy one among calm ones would
otherwise be judged by their noise). Services of very different sizes share a noise relative to
their level rather than an absolute one, when that fits them clearly better (see prior).

Used by the anomaly detector, whose σ comes from the residuals of each series' own baseline fit. Tried
for the level shift (σ of the successive changes, threshold narrowed by the t quantiles' ratio): 2σ
shifts 0.76 → 0.79 at KPIs of 10 services, TCPD and lone series unchanged, but only with three
exceptions (season unsure, data-deseasonalised, σ from the spread floors) and two new warnings on
the sample's calm series; even with σ known from the KPI that test reaches 0.80. Left out
(benchmarks/SIGNALS.md §1).

Everything is computed at each period from the variances known then (no look-ahead), per KPI, over
the services with a variance at that period. A KPI with fewer than MIN_SERIES such services is not
pooled. The signals of a service therefore depend on the KPI's other services in the dataset, not on
the services a page filters on (signals are computed for the whole dataset, then filtered).
"""

from __future__ import annotations

import numpy as np

MIN_SERIES = 4  # services of a KPI with a variance at a period below which nothing is pooled
D0_MAX = 1e4  # a KPI whose services' noises agree completely: σ0 is (almost) known
SPREAD_SE = 1.0  # standard errors added to the spread of the services' log variances (see prior)
APART_Z = 2.58  # a service's log variance this many predictive σ above the others' keeps its own σ
# Scales a KPI's services may share instead of their absolute variance: σ² ∝ level (counts of
# independent events, Poisson-like) or ∝ level² (a noise proportional to size); taken when their
# spread is RELATIVE times smaller than the absolute one's (a margin: of two equal spreads, picking
# the smaller by chance would make d0 too large).
SCALES = (1.0, 2.0)
RELATIVE = 1.5


def digamma(x: np.ndarray) -> np.ndarray:
    """ψ(x) for x > 0: recurrence up to x ≥ 6, then the asymptotic series (error < 1e-12)."""
    x = np.asarray(x, dtype=float).copy()
    out = np.zeros_like(x)
    small = x < 6
    while small.any():
        out[small] -= 1 / x[small]
        x[small] += 1
        small = x < 6
    inv2 = 1 / (x * x)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    return out + np.log(x) - 0.5 / x - series


def trigamma(x: np.ndarray) -> np.ndarray:
    """ψ'(x) for x > 0: recurrence up to x ≥ 6, then the asymptotic series (error < 1e-12)."""
    x = np.asarray(x, dtype=float).copy()
    out = np.zeros_like(x)
    small = x < 6
    while small.any():
        out[small] += 1 / (x[small] * x[small])
        x[small] += 1
        small = x < 6
    inv = 1 / x
    inv2 = inv * inv
    series = inv + inv2 / 2 + inv * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42 - inv2 / 30)))
    return out + series


def trigamma_inverse(y: np.ndarray) -> np.ndarray:
    """x with ψ'(x) = y (y > 0): Smyth's Newton iteration on 1/ψ', which converges from 0.5 + 1/y."""
    y = np.asarray(y, dtype=float)
    x = 0.5 + 1 / y
    for _ in range(50):
        tri = trigamma(x)
        # d(1/ψ')/dx = −ψ''/ψ'²; ψ'' from a central difference is enough for the iteration.
        h = 1e-5 * x
        tri2 = (trigamma(x + h) - trigamma(x - h)) / (2 * h)
        step = tri * (1 - tri / y) / tri2
        x = np.maximum(x + step, x / 10)
        if np.all(np.abs(step) < 1e-8 * x):
            break
    return x


def _moments(e: np.ndarray, ok: np.ndarray, tri: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per column over the `ok` rows: (count, mean and variance of e, mean ψ'(d/2) from `tri`, the
    point d0)."""
    k = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, e, 0.0).sum(axis=0) / k
        var = np.where(ok, (e - mean) ** 2, 0.0).sum(axis=0) / np.maximum(k - 1, 1)
        expected = np.where(ok, tri, 0.0).sum(axis=0) / k
    d0 = np.full(e.shape[1], D0_MAX)
    wide = (k >= 2) & (var > expected)
    if wide.any():
        d0[wide] = np.minimum(2 * trigamma_inverse(var[wide] - expected[wide]), D0_MAX)
    return k, mean, var, expected, d0


def prior(
    s2: np.ndarray, dof: np.ndarray, level: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(σ0², d0, apart) of the services in the rows of s2, dof (N, T) at each period (column): each
    service's prior variance σ0² (N, T) and the column's d0 (T,) (NaN and 0 where fewer than
    MIN_SERIES services have a variance), and which services' variances are too far above the
    others' to be pooled with them (N, T).

    Each log s², less its bias (ψ(d/2) − log(d/2)), estimates log σ² with variance ψ'(d/2); the prior
    is fitted to their mean and variance (plain moments, as limma's default). Given each service's
    `level` (N, T), the prior is fitted to s² / |level| or s² / level² instead where the services agree
    clearly better so (SCALES, RELATIVE): services of very different sizes, whose noise grows with
    their size, share a relative noise, not an absolute one (as limma-trend lets the prior follow
    the mean). A service whose log variance lies beyond APART_Z predictive standard
    deviations above the others' mean is set apart (a noisy service among calm ones, as limma's
    robust option does): it keeps its own σ. (Not below: a series whose variance is low by chance is
    what pooling is for.)"""
    ok = np.isfinite(s2) & (s2 > 0) & np.isfinite(dof) & (dof > 0)
    d = np.where(ok, dof, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.where(ok, np.log(np.where(ok, s2, 1.0)) - digamma(d / 2) + np.log(d / 2), np.nan)
    tri = trigamma(d / 2)  # each log s²'s variance around log σ²
    k, mean, var, expected, d0_point = _moments(e, ok, tri)
    offset = np.zeros(s2.shape)  # log of each service's scale: 0 absolute, b · log |level| otherwise
    if level is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            log_l = np.log(np.abs(level))
        has = np.isfinite(log_l)
        # Only where every service with a variance has a level.
        can = (ok & ~has).sum(axis=0) == 0
        best = var / RELATIVE  # another scale must spread RELATIVE times less than the absolute one
        e_abs = e
        for power in SCALES:
            shift = np.where(has, power * log_l, 0.0)
            e_b = np.where(has, e_abs - shift, np.nan)
            _, mean_b, var_b, _, d0_b = _moments(e_b, ok, tri)
            pick = can & (var_b < best)
            if pick.any():
                best = np.where(pick, var_b, best)
                mean, var, d0_point = (
                    np.where(pick, new, old) for new, old in ((mean_b, mean), (var_b, var), (d0_b, d0_point))
                )
                e = np.where(pick[None, :], e_b, e)
                offset = np.where(pick[None, :], shift, offset)
    with np.errstate(invalid="ignore"):
        apart = ok & (e - mean > APART_Z * np.sqrt(tri + trigamma(d0_point / 2)))
    enough = k >= MIN_SERIES
    # σ0² from the moments themselves: the log variances' mean, less the bias log σ² has under the
    # prior of the d0 that their spread shows (none when they agree).
    s0 = np.full(s2.shape, np.nan)
    if enough.any():
        half = d0_point[enough] / 2
        s0[:, enough] = np.exp(mean[enough] + digamma(half) - np.log(half) + offset[:, enough])
    # The weight σ0² gets, d0, stands for how far a service's true variance may be from σ0² on the log
    # scale. Two parts: how much the services' noises really differ (their spread beyond what their
    # estimation explains), taken SPREAD_SE standard errors larger (its standard error is about
    # √(2 / (k − 1)) of the spread), so that d0 is what a handful of services can vouch for; and how
    # uncertain σ0² itself is, from k services (their spread / k, at least their estimation error's),
    # which caps d0 at about the degrees of freedom of all the services together.
    with np.errstate(invalid="ignore", divide="ignore"):
        sure = var * (1 + SPREAD_SE * np.sqrt(2 / np.maximum(k - 1, 1))) - expected
        total = np.maximum(sure, 0.0) + np.fmax(var, expected) / k
    use = enough & (total > 0)
    d0 = np.zeros(s2.shape[1])
    if use.any():
        d0[use] = np.minimum(2 * trigamma_inverse(total[use]), D0_MAX)
    s0[:, ~use] = np.nan
    return s0, d0, apart


def moderate(
    s2: np.ndarray, dof: np.ndarray, group: np.ndarray, level: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Moderated variances and their degrees of freedom, (S, T) each, for the series of `s2`, `dof`
    (S, T) grouped by `group` (S,) (a KPI's code), optionally with each series' `level` (S, T) (see
    prior): s̃² = (d0·σ0² + d·s²) / (d0 + d) with d + d0 degrees of freedom, the group's prior at each
    period. Series of a group too small to pool, and series set apart, keep s² and d; NaN s² stays
    NaN."""
    dof = np.asarray(dof, dtype=float)
    out_s2, out_dof = s2.astype(float).copy(), dof.copy()
    # Only groups big enough to pool (a dataset of one service per KPI makes thousands of groups).
    _, inverse, counts = np.unique(group, return_inverse=True, return_counts=True)
    order = np.argsort(inverse.ravel(), kind="stable")
    bounds = np.r_[0, np.cumsum(counts)]
    for i in np.flatnonzero(counts >= MIN_SERIES):
        rows = order[bounds[i] : bounds[i + 1]]
        s0, d0, apart = prior(s2[rows], dof[rows], None if level is None else level[rows])
        d = dof[rows]
        use = (d0 > 0)[None, :] & np.isfinite(s2[rows]) & ~apart
        with np.errstate(invalid="ignore"):
            post = (d0 * np.nan_to_num(s0) + d * s2[rows]) / (d0 + d)
        out_s2[rows] = np.where(use, post, s2[rows])
        out_dof[rows] = np.where(use, d + d0, d)
    return out_s2, out_dof
