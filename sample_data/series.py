"""Monthly targets and calm series: the part of the sample where nothing happens, on purpose.

A calm series stands steadily against its target (a `Standing`: ahead, just on it, a little under,
at the tolerance edge, catching up with a raised target, or a structural gap) with stable noise; a
repair pass removes the accidental streaks, trends, shifts and spikes a detector could mistake for a
story. The criteria are in `calm_violation` and in sample_data/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from sample_data.org import DEFAULT_END, REFERENCE_YEAR, SEASONS, Kpi, parse_end

MONTHS = 36
CLIP = 2.5  # noise never goes further than this many standard deviations
PROFILES = {name: np.array(p) / np.mean(p) for name, p in SEASONS.items()}
FLAT = np.ones(12)

# Calm criteria, in tolerances (see calm_violation).
MAX_OFF_RUN = 2  # months in a row beyond tolerance; the off_target_streak stories have 5 or more
MAX_HIGH_RUN = 3  # months in a row more than one tolerance above target
TREND = 0.5  # net change over 6 months (with 4+ moves the same way)
SHIFT = 0.5  # between the means of two consecutive 6-month windows
SPIKE = 1.0  # from the median of the 3 neighbours on each side
OUTLIER = 4.0  # robust deviations (1.4826 x MAD, floored at 0.3 tolerance) from the series median
VOLATILITY = 2.0  # month-to-month changes over 6 months, against the whole series
EPS = 1e-6  # thresholds bite this much early: a test computing gaps another way must agree


@dataclass(frozen=True)
class Standing:
    """Where a series steadily stands against its target: the centre of its gap and its noise, in
    tolerances (positive is better; -1 is the tolerance edge)."""

    name: str
    centre: float
    noise: float
    lag: int | None = None  # catch-up: month of the year (0 = January) the level reaches that year's target
    always_off: bool = False  # a structural gap: beyond tolerance every month


STANDINGS = {
    s.name: s
    for s in (
        Standing("ahead", 0.28, 0.30),  # on the good side: below target about one month in nine
        Standing("tight", 0.15, 0.25),  # just on it: below target about one month in six
        Standing("under", -0.45, 0.20),  # steadily a little under target, within tolerance
        Standing("edge", -1.25, 0.25),  # at the tolerance edge: off about every other month
        Standing("catch_up", 0.0, 0.12, lag=5),  # target raised each January, reached by June
    )
}
AHEAD = STANDINGS["ahead"]


def structural_gap(centre: float) -> Standing:
    """A known, steady gap beyond tolerance (an `off_target_streak` story)."""
    return Standing("gap", centre, 0.20, always_off=True)


def month_starts(end: date | str = DEFAULT_END, months: int = MONTHS) -> list[date]:
    """The first day of each of the `months` months ending with `end`'s month."""
    last = parse_end(end)
    index = last.year * 12 + last.month - 1
    return [date(m // 12, m % 12 + 1, 1) for m in range(index - months + 1, index + 1)]


def sign(kpi: Kpi) -> float:
    return 1.0 if kpi.direction == "higher" else -1.0


def year_level(kpi: Kpi, service: str, year: int) -> float:
    """The target level of a year (the monthly mean for flows), rounded as a planner would."""
    value = kpi.targets[service] * (1 + kpi.yearly) ** (year - REFERENCE_YEAR)
    if kpi.step:
        value = round(value / kpi.step) * kpi.step
    return round(value, kpi.decimals)


def monthly_targets(kpi: Kpi, service: str, months: list[date]) -> np.ndarray:
    """Targets phased by the KPI's seasonal profile (flat when it has none)."""
    profile = PROFILES[kpi.season] if kpi.season else FLAT
    values = [year_level(kpi, service, d.year) * profile[d.month - 1] for d in months]
    return np.round(np.array(values), kpi.decimals)


def level(kpi: Kpi, service: str, months: list[date], lag: int | None = None) -> np.ndarray:
    """The underlying level: smooth, moving from one yearly target to the next.

    By default a target that improves each year is reached in January and the level keeps improving
    through the year; one that worsens (a budget raised for inflation) is the level reached in
    December. With `lag` every year's target is reached that month of the year (a team catching up).
    """
    index = np.array([d.year * 12 + d.month - 1 for d in months], dtype=float)
    years = range(months[0].year - 1, months[-1].year + 2)
    offset = lag if lag is not None else (0 if sign(kpi) * kpi.yearly >= 0 else 11)
    knots = np.array([y * 12 + offset for y in years], dtype=float)
    logs = np.log([max(year_level(kpi, service, y), 1e-9) for y in years])
    profile = PROFILES[kpi.season] if kpi.season else FLAT
    return np.exp(np.interp(index, knots, logs)) * profile[[d.month - 1 for d in months]]


def finisher(kpi: Kpi):
    def finish(values: np.ndarray) -> np.ndarray:
        if kpi.cap is not None:
            values = np.minimum(values, kpi.cap)
        return np.round(np.maximum(values, 0.0), kpi.decimals)

    return finish


def gap(actual: np.ndarray, target: np.ndarray, kpi: Kpi) -> np.ndarray:
    """Signed gap to target in tolerances: positive is better than target, -1 is the tolerance edge."""
    return sign(kpi) * (actual / target - 1) / (kpi.tolerance / 100)


def deseasonalised_target(kpi: Kpi, months: list[date], target: np.ndarray) -> np.ndarray:
    """The mean target over the series, phased by the season only: the yardstick for raw values."""
    profile = (PROFILES[kpi.season] if kpi.season else FLAT)[[d.month - 1 for d in months]]
    return profile * np.mean(target / profile)


# A breach is (criterion, repairs): each repair is (index, move), best first; `move` says how to change the
# value at `index`: +1 better, -1 worse, 0 back towards the series' own level.
Breach = tuple[str, list[tuple[int, int]]]


def _strays(values: np.ndarray, window: np.ndarray) -> list[tuple[int, int]]:
    """The months of `window` furthest from the series' median first, each to be brought back."""
    med = np.median(values)
    order = window[np.argsort(-np.abs(values[window] - med), kind="stable")]
    return [(int(i), 0) for i in order[:3]]


def _trend(values: np.ndarray) -> Breach | None:
    """A 6-month window with 4+ of 5 moves the same way and a net change of TREND or more."""
    win = sliding_window_view(values, 6)
    moves = np.sign(np.diff(win, axis=1))
    net = win[:, 5] - win[:, 0]
    med = np.median(values)
    for way in (-1, 1):
        hit = ((moves == way).sum(axis=1) >= 4) & (way * net >= TREND - EPS)
        if hit.any():
            i = int(np.argmax(hit))
            # Either end, towards the series' level; the one that strays further first.
            ends = [(i, way), (i + 5, -way)]
            if way * (med - values[i]) < way * (values[i + 5] - med):
                ends.reverse()
            return "trend", ends
    return None


def _shift(values: np.ndarray) -> Breach | None:
    """Two consecutive 6-month windows whose means differ by SHIFT or more."""
    means = sliding_window_view(values, 6).mean(axis=1)
    jump = np.abs(means[6:] - means[:-6])
    if (jump < SHIFT - EPS).all():
        return None
    t = int(np.argmax(jump >= SHIFT - EPS)) + 6  # first month of the later window
    return "shift", _strays(values, np.arange(t - 6, t + 6))


def off_target(actual: np.ndarray, target: np.ndarray, kpi: Kpi) -> np.ndarray:
    """Beyond tolerance, with the arithmetic of lib.model.with_gap so that boundaries fall the same way."""
    pct = (actual - target) * sign(kpi) / np.abs(target) * 100
    return pct < -kpi.tolerance


def calm_violation(g: np.ndarray, d: np.ndarray, off: np.ndarray, always_off: bool = False) -> Breach | None:
    """The first breach of the calm criteria, or None.

    `g` is the gap to target in tolerances; `d` the same against the mean target with the season
    removed (what a detector reading raw values sees); `off` the months beyond tolerance (`off_target`).
    Criteria: never more than MAX_OFF_RUN months in a row beyond tolerance (with `always_off`, the
    opposite: beyond it every month); never more than MAX_HIGH_RUN months in a row over one tolerance
    above target; no 6-month trend either way (`_trend`) and no shift between 6-month means (`_shift`),
    on `g` and on `d`; no month further than SPIKE from the median of its 3 neighbours each side; no
    robust outlier; no burst of volatility (month-to-month changes over 6 months more than VOLATILITY
    times the usual ones).
    """
    if always_off:
        if not off.all():
            return "not_off", [(int(np.argmin(off)), -1)]
    else:
        runs = sliding_window_view(off, MAX_OFF_RUN + 1).all(axis=1)
        if runs.any():
            run = np.arange(int(np.argmax(runs)), int(np.argmax(runs)) + MAX_OFF_RUN + 1)
            return "off_streak", [(int(i), 1) for i in run[np.argsort(-g[run], kind="stable")]]
    high = sliding_window_view(g > 1 - EPS, MAX_HIGH_RUN + 1).all(axis=1)
    if high.any():
        run = np.arange(int(np.argmax(high)), int(np.argmax(high)) + MAX_HIGH_RUN + 1)
        return "high_streak", _strays(g, run)
    for values in (g, d):
        found = _trend(values) or _shift(values)
        if found is not None:
            return found
    padded = np.pad(g, 3, constant_values=np.nan)
    around = np.nanmedian(sliding_window_view(padded, 7)[:, [0, 1, 2, 4, 5, 6]], axis=1)
    spikes = np.abs(g - around) > SPIKE - EPS
    if spikes.any():
        return "spike", [(int(np.argmax(spikes)), 0)]
    med = np.median(g)
    robust = np.abs(g - med) / max(1.4826 * np.median(np.abs(g - med)), 0.3)
    if robust.max() > OUTLIER - EPS:
        return "outlier", [(int(np.argmax(robust)), 0)]
    steps = np.diff(g)
    usual = max(float(np.std(steps)), 0.05)
    bursts = sliding_window_view(steps, 5).std(axis=1) > VOLATILITY * usual - EPS
    if bursts.any():
        return "volatility", _strays(g, np.arange(int(np.argmax(bursts)), int(np.argmax(bursts)) + 6))
    return None


def standing_values(
    kpi: Kpi, service: str, months: list[date], standing: Standing, z: np.ndarray
) -> np.ndarray:
    """The series for noise `z` (in standard deviations), before repairs."""
    base = level(kpi, service, months, standing.lag)
    gaps = standing.centre + standing.noise * z
    return finisher(kpi)(base * (1 + sign(kpi) * kpi.tolerance / 100 * gaps))


def calm_actual(
    kpi: Kpi, service: str, months: list[date], target: np.ndarray, z: np.ndarray, standing: Standing = AHEAD
) -> np.ndarray:
    """A calm series for `standing`: noise `z`, repaired until no criterion of `calm_violation` fires."""
    flat = deseasonalised_target(kpi, months, target)
    touched = np.zeros(len(z), dtype=int)  # repairs so far, month by month

    def breach(actual: np.ndarray) -> tuple[str, int, int] | None:
        g, d, off = gap(actual, target, kpi), gap(actual, flat, kpi), off_target(actual, target, kpi)
        found = calm_violation(g, d, off, standing.always_off)
        if found is None:
            return None
        # Two criteria may pull one month both ways: spread the repairs over the months that would do.
        i, move = min(found[1], key=lambda r: touched[r[0]] // 2)
        touched[i] += 1
        return found[0], i, move

    z = z.copy()
    for attempt in range(60):
        actual = standing_values(kpi, service, months, standing, z)
        found = breach(actual)
        if found is None:
            return actual
        kind, i, move = found
        if kind == "off_streak":  # straight back within tolerance, by a varying margin
            z[i] = max(z[i], (-0.97 - standing.centre) / standing.noise) + 0.1 * abs(z[i])
        elif attempt >= 40 and standing.centre > -1:  # quieten the whole series (not at the edge,
            z = z * 0.5  # where quiet means off every month)
        elif move == 0:
            z[i] *= 0.5
        else:
            z[i] = float(np.clip(z[i] + 0.5 * move, -CLIP - 2, CLIP + 2))
    # Rounding can leave noise repairs powerless (a few students a month, where one more is most of a
    # tolerance): repair the values themselves, a tenth of a tolerance (at least one unit) at a time.
    quiet = standing_values(kpi, service, months, standing, np.zeros_like(z))
    finish = finisher(kpi)
    for _ in range(80):
        found = breach(actual)
        if found is None:
            break
        _, i, move = found
        step = max(10.0**-kpi.decimals, abs(target[i]) * kpi.tolerance / 1000)
        way = sign(kpi) * move if move else np.sign(quiet[i] - actual[i]) or -sign(kpi)
        actual = actual.copy()
        actual[i] = finish(np.array([actual[i] + way * step]))[0]
    return actual
