"""Weak signals on hand-made histories: each detector fires exactly on its own story, direction-aware,
with no look-ahead; detect() and replay() agree; the registry is complete in both languages."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from lib import model
from lib.i18n import catalog as i18n_catalog
from lib.sample import load_sample
from lib.signals import DETECTORS, KINDS, SCHEMA, detect, projection, replay, resolve
from lib.signals.engine import by_cadence
from lib.signals.projection import _split

N = 36
MONTHS = [date(2024 + m // 12, m % 12 + 1, 1) for m in range(N)]
LAST = MONTHS[-1]


def frame(series: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]], kpis: dict[str, dict]) -> tuple:
    """A lib.model history from {(service, kpi): (actuals, targets)} and {kpi: catalog fields}."""
    rows = []
    for (service, kpi), (actual, target) in series.items():
        for i, (a, tg) in enumerate(zip(actual, target, strict=True)):
            if not np.isnan(a):
                rows.append((MONTHS[i], service, kpi, float(a), None if np.isnan(tg) else float(tg)))
    data = pl.DataFrame(
        rows,
        orient="row",
        schema={
            "period": pl.Date,
            "service": pl.String,
            "kpi": pl.String,
            "actual": pl.Float64,
            "target": pl.Float64,
        },
    ).with_columns(pl.col("service", "kpi").cast(pl.Categorical), pl.lit(None, pl.Float64).alias("weight"))
    cat = pl.DataFrame(
        {
            "kpi": list(kpis),
            "unit": [k.get("unit", "") for k in kpis.values()],
            "direction": [k.get("direction", "higher") for k in kpis.values()],
            "agg_time": [k.get("agg_time", "mean") for k in kpis.values()],
            "agg_services": ["mean"] * len(kpis),
            "tolerance": [k.get("tolerance", 5.0) for k in kpis.values()],
        }
    )
    return model.with_gap(data.lazy(), cat).collect(), cat


def noise(seed: int, sigma: float = 1.0, level: float = 100.0, n: int = N) -> np.ndarray:
    return level + np.random.default_rng(seed).normal(0, sigma, n)


def flat(value: float, n: int = N) -> np.ndarray:
    return np.full(n, value)


def kinds_of(out: pl.DataFrame, kpi: str, service: str = "A") -> set[str]:
    return set(out.filter((pl.col("kpi") == kpi) & (pl.col("service") == service))["kind"].to_list())


# --- Registry and translations ---------------------------------------------------------------------


def test_kinds_are_unique_stable_codes():
    assert len(set(KINDS)) == len(KINDS) == len(DETECTORS)
    assert KINDS[:6] == (
        "off_target_streak",
        "silent_drift",
        "anomaly",
        "level_shift",
        "projected_miss",
        "volatility_jump",
    )
    assert {d.polarity for d in DETECTORS} == {"bad", "good"}
    assert all(d.polarity == "good" for d in DETECTORS if d.kind.startswith("win_"))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_detector_has_label_doc_and_parameter_labels(lang):
    strings = i18n_catalog(lang)
    for d in DETECTORS:
        assert strings[d.label_key] and strings[d.doc_key], d.kind
        assert f"signals.message.{d.kind}" in strings, d.kind
        for p in d.params:
            assert strings[p.label_key(d.kind)], (d.kind, p.name)
            assert p.minimum <= p.default <= p.maximum and p.step > 0, (d.kind, p.name)


@pytest.mark.parametrize(
    ("params", "error"),
    [({"nope": {}}, "unknown signal kind"), ({"anomaly": {"nope": 1}}, "unknown parameter")],
)
def test_unknown_parameters_are_refused(params, error):
    with pytest.raises(ValueError, match=error):
        resolve(params)


def test_parameters_override_defaults():
    p = resolve({"anomaly": {"threshold": 5}})
    assert p["anomaly"]["threshold"] == 5.0
    assert (
        p["level_shift"]["threshold"]
        == next(d for d in DETECTORS if d.kind == "level_shift").defaults()["threshold"]
    )


# --- Each detector on its own story ----------------------------------------------------------------


def test_off_target_streak_counts_periods_in_a_row_both_directions():
    on = flat(100.0)
    off_higher = on.copy()
    off_higher[-4:] = 90.0  # 10 % under a higher-is-better target with 5 % tolerance
    off_lower = on.copy()
    off_lower[-2:] = 110.0  # only two periods: not yet a streak of 3
    h, cat = frame(
        {("A", "up"): (off_higher, flat(100.0)), ("A", "down"): (off_lower, flat(100.0))},
        {"up": {}, "down": {"direction": "lower"}},
    )
    out = detect(h, cat)
    streak = out.filter((pl.col("kpi") == "up") & (pl.col("kind") == "off_target_streak")).row(0, named=True)
    assert streak["period"] == MONTHS[-2]  # the third period off target
    assert streak["n_periods"] == 4
    assert streak["severity"] == pytest.approx(1 - 2**-2)  # 10 % off, tolerance 5 %: two bands
    assert "off_target_streak" not in kinds_of(out, "down")
    longer = detect(h, cat, params={"off_target_streak": {"periods": 2}})
    assert "off_target_streak" in kinds_of(longer, "down")


@pytest.mark.parametrize(
    ("direction", "jump", "fires"),
    [
        ("higher", -8.0, True),  # a drop of a higher-is-better KPI
        ("higher", +8.0, False),  # a good surprise is no warning
        ("lower", +8.0, True),  # a rise of a lower-is-better KPI
        ("lower", -8.0, False),
    ],
)
def test_anomaly_is_direction_aware(direction, jump, fires):
    values = noise(3)
    values[-1] += jump
    h, cat = frame(
        {("A", "k"): (values, flat(95.0 if direction == "higher" else 105.0))},
        {"k": {"direction": direction}},
    )
    out = detect(h, cat)
    assert ("anomaly" in kinds_of(out, "k")) is fires
    if fires:
        row = out.filter(pl.col("kind") == "anomaly").row(0, named=True)
        assert row["period"] == LAST and row["low"] < 100 < row["high"]
        assert not row["low"] <= row["value"] <= row["high"]


def seasonal(n: int, seed: int, phase: float) -> np.ndarray:
    """Monthly values around 100 with a season of two harmonics (amplitude about 6 σ), σ = 1."""
    t = np.arange(n)
    wave = 5 * np.sin(2 * np.pi * t / 12 + phase) + 2 * np.sin(4 * np.pi * t / 12 + 2 * phase)
    return noise(seed, 1.0, n=n) + wave


@pytest.mark.parametrize(
    ("n", "jump", "fires"),
    [
        (16, 0.0, False),  # the season's trough after 16 months: expected, though far below the mean
        (16, -7.0, True),  # 7 σ below the season's own value
        (30, 0.0, False),
        (30, -7.0, True),
    ],
)
def test_anomaly_expects_the_season_its_baseline_shows(n, jump, fires):
    # Phase chosen so that the last month sits at the season's trough (about 6 below the mean).
    t_last = n - 1
    phase = -np.pi / 2 - 2 * np.pi * t_last / 12
    values = seasonal(n, 11, phase)
    values[-1] += jump
    h, cat = frame({("A", "k"): (values, flat(80.0, n))}, {"k": {}})
    fired = detect(h, cat, params={"anomaly": {"min_history": 12}})
    assert ("anomaly" in kinds_of(fired, "k")) is fires
    if fires:
        row = fired.filter(pl.col("kind") == "anomaly").row(0, named=True)
        season_value = values[-1] - jump
        assert row["expected"] == pytest.approx(season_value, abs=2.0)  # not the yearly mean (100)


@pytest.mark.parametrize(
    ("z", "nu", "exact"),
    [  # scipy.stats.t.ppf(norm.cdf(z), nu)
        (3.1, 40.0, 3.319),
        (3.1, 20.0, 3.566),
        (3.1, 12.0, 3.948),
        (3.5, 12.0, 4.759),
        (2.5, 8.0, 3.210),
    ],
)
def test_anomaly_threshold_is_a_student_t_quantile(z, nu, exact):
    from lib.signals.detectors import t_quantile

    assert float(t_quantile(z, np.array(nu))) == pytest.approx(exact, rel=0.02)


@pytest.mark.parametrize(("past_spike", "shift_at_most"), [(0.0, 0.0), (-15.0, 0.3), (+15.0, 0.3)])
def test_anomaly_baseline_is_not_bent_by_a_past_spike(past_spike, shift_at_most):
    from lib.signals.detectors import _baseline

    rng = np.random.default_rng(5)
    ref = 100 + rng.normal(0, 1, (200, 24))
    clean = _baseline(ref.copy(), np.ones(200), 0)[0]  # the level alone (no yearly waves)
    ref[:, 10] += past_spike  # a 15 σ outlier inside the baseline
    bent = _baseline(ref, np.ones(200), 0)[0]
    assert np.abs(bent - clean).max() <= shift_at_most + 1e-9  # a plain mean would move by 15 / 24 = 0.63


def test_whole_counts_that_barely_move_have_a_noise_floor():
    counts = np.array([5.0] * (N - 1) + [6.0])  # MAD 0: a one-unit move is not an anomaly
    spike = np.array([5.0] * (N - 1) + [12.0])
    h, cat = frame(
        {("A", "calm"): (counts, flat(10.0)), ("A", "spike"): (spike, flat(10.0))},
        {
            "calm": {"direction": "lower", "tolerance": 20.0},
            "spike": {"direction": "lower", "tolerance": 20.0},
        },
    )
    out = detect(h, cat)
    assert "anomaly" not in kinds_of(out, "calm")
    assert "anomaly" in kinds_of(out, "spike")


def test_level_shift_down_fires_and_dates_the_change_up_does_not():
    down, up = noise(5), noise(6)
    down[28:] -= 5.0
    up[28:] += 5.0
    h, cat = frame({("A", "down"): (down, flat(90.0)), ("A", "up"): (up, flat(90.0))}, {"down": {}, "up": {}})
    out = detect(h, cat)
    assert "level_shift" not in kinds_of(out, "up")
    row = out.filter((pl.col("kpi") == "down") & (pl.col("kind") == "level_shift")).row(0, named=True)
    assert row["since"] == MONTHS[28]
    assert MONTHS[29] <= row["period"] <= MONTHS[31]  # fired one to three periods after the step
    assert row["before"] == pytest.approx(100, abs=1) and row["after"] == pytest.approx(95, abs=1)


def test_silent_drift_only_while_still_on_target():
    drifting = noise(8, 0.3)
    drifting[-8:] -= np.arange(1, 9) * 0.6  # −0.6 a month for 8 months, still above the target
    fallen = drifting - 20  # the same slide, but already off target
    h, cat = frame(
        {("A", "on"): (drifting, flat(90.0)), ("A", "off"): (fallen, flat(90.0))},
        {"on": {"unit": "%"}, "off": {"unit": "%"}},
    )
    out = detect(h, cat)
    assert "silent_drift" not in kinds_of(out, "off")
    row = out.filter((pl.col("kpi") == "on") & (pl.col("kind") == "silent_drift")).row(0, named=True)
    assert row["slope_per_period"] == pytest.approx(-0.6, abs=0.2)
    assert row["miss_period"] is not None and row["miss_period"] > LAST


@pytest.mark.parametrize(
    ("off_months", "drift"),
    [
        ((), True),
        ((-3,), True),  # one noisy month beyond the tolerance: the slide is still silent
        ((-4, -2), True),
        ((-3, -2, -1), False),  # off three months in a row: an off-target streak, no longer silent
    ],
)
def test_silent_drift_until_an_off_target_streak(off_months, drift):
    values = noise(8, 0.3)
    values[-8:] -= np.arange(1, 9) * 0.6  # −0.6 a month, still above the target's tolerance (85.5)
    for i in off_months:
        values[i] = 85.0
    h, cat = frame({("A", "k"): (values, flat(90.0))}, {"k": {"unit": "%"}})
    kinds = kinds_of(detect(h, cat), "k")
    assert ("silent_drift" in kinds) is drift
    assert ("off_target_streak" in kinds) is (len(off_months) == 3)


def test_projected_miss_of_a_yearly_total():
    under, over = noise(9, 1.0, 90.0), noise(10, 1.0, 110.0)
    h, cat = frame(
        {("A", "under"): (under, flat(100.0)), ("A", "over"): (over, flat(100.0))},
        {"under": {"agg_time": "sum", "tolerance": 5.0}, "over": {"agg_time": "sum"}},
    )
    out = detect(h, cat, as_of=MONTHS[-4])  # September of the last year
    row = out.filter((pl.col("kpi") == "under") & (pl.col("kind") == "projected_miss")).row(0, named=True)
    assert row["deadline"] == date(2026, 12, 1)
    assert row["year_target"] == pytest.approx(1200.0)
    assert row["projected"] == pytest.approx(1080, rel=0.01)
    assert row["projected_low"] < row["projected"] < row["projected_high"] < 1200
    assert "projected_miss" not in kinds_of(out, "over")


def test_volatility_jump():
    values = noise(11)
    values[-8:] = 100 + np.random.default_rng(12).normal(0, 6, 8)
    h, cat = frame({("A", "k"): (values, flat(80.0))}, {"k": {"tolerance": 2.0}})
    assert "volatility_jump" in kinds_of(detect(h, cat), "k")


def test_good_news_comes_from_lib_wins_with_its_first_period():
    h, cat = frame({("A", "k"): (noise(13, 0.5, 120.0), flat(100.0))}, {"k": {}})
    out = detect(h, cat)
    streak = out.filter(pl.col("kind") == "win_streak").row(0, named=True)
    assert streak["polarity"] == "good" and streak["n_periods"] == N
    assert streak["period"] == MONTHS[5]  # the sixth period on target in a row


# --- Semantics: as of, replay, schema --------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed():
    rng = np.random.default_rng(2026)
    series, kpis = {}, {}
    for i in range(12):
        values = 100 + rng.normal(0, 1.5, N)
        start = int(rng.integers(14, 30))
        if i % 4 == 0:
            values[start:] -= 6
        elif i % 4 == 1:
            values[start] += 9
        elif i % 4 == 2:
            values[start:] -= np.arange(N - start) * 0.5
        kpi = f"k{i}"
        kpis[kpi] = {"direction": "lower" if i % 3 == 0 else "higher", "agg_time": "sum" if i % 2 else "mean"}
        if kpis[kpi]["direction"] == "lower":
            values = 200 - values
        series[("S" if i % 2 else "T", kpi)] = (
            values,
            flat(97.0 if kpis[kpi]["direction"] == "higher" else 103.0),
        )
    return frame(series, kpis)


def test_detect_schema_order_and_severity(mixed):
    h, cat = mixed
    out = detect(h, cat)
    assert out.schema == pl.Schema(SCHEMA)
    assert out.height > 0
    assert out["severity"].is_between(0, 1).all()
    assert out["severity"].is_sorted(descending=True)
    assert (out["as_of"] == LAST).all() and (out["period"] <= LAST).all()


@pytest.mark.parametrize("cut", [20, 26, 31])
def test_no_look_ahead(mixed, cut):
    h, cat = mixed
    as_of = MONTHS[cut]
    assert detect(h, cat, as_of=as_of).equals(detect(h.filter(pl.col("period") <= as_of), cat))
    # A date inside a period judges that period.
    assert detect(h, cat, as_of=date(as_of.year, as_of.month, 17)).equals(detect(h, cat, as_of=as_of))


def test_replay_is_every_firing_detect_would_have_shown(mixed):
    h, cat = mixed
    trail = replay(h, cat)
    assert trail.schema == pl.Schema(SCHEMA)
    assert (trail["period"] == trail["as_of"]).all()
    for cut in (18, 25, 33, N - 1):
        at = MONTHS[cut]
        fired = (
            trail.filter(pl.col("period") == at)
            .select("service", "kpi", "kind")
            .sort("service", "kpi", "kind")
        )
        fresh = detect(h, cat, as_of=at).filter(pl.col("period") == at)
        assert fired.equals(fresh.select("service", "kpi", "kind").sort("service", "kpi", "kind")), at


@pytest.mark.parametrize(
    "history",
    [
        pl.DataFrame(
            schema={"period": pl.Date, "service": pl.String, "kpi": pl.String, "actual": pl.Float64}
        ),
    ],
)
def test_empty_history(history):
    cat = pl.DataFrame(
        {"kpi": [], "direction": [], "tolerance": [], "agg_time": []},
        schema_overrides={"tolerance": pl.Float64},
    )
    assert detect(history, cat).schema == pl.Schema(SCHEMA)
    assert replay(history, cat).is_empty()


def test_as_of_before_the_data_is_empty(mixed):
    h, cat = mixed
    assert detect(h, cat, as_of=date(2000, 1, 1)).is_empty()


def test_string_and_categorical_keys_agree(mixed):
    h, cat = mixed
    as_string = h.with_columns(pl.col("service", "kpi").cast(pl.String))
    assert detect(as_string, cat).equals(detect(h, cat))


def test_projection_runs_to_the_end_of_the_year(mixed):
    h, cat = mixed
    out = projection(h, cat, as_of=MONTHS[30], services=["S"])
    assert set(out["service"]) == {"S"}
    assert out["period"].unique().sort().to_list() == MONTHS[31:36]
    assert (out["low"] <= out["mean"]).all() and (out["mean"] <= out["high"]).all()
    # At a year's last period the deadline is the next year's end.
    nxt = projection(h, cat, as_of=MONTHS[23], kpis=["k1"])
    assert nxt["period"].to_list() == MONTHS[24:36]
    fiscal = projection(h, cat, as_of=MONTHS[23], kpis=["k1"], year_start_month=9)
    assert fiscal["period"].max() == date(2026, 8, 1)


@pytest.mark.parametrize(("step", "grain_days"), [("1d", 200), ("1w", 40)])
def test_projection_reaches_the_year_end_at_any_grain(step, grain_days):
    periods = pl.date_range(date(2026, 1, 5), date(2027, 12, 31), step, eager=True).head(grain_days)
    values = np.random.default_rng(4).normal(100, 1, len(periods))
    data = pl.DataFrame(
        {"period": periods, "service": "A", "kpi": "k", "actual": values, "target": 95.0, "weight": None},
        schema_overrides={"weight": pl.Float64},
    ).with_columns(pl.col("service", "kpi").cast(pl.Categorical))
    cat = pl.DataFrame({"kpi": ["k"], "direction": ["higher"], "tolerance": [5.0], "agg_time": ["sum"]})
    h = model.with_gap(data.lazy(), cat).collect()
    out = projection(h, cat)
    assert out["period"].min() > periods[-1]
    assert out["period"].max().year == 2026 and (date(2026, 12, 31) - out["period"].max()).days < 7


# --- KPIs reported at different cadences ------------------------------------------------------------


def quarterly(values: np.ndarray) -> np.ndarray:
    """A quarterly series on the monthly calendar: a value at each quarter's first month only."""
    out = np.full(N, np.nan)
    out[::3] = values
    return out


