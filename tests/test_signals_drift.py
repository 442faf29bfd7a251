"""The silent-drift detector in its own module (lib.signals.drift): its parameters are the registry's,
the engine calls it, and on seeded series it finds a drift and stays quiet on noise."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from lib.signals import drift, replay, resolve
from lib.signals import engine as engine_module
from tests.test_signals import frame

N = 24
MONTHS = [date(2024 + m // 12, m % 12 + 1, 1) for m in range(N)]


def history(values: dict[str, np.ndarray], target: float = 97.0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Service A's KPIs (higher is better, tolerance 5 %) with one target, on the first N months."""
    return frame(
        {("A", kpi): (vals, np.full(len(vals), target)) for kpi, vals in values.items()},
        {k: {} for k in values},
    )


def test_the_registry_reads_the_modules_parameters():
    defaults = resolve(None)["silent_drift"]
    assert {name: defaults[name] for name, *_ in drift.PARAMS} == {name: d for name, d, *_ in drift.PARAMS}
    assert set(defaults) == {name for name, *_ in drift.PARAMS} | {"min_history"}


def test_the_engine_calls_the_module(monkeypatch):
    calls = []
    real = drift.silent_drift

    def spy(ctx, p):
        calls.append(dict(p))
        return real(ctx, p)

    monkeypatch.setattr(drift, "silent_drift", spy)
    h, cat = history({"k": 100 + np.random.default_rng(1).normal(0, 2, N)})
    engine_module.evaluate(h, cat, params={"silent_drift": {"drop_z": 4.0}})
    assert len(calls) == 1 and calls[0]["drop_z"] == 4.0


def drifting(seed: int, size: float, start: int) -> np.ndarray:
    """Noise σ = 2 around 100, then a slide of `size` σ every six periods from `start` on."""
    t = np.arange(N)
    slide = np.where(t >= start, size * 2 * (t - start + 1) / 6, 0.0)
    return np.round(100 + np.random.default_rng(seed).normal(0, 2, N) - slide, 2)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_a_short_series_drift_is_found_within_six_periods(seed):
    h, cat = history({"k": drifting(seed, 4.0, 16)})
    fired = replay(h, cat).filter(pl.col("kind") == "silent_drift")
    assert fired.height >= 1
    assert MONTHS[16] <= fired["period"].min() <= MONTHS[22]
    row = fired.sort("period").row(0, named=True)
    assert row["slope_per_period"] < 0 and row["before"] == pytest.approx(100, abs=2)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_noise_alone_does_not_fire(seed):
    h, cat = history({"k": drifting(seed, 0.0, 16)})
    assert replay(h, cat).filter(pl.col("kind") == "silent_drift").height == 0
