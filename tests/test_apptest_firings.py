"""Explore marks the signal replay on its time series: on by default, a toggle that sticks across pages,
a word when the chart cannot carry them (a total of many services, year-to-date values)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from lib.explore import MAX_SERIES
from lib.i18n import t

APP = str(Path(__file__).resolve().parent.parent / "app.py")
KPI = "Taux de satisfaction des candidats"


def explore(monkeypatch, tmp_path, **query: str) -> AppTest:
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page("pages/explore.py")
    at.run()
    assert not at.exception, at.exception
    return at


def firings(at: AppTest) -> pl.DataFrame | None:
    """The rows of the first chart's firing marks (the layer described for screen readers), or None."""
    element = at.get("vega_lite_chart")[0].proto
    spec = json.loads(element.spec)

    def units(node: dict):
        yield from (u for layer in node.get("layer", []) for u in units(layer)) if "layer" in node else [node]

    # Firing marks describe themselves from their sentence (`_desc`); action markers describe otherwise.
    described = [
        u for u in units(spec) if u.get("encoding", {}).get("description", {}).get("field") == "_desc"
    ]
    if not described:
        return None
    for dataset in element.datasets:
        frame = pl.read_ipc_stream(io.BytesIO(dataset.data.data))
        if "_desc" in frame.columns:
            return frame
    raise AssertionError("a firing layer without its data")


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_planted_drift_is_marked_where_it_fired(lang, monkeypatch, tmp_path):
    at = explore(monkeypatch, tmp_path, lang=lang, service="Admissions", kpi=KPI)
    (toggle,) = at.toggle
    assert toggle.label == t("explore.firings.toggle", lang) and toggle.value is True
    marks = firings(at)
    assert marks is not None and marks.height > 0
    assert set(marks["series"]) == {"Admissions"} and set(marks["polarity"]) == {"bad"}
    kinds = {t("signals.kind.silent_drift", lang), t("signals.kind.level_shift", lang)}
    assert {s.split(" — ", 1)[1] for s in marks["_signal"]} >= {t("signals.kind.silent_drift", lang)}
    assert {s.split(" — ", 1)[1] for s in marks["_signal"]} <= kinds | {
        t(f"signals.kind.{k}", lang) for k in ("anomaly", "projected_miss", "off_target_streak")
    }
    assert all(m.startswith(f"{KPI} — Admissions") for m in marks["message"])
    assert all(d.startswith(t("signals.polarity.bad", lang)) for d in marks["_desc"])


def test_the_toggle_hides_them_and_is_remembered(monkeypatch, tmp_path):
    at = explore(monkeypatch, tmp_path, lang="en", service="Admissions", kpi=KPI)
    at.toggle[0].set_value(False).run()
    assert not at.exception and firings(at) is None
    at.switch_page("app.py").run()
    at.switch_page("pages/explore.py").run()
    assert at.toggle[0].value is False and firings(at) is None
    at.toggle[0].set_value(True).run()
    assert firings(at) is not None


@pytest.mark.parametrize(
    ("query", "key", "values"),
    [
        ({"kpi": "Taux d'absentéisme"}, "explore.firings.total", {"max": MAX_SERIES}),  # 11 services: a total
        ({"kpi": KPI, "service": "Admissions", "grain": "ytd"}, "explore.firings.ytd", {}),
        (
            {"kpi": KPI, "service": "Admissions", "from": "2024-01", "to": "2024-03"},
            "explore.firings.none",
            {},
        ),
    ],
)
def test_a_chart_without_marks_says_why(query, key, values, monkeypatch, tmp_path):
    at = explore(monkeypatch, tmp_path, lang="fr", **query)
    assert firings(at) is None
    assert t(key, "fr", **values) in captions(at)
