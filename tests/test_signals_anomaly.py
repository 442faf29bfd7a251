"""The anomaly detector's calibration and power on seeded noise (monthly, σ = 2 around 100, half of
the series with a yearly sine of amplitude 2σ, as in benchmarks/signals_eval.py)."""

from __future__ import annotations

from datetime import date
from statistics import NormalDist

import numpy as np
import polars as pl
import pytest

from lib import model
from lib.signals import engine, resolve

CATALOG = pl.DataFrame(
    {
        "kpi": ["higher", "lower"],
        "direction": ["higher", "lower"],
        "tolerance": [5.0, 5.0],
        "agg_time": ["mean", "mean"],
        "unit": ["", ""],
    }
)


def history(n: int, length: int, seed: int, spike: float = 0.0) -> tuple[pl.DataFrame, np.ndarray]:
    """n series (every other one lower-is-better, every second pair seasonal), a deteriorating spike of
    `spike` σ at the last period; returns the history and which series (by name order) are seasonal."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    seasonal = np.arange(n) % 4 >= 2
    lower = np.arange(n) % 2 == 1
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    values = 100 + np.where(seasonal[:, None], 4 * np.sin(2 * np.pi * t / 12 + phase), 0.0)
    values = values + rng.normal(0, 2, (n, length))
    values[:, -1] += np.where(lower, 1.0, -1.0) * spike * 2
    periods = [date(2020 + m // 12, m % 12 + 1, 1) for m in range(length)]
    frame = pl.DataFrame(
        {
            "period": periods * n,
            "service": np.repeat([f"s{i:05d}" for i in range(n)], length),
            "kpi": np.repeat(np.where(lower, "lower", "higher"), length),
            "actual": np.round(values, 2).ravel(),
            "target": np.repeat(np.where(lower, 103.0, 97.0), length),
            "weight": np.full(n * length, np.nan),
        }
    ).with_columns(pl.col("service", "kpi").cast(pl.Categorical))
    return model.with_gap(frame.lazy(), CATALOG).collect(), seasonal


def anomaly_active(hist: pl.DataFrame) -> np.ndarray:
    ev = engine.evaluate(hist, CATALOG)
    assert ev.panel.service == sorted(ev.panel.service)  # names sort as they were made
    return ev.fired["anomaly"].active


@pytest.fixture(scope="module")
def calm() -> tuple[np.ndarray, np.ndarray]:
    hist, seasonal = history(4000, 60, seed=11)
    return anomaly_active(hist), seasonal


NOMINAL = NormalDist().cdf(-resolve(None)["anomaly"]["threshold"])


@pytest.mark.parametrize(
    ("first", "last", "is_seasonal", "low", "high"),
    [
        # With a year and a half of history or more, the rate is the nominal one, seasonal or not
        # (here 1.07 to 1.23 times it). The old σ pooled the changes with the residuals of the same
        # periods as if independent: 1.5 to 2.1 times its nominal rate on plain series.
        (18, 36, False, 0.75, 1.35),
        (36, 60, False, 0.75, 1.35),
        (18, 36, True, 0.75, 1.35),
        (36, 60, True, 0.75, 1.35),
        # Shorter, looser bounds: the noise floor (0.25 tolerance band) cuts the smallest σ estimates
        # of seasonal series (0.53 here; 1.27 plain; the old rule 2.07 plain).
        (11, 18, False, 0.4, 1.5),
        (11, 18, True, 0.4, 1.5),
    ],
)
def test_false_alarm_rate_per_period_is_the_nominal_one(calm, first, last, is_seasonal, low, high):
    active, seasonal = calm
    rate = active[seasonal == is_seasonal, first:last].mean()
    assert low * NOMINAL <= rate <= high * NOMINAL


def test_seasonal_and_plain_series_spend_the_same_false_alarms(calm):
    active, seasonal = calm
    ratio = active[seasonal, 18:].mean() / active[~seasonal, 18:].mean()
    assert 0.85 <= ratio <= 1.2  # 1.00 here; the old rule 0.82 (a season left in σ)


@pytest.mark.parametrize(
    ("length", "spike", "is_seasonal", "at_least"),
    [
        # Found at the period itself: now / the old rule on the same seeds in the comments.
        (49, 5.0, True, 0.93),  # 0.949 / 0.863
        (49, 5.0, False, 0.93),  # 0.948 / 0.910
        (49, 3.0, True, 0.38),  # 0.398 / 0.328
        (15, 5.0, True, 0.70),  # 0.726 / 0.660
        (15, 5.0, False, 0.80),  # 0.830 / 0.843: a short plain history is at the t test's limit either way
    ],
)
def test_a_spike_is_found_at_its_period(length, spike, is_seasonal, at_least):
    hist, seasonal = history(2000, length, seed=42, spike=spike)
    found = anomaly_active(hist)[seasonal == is_seasonal, -1].mean()
    assert found >= at_least
