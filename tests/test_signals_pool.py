"""Noise σ pooled within a KPI (lib.signals.pool): the special functions, the prior learnt from a KPI's
services, the exact false-alarm rate of the moderated t test, and what pooling may and may not read."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import polars as pl
import pytest
from scipy import special, stats

from lib import model
from lib.signals import engine, pool
from lib.signals.detectors import t_quantile

EULER = 0.5772156649015329


@pytest.mark.parametrize(
    ("x", "psi", "psi1"),
    [
        (1.0, -EULER, math.pi**2 / 6),
        (0.5, -EULER - 2 * math.log(2), math.pi**2 / 2),
        (2.0, 1 - EULER, math.pi**2 / 6 - 1),
    ],
)
def test_digamma_and_trigamma_known_values(x, psi, psi1):
    assert pool.digamma(np.array([x]))[0] == pytest.approx(psi, abs=1e-10)
    assert pool.trigamma(np.array([x]))[0] == pytest.approx(psi1, rel=1e-9)


def test_special_functions_match_scipy_over_the_range_used():
    x = np.geomspace(0.05, 5e3, 200)
    np.testing.assert_allclose(pool.digamma(x), special.digamma(x), atol=1e-10)
    np.testing.assert_allclose(pool.trigamma(x), special.polygamma(1, x), rtol=1e-8)
    np.testing.assert_allclose(pool.trigamma_inverse(special.polygamma(1, x)), x, rtol=1e-7)


def _group(rng, n_series: int, d: float, d0: float, s0: float = 4.0, reps: int = 1):
    """s² (n_series, reps) of series whose true variances follow the scaled inverse χ² prior (d0, s0)
    (all equal to s0 when d0 is inf), each estimated with d degrees of freedom; and the true σ²."""
    if math.isinf(d0):
        true = np.full((n_series, reps), s0)
    else:
        true = s0 * d0 / rng.chisquare(d0, (n_series, reps))
    return true * rng.chisquare(d, (n_series, reps)) / d, true


def test_alike_services_give_a_prior_close_to_their_common_noise():
    rng = np.random.default_rng(1)
    s2, _ = _group(rng, 10, d=15, d0=math.inf, reps=2000)
    s0, d0, _ = pool.prior(s2, np.full(s2.shape, 15.0))
    assert np.median(s0) == pytest.approx(4.0, rel=0.03)
    # They agree: the KPI lends each series more than its own 15 degrees of freedom, but never more
    # than the ten services hold together (σ0² is itself estimated).
    assert 30 <= np.median(d0) <= 150
    assert d0.max() <= 10 * 15 + 1


def test_differing_services_give_a_prior_of_few_degrees_of_freedom():
    rng = np.random.default_rng(2)
    s2, _ = _group(rng, 40, d=12, d0=6.0, reps=1000)
    s0, d0, _ = pool.prior(s2, np.full(s2.shape, 12.0))
    # d0 errs towards pooling less than the truth (6), not more.
    assert 2.0 <= np.median(d0) <= 6.0
    assert np.median(s0) == pytest.approx(4.0, rel=0.15)


@pytest.mark.parametrize("d0", [math.inf, 20.0, 6.0])
def test_the_moderated_t_test_holds_its_false_alarm_rate(d0):
    """The point of pooling: a value tested against its moderated σ with d + d0 degrees of freedom
    fires at the nominal rate, whether the KPI's services are alike or not."""
    rng = np.random.default_rng(3)
    n_series, d, reps = 10, 10.0, 20_000
    s2, true = _group(rng, n_series, d=d, d0=d0, reps=reps)
    post, nu = pool.moderate(s2, np.full(s2.shape, d), np.zeros(n_series, int))
    z = rng.normal(size=s2.shape) * np.sqrt(true) / np.sqrt(post)
    rate = (z > t_quantile(2.5, nu)).mean()
    nominal = stats.norm.sf(2.5)
    assert rate == pytest.approx(nominal, rel=0.12)
    # Against the series' own σ alone the same threshold holds too, with far fewer degrees of freedom.
    own = (rng.normal(size=s2.shape) * np.sqrt(true / s2) > t_quantile(2.5, np.full(s2.shape, d))).mean()
    assert own == pytest.approx(nominal, rel=0.12)


