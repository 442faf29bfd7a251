"""AppTest smoke tests: every page runs without an exception, in both languages, on the sample."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.pages import PAGES

APP = str(Path(__file__).resolve().parent.parent / "app.py")

TIMEOUT = 30


def run_page(script: str, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if script != "app.py":
        at.switch_page(script)
        at.run()
    return at


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.key)
def test_page_runs(page, lang, tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    at = run_page(page.script, lang=lang)
    assert not at.exception, at.exception
    assert at.title[0].value  # every page has a title


def test_overview_shows_the_sample_in_french(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    at = run_page("app.py", lang="fr")
    assert at.title[0].value == "Vue d'ensemble"
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Services"]) >= 10
    assert int(metrics["Indicateurs"]) >= 25
    assert at.query_params["dataset"] in ("sample", ["sample"])
