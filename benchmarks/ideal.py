"""Ideal detectors on the synthetic grid of signals_eval: the recall and delay that are possible at all.

Five references, each with the classic test of each family, run on the same series as ours (same
lengths, same events starting 12 to 7 periods before the end, half of them with a yearly season of
amplitude 2σ and random phase), testing the same periods (from the 12th value on, the detectors'
default `min_history`):

- `known`: knows each series' level, season and noise σ exactly (what no rule can know);
- `own past`: knows only the form of each series (a level, plus one yearly sine wave when it has a
  season) and fits its level, season and σ by least squares on the series' own values before the
  tested ones, with an exact Student t test: the best a rule that judges each series alone can do;
- `pooled`: as `own past`, but knows σ, as a KPI's many alike services would tell it (the limit of
  pooling σ within a KPI, lib.signals.pool): level and season still from the series' own past;
- `pooled_form`: as `pooled`, but does not know which series have a season, as no detector does: it
  fits the yearly wave on every series until two years of past, then keeps it where an F test (1 %)
  finds it. (Both simpler ways do worse: the wave fitted on every series throughout, 0.897 for 2σ
  shifts against 0.899–0.908; chosen by the F test from the start, series too short for the test to
  see their season pass their swing for a shift, and at 5 % false alarms the threshold for shifts
  rises from 3.3 to 4.9.)
- `pooled_est`: as `pooled_form`, but σ is not known: it is estimated from the residuals of the series
  and of KPI_SERVICES − 1 alike services of its KPI (their residual sums of squares drawn as the
  χ² they are), with a Student t test on the pooled degrees of freedom: what pooling σ within a KPI
  of 10 services gives at best, where `pooled_form` is its limit with infinitely many.

The tests, on the deviations from the expected values (positive = worse): spike, the value at the
period; shift, the mean of the last h values, best h from 1 to 7; drift, the last h values weighted
1..h (the matched ramp), best h from 2 to 8. Each reference's one threshold per family is set on
noise-only series so that exactly 5 % of them get any alarm (the issue's false-alarm budget); recall
and median delay are then measured on event series as signals_eval measures ours. A target the
`known` reference misses is out of reach for any detector; one the `own past` reference misses is out
of reach for any detector that learns each series from its own history; one the `pooled` reference
misses, out of reach even with σ learnt from the KPI's other services; one the `pooled_form`
reference misses, out of reach for any such detector that does not know beforehand which of its
series are seasonal; one the `pooled_est` reference misses, out of reach for one that learns σ from
the KPI's 10 services as well.

Run alone, it prints chosen references over several seeds (`python benchmarks/ideal.py --help`).
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np
from scipy import stats

LENGTHS = (24, 36, 60)
FIRST = 11  # index of the first tested period: the 12th value (min_history 12)
MATCH = 6
FALSE_ALARM_SHARE = 0.05
SHIFT_H = 7
RAMP_H = 8
EFFECTS = {
    "drift 1σ": ("drift", 1.0),
    "drift 2σ": ("drift", 2.0),
    "drift 3σ": ("drift", 3.0),
    "shift 1σ": ("shift", 1.0),
    "shift 2σ": ("shift", 2.0),
    "shift 3σ": ("shift", 3.0),
    "spike 3σ": ("spike", 3.0),
    "spike 5σ": ("spike", 5.0),
}


def _window_sums(d: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ_i weights[i] · d[t − h + 1 + i] at every t (NaN until h values exist), h = len(weights)."""
    h = len(weights)
    out = np.full(d.shape, np.nan)
    view = np.lib.stride_tricks.sliding_window_view(d, h, axis=1)
    out[:, h - 1 :] = view @ weights
    return out


def _weights(family: str) -> list[np.ndarray]:
    """The tested windows' weights, oldest value first."""
    if family == "spike":
        return [np.ones(1)]
    if family == "shift":
        return [np.ones(h) for h in range(1, SHIFT_H + 1)]
    if family == "drift":
        return [np.arange(1.0, h + 1) for h in range(2, RAMP_H + 1)]
    raise ValueError(family)


def statistic(family: str, d: np.ndarray) -> np.ndarray:
    """The `known` reference's statistic at every period (a z score), from the deviations up to it."""
    best = np.full(d.shape, -np.inf)
    view = np.lib.stride_tricks.sliding_window_view
    for k in _weights(family):
        h = len(k)
        best[:, h - 1 :] = np.fmax(best[:, h - 1 :], view(d, h, axis=1) @ k / np.sqrt(k @ k))
    return best