@pytest.fixture(scope="module")
def cadences():
    # A quarterly survey, on target for two years then off target (below 80 − 5 %) for 4 quarters,
    # among monthly KPIs.
    survey = quarterly(np.r_[noise(3, 0.5, 85.0, 8), noise(4, 0.5, 70.0, 4)])
    return frame(
        {
            ("A", "monthly"): (noise(1), flat(95.0)),
            ("B", "monthly"): (noise(2), flat(95.0)),
            ("A", "survey"): (survey, flat(80.0)),
        },
        {"monthly": {}, "survey": {}},
    )


def test_kpis_are_split_by_their_own_cadence(cadences):
    history, _ = cadences
    parts = by_cadence(history)
    assert [sorted(set(p["kpi"].cast(pl.String))) for p in parts] == [["monthly"], ["survey"]]
    assert sum(p.height for p in parts) == history.height
    assert len(by_cadence(history.filter(pl.col("kpi") == "monthly"))) == 1


def test_a_quarterly_kpi_is_judged_on_its_quarters_among_monthly_ones(cadences):
    history, cat = cadences
    alone = replay(history.filter(pl.col("kpi") == "survey"), cat)
    mixed = replay(history, cat)
    survey = mixed.filter(pl.col("kpi") == "survey")
    assert survey.equals(alone)
    streak = survey.filter(pl.col("kind") == "off_target_streak")
    # Off target from the 9th quarter (2026-01), three quarters in a row at 2026-07.
    assert streak["period"].to_list() == [date(2026, 7, 1)]
    assert set(survey["grain"]) == {"quarter"}
    assert mixed.filter(pl.col("kpi") == "monthly").equals(
        replay(history.filter(pl.col("kpi") == "monthly"), cat)
    )
    now = detect(history, cat)
    assert kinds_of(now, "survey") >= {"off_target_streak"}
    # Each judged at its own last period: the survey's last quarter, the monthly KPIs' last month.
    assert set(now.filter(pl.col("kpi") == "survey")["as_of"]) == {date(2026, 10, 1)}
    assert set(now.filter(pl.col("kpi") == "monthly")["as_of"]) <= {LAST}