@pytest.mark.parametrize("power", [0.0, 1.0, 2.0])
def test_services_of_different_sizes_share_the_noise_law_that_fits_them(power):
    """Services from 10 to 1,000 in size whose noise variance is constant, ∝ size (counts of events)
    or ∝ size² (a noise proportional to size): each gets a prior variance of its own size's noise."""
    rng = np.random.default_rng(7)
    size = np.geomspace(10, 1000, 10)
    true = (0.05 * size**power)[:, None]
    s2 = true * rng.chisquare(30, (10, 2000)) / 30
    s0, d0, _ = pool.prior(s2, np.full(s2.shape, 30.0), np.repeat(size[:, None], 2000, axis=1))
    np.testing.assert_allclose(np.median(s0 / true, axis=1), 1.0, atol=0.05)
    assert np.median(d0) > 30  # they agree once their sizes are allowed for


def test_pooling_alike_services_narrows_the_threshold():
    rng = np.random.default_rng(4)
    s2, _ = _group(rng, 10, d=10, d0=math.inf, reps=200)
    _, nu = pool.moderate(s2, np.full(s2.shape, 10.0), np.zeros(10, int))
    alone = t_quantile(3.0, np.array([10.0]))[0]  # 3.88: σ from 10 degrees of freedom
    assert 3.0 < np.median(t_quantile(3.0, nu)) < alone - 0.5


def test_small_kpis_and_missing_variances_are_left_alone():
    rng = np.random.default_rng(5)
    s2, _ = _group(rng, 12, d=10, d0=math.inf, reps=5)
    s2[0, 2] = np.nan
    group = np.array([0] * (pool.MIN_SERIES - 1) + [1] * (12 - pool.MIN_SERIES + 1))
    dof = np.full(s2.shape, 10.0)
    post, nu = pool.moderate(s2, dof, group)
    small = group == 0
    np.testing.assert_array_equal(post[small], s2[small])
    np.testing.assert_array_equal(nu[small], dof[small])
    assert not np.array_equal(post[~small], s2[~small])
    assert np.isnan(post[0, 2])


def test_each_period_and_each_kpi_reads_only_its_own_variances():
    """No look-ahead (a period's prior reads that period's variances only) and no crosstalk between
    KPIs: changing later periods or another KPI changes nothing."""
    rng = np.random.default_rng(6)
    s2, _ = _group(rng, 20, d=10, d0=10.0, reps=8)
    dof = np.full(s2.shape, 10.0)
    group = np.repeat([0, 1], 10)
    post, nu = pool.moderate(s2, dof, group)
    later = s2.copy()
    later[:, 5:] *= rng.uniform(0.2, 5.0, later[:, 5:].shape)
    other = s2.copy()
    other[10:] *= 9.0
    post_later, _ = pool.moderate(later, dof, group)
    post_other, nu_other = pool.moderate(other, dof, group)
    # To rounding: the Newton iteration of trigamma_inverse runs until every column has converged.
    np.testing.assert_allclose(post_later[:, :5], post[:, :5], rtol=1e-12)
    np.testing.assert_allclose(post_other[:10], post[:10], rtol=1e-12)
    np.testing.assert_allclose(nu_other[:10], nu[:10], rtol=1e-12)


# --- In the anomaly detector ----------------------------------------------------------------------