FORM_TEST_FROM = 24  # `learn_form`: values of past from which an F test chooses the yearly wave
FORM_ALPHA = 0.01  # its level
KPI_SERVICES = 10  # `pooled_est`: services of a KPI whose residuals estimate σ together
REFERENCES = ("known", "own", "pooled", "pooled_form", "pooled_est")


def _window_z(x: np.ndarray, y: np.ndarray, a: int, t: int, k: np.ndarray, sigma: float | None, others=None):
    """(z, residual sum of squares) of the window y[:, a : t + 1] weighted by k against the
    least-squares fit of design x (its columns) on the a values before it. σ given, or estimated
    from the fit's residuals: with `others` (a random generator), pooled with those of
    KPI_SERVICES − 1 alike series (unit σ), whose residual sums of squares are χ² draws."""
    p = x.shape[1]
    xp, xt = x[:a], x[a : t + 1]
    beta = y[:, :a] @ np.linalg.pinv(xp).T
    rss = ((y[:, :a] - beta @ xp.T) ** 2).sum(axis=1)
    c = xt.T @ k
    factor = k @ k + c @ np.linalg.solve(xp.T @ xp, c)
    dev = (y[:, a : t + 1] - beta @ xt.T) @ k
    if sigma is not None:
        return dev / (sigma * np.sqrt(factor)), rss
    df, pooled = a - p, rss
    if others is not None and KPI_SERVICES > 1:
        df = KPI_SERVICES * (a - p)
        pooled = rss + others.chisquare((KPI_SERVICES - 1) * (a - p), size=rss.shape)
    tstat = dev / np.sqrt(pooled / df * factor)
    return stats.norm.isf(stats.t.sf(tstat, df)), rss


def own_past_statistic(
    family: str,
    y: np.ndarray,
    seasonal: bool,
    sigma: float | None = None,
    learn_form: bool = False,
    others: np.random.Generator | None = None,
) -> np.ndarray:
    """The `own past` reference's statistic at every period, as a normal z score: for each window,
    the weighted deviations of its values from the least-squares fit of every value before it (a
    level, plus a yearly sine wave for seasonal series), over their standard error with σ from that
    fit's residuals, through the exact Student t distribution of its degrees of freedom; or with σ
    given (`sigma`: the `pooled` reference, σ as the KPI's many services would tell it). With
    `learn_form` the series' form is not given: the wave is fitted on every series until
    FORM_TEST_FROM values of past, then kept where an F test at FORM_ALPHA finds it (the
    `pooled_form` reference); with `others` too (and no σ), σ from the residuals pooled with those of
    alike services (the `pooled_est` reference). The fits and their pseudo-inverses are shared by every
    series (they share their periods): one product a window."""
    n, length = y.shape
    t_axis = np.arange(length)
    x = np.stack([np.ones(length), np.cos(2 * np.pi * t_axis / 12), np.sin(2 * np.pi * t_axis / 12)], axis=1)
    p = 3 if seasonal or learn_form else 1
    best = np.full((n, length), -np.inf)
    for k in _weights(family):
        h = len(k)
        for t in range(FIRST, length):
            a = t - h + 1  # first value of the window; the fit reads the a values before it
            if a - p < 2:
                continue
            z, rss = _window_z(x[:, :p], y, a, t, k, sigma, others)
            if learn_form and a >= FORM_TEST_FROM:
                z_level, rss_level = _window_z(x[:, :1], y, a, t, k, sigma, others)
                f_stat = ((rss_level - rss) / 2) / (rss / (a - 3))
                z = np.where(f_stat >= stats.f.isf(FORM_ALPHA, 2, a - 3), z, z_level)
            best[:, t] = np.fmax(best[:, t], z)
    return best