def test_detectors_side_by_side_give_what_one_after_the_other_gives(mixed, monkeypatch):
    from lib.signals import engine

    history, cat = mixed
    monkeypatch.setattr(engine, "THREADS", 4)
    monkeypatch.setattr(engine, "PARALLEL_CELLS", 0)
    together = engine.evaluate(history, cat)
    monkeypatch.setattr(engine, "THREADS", 1)
    alone = engine.evaluate(history, cat)
    assert list(together.fired) == list(alone.fired)
    for kind, fired in alone.fired.items():
        assert np.array_equal(fired.active, together.fired[kind].active), kind
        assert np.array_equal(fired.severity, together.fired[kind].severity, equal_nan=True), kind
        for name, values in fired.numbers.items():
            assert np.array_equal(values, together.fired[kind].numbers[name], equal_nan=True), (kind, name)
    assert together.fired["anomaly"].active.any() and together.fired["level_shift"].active.any()


def test_parameters_show_the_decimals_their_step_reaches():
    decimals = {(d.kind, p.name): p.decimals for d in DETECTORS for p in d.params}
    assert decimals[("off_target_streak", "periods")] == 0  # a count of periods: 3, not 3.00
    assert decimals[("anomaly", "threshold")] == 1
    assert decimals[("silent_drift", "mk_z")] == 2  # step 0.05
    assert decimals[("projected_miss", "confidence")] == 2
    assert all(
        abs(round(p.default, p.decimals) - p.default) < 1e-9 for d in DETECTORS for p in d.params
    )  # every default shows exactly


