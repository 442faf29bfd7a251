"""Real Chromium: on Explore, a clicked point becomes an action saved on the Actions page, whose marker
then shows on the curve with its "did it work?" view; a note added on a point shows on it."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser_harness import goto, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

KPI = "Délai de paiement fournisseurs"
EXPLORE = f"/explore?lang=en&service=Finances&kpi={quote(KPI)}&from=2025-11&to=2026-10"


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _series_chart(page):
    return page.get_by_test_id("stVegaLiteChart").first


def _click_point(page, period: str) -> None:
    point = _series_chart(page).locator(f"g.mark-symbol path[aria-label*='Period: {period};']").first
    point.wait_for(state="attached")
    _series_chart(page).scroll_into_view_if_needed()
    box = point.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_an_action_created_from_a_point_shows_on_the_curve_with_its_effect(page, server):
    goto(page, server.base + EXPLORE)
    _click_point(page, "April 2026")
    # The click shows that period and selects the point.
    page.wait_for_function("() => window.location.search.includes('to=2026-04')")
    wait_ready(page)
    page.get_by_text("Selected point: Finances, April 2026").wait_for()
    page.get_by_role("button", name="Create an action from this point").click()
    page.wait_for_url(re.compile(r".*/actions\?.*"))
    wait_ready(page)
    assert _query(page)["service"] == ["Finances"] and _query(page)["kpi"] == [KPI]
    expect(page.get_by_label("Service", exact=True).first).to_have_value("Finances")
    expect(page.get_by_label("KPI", exact=True).first).to_have_value(KPI)
    page.get_by_label("Title").first.fill("Browser: weekly review of late invoices")
    page.get_by_label("Owner").first.fill("Léa")
    # The date field's segments (day, month, year) take the digits typed one after the other.
    page.get_by_label("Start").first.get_by_role("spinbutton").first.click()
    page.keyboard.type("15042026")
    page.get_by_role("button", name="Create the action").click()
    page.get_by_label("Your name").fill("Ana Browser")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text(re.compile(r"Action no\. \d+ created\.")).wait_for()
    wait_ready(page)

    # Back on Explore (the filters kept): the action's start marker on April, described for screen readers.
    page.get_by_test_id("stSidebar").get_by_role("link", name="Explore").click()
    page.get_by_role("heading", name=KPI).wait_for()
    wait_ready(page)
    assert _query(page)["to"] == ["2026-04"]
    marker = _series_chart(page).locator(
        "g.mark-symbol path[aria-label^='Action start: Browser: weekly review of late invoices']"
    )
    expect(marker).to_have_count(1, timeout=20_000)
    assert "start: 15 Apr 2026" in marker.get_attribute("aria-label")
    assert "owner: Léa" in marker.get_attribute("aria-label")
    # Its title beside it (cut to the room there is).
    expect(_series_chart(page).locator("text", has_text=re.compile(r"^Browser: weekly"))).to_have_count(1)

    # Its "did it work?" view opens on its effect: a sentence, a chart, the method.
    view = page.get_by_test_id("stExpander").filter(has_text="Browser: weekly review of late invoices")
    view.get_by_text("Browser: weekly review of late invoices").click()
    view.get_by_text("How to read it:").wait_for()
    expect(view.get_by_test_id("stVegaLiteChart")).to_have_count(1)
    assert "Since April 2026: " in view.get_by_test_id("stAlert").first.inner_text()
    # The sample's own action keeps its view, reading as an improvement.
    sample = page.get_by_test_id("stExpander").filter(has_text="Dématérialiser le circuit")
    sample.get_by_text("Dématérialiser le circuit").first.click()
    sample.get_by_text("a clear improvement").wait_for()
    assert page.get_by_test_id("stException").count() == 0


def test_a_note_added_on_a_point_shows_on_the_curve(page, server):
    goto(page, server.base + EXPLORE.replace("to=2026-10", "to=2026-07"))
    _click_point(page, "July 2026")
    page.get_by_text("Selected point: Finances, July 2026").wait_for()
    page.get_by_label("Note on this point").fill("Browser: summer closure of the accounts office")
    page.get_by_role("button", name="Add the note").click()
    page.get_by_label("Your name").fill("Ana Browser")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text("Note added").wait_for()
    wait_ready(page)
    bubble = _series_chart(page).locator("g.mark-symbol path[aria-label^='Team note, July 2026, Finances:']")
    expect(bubble).to_have_count(1, timeout=20_000)
    assert "Browser: summer closure of the accounts office (Ana Browser)" in bubble.get_attribute(
        "aria-label"
    )
    # The point's own description carries it too.
    point = _series_chart(page).locator("g.mark-symbol path[aria-label*='Period: July 2026;']").first
    assert "Notes: Browser: summer closure" in point.get_attribute("aria-label")
    # Pointed at, the point's tooltip shows it.
    wait_ready(page)
    _series_chart(page).scroll_into_view_if_needed()
    box = point.bounding_box()
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(centre[0] - 30, centre[1] - 30)
    page.mouse.move(*centre, steps=5)
    tooltip = page.locator("#vg-tooltip-element")
    expect(tooltip).to_contain_text("Notes")
    expect(tooltip).to_contain_text("Browser: summer closure of the accounts office (Ana Browser)")
    page.mouse.move(5, 5)
    # Cleared, the selection can be made again on the same point.
    page.get_by_role("button", name="Clear the selection").click()
    wait_ready(page)
    expect(page.get_by_text("Selected point: Finances, July 2026")).to_have_count(0)
    _click_point(page, "July 2026")
    page.get_by_text("Selected point: Finances, July 2026").wait_for()
