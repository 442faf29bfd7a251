"""The organisation's status mix: at every month about two thirds of the series on target, a fifth on
watch (below target, within tolerance) and one in eight off target.

Standings (series.STANDINGS) give that mix on average; noise makes a month's counts wander. This pass
keeps every month inside BANDS by moving the series nearest a boundary just across it (an "edge"
series between watch and off, or else an "under" one; a calm one between on and watch), and only when
the series stays calm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from sample_data.org import Kpi
from sample_data.series import calm_violation, deseasonalised_target, finisher, gap, off_target, sign

ON, WATCH, OFF = 0, 1, 2
# Shares of the series at every month: inside the ranges the README promises (on 60-70 %, watch
# 15-25 %, off 10-15 %), with a margin.
BANDS = {"on": (0.625, 0.69), "watch": (0.17, 0.24), "off": (0.105, 0.14)}


@dataclass
class Line:
    """One series as the balancing pass sees it; `actual` is rewritten in place."""

    kpi: Kpi
    months: list[date]
    target: np.ndarray
    actual: np.ndarray
    role: str  # the series' standing name, or "story" (never moved)
    always_off: bool = False


def status(actual: np.ndarray, target: np.ndarray, kpi: Kpi) -> np.ndarray:
    """ON / WATCH / OFF with the arithmetic of lib.model.with_gap, so boundaries fall the same way."""
    better = (actual - target) * sign(kpi) >= 0
    return np.where(better, ON, np.where(off_target(actual, target, kpi), OFF, WATCH))


def _calm(line: Line) -> bool:
    kpi, actual, target = line.kpi, line.actual, line.target
    flat = deseasonalised_target(kpi, line.months, target)
    off = off_target(actual, target, kpi)
    return calm_violation(gap(actual, target, kpi), gap(actual, flat, kpi), off, line.always_off) is None


def _gap_at(line: Line, t: int) -> float:
    return float(gap(line.actual[t : t + 1], line.target[t : t + 1], line.kpi)[0])


def _move(line: Line, t: int, want: int, boundary: float, side: int, check: bool = True) -> bool:
    """Put month `t` of `line` in status `want`, just across `boundary` (`side` +1: to the better side),
    unless the series would no longer be calm (with `check`)."""
    kpi, old = line.kpi, float(line.actual[t])
    target = line.target[t : t + 1]
    # Across by a margin that varies with the distance (values do not pile up on the boundary).
    g_new = boundary + side * min(max(0.04, 0.5 * abs(_gap_at(line, t) - boundary)), 0.15)
    value = finisher(kpi)(target * (1 + sign(kpi) * kpi.tolerance / 100 * g_new))
    step = side * sign(kpi) * 10.0**-kpi.decimals
    for _ in range(30):  # rounding may leave a small count on the old side: one unit further
        if status(value, target, kpi)[0] == want:
            break
        value = finisher(kpi)(value + step)
    else:
        return False
    line.actual[t] = value[0]
    if not check or _calm(line):
        return True
    line.actual[t] = old
    return False


# Who may move across which boundary, in order of preference: the series that stand nearest to it.
OFF_ROLES = (("edge",), ("under",))
WATCH_ROLES = (("ahead", "tight", "catch_up", "under"),)


def _shift(
    lines: list[Line], states: np.ndarray, t: int, roles: tuple[str, ...], src: int, dst: int, count: int
) -> int:
    """Move up to `count` series of `roles` from status `src` to `dst` at month `t`, nearest first."""
    boundary = -1.0 if OFF in (src, dst) else 0.0
    side = 1 if dst < src else -1
    picks = [i for i, ln in enumerate(lines) if ln.role in roles and states[i, t] == src]
    picks.sort(key=lambda i: (abs(_gap_at(lines[i], t) - boundary), i))
    moved = 0
    for i in picks:
        if moved == count:
            break
        if _move(lines[i], t, dst, boundary, side):
            states[i, t] = dst
            moved += 1
    if dst == OFF:  # blocked by the longest run allowed: end the run a month earlier or later instead
        for i in picks:
            if moved == count:
                break
            if states[i, t] == src and _swap(lines[i], states, i, t):
                moved += 1
    return moved


def _swap(line: Line, states: np.ndarray, i: int, t: int) -> bool:
    """Put month `t` off target and a nearby off month, which has off targets to spare, on watch."""
    for u in (t - 1, t + 1, t - 2, t + 2):
        if not 0 <= u < states.shape[1] or states[i, u] != OFF:
            continue
        off, watch = (states[:, u] == OFF).sum() - 1, (states[:, u] == WATCH).sum() + 1
        off_lo, _, _, watch_hi = _limits(states.shape[0], off)
        if off < off_lo or watch > watch_hi:
            continue
        before = line.actual.copy()
        # The pair is what must stay calm: check once both months have moved.
        if _move(line, u, WATCH, -1.0, 1, check=False) and _move(line, t, OFF, -1.0, -1):
            states[i, u], states[i, t] = WATCH, OFF
            return True
        line.actual[:] = before
    return False


def _limits(n: int, off: int) -> tuple[int, int, int, int]:
    """(off_lo, off_hi, watch_lo, watch_hi) for `n` series of which `off` are off target."""
    bounds = {name: (math.ceil(lo * n), math.floor(hi * n)) for name, (lo, hi) in BANDS.items()}
    (off_lo, off_hi), (on_lo, on_hi), (watch_lo, watch_hi) = bounds["off"], bounds["on"], bounds["watch"]
    # Whatever is neither off nor watch is on: its band narrows the watch band.
    return off_lo, off_hi, max(watch_lo, n - on_hi - off), min(watch_hi, n - on_lo - off)


def balance(lines: list[Line]) -> None:
    """Bring every month's counts of on / watch / off inside BANDS (off first, then watch)."""
    n = len(lines)
    states = np.array([status(ln.actual, ln.target, ln.kpi) for ln in lines])
    for _ in range(2):  # a swap may touch a month already done: a second pass sees to it
        for t in range(states.shape[1]):
            for roles in OFF_ROLES:
                off = int((states[:, t] == OFF).sum())
                off_lo, off_hi, _, _ = _limits(n, off)
                if off < off_lo:
                    _shift(lines, states, t, roles, WATCH, OFF, off_lo - off)
                elif off > off_hi:
                    _shift(lines, states, t, roles, OFF, WATCH, off - off_hi)
            off = int((states[:, t] == OFF).sum())
            for roles in WATCH_ROLES:
                _, _, lo, hi = _limits(n, off)
                watch = int((states[:, t] == WATCH).sum())
                if watch < lo:
                    _shift(lines, states, t, roles, ON, WATCH, lo - watch)
                elif watch > hi:
                    _shift(lines, states, t, roles, WATCH, ON, watch - hi)
