"""Real Chromium: deep links on a fresh server, click-to-filter, filters in the URL, Back and Forward."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser_harness import Server, goto, open_select, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

ORG_WIDE_KPI = "Délai de réponse aux demandes"  # reported by every service of the sample


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _chart(page, index: int):
    return page.get_by_test_id("stVegaLiteChart").nth(index)


def _selected(sidebar, label: str) -> str:
    return sidebar.get_by_role("combobox", name=label).input_value()


def test_deep_link_is_the_first_request_after_start(browser, tmp_path):
    srv = Server(data_dir=tmp_path / "data", log=tmp_path / "streamlit.log")
    try:
        srv.wait_healthy()
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        link = (
            f"{srv.base}/explore?dataset=sample&lang=en&from=2026-01&to=2026-06&grain=quarter"
            f"&service=Admissions&kpi={quote(ORG_WIDE_KPI)}&compare=last_year"
        )
        goto(page, link)
        assert page.get_by_test_id("stException").count() == 0
        page.get_by_role("heading", name="Explore", exact=True).wait_for()
        page.get_by_role("heading", name=ORG_WIDE_KPI).wait_for()
        sidebar = page.get_by_test_id("stSidebar")
        assert sidebar.get_by_text("Admissions").first.is_visible()
        query = _query(page)
        assert query["from"] == ["2026-01"] and query["to"] == ["2026-06"] and query["grain"] == ["quarter"]
        assert query["compare"] == ["last_year"] and query["service"] == ["Admissions"]
        # The details table shows the two quarters of the range for that service only.
        table = page.get_by_test_id("stDataFrame")
        table.scroll_into_view_if_needed()
        cells = table.locator("[role=gridcell]")
        cells.first.wait_for(state="attached")
        texts = [cells.nth(i).inner_text() for i in range(cells.count())]
        assert {"Q1 2026", "Q2 2026"} <= set(texts) and "Q3 2026" not in texts
        assert set(texts) & {"Admissions"} and not set(texts) & {"Finances", "Qualité"}
        page.close()
    finally:
        srv.stop()


def test_clicking_a_heatmap_cell_opens_explore_on_it(page, server):
    goto(page, f"{server.base}/?lang=en&kpi={quote(ORG_WIDE_KPI)}")
    cell = _chart(page, 1).locator("g.mark-rect path").nth(1)
    label = cell.get_attribute("aria-label")
    service = label.split("service: ")[1].split(";")[0]
    cell.click()  # the centre, on the status symbol
    page.wait_for_url("**/explore?**")
    wait_ready(page)
    query = _query(page)
    assert query["service"] == [service] and query["kpi"] == [ORG_WIDE_KPI]
    page.get_by_role("heading", name=ORG_WIDE_KPI).wait_for()


def test_clicking_a_bar_filters_explore_and_the_url(page, server):
    goto(page, f"{server.base}/explore?lang=en&kpi={quote(ORG_WIDE_KPI)}")
    _chart(page, 1).scroll_into_view_if_needed()
    bars = _chart(page, 1).locator("g.mark-rect path")
    bars.first.wait_for(state="attached")
    assert bars.count() >= 5  # one bar per service
    # A bar with some width (a gap of exactly 0 % draws nothing to click).
    bar = next(
        bars.nth(i) for i in range(bars.count()) if (bars.nth(i).bounding_box() or {}).get("width", 0) > 4
    )
    service = bar.get_attribute("aria-label").split("label: ")[1].split(";")[0]
    bar.click(position={"x": 2, "y": 2})
    page.wait_for_function("() => window.location.search.includes('service=')")
    wait_ready(page)
    query = _query(page)
    assert query["service"] == [service]
    # The other charts follow: the bar chart redraws with one bar.
    expect(_chart(page, 1).locator("g.mark-rect path")).to_have_count(1, timeout=20_000)


def test_a_filter_change_updates_the_url_and_back_forward_restore_views(page, server):
    goto(page, f"{server.base}/explore?lang=en&kpi={quote(ORG_WIDE_KPI)}")
    assert "compare" not in _query(page)
    sidebar = page.get_by_test_id("stSidebar")
    open_select(sidebar, "Compare with")
    page.get_by_role("option", name="Same period last year").click()
    page.wait_for_function("() => window.location.search.includes('compare=last_year')")
    wait_ready(page)
    open_select(sidebar, "Grain")
    page.get_by_role("option", name="Quarter").click()
    page.wait_for_function("() => window.location.search.includes('grain=quarter')")
    wait_ready(page)

    page.go_back()
    page.wait_for_function("() => !window.location.search.includes('grain=quarter')")
    wait_ready(page)
    assert _query(page)["compare"] == ["last_year"]
    assert _selected(sidebar, "Grain") == "Month"
    page.go_back()
    page.wait_for_function("() => !window.location.search.includes('compare=')")
    wait_ready(page)
    assert _selected(sidebar, "Compare with") == "Previous period"
    page.go_forward()
    page.wait_for_function("() => window.location.search.includes('compare=last_year')")
    wait_ready(page)
    assert _selected(sidebar, "Compare with") == "Same period last year"


def test_switching_pages_keeps_the_filters(page, server):
    goto(page, f"{server.base}/explore?lang=fr&kpi={quote(ORG_WIDE_KPI)}&compare=target")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Vue d'ensemble").click()
    page.get_by_role("heading", name="Vue d'ensemble").wait_for()
    wait_ready(page)
    query = _query(page)
    assert query["kpi"] == [ORG_WIDE_KPI] and query["compare"] == ["target"] and query["lang"] == ["fr"]


def test_clicking_a_time_series_point_shows_that_period(page, server):
    goto(
        page,
        f"{server.base}/explore?lang=en&service=Admissions&kpi={quote(ORG_WIDE_KPI)}&from=2025-11&to=2026-10",
    )
    points = _chart(page, 0).locator("g.mark-symbol path[aria-label*='Period: February 2026']")
    points.first.wait_for(state="attached")
    box = points.first.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("() => window.location.search.includes('to=2026-02')")
    wait_ready(page)
    assert _query(page)["from"] == ["2025-11"]
    # The bars and the distribution now show February: their tooltips name no later month.
    page.get_by_role("heading", name=ORG_WIDE_KPI).wait_for()
