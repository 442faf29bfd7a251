"""Monthly targets and calm series: the part of the sample where nothing happens, on purpose.

A calm series sits a little on the good side of its target with bounded noise; a repair pass then
removes the accidental streaks, slides and spikes a detector could mistake for a story.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from sample_data.org import DEFAULT_END, REFERENCE_YEAR, SEASONS, Kpi, parse_end

MONTHS = 36
NOISE = 0.3  # noise standard deviation, in tolerances
MARGIN = 1.5  # calm level on the good side of the target, in noise standard deviations
CLIP = 2.5  # noise never goes further than this many standard deviations
PROFILES = {name: np.array(p) / np.mean(p) for name, p in SEASONS.items()}
FLAT = np.ones(12)


def month_starts(end: date | str = DEFAULT_END, months: int = MONTHS) -> list[date]:
    """The first day of each of the `months` months ending with `end`'s month."""
    last = parse_end(end)
    index = last.year * 12 + last.month - 1
    return [date(m // 12, m % 12 + 1, 1) for m in range(index - months + 1, index + 1)]


def _sgn(kpi: Kpi) -> float:
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


def level(kpi: Kpi, service: str, months: list[date]) -> np.ndarray:
    """The underlying level: smooth, moving from one yearly target to the next on the good side of both.

    A target that improves each year is reached in January and the level keeps improving through the
    year; one that worsens (a budget raised for inflation) is the level reached in December.
    """
    index = np.array([d.year * 12 + d.month - 1 for d in months], dtype=float)
    years = range(months[0].year - 1, months[-1].year + 2)
    offset = 0 if _sgn(kpi) * kpi.yearly >= 0 else 11
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
    return _sgn(kpi) * (actual / target - 1) / (kpi.tolerance / 100)


def deseasonalised_target(kpi: Kpi, months: list[date], target: np.ndarray) -> np.ndarray:
    """The mean target over the series, phased by the season only: the yardstick for raw values."""
    profile = (PROFILES[kpi.season] if kpi.season else FLAT)[[d.month - 1 for d in months]]
    return profile * np.mean(target / profile)


def _bad_window(values: np.ndarray) -> int | None:
    """Start of a 6-month window with 4+ of 5 moves for the worse and a fall of half a tolerance."""
    for i in range(len(values) - 5):
        w = values[i : i + 6]
        if (np.diff(w) < 0).sum() >= 4 and w[0] - w[5] >= 0.5:
            return i
    return None


def calm_violation(g: np.ndarray, d: np.ndarray) -> tuple[str, int] | None:
    """The first breach of the calm criteria, as (criterion, index), or None.

    `g` is the gap to target in tolerances; `d` the same against the mean target with the season
    removed (what a detector reading raw values sees). Criteria: never beyond tolerance; never 3 months
    in a row below target; never 4 months in a row over one tolerance above it; no 6-month slide
    (`_bad_window`); no month further than one tolerance from the median of its 3 neighbours each
    side; no month more than 4 robust deviations (floor 0.3 tolerance) from the series median.
    """
    n = len(g)
    if (g < -1).any():
        return "beyond_tolerance", int(np.argmax(g < -1))
    for i in range(n - 2):
        if (g[i : i + 3] < 0).all():
            return "below_streak", i + 2
    for i in range(n - 3):
        if (g[i : i + 4] > 1).all():
            return "above_streak", i + 3
    for values in (g, d):
        i = _bad_window(values)
        if i is not None:
            return "slide", i
    for i in range(n):
        neighbours = np.r_[g[max(0, i - 3) : i], g[i + 1 : i + 4]]
        if abs(g[i] - np.median(neighbours)) > 1:
            return "spike", i
    med = np.median(g)
    robust = np.abs(g - med) / max(1.4826 * np.median(np.abs(g - med)), 0.3)
    if robust.max() > 4:
        return "outlier", int(np.argmax(robust))
    return None


def calm_actual(kpi: Kpi, service: str, months: list[date], target: np.ndarray, z: np.ndarray) -> np.ndarray:
    base, finish, sigma = level(kpi, service, months), finisher(kpi), NOISE * kpi.tolerance / 100
    flat = deseasonalised_target(kpi, months, target)
    for attempt in range(81):
        if attempt == 80:  # repairs keep colliding: the noiseless level is calm by construction
            z = np.zeros_like(z)
        actual = finish(base * (1 + _sgn(kpi) * sigma * (MARGIN + z)))
        found = calm_violation(gap(actual, target, kpi), gap(actual, flat, kpi))
        if found is None:
            break
        kind, i = found
        if attempt >= 60:  # quieten the whole series
            z = z * 0.5
        elif kind == "slide":
            # Break the slide where it helps: lower a high start, else lift the end.
            if z[i] > 0.5:
                z[i] *= 0.5
            else:
                z[i + 5] = min(abs(z[i + 5]) + 0.5, CLIP)
        elif kind in ("beyond_tolerance", "below_streak"):
            z[i] = min(abs(z[i]) + 0.5, CLIP)
        else:
            z[i] *= 0.5
    return actual
