"""The Signals page through AppTest: the sample organisation's planted stories, each explained in
French and English at the date its detector first fired; settings that reset; formatted counts."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from benchmarks.signals_eval import STORY_KINDS  # a story kind -> the signal kinds that tell it
from lib import model
from lib.i18n import t
from lib.sample import SAMPLE_DIR, load_sample

APP = str(Path(__file__).resolve().parent.parent / "app.py")
MATCH = 6  # periods after a story's start within which its detector must fire


@cache
def _firings() -> pl.DataFrame:
    from lib.signals import replay

    loaded = load_sample()
    lf = model.rollup_time(loaded.data.lazy(), loaded.catalog, "month", "month")
    history = model.with_gap(lf, loaded.catalog).collect()
    return replay(history, loaded.catalog)


def _month_after(d: date, n: int) -> date:
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def _stories() -> list[dict]:
    """One story of each kind (the first listed), with the period its detector first fired."""
    seen, out = set(), []
    for story in json.loads((SAMPLE_DIR / "stories.json").read_text()):
        if story["kind"] in seen:
            continue
        seen.add(story["kind"])
        out.append(story)
    return out


def _first_firing(story: dict) -> pl.DataFrame:
    start = date.fromisoformat(story["start"])
    first = _firings()["period"].min()
    start = max(start, first)
    return (
        _firings()
        .filter(
            (pl.col("service") == story["service"])
            & (pl.col("kpi") == story["kpi"])
            & pl.col("kind").is_in(STORY_KINDS[story["kind"]])
            & pl.col("period").is_between(start, _month_after(start, MATCH))
        )
        .sort("period")
        .head(1)
    )


def _open(tmp_path, monkeypatch, **query) -> AppTest:
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/signals.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at) -> list[str]:
    return [m.value for m in at.markdown]


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("story", _stories(), ids=lambda s: s["kind"])
def test_each_planted_story_is_listed_and_explained_when_it_fired(story, lang, tmp_path, monkeypatch):
    fired = _first_firing(story)
    assert fired.height == 1, f"{story['kind']} of {story['service']} / {story['kpi']} never fired"
    row = fired.row(0, named=True)
    at = _open(
        tmp_path,
        monkeypatch,
        lang=lang,
        to=row["period"].strftime("%Y-%m"),
        service=story["service"],
        kpi=story["kpi"],
    )
    texts = _texts(at)
    label = t(f"signals.kind.{row['kind']}", lang)
    assert any(label in x for x in texts), texts
    # The sentence names the KPI and the service (the message's own format), in the page's language.
    sentences = [x for x in texts if x.startswith(f"{story['kpi']} — {story['service']}")]
    assert sentences, texts
    other = "en" if lang == "fr" else "fr"
    assert not any(t(f"signals.kind.{row['kind']}", other) in x for x in texts if label not in x)


def test_good_news_shows_a_strength_and_warnings_a_severity(tmp_path, monkeypatch):
    at = _open(tmp_path, monkeypatch, lang="en")
    heads = [x for x in _texts(at) if " · " in x]
    assert heads and all("severity" in x for x in heads)  # warnings come first
    at.segmented_control[0].set_value(["good"]).run()
    heads = [x for x in _texts(at) if " · " in x]
    assert heads and all("strength" in x for x in heads)
    # Counts and percentages are formatted for the language (French: narrow spaces, « % » after a space).
    fr = _open(tmp_path, monkeypatch, lang="fr")
    assert any("\xa0%" in x for x in _texts(fr) if " · " in x)


def test_reset_brings_every_setting_back_to_its_default(tmp_path, monkeypatch):
    from lib.signals import BY_KIND

    at = _open(tmp_path, monkeypatch, lang="en")
    default = BY_KIND["anomaly"].defaults()["threshold"]
    box = at.number_input(key="_sp_anomaly_threshold")
    box.set_value(default + 2).run()
    assert at.number_input(key="_sp_anomaly_threshold").value == default + 2
    next(b for b in at.button if b.label == t("signals_page.reset", "en")).click().run()
    assert not at.exception
    assert at.number_input(key="_sp_anomaly_threshold").value == default


def test_signals_are_drawn_twenty_at_a_time_with_more_on_demand(tmp_path, monkeypatch):
    at = _open(tmp_path, monkeypatch, lang="en")
    cards = lambda: len(at.get("vega_lite_chart"))  # noqa: E731 - one sparkline per signal card
    assert cards() == 20
    more = next(b for b in at.button if b.label == "Show 20 more")
    more.click().run()
    assert not at.exception
    assert cards() == 40
