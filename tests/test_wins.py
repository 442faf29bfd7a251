"""Wins on hand-made histories: each kind fires exactly when its rule says, direction-aware."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lib import model
from lib.signals import detect, replay
from lib.wins import KINDS, WinRules, win_sentence, wins, wins_each_period
from tests.builders import DATA_SCHEMA

MONTHS = [date(2025 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, 16)]
AT = MONTHS[-1]


def history(series: dict[tuple[str, str], list[tuple[float, float]]], directions: dict[str, str]):
    rows = [
        (MONTHS[i], s, k, a, tg, None)
        for (s, k), values in series.items()
        for i, (a, tg) in enumerate(values)
    ]
    frame = pl.DataFrame(
        rows,
        orient="row",
        schema=DATA_SCHEMA,
    )
    frame = frame.with_columns(pl.col("service", "kpi").cast(pl.Categorical))
    catalog = pl.DataFrame(
        {
            "kpi": list(directions),
            "direction": list(directions.values()),
            "tolerance": [5.0] * len(directions),
        }
    )
    return model.with_gap(frame.lazy(), catalog).collect(), catalog


def kinds(out: pl.DataFrame, kpi: str) -> set[str]:
    return set(out.filter(pl.col("kpi") == kpi)["kind"].to_list())


def test_each_kind_fires_on_its_own_story():
    flat_on = [(100.0, 90.0)] * 15
    series = {
        ("A", "streak"): flat_on,
        ("A", "back"): [(100.0, 90.0)] * 13 + [(80.0, 90.0), (95.0, 90.0)],
        ("A", "record"): [(90.0 + (i % 3), 200.0) for i in range(14)] + [(150.0, 200.0)],
        ("A", "lower_record"): [(10.0 + (i % 3), 5.0) for i in range(14)] + [(6.0, 5.0)],
        ("A", "improved"): [(80.0 + ((i + 1) % 2) * 15, 100.0) for i in range(14)] + [(90.0, 100.0)],
        ("A", "short"): [(80.0, 100.0)] * 10 + [(110.0, 100.0)] * 5,
    }
    directions = {k: "higher" for _, k in series} | {"lower_record": "lower"}
    h, cat = history(series, directions)
    out = wins(h, cat, AT)
    assert kinds(out, "streak") == {"streak"}
    assert kinds(out, "back") == {"back_on_target", "most_improved"}
    assert kinds(out, "record") == {"record", "most_improved"}
    assert kinds(out, "lower_record") == {"record", "most_improved"}  # lower is better: 6 beats 10-12
    assert kinds(out, "improved") == {
        "most_improved"
    }  # still off target, but 10 points better than last period
    assert kinds(out, "short") == set()  # 5 periods on target: not yet a streak
    streak = out.filter((pl.col("kpi") == "streak") & (pl.col("kind") == "streak")).row(0, named=True)
    assert streak["before"] == 15


def test_rules_are_tunable_and_strength_ranks():
    h, cat = history({("A", "k"): [(100.0, 90.0)] * 15}, {"k": "higher"})
    assert wins(h, cat, AT, WinRules(streak_min=16)).is_empty()
    out = wins(h, cat, AT)
    assert out["strength"].is_sorted(descending=True)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_sentences_carry_the_numbers(lang):
    h, cat = history(
        {("Admissions", "Dossiers"): [(80.0, 100.0)] * 14 + [(90.0, 100.0)]}, {"Dossiers": "higher"}
    )
    out = wins(h, cat, AT)
    row = out.filter(pl.col("kind") == "most_improved").row(0, named=True)
    text = win_sentence(row, lang)
    assert "Admissions" in text and "Dossiers" in text
    assert ("−20,0" if lang == "fr" else "−20.0") in text and ("−10,0" if lang == "fr" else "−10.0") in text


# --- Every period in one pass, against a plain-Python reading of the rules -----------------------------


def _reference(history: pl.DataFrame, catalog: pl.DataFrame, rules: WinRules) -> pl.DataFrame:
    """The four rules walked row by row, series by series: the oracle for wins_each_period."""
    sign = {k: -1.0 if d == "lower" else 1.0 for k, d in catalog.select("kpi", "direction").iter_rows()}
    rows = []
    for (service, kpi), group in history.sort("period").group_by("service", "kpi", maintain_order=True):
        best, n, streak, prev_status, prev_gap = None, 0, 0, None, None
        for r in group.iter_rows(named=True):
            better = None if r["actual"] is None else r["actual"] * sign[str(kpi)]
            on = r["status"] == "on"
            n += better is not None
            streak = streak + 1 if on else 0
            gap, base = r["gap_pct"], (service, kpi, r["period"], r["actual"], r["target"], r["gap_pct"])
            rise = None if gap is None or prev_gap is None else gap - prev_gap
            if on and prev_status in ("watch", "off"):
                rows.append(
                    (
                        *base,
                        "back_on_target",
                        prev_gap,
                        None if rise is None else 0.5 + min(max(rise, 0), 25) / 50,
                    )
                )
            if n > rules.record_min_history and better is not None and best is not None and better > best:
                rows.append((*base, "record", best * sign[str(kpi)], 0.8))
            if on and streak >= rules.streak_min:
                rows.append((*base, "streak", float(streak), min(max(streak / 24, 0.3), 0.9)))
            if rise is not None and rise >= rules.improved_min_points:
                rows.append((*base, "most_improved", prev_gap, min(max(0.4 + rise / 50, 0), 1)))
            best = better if best is None else best if better is None else max(best, better)
            prev_status, prev_gap = r["status"], gap
    schema = {c: history.schema[c] for c in ("service", "kpi", "period", "actual", "target", "gap_pct")}
    return pl.DataFrame(
        rows, orient="row", schema={**schema, "kind": pl.String, "before": pl.Float64, "strength": pl.Float64}
    )


def _ragged(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Series with holes (missing months, actuals missing, targets missing), both directions, values
    that tie the record exactly, series that start late."""
    rng = np.random.default_rng(seed)
    months = [date(2023 + m // 12, m % 12 + 1, 1) for m in range(30)]
    rows = []
    for s in range(6):
        for k in range(4):
            level = rng.choice([90.0, 100.0, 110.0])
            for m in months[int(rng.integers(0, 8)) :]:
                if rng.random() < 0.1:
                    continue  # no row at all this month
                actual = None if rng.random() < 0.08 else float(np.round(level + rng.normal(0, 6), 0))
                target = None if rng.random() < 0.05 else 100.0
                rows.append((m, f"S{s}", f"k{k}", actual, target, None))
    frame = pl.DataFrame(rows, orient="row", schema=DATA_SCHEMA).with_columns(
        pl.col("service", "kpi").cast(pl.Categorical)
    )
    catalog = pl.DataFrame(
        {
            "kpi": [f"k{k}" for k in range(4)],
            "direction": ["higher", "lower", "higher", "lower"],
            "tolerance": [5.0, 5.0, 0.0, 10.0],
            "agg_time": ["mean"] * 4,
        }
    )
    # Shuffled: nothing may depend on the order rows come in.
    h = model.with_gap(frame.lazy(), catalog).collect().sample(fraction=1.0, shuffle=True, seed=seed)
    return h, catalog


@pytest.fixture(scope="module")
def sample():
    from lib.sample import load_sample

    loaded = load_sample()
    lf = model.rollup_time(loaded.data.lazy(), loaded.catalog, "month", "month")
    return model.with_gap(lf, loaded.catalog).collect().sort("period", "service", "kpi"), loaded.catalog


CASES = ["sample", "ragged-1", "ragged-2"]
RULES = [WinRules(), WinRules(streak_min=3, record_min_history=4, improved_min_points=2.0)]


def _case(name: str, sample) -> tuple[pl.DataFrame, pl.DataFrame]:
    return sample if name == "sample" else _ragged(int(name.split("-")[1]))


KEY = ["period", "service", "kpi", "kind"]


@pytest.mark.parametrize("rules", RULES)
@pytest.mark.parametrize("case", CASES)
def test_each_period_follows_the_rules_row_by_row(case, rules, sample):
    h, cat = _case(case, sample)
    got = wins_each_period(h, cat, rules)
    want = _reference(h, cat, rules)
    assert got.height > 0
    assert set(got["kind"].unique()) == set(KINDS) or case != "sample"
    assert_frame_equal(got.sort(KEY), want.select(got.columns).sort(KEY))
    # Sorted by period, then strongest first.
    assert got.select(pl.col("period").is_sorted()).item()
    assert got.group_by("period").agg(pl.col("strength").is_sorted(descending=True).all())["strength"].all()


@pytest.mark.parametrize("rules", RULES)
@pytest.mark.parametrize("case", CASES)
def test_wins_at_a_period_is_the_filter_of_every_period(case, rules, sample):
    h, cat = _case(case, sample)
    each = wins_each_period(h, cat, rules)
    for at in h["period"].unique().sort():
        # Judged on the history cut at `at`: later rows change nothing (no look-ahead).
        assert_frame_equal(each.filter(pl.col("period") == at), wins(h, cat, at, rules)), at


# --- The weak signals' good news: the same wins, judged period by period ---------------------------------

SIGNAL = {k: f"win_{k}" for k in KINDS}
WIN_ROW = ["service", "kpi", "kind", "value", "target", "gap_pct", "severity"]


def _keys(frame: pl.DataFrame) -> set[tuple]:
    return set(frame.select("service", "kpi", "kind").iter_rows())


def _per_period(h: pl.DataFrame, cat: pl.DataFrame) -> dict[date, pl.DataFrame]:
    """lib.wins at each period in turn, as signal kinds with String keys (what the signals read)."""
    out = {}
    for at in h["period"].unique().sort():
        found = wins(h, cat, at).with_columns(
            pl.col("service", "kpi").cast(pl.String), pl.col("kind").replace_strict(SIGNAL)
        )
        out[at] = found.rename({"actual": "value", "strength": "severity"})
    return out


@pytest.mark.parametrize("case", CASES)
def test_replay_fires_each_win_when_it_appears(case, sample):
    """A win fires at a period when lib.wins finds it there and not at the period before."""
    h, cat = _case(case, sample)
    trail = replay(h, cat).filter(pl.col("polarity") == "good")
    assert (trail["period"] == trail["as_of"]).all()
    wanted, before = [], set()
    for at, found in _per_period(h, cat).items():
        fresh = found.filter(
            pl.Series(
                [k not in before for k in found.select("service", "kpi", "kind").iter_rows()],
                dtype=pl.Boolean,
            )
        )
        wanted.append(fresh.select(pl.lit(at).alias("period"), *WIN_ROW))
        before = _keys(found)
    want = pl.concat(wanted).sort(KEY)
    assert want.height > 0
    assert_frame_equal(trail.select(want.columns).sort(KEY), want)


@pytest.mark.parametrize("case", CASES)
def test_detect_dates_each_win_from_the_start_of_its_run(case, sample):
    """detect's good news at a period are lib.wins there; each dated from the first period of its
    unbroken run (a streak: when it reached `streak_min` periods on target, counting the series' rows)."""
    h, cat = _case(case, sample)
    per = _per_period(h, cat)
    periods = sorted(per)
    streak_min = WinRules().streak_min
    for t in (len(periods) - 13, len(periods) - 6, len(periods) - 1):
        at = periods[t]
        got = detect(h, cat, as_of=at).filter(pl.col("polarity") == "good")
        found = per[at]
        assert_frame_equal(got.select(WIN_ROW).sort(WIN_ROW[:3]), found.select(WIN_ROW).sort(WIN_ROW[:3]))
        for r in got.iter_rows(named=True):
            key = (r["service"], r["kpi"], r["kind"])
            if r["kind"] == "win_streak":
                own = h.filter(
                    (pl.col("service").cast(pl.String) == r["service"])
                    & (pl.col("kpi").cast(pl.String) == r["kpi"])
                    & (pl.col("period") <= at)
                )["period"].sort()
                start = own[max(own.len() - 1 - (r["n_periods"] - streak_min), 0)]
            else:
                i = t
                while i > 0 and key in _keys(per[periods[i - 1]]):
                    i -= 1
                start = periods[i]
            assert r["period"] == start, (key, at)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Finances — Délai: back on target (+2.5% against target, −4.0% the period before)."),
        (
            "fr",
            "Finances — Délai : objectif de nouveau atteint (+2,5\u00a0% par rapport à l'objectif, "
            "−4,0\u00a0% la période précédente).",
        ),
    ],
)
def test_win_sentence_formats_percentages_for_the_language(lang, expected):
    row = {
        "service": "Finances",
        "kpi": "Délai",
        "kind": "back_on_target",
        "actual": 29.0,
        "gap_pct": 2.5,
        "before": -4.0,
    }
    assert win_sentence(row, lang) == expected


@pytest.mark.parametrize(
    ("last", "direction", "record"),
    [
        (93.0, "higher", False),  # equals the best so far
        (93.0 + 93.0 * 1e-14, "higher", False),  # the same mean summed in another order
        (93.001, "higher", True),
        (9.0 - 9.0 * 1e-14, "lower", False),
        (8.999, "lower", True),
    ],
)
def test_a_record_must_beat_the_best_not_tie_it_by_rounding(last, direction, record):
    best = 93.0 if direction == "higher" else 9.0
    values = [(best - 3 + (i % 3) if direction == "higher" else best + (i % 3), 50.0) for i in range(14)]
    values[5] = (best, 50.0)
    h, cat = history({("A", "k"): [*values, (last, 50.0)]}, {"k": direction})
    assert ("record" in kinds(wins(h, cat, AT), "k")) is record