def _kpis(
    n_kpis: int, services: int, length: int, seed: int, sigma=2.0, spike: float = 0.0, own=False, level=100.0
):
    """n_kpis higher-is-better KPIs of `services` series each (noise `sigma` around `level`, each a
    number or one per service of a KPI; one KPI per series when `own`), a drop of `spike` σ at the last
    period of each KPI's first service. Returns the history, its catalog and which series are first."""
    rng = np.random.default_rng(seed)
    n = n_kpis * services
    scale = np.tile(np.broadcast_to(np.asarray(sigma, dtype=float), (services,)), n_kpis)
    base = np.tile(np.broadcast_to(np.asarray(level, dtype=float), (services,)), n_kpis)
    values = base[:, None] + rng.normal(0, 1, (n, length)) * scale[:, None]
    first = np.arange(n) % services == 0
    values[first, -1] -= spike * scale[first]
    kpi = [f"k{i if own else i // services:04d}" for i in range(n)]
    periods = [date(2020 + m // 12, m % 12 + 1, 1) for m in range(length)]
    frame = pl.DataFrame(
        {
            "period": periods * n,
            "service": np.repeat([f"s{i:05d}" for i in range(n)], length),
            "kpi": np.repeat(kpi, length),
            "actual": np.round(values, 2).ravel(),
            "target": np.repeat(0.6 * base, length),
            "weight": np.full(n * length, np.nan),
        }
    ).with_columns(pl.col("service", "kpi").cast(pl.Categorical))
    names = sorted(set(kpi))
    catalog = pl.DataFrame(
        {
            "kpi": names,
            "direction": ["higher"] * len(names),
            "tolerance": [5.0] * len(names),
            "agg_time": ["mean"] * len(names),
            "unit": [""] * len(names),
        }
    )
    return model.with_gap(frame.lazy(), catalog).collect(), catalog, first


def _anomaly(history: pl.DataFrame, catalog: pl.DataFrame) -> tuple[np.ndarray, list[str]]:
    ev = engine.evaluate(history, catalog)
    return ev.fired["anomaly"].active, ev.panel.service


def test_a_short_series_finds_a_spike_with_its_kpis_noise():
    """15 months of history: a 4.5σ drop is found far more often when the KPI's nine other services
    vouch for the noise than when each series is its own KPI, with no more false alarms."""
    found = {}
    for own in (False, True):
        hist, catalog, first = _kpis(100, 10, 15, seed=8, spike=4.5, own=own)
        active, services = _anomaly(hist, catalog)
        assert services == sorted(services)
        found[own] = (active[first, -1].mean(), active[~first, -1].mean())
    pooled, alone = found[False], found[True]
    assert pooled[0] >= alone[0] + 0.08  # 0.90 against 0.78 here
    assert pooled[1] <= alone[1] + 0.002  # false alarms at the last period: 0.2 % both here


@pytest.mark.parametrize("power", [0.5, 1.0])
def test_the_smallest_service_of_a_kpi_keeps_its_sensitivity(power):
    """KPIs of 10 services from 10 to 1,000 in size, noise σ ∝ size^power: a 5σ drop of the smallest
    is found as often as when each series is alone (judged by the KPI's absolute noise, 0.89 against
    0.96 for σ ∝ size)."""
    size = np.geomspace(10, 1000, 10)
    found = {}
    for own in (False, True):
        hist, catalog, first = _kpis(
            100,
            10,
            36,
            seed=3,
            sigma=0.02 * size**power * 1000 ** (1 - power),
            spike=5.0,
            own=own,
            level=size,
        )
        active, _ = _anomaly(hist, catalog)
        found[own] = active[first, -1].mean()
    assert found[False] >= found[True] - 0.02


def test_a_kpis_signals_do_not_depend_on_other_kpis():
    quiet, catalog_a, _ = _kpis(1, 8, 30, seed=9, spike=4.0)
    loud, catalog_b, _ = _kpis(1, 8, 30, seed=10, sigma=9.0)
    loud = loud.with_columns(pl.lit("other").cast(pl.Categorical).alias("kpi"))
    catalog_b = catalog_b.with_columns(pl.lit("other").alias("kpi"))
    both = pl.concat([quiet, loud], how="vertical_relaxed")
    alone, services = _anomaly(quiet, catalog_a)
    together, all_services = _anomaly(both, pl.concat([catalog_a, catalog_b]))
    rows = [all_services.index(s) for s in services]
    np.testing.assert_array_equal(together[rows], alone)


def test_a_noisy_service_among_calm_ones_keeps_its_own_noise():
    """KPIs of one noisy service (σ 12) among nine calm ones (σ 2). Pulled towards the KPI's typical
    noise, the noisy one would raise 1.6 times the false alarms it raises judged alone (2.9 against
    1.8 times the nominal rate here, without the setting apart): it is set apart and keeps its own σ,
    and the calm ones are judged no worse than alone."""
    rates = {}
    for own in (False, True):
        hist, catalog, noisy = _kpis(150, 10, 48, seed=11, sigma=[12.0] + [2.0] * 9, own=own)
        active, services = _anomaly(hist, catalog)
        assert services == sorted(services)
        rates[own] = (active[noisy, 12:].mean(), active[~noisy, 12:].mean())
    (noisy, calm), (noisy_alone, calm_alone) = rates[False], rates[True]
    assert noisy <= 1.15 * noisy_alone
    assert calm <= 1.15 * calm_alone
