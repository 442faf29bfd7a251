"""The sample organisation: deterministic, complete, calm outside its planted stories, and every story
visible in the numbers. The committed files must equal a fresh generation."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from lib.contract import (
    AGG_SERVICES,
    AGG_TIME,
    CATALOG_COLUMNS,
    DIRECTIONS,
    canonical_column,
    parse_aggregation,
    parse_direction,
)
from sample_data.generate import (
    COLUMNS,
    FRENCH_COLUMNS,
    SAMPLE_FILES,
    csv_bytes,
    main,
    render_sample,
    sample_extract,
)
from sample_data.large import large_extract, shape
from sample_data.org import AXES

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
KINDS = (
    "silent_drift",
    "anomaly",
    "projected_miss",
    "over_performer",
    "corrective_action",
    "level_shift",
    "off_target_streak",
)
OTHER_ENDS = ("2027-03", "2025-01")


@pytest.fixture(scope="module")
def sample():
    return sample_extract()


@pytest.fixture(
    scope="module",
    params=[("2026-10", 2026), *((end, 2026) for end in OTHER_ENDS), ("2027-01", 7)],
    ids=lambda p: f"{p[0]}-seed{p[1]}",
)
def any_end(request):
    """(end, extract, catalog, stories) for the default sample, other windows, another seed."""
    end, seed = request.param
    return end, *sample_extract(end=end, seed=seed)


def _months_back(end: str, back: int) -> date:
    year, month = (int(p) for p in end.split("-"))
    index = year * 12 + month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _series(extract: pl.DataFrame, service: str, kpi: str) -> tuple[list[date], np.ndarray, np.ndarray]:
    df = extract.filter(pl.col("service") == service, pl.col("kpi") == kpi).sort("period")
    return df["period"].to_list(), df["actual"].to_numpy(), df["target"].to_numpy()


def _kpi(catalog: pl.DataFrame, kpi: str) -> dict:
    return catalog.filter(pl.col("kpi") == kpi).row(0, named=True)


def _gap(actual: np.ndarray, target: np.ndarray, info: dict) -> np.ndarray:
    """Gap to target in tolerances, positive when better than target."""
    sign = 1 if info["direction"] == "higher" else -1
    return sign * (actual / target - 1) / (info["tolerance"] / 100)


def _story(stories: list[dict], kind: str, index: int = 0) -> dict:
    return [s for s in stories if s["kind"] == kind][index]


# --- Determinism and committed files --------------------------------------------------------------------


def test_same_bytes_twice_in_memory():
    first, second = render_sample(), render_sample()
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


def test_another_seed_gives_other_numbers_same_shape():
    a, _, _ = sample_extract(seed=1)
    b, _, _ = sample_extract()
    assert a.shape == b.shape
    assert a.select("period", "service", "kpi").equals(b.select("period", "service", "kpi"))
    assert not a["actual"].equals(b["actual"])


@pytest.fixture(scope="module")
def rendered():
    return render_sample()


def test_render_gives_the_committed_set(rendered):
    assert tuple(rendered) == SAMPLE_FILES


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_committed_file_equals_fresh_generation(rendered, name):
    path = SAMPLE / name
    assert path.is_file(), f"{path} is missing: run `make sample`"
    assert path.read_bytes() == rendered[name], f"{name} differs from a fresh generation: run `make sample`"


def test_committed_files_are_small():
    assert (SAMPLE / "sample.csv").stat().st_size + (SAMPLE / "sample_catalog.csv").stat().st_size < 2_000_000
    assert sum((SAMPLE / name).stat().st_size for name in SAMPLE_FILES) < 2_000_000


# --- Shape of the organisation --------------------------------------------------------------------------


def test_counts_and_periods(any_end):
    end, extract, catalog, _ = any_end
    assert extract.columns == list(COLUMNS)
    assert extract["service"].n_unique() >= 10
    assert extract["kpi"].n_unique() >= 25
    assert sorted(extract["axis"].unique()) == sorted(AXES)
    periods = sorted(extract["period"].unique())
    assert len(periods) == 36
    assert periods[-1] == _months_back(end, 0)
    assert periods == [_months_back(end, back) for back in range(35, -1, -1)]


def test_default_ends_october_2026(sample):
    extract, _, _ = sample
    assert extract["period"].min() == date(2023, 11, 1)
    assert extract["period"].max() == date(2026, 10, 1)


def test_keys_unique_and_series_complete(sample):
    extract, _, _ = sample
    assert extract.select(pl.struct("period", "service", "kpi").is_unique().all()).item()
    per_series = extract.group_by("service", "kpi").len()
    assert per_series["len"].unique().to_list() == [36]
    required = extract.select(
        "period", "service", "kpi", "actual", "target", "unit", "direction", "axis", "owner"
    )
    assert required.null_count().sum_horizontal().item() == 0
    assert (extract["target"] > 0).all()
    assert (extract["actual"] >= 0).all()


def test_services_have_8_to_15_kpis_some_org_wide_some_specific(sample):
    extract, _, _ = sample
    per_service = extract.group_by("service").agg(pl.col("kpi").n_unique())
    assert per_service["kpi"].min() >= 8
    assert per_service["kpi"].max() <= 15
    reach = extract.group_by("kpi").agg(pl.col("service").n_unique())
    services = extract["service"].n_unique()
    assert reach.filter(pl.col("service") == services).height >= 3  # org-wide
    assert reach.filter(pl.col("service") == 1).height >= 25  # one service only
    assert reach.filter(pl.col("service").is_between(2, services - 1)).height >= 2  # a few services


def test_units_are_mixed(sample):
    _, catalog, _ = sample
    assert {"%", "€", "k€", "jours", "nb", "ETP", "/10", "h"} <= set(catalog["unit"])


def test_catalog_covers_every_kpi_with_valid_codes(sample):
    extract, catalog, _ = sample
    assert sorted(catalog.columns) == sorted(CATALOG_COLUMNS)
    assert sorted(catalog["kpi"]) == sorted(extract["kpi"].unique())
    assert catalog["kpi"].is_unique().all()
    assert set(catalog["direction"]) == set(DIRECTIONS)
    assert set(catalog["agg_time"]) <= set(AGG_TIME)
    assert set(catalog["agg_services"]) <= set(AGG_SERVICES)
    assert (catalog["tolerance"] > 0).all() and (catalog["score_weight"] > 0).all()
    for text in catalog["description"]:
        assert text[0].isupper() and text.endswith(".") and len(text.split()) >= 6, text
    # The per-KPI columns of the extract agree with the catalog.
    joined = (
        extract.select("kpi", "unit", "direction", "axis").unique().join(catalog, on="kpi", suffix="_cat")
    )
    assert joined.height == catalog.height
    for col in ("unit", "direction", "axis"):
        assert (joined[col] == joined[f"{col}_cat"]).all(), col


@pytest.mark.parametrize(
    ("kpi", "direction", "agg_time", "agg_services"),
    [
        ("Effectif", "higher", "last", "sum"),
        ("Taux d'absentéisme", "lower", "mean", "mean"),
        ("Taux de satisfaction des candidats", "higher", "wmean", "wmean"),
        ("Satisfaction des collaborateurs", "higher", "wmean", "wmean"),
        ("Dépenses de fonctionnement", "lower", "sum", "sum"),
        ("Coût par étudiant", "lower", "mean", "mean"),
        ("Délai de traitement des dossiers", "lower", "mean", "mean"),
        ("Incidents informatiques", "lower", "sum", "sum"),
        ("Candidatures reçues", "higher", "sum", "sum"),
        ("Postes vacants", "lower", "last", "sum"),
    ],
)
def test_directions_and_aggregation_rules(sample, kpi, direction, agg_time, agg_services):
    info = _kpi(sample[1], kpi)
    assert (info["direction"], info["agg_time"], info["agg_services"]) == (direction, agg_time, agg_services)


def test_rules_follow_units(sample):
    _, catalog, _ = sample
    for row in catalog.iter_rows(named=True):
        if row["unit"] in ("k€", "nb") and row["agg_time"] != "last":
            assert row["agg_time"] == row["agg_services"] == "sum", row["kpi"]
        if row["unit"] == "ETP":
            assert (row["agg_time"], row["agg_services"]) == ("last", "sum"), row["kpi"]
        if row["unit"] == "jours":
            assert row["agg_time"] == "mean", row["kpi"]
        if row["kpi"].startswith(("Délai", "Coût", "Taux d'absentéisme", "Incidents", "Réclamations")):
            assert row["direction"] == "lower", row["kpi"]


def test_weight_is_given_exactly_for_weighted_means(sample):
    extract, catalog, _ = sample
    wmean = catalog.filter(pl.col("agg_time") == "wmean")["kpi"].to_list()
    assert len(wmean) >= 4
    weighted = extract.filter(pl.col("kpi").is_in(wmean))
    assert weighted["weight"].null_count() == 0 and (weighted["weight"] >= 1).all()
    assert (weighted["weight"] == weighted["weight"].round()).all()
    assert (
        extract.filter(~pl.col("kpi").is_in(wmean))["weight"].null_count() == extract.height - weighted.height
    )


@pytest.mark.parametrize(
    ("service", "kpi", "high_months", "low_months"),
    [
        ("Admissions", "Candidatures reçues", (3, 4), (8,)),
        ("International", "Étudiants en mobilité sortante", (9,), (4, 5)),
        ("Logistique", "Coût énergétique", (1, 12), (7, 8)),
        ("Pédagogie", "Heures de cours assurées", (10, 11), (7, 8)),
    ],
)
def test_seasonality_where_real(sample, service, kpi, high_months, low_months):
    periods, actual, target = _series(sample[0], service, kpi)
    month = np.array([p.month for p in periods])
    for values in (actual, target):
        assert values[np.isin(month, high_months)].min() > 1.5 * values[np.isin(month, low_months)].max()


def test_targets_are_set_per_year_and_some_are_raised(sample):
    extract, catalog, _ = sample
    flat = catalog.filter(pl.col("agg_time") != "sum")["kpi"].to_list()  # no seasonal phasing
    per_year = (
        extract.filter(pl.col("kpi").is_in(flat))
        .group_by("service", "kpi", pl.col("period").dt.year().alias("year"))
        .agg(pl.col("target").n_unique().alias("n"), pl.col("target").first())
    )
    assert per_year["n"].max() == 1
    change = (
        per_year.sort("year")
        .group_by("service", "kpi")
        .agg((pl.col("target").diff().abs() > 0).any().alias("moved"))
    )
    assert change["moved"].sum() >= 5


def test_owners_are_people_and_one_per_series(sample):
    extract, _, _ = sample
    owners = extract.group_by("service", "kpi").agg(pl.col("owner").n_unique())
    assert owners["owner"].max() == 1
    names = extract["owner"].unique()
    assert names.len() >= 20
    assert all(len(n.split()) >= 2 for n in names)
    assert any(ch in "".join(names) for ch in "éèïÉ")


# --- The organisation's mix, calm outside the stories ---------------------------------------------------

MIX = {"on": (0.60, 0.70), "watch": (0.15, 0.25), "off": (0.10, 0.15)}  # shares at every month
MIX_CASES = [("2026-10", 2026), ("2027-03", 2026), ("2025-01", 2026), ("2027-01", 7), ("2026-10", 11)]


def _statuses(extract: pl.DataFrame, catalog: pl.DataFrame) -> pl.DataFrame:
    """Each row's gap in tolerances (`g`) and status, with the arithmetic of lib.model.with_gap:
    on when not worse than target, watch when worse by no more than the tolerance, off beyond it."""
    sign = pl.when(pl.col("direction") == "higher").then(1.0).otherwise(-1.0)
    pct = (pl.col("actual") - pl.col("target")) * sign / pl.col("target").abs() * 100
    return (
        extract.select("period", "service", "kpi", "actual", "target")
        .join(catalog.select("kpi", "direction", "tolerance"), on="kpi")
        .with_columns(pct.alias("pct"))
        .with_columns(
            (pl.col("pct") / pl.col("tolerance")).alias("g"),
            pl.when(pl.col("pct") >= 0)
            .then(pl.lit("on"))
            .when(pl.col("pct") >= -pl.col("tolerance"))
            .then(pl.lit("watch"))
            .otherwise(pl.lit("off"))
            .alias("status"),
        )
        .sort("service", "kpi", "period")
    )


def _shares(statuses: pl.DataFrame, by: str) -> pl.DataFrame:
    return statuses.group_by(by).agg((pl.col("status") == name).mean().alias(name) for name in MIX).sort(by)


def _runs(flags: np.ndarray, length: int) -> bool:
    return bool(sliding_window_view(flags, length).all(axis=1).any())


def _calm_breaches(g: np.ndarray, raw: np.ndarray | None, off: np.ndarray) -> list[str]:
    """An implementation of the calm criteria independent of the generator's (`g` and `raw` in tolerances,
    positive is better; `raw` against the mean target; `off` the months beyond tolerance)."""
    out = []
    if _runs(off, 3):
        out.append("off target 3 months in a row")
    if _runs(g > 1, 4):
        out.append("4 months in a row over one tolerance above target")
    for name, values in (("gap", g), ("raw", raw)):
        if values is None:
            continue
        win = sliding_window_view(values, 6)
        steps, net = np.diff(win, axis=1), win[:, 5] - win[:, 0]
        falls = ((steps < 0).sum(axis=1) >= 4) & (net <= -0.5)
        rises = ((steps > 0).sum(axis=1) >= 4) & (net >= 0.5)
        if (falls | rises).any():
            out.append(f"6-month trend ({name})")
        means = win.mean(axis=1)
        if (np.abs(means[6:] - means[:-6]) >= 0.5).any():
            out.append(f"level shift between 6-month means ({name})")
    padded = np.pad(g, 3, constant_values=np.nan)
    around = sliding_window_view(padded, 7)[:, [0, 1, 2, 4, 5, 6]]
    if (np.abs(g - np.nanmedian(around, axis=1)) > 1).any():
        out.append("spike against neighbours")
    mad = max(1.4826 * np.median(np.abs(g - np.median(g))), 0.3)
    if (np.abs(g - np.median(g)) / mad > 4).any():
        out.append("robust outlier")
    changes = np.diff(g)
    if (sliding_window_view(changes, 5).std(axis=1) > 2 * max(changes.std(), 0.05)).any():
        out.append("burst of volatility")
    return out


def _structural_gaps(stories: list[dict]) -> list[dict]:
    """The off_target_streak stories that are off target over the whole history: known, steady gaps."""
    return [s for s in stories if s["kind"] == "off_target_streak" and "gap_tolerances" in s["params"]]


@pytest.mark.parametrize(("end", "seed"), [("2026-10", 2026), ("2027-03", 2026), ("2026-10", 11)])
def test_calm_series_have_no_streak_trend_shift_or_spike(end, seed):
    extract, catalog, stories = sample_extract(end=end, seed=seed)
    planted = {(s["service"], s["kpi"]) for s in stories}
    gaps = {(s["service"], s["kpi"]) for s in _structural_gaps(stories)}
    breaches, calm = {}, 0
    for (service, kpi), df in _statuses(extract, catalog).group_by("service", "kpi"):
        if (service, kpi) in planted - gaps:
            continue
        info = _kpi(catalog, kpi)
        actual, target = df["actual"].to_numpy(), df["target"].to_numpy()
        # Raw values against the mean target, for KPIs whose targets have no seasonal phasing.
        raw = _gap(actual, np.full_like(target, target.mean()), info) if info["agg_time"] != "sum" else None
        off = (df["status"] == "off").to_numpy()
        found = _calm_breaches(df["g"].to_numpy(), raw, off)
        if (service, kpi) in gaps:  # off target all along, by design; otherwise as calm as the rest
            found = [f for f in found if f != "off target 3 months in a row"] + ([] if off.all() else ["on"])
        else:
            calm += 1
        if found:
            breaches[(service, kpi)] = found
    assert breaches == {}
    assert calm >= 100


@pytest.mark.parametrize(("end", "seed"), MIX_CASES)
def test_status_mix_at_every_month(end, seed):
    extract, catalog, _ = sample_extract(end=end, seed=seed)
    statuses = _statuses(extract, catalog)
    assert statuses["status"].n_unique() == 3
    shares = _shares(statuses, "period")
    assert shares.height == 36
    for name, (lo, hi) in MIX.items():
        assert shares[name].min() >= lo, (name, shares.sort(name).row(0))
        assert shares[name].max() <= hi, (name, shares.sort(name).row(-1))


def test_status_agrees_with_the_model(sample):
    from lib import model

    extract, catalog, _ = sample
    data = extract.with_columns(pl.col("service", "kpi").cast(pl.Categorical)).lazy()
    rolled = model.rollup_time(data, catalog, "month", "month")
    got = (
        model.with_gap(rolled, catalog)
        .collect()
        .select("period", pl.col("service", "kpi").cast(pl.String), pl.col("status").cast(pl.String))
    )
    expected = _statuses(extract, catalog).select("period", "service", "kpi", "status")
    joined = expected.join(got, on=["period", "service", "kpi"], suffix="_model")
    assert joined.height == extract.height
    assert (joined["status"] == joined["status_model"]).all()


def test_services_have_different_profiles(any_end):
    _, extract, catalog, stories = any_end
    statuses = _statuses(extract, catalog)
    on = dict(_shares(statuses, "service").select("service", "on").iter_rows())
    ranked = sorted(on, key=on.get, reverse=True)
    assert ranked[0] == "International", on  # the over-performer's service is the strongest
    assert on["International"] >= 0.9
    assert sum(v >= 0.75 for v in on.values()) >= 3  # a few strong services ...
    assert sum(v <= 0.6 for v in on.values()) >= 3  # ... a few struggling ones
    assert on["Logistique"] <= 0.4 and max(on.values()) - min(on.values()) >= 0.5
    # The over-performer is the best series by far: no calm series is a tolerance above target on average.
    best = _story(stories, "over_performer")
    mean_gap = statuses.group_by("service", "kpi").agg(pl.col("g").mean()).sort("g", descending=True)
    assert mean_gap.row(0)[:2] == (best["service"], best["kpi"])
    assert mean_gap["g"][0] >= 2 and mean_gap["g"][1] < 1


@pytest.mark.parametrize(("end", "seed"), MIX_CASES)
def test_steady_watch_catch_up_and_few_perfect_records(end, seed):
    extract, catalog, stories = sample_extract(end=end, seed=seed)
    planted = {(s["service"], s["kpi"]) for s in stories}
    month = pl.col("period").dt.month()
    per = (
        _statuses(extract, catalog)
        .group_by("service", "kpi")
        .agg(
            (pl.col("status") == "watch").mean().alias("watch"),
            (pl.col("status") == "watch").filter(month <= 4).mean().alias("watch_jan_apr"),
            (pl.col("status") == "on").filter(month >= 9).mean().alias("on_sep_dec"),
            (pl.col("status") == "on").all().alias("always_on"),
        )
        .filter(~pl.concat_str("service", "kpi", separator="|").is_in([f"{s}|{k}" for s, k in planted]))
    )
    # Some series sit steadily a little under target, within tolerance.
    assert per.filter(pl.col("watch") >= 0.8).height >= 5
    # Some teams reach a target raised each January only later in the year.
    catch_up = per.filter((pl.col("watch_jan_apr") >= 0.75) & (pl.col("on_sep_dec") >= 0.75))
    assert catch_up.height >= 3
    # Few series are on target all 36 months (the old sample had dozens: a wins list full of them).
    assert per["always_on"].sum() <= 12


@pytest.mark.parametrize(("end", "seed"), MIX_CASES)
def test_every_off_target_streak_is_a_story(end, seed):
    extract, catalog, stories = sample_extract(end=end, seed=seed)
    periods = sorted(extract["period"].unique())
    streaks = set()
    for (service, kpi), df in _statuses(extract, catalog).group_by("service", "kpi"):
        if _runs((df["status"] == "off").to_numpy(), 3):
            streaks.add((service, kpi))
    kinds = {(s["service"], s["kpi"]): s["kind"] for s in stories}
    allowed = ("off_target_streak", "corrective_action", "level_shift")
    assert sorted(k for k in streaks if kinds.get(k) not in allowed) == []
    listed = {(s["service"], s["kpi"]) for s in stories if s["kind"] == "off_target_streak"}
    assert listed <= streaks
    gaps = _structural_gaps(stories)
    assert 3 <= len(gaps) <= 6
    assert all(s["start"] == periods[0].isoformat() and s["end"] == periods[-1].isoformat() for s in gaps)


# --- Stories --------------------------------------------------------------------------------------------


def test_stories_file_lists_every_kind(sample):
    extract, _, stories = sample
    assert json.loads((SAMPLE / "stories.json").read_text(encoding="utf-8")) == stories
    assert set(KINDS) <= {s["kind"] for s in stories}
    keys = set(extract.select("service", "kpi").unique().iter_rows())
    periods = set(extract["period"].unique())
    assert len({(s["service"], s["kpi"]) for s in stories}) == len(stories)  # one story per series
    for s in stories:
        assert set(s) == {"kind", "service", "kpi", "start", "end", "description", "params"}
        assert (s["service"], s["kpi"]) in keys
        start, stop = date.fromisoformat(s["start"]), date.fromisoformat(s["end"])
        assert start in periods and stop in periods and start <= stop
        assert len(s["description"]) > 40


def test_story_months_default(sample):
    stories = sample[2]
    months = {(s["kind"], s["kpi"]): (s["start"], s["end"]) for s in stories}
    assert months[("silent_drift", "Taux de satisfaction des candidats")] == ("2026-05-01", "2026-10-01")
    assert months[("anomaly", "Heures de cours assurées")] == ("2025-12-01", "2025-12-01")
    assert months[("projected_miss", "Recettes partenariats entreprises")] == ("2026-01-01", "2026-10-01")
    assert months[("level_shift", "Visites du site web")] == ("2026-04-01", "2026-10-01")
    assert months[("off_target_streak", "Délai de recrutement")] == ("2026-06-01", "2026-10-01")
    assert _story(stories, "corrective_action")["params"]["action_period"] == "2026-03-01"


def test_silent_drift(any_end):
    _, extract, catalog, stories = any_end
    story = _story(stories, "silent_drift")
    _, actual, target = _series(extract, story["service"], story["kpi"])
    assert _kpi(catalog, story["kpi"])["direction"] == "higher"
    last6, before = actual[-6:], actual[-12:-6]
    assert (np.diff(last6) < 0).all()  # every month worse than the one before
    assert before.mean() - last6[-1] >= 3.0  # by at least 3 points ...
    assert (last6 >= target[-6:]).all()  # ... while still on target, to the last month
    assert (actual[:-6] >= target[:-6]).all()
    assert story["start"] == _months_back(any_end[0], 5).isoformat()


@pytest.mark.parametrize(("index", "sign"), [(0, -1), (1, 1)])
def test_anomaly_is_a_one_month_outlier(any_end, index, sign):
    _, extract, catalog, stories = any_end
    story = _story(stories, "anomaly", index)
    periods, actual, target = _series(extract, story["service"], story["kpi"])
    i = periods.index(date.fromisoformat(story["start"]))
    ratio = actual / target
    neighbours = np.r_[ratio[max(0, i - 3) : i], ratio[i + 1 : i + 4]]
    median = np.median(neighbours)
    mad = np.median(np.abs(neighbours - median))
    assert np.sign(ratio[i] - median) == sign
    assert abs(ratio[i] - median) > 4 * mad
    tol = _kpi(catalog, story["kpi"])["tolerance"] / 100
    assert abs(ratio[i] - median) > 5 * tol
    if i + 1 < len(ratio):  # back to normal the month after
        assert _gap(actual[i + 1 : i + 2], target[i + 1 : i + 2], _kpi(catalog, story["kpi"]))[0] >= -1


def test_projected_miss(any_end):
    end, extract, catalog, stories = any_end
    story = _story(stories, "projected_miss")
    periods, actual, target = _series(extract, story["service"], story["kpi"])
    info = _kpi(catalog, story["kpi"])
    assert info["agg_time"] == "sum"
    ytd = np.array([p.year == periods[-1].year for p in periods])
    pace = actual[ytd].sum() / target[ytd].sum()
    assert 0.953 <= pace <= 0.967
    g = _gap(actual[ytd], target[ytd], info)
    assert ((g < 0) & (g >= -1)).all()  # below target every month, yet never beyond tolerance
    params = story["params"]
    assert params["ytd_actual"] == pytest.approx(actual[ytd].sum(), abs=0.05)
    assert params["ytd_target"] == pytest.approx(target[ytd].sum(), abs=0.05)
    assert params["projected"] <= 0.97 * params["annual_target"]
    assert params["annual_target"] > target[ytd].sum() or periods[-1].month == 12
    assert story["start"] == date(periods[-1].year, 1, 1).isoformat()


def test_over_performer(any_end):
    _, extract, catalog, stories = any_end
    story = _story(stories, "over_performer")
    _, actual, target = _series(extract, story["service"], story["kpi"])
    ratio = actual / target
    assert len(ratio) == 36
    assert ratio.min() >= 1 + 1.4 * _kpi(catalog, story["kpi"])["tolerance"] / 100  # beyond tolerance, always
    assert ratio.mean() >= 1.2
    assert ratio.min() == pytest.approx(story["params"]["min_ratio"], abs=5e-4)
    assert ratio.max() == pytest.approx(story["params"]["max_ratio"], abs=5e-4)


def test_corrective_action(any_end):
    end, extract, catalog, stories = any_end
    story = _story(stories, "corrective_action")
    periods, actual, target = _series(extract, story["service"], story["kpi"])
    info = _kpi(catalog, story["kpi"])
    action = periods.index(date.fromisoformat(story["params"]["action_period"]))
    assert periods[action] == _months_back(end, 7)
    before, after = actual[action - 6 : action], actual[action:]
    g = _gap(actual, target, info)
    assert (g[action - 6 : action] < -1).all()  # off target for the six months before the action
    assert (g[action:] >= 0).all()  # on target from the action month on
    assert info["direction"] == "lower"
    assert before.mean() - after.mean() >= 10  # days
    assert before.mean() >= 38 and after.mean() <= 28


def test_level_shift(any_end):
    _, extract, catalog, stories = any_end
    story = _story(stories, "level_shift")
    periods, actual, target = _series(extract, story["service"], story["kpi"])
    s = periods.index(date.fromisoformat(story["start"]))
    ratio = actual / target
    assert ratio[s:].mean() <= 0.75 * ratio[s - 12 : s].mean()
    assert ratio[s] <= 0.85 * ratio[s - 1]  # sudden
    assert ratio[s:].std() <= 0.05 and ratio[s - 12 : s].std() <= 0.05  # flat on both sides
    assert (_gap(actual[s:], target[s:], _kpi(catalog, story["kpi"])) < -1).all()


def test_structural_gaps(any_end):
    _, extract, catalog, stories = any_end
    for story in _structural_gaps(stories):
        info = _kpi(catalog, story["kpi"])
        periods, actual, target = _series(extract, story["service"], story["kpi"])
        g = _gap(actual, target, info)
        ratio = actual / target
        assert (g < -1).all(), story["kpi"]  # off target every month ...
        assert g.max() - g.min() <= 1.5  # ... by a steady margin
        assert abs(np.median(g) - story["params"]["gap_tolerances"]) <= 0.3
        assert story["params"]["months"] == len(periods) == 36
        assert story["params"]["tolerance"] == info["tolerance"]
        assert [ratio.min(), ratio.max()] == pytest.approx(story["params"]["ratio"], abs=5e-4)


def test_off_target_streak(any_end):
    _, extract, catalog, stories = any_end
    story = _story(stories, "off_target_streak")
    periods, actual, target = _series(extract, story["service"], story["kpi"])
    g = _gap(actual, target, _kpi(catalog, story["kpi"]))
    s = periods.index(date.fromisoformat(story["start"]))
    assert len(periods) - s == story["params"]["months"] >= 4
    assert (g[s:] < -1).all()
    assert (g[:s] >= -1).all()


def test_readme_documents_every_kpi_and_story(sample):
    readme = (SAMPLE / "README.md").read_text(encoding="utf-8")
    _, catalog, stories = sample
    missing = [k for k in catalog["kpi"] if f"| {k} |" not in readme]
    assert missing == []
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    for s in stories:
        assert any(
            f"`{s['kind']}`" in r and f"{s['service']} × {s['kpi']}" in r and s["start"][:7] in r
            for r in rows
        ), s["kind"]


# --- French export --------------------------------------------------------------------------------------


def test_french_csv_round_trips(sample):
    extract, catalog, _ = sample
    data = csv_bytes(extract, french=True)
    text = data.decode("cp1252")
    assert text.startswith(";".join(FRENCH_COLUMNS) + "\r\n")
    assert "01/11/2023;Admissions;Effectif;" in text
    back = pl.read_csv(
        io.BytesIO(text.encode("utf-8")),
        separator=";",
        decimal_comma=True,
        schema_overrides={"Poids": pl.Float64},
    )
    assert back["Réalisé"].to_list() == extract["actual"].to_list()
    assert back["Objectif"].to_list() == extract["target"].to_list()
    assert back["Poids"].to_list() == extract["weight"].to_list()
    assert back["Période"].str.to_date("%d/%m/%Y").to_list() == extract["period"].to_list()
    assert [parse_direction(v) for v in back["Sens"]] == extract["direction"].to_list()
    cat = pl.read_csv(
        io.BytesIO(csv_bytes(catalog, french=True).decode("cp1252").encode()),
        separator=";",
        decimal_comma=True,
    )
    assert [canonical_column(h) for h in cat.columns] == catalog.columns
    for col, fr in (("agg_time", "Agrégation temps"), ("agg_services", "Agrégation services")):
        assert [parse_aggregation(v) for v in cat[fr]] == catalog[col].to_list()
    assert cat["Tolérance (%)"].to_list() == catalog["tolerance"].to_list()


def test_french_extract_headers_are_recognised():
    # "Unité" is left out: lib/contract.py also lists the bare word as a synonym of service.
    expected = dict(zip(FRENCH_COLUMNS, COLUMNS, strict=True))
    for header, column in expected.items():
        if header != "Unité":
            assert canonical_column(header) == column, header


# --- Large extracts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 399, 400, 401, 50_000, 123_457])
def test_large_extract_exact_rows_sorted_unique(rows):
    df = large_extract(rows)
    assert df.height == rows
    assert df.columns == list(COLUMNS)
    assert df["period"].is_sorted()
    assert df.select(pl.struct("period", "service", "kpi").is_unique().all()).item()
    assert df["period"].max() == date(2026, 10, 31)


def test_large_extract_50k_shape_and_types():
    df = large_extract(50_000)
    services, kpis, days = shape(50_000)
    assert (df["service"].n_unique(), df["kpi"].n_unique(), df["period"].n_unique()) == (services, kpis, days)
    assert days == 400 and services * kpis * days >= 50_000
    assert df.schema == pl.Schema(
        {
            "period": pl.Date,
            "service": pl.Categorical(),
            "kpi": pl.Categorical(),
            "actual": pl.Float64,
            "target": pl.Float64,
            "unit": pl.Categorical(),
            "direction": pl.Categorical(),
            "axis": pl.Categorical(),
            "owner": pl.Categorical(),
            "weight": pl.Float64,
        }
    )
    assert (df["target"] > 0).all() and (df["actual"] >= 0).all()
    assert df.filter(pl.col("unit") == "%")["actual"].max() <= 100
    assert set(df["direction"].cast(pl.String)) == {"higher", "lower"}
    assert large_extract(50_000).equals(df)
    assert not large_extract(50_000, seed=8)["actual"].equals(df["actual"])


@pytest.mark.parametrize(
    ("rows", "services", "kpis"),
    [(1_000_000, 100, 25), (10_000_000, 500, 50), (100_000, 32, 8)],
)
def test_large_shapes(rows, services, kpis):
    assert shape(rows) == (services, kpis, 400)


def test_large_extract_end_moves_the_days():
    df = large_extract(1_000, end="2027-02")
    assert df["period"].max() == date(2027, 2, 28)
    assert df["period"].min() == date(2027, 2, 28) - (date(2026, 10, 31) - date(2025, 9, 27))


# --- Command line ---------------------------------------------------------------------------------------


def test_cli_large_parquet(tmp_path):
    out = tmp_path / "x.parquet"
    assert main(["--rows", "5000", "--out", str(out)]) == 0
    df = pl.read_parquet(out)
    assert df.height == 5000 and df["period"].is_sorted()
    assert df.schema["service"] == pl.Categorical and df.schema["kpi"] == pl.Categorical
    assert df.equals(large_extract(5000))
    catalog = pl.read_parquet(tmp_path / "x_catalog.parquet")
    assert sorted(catalog["kpi"]) == sorted(df["kpi"].cast(pl.String).unique())
    assert catalog.columns == sample_extract()[1].columns


def test_cli_large_french_csv(tmp_path):
    out = tmp_path / "x.csv"
    assert main(["--rows", "3000", "--out", str(out), "--french", "--seed", "3"]) == 0
    raw = out.read_bytes()
    lines = raw.decode("cp1252").split("\r\n")
    assert lines[0] == ";".join(FRENCH_COLUMNS)
    assert len(lines) == 3002 and lines[-1] == ""  # one header, 3000 rows, a final line end
    first = lines[1].split(";")
    assert date.fromisoformat("-".join(reversed(first[0].split("/")))) == date(2025, 9, 27)
    assert "." not in first[3] and "," in lines[1]
    assert first[6] in ("Hausse", "Baisse")
    catalog = (tmp_path / "x_catalog.csv").read_bytes().decode("cp1252")
    assert catalog.startswith("Indicateur;Unité de mesure;Sens;")


def test_cli_sample_to_another_place(tmp_path):
    out = tmp_path / "org.csv"
    assert main(["--out", str(out), "--end", "2027-03", "--seed", "5"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["org.csv", "org_catalog.csv", "stories.json"]
    extract, catalog, stories = sample_extract("2027-03", 5)
    assert out.read_bytes() == csv_bytes(extract)
    assert (tmp_path / "org_catalog.csv").read_bytes() == csv_bytes(catalog)
    assert json.loads((tmp_path / "stories.json").read_text(encoding="utf-8")) == stories


@pytest.mark.parametrize(
    "args",
    [
        ["--end", "2026-13"],
        ["--end", "octobre"],
        ["--rows", "10", "--out", "x.txt"],
        ["--rows", "10", "--out", "x.parquet", "--french"],
        ["--rows", "0"],
    ],
)
def test_cli_usage_errors(tmp_path, args, capsys):
    args = [a if not a.startswith("x.") else str(tmp_path / a) for a in args]
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_runs_as_a_script(tmp_path):
    out = tmp_path / "x.parquet"
    run = subprocess.run(
        [sys.executable, str(SAMPLE / "generate.py"), "--rows", "1000", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "1,000 rows" in run.stdout
    assert pl.read_parquet(out).height == 1000
