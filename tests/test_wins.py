"""Wins on hand-made histories: each kind fires exactly when its rule says, direction-aware."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from lib import model
from lib.wins import WinRules, win_sentence, wins
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