# --- The projection's window after a change of level (lib.signals.projection._split) -------------------


def _windows(rows: list[np.ndarray], sigma: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    win = np.stack(rows)[:, None, :]  # (series, 1 period, window)
    return win, np.full(win.shape[:2], sigma)


def test_a_step_in_the_window_starts_the_line_after_it():
    rng = np.random.default_rng(31)
    slip = np.r_[np.full(6, 29.0), np.full(6, 41.0)] + rng.normal(0, 0.5, 12)
    # The sample's corrective action: two months at the old level, six slipped, four put right.
    put_right = np.r_[29.3, 29.3, 42.2, 41.0, 41.8, 42.2, 41.3, 41.2, 26.8, 27.2, 27.5, 27.9]
    win, sigma = _windows([slip, put_right], 0.75)
    assert _split(win, sigma)[:, 0].tolist() == [6, 8]


def test_no_step_in_a_trend_a_spike_or_noise():
    rng = np.random.default_rng(32)
    trend = 100 + 0.8 * np.arange(12) + rng.normal(0, 0.5, 12)
    spike = 100 + rng.normal(0, 1, 12)
    spike[9] += 12
    late = 100 + rng.normal(0, 1, 12)
    late[10:] += 8  # two values: too few to tell from noise
    win, sigma = _windows([trend, spike, late])
    assert _split(win, sigma)[:, 0].tolist() == [0, 0, 0]
    noise, sigma = _windows(list(100 + rng.normal(0, 1, (2000, 12))))
    assert (_split(noise, sigma) > 0).mean() <= 0.01


def test_the_projection_after_a_recovery_is_the_level_since_it():
    """The sample's corrective action seen in June 2026: four months back under the 30-day target.
    The rest of the year is projected from the level since the recovery (about 27.4 days), not from
    the median of a window that mixes the slipped months in; no miss is projected, and the slip's
    level shift is over."""
    loaded = load_sample()
    cat = loaded.catalog
    h = model.with_gap(model.rollup_time(loaded.data.lazy(), cat, "month", "month"), cat).collect()
    kpi = "Délai de paiement fournisseurs"
    view = projection(h, cat, as_of=date(2026, 6, 1), services=["Finances"], kpis=[kpi])
    assert view.height == 6 and view.get_column("mean").is_between(25.5, 29.5).all()
    warnings = {}
    for month in (2, 6):  # during the slip, then four months after the action
        sig = detect(h, cat, as_of=date(2026, month, 1))
        mine = sig.filter((pl.col("service") == "Finances") & (pl.col("kpi") == kpi))
        warnings[month] = set(mine.get_column("kind")) & {"projected_miss", "level_shift"}
    assert warnings == {2: {"projected_miss", "level_shift"}, 6: set()}


def test_a_step_is_read_as_one_only_once_a_season_could_be_told_from_it():
    """A year and the tested periods (18 months) before the season can be told: until then a yearly
    wave the profile cannot remove yet would pass for a step, so the window is read as before, a
    line (here a climb, damped); from then on, as the level since the step."""
    step = np.r_[noise(41, 0.5, 100.0, 6), noise(42, 0.5, 110.0, 6)]  # the last 12 months
    kpis = {"k": {"agg_time": "mean"}}
    early = frame({("A", "k"): (np.r_[noise(43, 0.5, 100.0, 4), step], flat(100.0, 16))}, kpis)
    late = frame({("A", "k"): (np.r_[noise(43, 0.5, 100.0, 24), step], flat(100.0, 36))}, kpis)
    climb = projection(*early, as_of=MONTHS[15]).get_column("mean").to_numpy()
    assert np.all(np.diff(climb) > 0) and climb[-1] > 113
    level = projection(*late, as_of=MONTHS[35]).get_column("mean").to_numpy()
    assert level == pytest.approx(110.0, abs=0.5)
