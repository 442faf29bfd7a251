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
    assert metrics["Score"].endswith("%") and metrics["Complétude des données"].endswith("%")
    assert at.query_params["dataset"] in ("sample", ["sample"])
    assert len(at.get("vega_lite_chart")) >= 3  # status split, heatmap, leaderboard


def test_service_page_from_a_link_shows_that_service(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["service"] = "Admissions"
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/service.py")
    at.run()
    assert not at.exception
    assert [h.value for h in at.header] == ["Admissions"]
    assert any(m.label == "Score" for m in at.metric)


def test_malformed_link_parameters_are_dropped_with_a_notice(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    at = run_page("app.py", lang="en", grain="fortnight", status="great", kpi="No such KPI")
    assert not at.exception
    notice = " ".join(w.value for w in at.warning).replace("\\", "")  # Markdown escapes
    assert "grain=fortnight" in notice and "status=great" in notice and "kpi=No such KPI" in notice
    assert "grain" not in at.query_params and "status" not in at.query_params and "kpi" not in at.query_params


def test_explore_draws_the_total_when_services_are_many(tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    at = run_page("pages/explore.py", lang="en", kpi="Délai de réponse aux demandes")
    assert not at.exception
    import pyarrow as pa

    chart = at.get("vega_lite_chart")[0].proto
    series = set()
    for dataset in chart.datasets:  # Streamlit ships chart data as Arrow, beside the spec
        table = pa.ipc.open_stream(dataset.data.data).read_all()
        if "series" in table.column_names:
            series |= set(table.column("series").to_pylist())
    assert json.loads(chart.spec)["description"]  # and the chart has an accessible name
    assert series == {"Total of the services"}


def test_the_period_slider_writes_the_range_to_the_url(tmp_path, monkeypatch):
    from datetime import date

    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    at = run_page("app.py", lang="en")
    assert at.select_slider[0].value == (date(2025, 11, 1), date(2026, 10, 1))
    at.select_slider[0].set_value((date(2026, 1, 1), date(2026, 6, 1))).run()
    assert not at.exception
    assert (at.query_params["from"], at.query_params["to"]) in (
        ("2026-01", "2026-06"),
        (["2026-01"], ["2026-06"]),
    )
    assert at.select_slider[0].value == (date(2026, 1, 1), date(2026, 6, 1))


def test_explore_continues_a_service_line_with_its_projection(tmp_path, monkeypatch):
    import pyarrow as pa

    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    at = run_page(
        "pages/explore.py",
        lang="fr",
        kpi="Recettes partenariats entreprises",
        service="Relations entreprises",
    )
    assert not at.exception
    chart = at.get("vega_lite_chart")[0].proto
    tables = [pa.ipc.open_stream(d.data.data).read_all() for d in chart.datasets]
    projected = [tb for tb in tables if {"mean", "low", "high"} <= set(tb.column_names)]
    assert projected and projected[0].num_rows >= 2  # from October to the year's end


def test_explore_links_to_the_briefing_pack_of_the_same_view(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    at = run_page("pages/explore.py", lang="en", service="Finances", kpi="Délai de paiement fournisseurs")
    assert not at.exception
    links = [p.proto for p in at.get("page_link") if p.proto.label == "Briefing pack of this view"]
    assert len(links) == 1 and links[0].page.endswith("briefing")
    query = links[0].query_string
    assert "service=Finances" in query and "kpi=D%C3%A9lai" in query and "lang=en" in query
