"""An ideal detector on the synthetic grid of signals_eval: the recall and delay that are possible at all.

The ideal detector knows what ours must estimate: the level, the season and the noise σ of every
series, exactly. It sees the same series (same lengths, same events, starting 12 to 7 periods before
the end), tests the same periods (from the 12th value on, the detectors' default `min_history`), and
uses the classic test of each family on the deviations d (in σ, positive = worse):

- spike: d at the period;
- shift: the mean of the last h values × √h, best h from 1 to 7 (a known-level likelihood ratio);
- drift: the last h values weighted 1..h against the known level (the matched ramp), best h ≤ 8.

Its one threshold per family is set on noise-only series so that exactly 5 % of them get any alarm
(the issue's false-alarm budget), and its recall and median delay are then measured on event series
as signals_eval measures ours. What it cannot reach, no detector that estimates the level and σ from
the data reaches either: the issue's targets are checked against these figures.
"""

from __future__ import annotations

import numpy as np

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


def statistic(family: str, d: np.ndarray) -> np.ndarray:
    """The ideal test statistic at every period, from the values up to that period only."""
    if family == "spike":
        return d.copy()
    best = np.full(d.shape, -np.inf)
    if family == "shift":
        for h in range(1, SHIFT_H + 1):
            best = np.fmax(best, _window_sums(d, np.ones(h)) / np.sqrt(h))
    elif family == "drift":
        for h in range(2, RAMP_H + 1):
            k = np.arange(1, h + 1, dtype=float)
            best = np.fmax(best, _window_sums(d, k) / np.sqrt((k * k).sum()))
    else:
        raise ValueError(family)
    return best


def _events(family: str, size: float, length: int, n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Deviations (n, length) in σ of series carrying one event as signals_eval.make_grid plants it."""
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


def threshold(family: str, n: int, rng) -> float:
    """The one threshold at which FALSE_ALARM_SHARE of noise-only series (lengths in equal shares)
    get any alarm over their tested periods."""
    peaks = [statistic(family, rng.normal(size=(n, length)))[:, FIRST:].max(axis=1) for length in LENGTHS]
    return float(np.quantile(np.concatenate(peaks), 1 - FALSE_ALARM_SHARE))


def evaluate(n: int = 10_000, seed: int = 2026) -> dict:
    """Per effect: the ideal detector's recall and median delay at 5 % false alarms; `n` series per
    length for the threshold and for each effect."""
    rng = np.random.default_rng(seed)
    thresholds = {f: threshold(f, n, rng) for f in ("spike", "shift", "drift")}
    rows = []
    for effect, (family, size) in EFFECTS.items():
        delays = []
        for length in LENGTHS:
            d, start = _events(family, size, length, n, rng)
            alarm = statistic(family, d) >= thresholds[family]
            alarm[:, :FIRST] = False
            lag = np.arange(length)[None, :] - start[:, None]
            hit = alarm & (lag >= 0) & (lag <= MATCH)
            first = np.where(hit.any(axis=1), np.argmax(hit, axis=1) - start, -1)
            delays.append(first)
        delays = np.concatenate(delays)
        found = delays >= 0
        rows.append(
            {
                "effect": effect,
                "recall": float(found.mean()),
                "median_delay": float(np.median(delays[found])) if found.any() else None,
                "within_3": float((found & (delays <= 3)).mean()),
            }
        )
    return {"thresholds": thresholds, "table": rows, "series_per_cell": n, "seed": seed}