def _events(family: str, size: float, length: int, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Deviations (n, length) in σ of series carrying one event as signals_eval.make_grid plants it
    (noise alone for family "noise")."""
    d = rng.normal(size=(n, length))
    start = rng.integers(length - 12, length - 6, size=n)
    t = np.arange(length)[None, :]
    after = t >= start[:, None]
    if family == "drift":
        d += np.where(after, size * (t - start[:, None] + 1) / 6, 0.0)
    elif family == "shift":
        d += np.where(after, size, 0.0)
    elif family == "spike":
        d += np.where(t == start[:, None], size, 0.0)
    return d, start


def cell_name(length: int, seasonal: bool) -> str:
    """A cell of the grid: its length and whether its series have a season."""
    return f"{length} {'seasonal' if seasonal else 'plain'}"


def _scores(reference: str, family: str, size: float, n: int, rng) -> list[tuple[np.ndarray, np.ndarray]]:
    """(statistic, start) per length and seasonality (halves of n) for one effect."""
    out = []
    for length in LENGTHS:
        for seasonal in (False, True):
            d, start = _events(family, size, length, n // 2, rng)
            if reference == "known":
                stat = statistic(family, d)
            else:
                phase = rng.uniform(0, 2 * np.pi, size=(n // 2, 1))
                season = (
                    2.0 * np.sin(2 * np.pi * np.arange(length)[None, :] / 12 + phase) if seasonal else 0.0
                )
                known_sigma = 1.0 if reference in ("pooled", "pooled_form") else None
                learn = reference in ("pooled_form", "pooled_est")
                others = rng if reference == "pooled_est" else None
                stat = own_past_statistic(family, d + season, seasonal, known_sigma, learn, others)
            out.append((stat, start))
    return out


def threshold(reference: str, family: str, n: int, rng) -> float:
    """The one threshold at which FALSE_ALARM_SHARE of noise-only series (lengths and seasonality in
    equal shares) get any alarm over their tested periods."""
    peaks = [stat[:, FIRST:].max(axis=1) for stat, _ in _scores(reference, family, 0.0, n, rng)]
    return float(np.quantile(np.concatenate(peaks), 1 - FALSE_ALARM_SHARE))


def evaluate(n: int = 10_000, seed: int = 2026, reference: str = "known") -> dict:
    """Per effect: the reference's recall and median delay at 5 % false alarms; `n` series per length
    (half with a season) for the threshold and for each effect."""
    if reference not in REFERENCES:
        raise ValueError(f"unknown reference {reference!r}; expected one of {REFERENCES}")
    rng = np.random.default_rng(seed)
    thresholds = {f: threshold(reference, f, n, rng) for f in ("spike", "shift", "drift")}
    rows = []
    for effect, (family, size) in EFFECTS.items():
        delays, cells = [], {}
        cell_names = (cell_name(length, seasonal) for length in LENGTHS for seasonal in (False, True))
        for name, (stat, start) in zip(cell_names, _scores(reference, family, size, n, rng), strict=True):
            alarm = stat >= thresholds[family]
            alarm[:, :FIRST] = False
            lag = np.arange(stat.shape[1])[None, :] - start[:, None]
            hit = alarm & (lag >= 0) & (lag <= MATCH)
            delays.append(np.where(hit.any(axis=1), np.argmax(hit, axis=1) - start, -1))
            cells[name] = float((delays[-1] >= 0).mean())
        delays = np.concatenate(delays)
        found = delays >= 0
        rows.append(
            {
                "effect": effect,
                "recall": float(found.mean()),
                "median_delay": float(np.median(delays[found])) if found.any() else None,
                "within_3": float((found & (delays <= 3)).mean()),
                "cells": cells,  # recall by length and form, in equal shares
            }
        )
    return {
        "reference": reference,
        "thresholds": thresholds,
        "table": rows,
        "series_per_cell": n,
        "seed": seed,
    }


def _delay(d: float | None) -> str:
    return "–" if d is None else f"{d:g}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description="Ideal references on the synthetic grid: recall and median delay at 5 % false alarms."
    )
    ap.add_argument("--reference", choices=REFERENCES, nargs="+", default=["pooled_form"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[2026])
    ap.add_argument("--n", type=int, default=10_000, help="series per length for each effect (default 10000)")
    ap.add_argument(
        "--effects", nargs="+", choices=list(EFFECTS), default=list(EFFECTS), metavar="EFFECT", help="columns"
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.n < 20:
        ap.error("--n must be at least 20")
    runs = [evaluate(args.n, seed, ref) for ref in args.reference for seed in args.seeds]
    if args.json:
        json.dump(runs, sys.stdout, indent=1)
        print()
        return 0
    print(f"Ideal references, {args.n} series per length and effect, 5 % false alarms per family")
    print("| reference | seed | " + " | ".join(args.effects) + " |")
    print("|---|---:|" + "---:|" * len(args.effects))
    for run in runs:
        rows = {r["effect"]: r for r in run["table"]}
        cells = [f"{rows[e]['recall']:.3f} ({_delay(rows[e]['median_delay'])})" for e in args.effects]
        print(f"| {run['reference']} | {run['seed']} | " + " | ".join(cells) + " |")
    print("(recall, median delay in periods)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
