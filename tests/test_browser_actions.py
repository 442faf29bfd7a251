"""Real Chromium: an action created from a signal card, edited, commented, marked done and seen in the
table, with the name asked once; the Actions page's accessibility is audited with every page's
(tests/test_browser_foundation.py) and here with its forms open."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser_harness import axe_violations, format_violations, goto, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _grid_texts(page) -> list[str]:
    table = page.get_by_test_id("stDataFrame").first
    table.scroll_into_view_if_needed()
    cells = table.locator("[role=gridcell]")
    cells.first.wait_for(state="attached")
    return [cells.nth(i).inner_text() for i in range(cells.count())]


def _metric(page, label: str) -> int:
    box = page.get_by_test_id("stMetric").filter(has_text=label).first
    return int(box.get_by_test_id("stMetricValue").inner_text())


def test_an_action_from_a_signal_is_edited_commented_and_closed(page, server):
    goto(page, f"{server.base}/signals?lang=en&from=2025-11&to=2026-10")
    # The first warning card: its sentence reads "KPI — Service: …".
    button = page.get_by_test_id("stMain").get_by_role("button", name="Create an action").first
    card = button.locator(
        "xpath=ancestor::div[.//div[@data-testid='stMarkdownContainer'][contains(., ' — ')]][1]"
    )
    sentence = card.get_by_test_id("stMarkdownContainer").filter(has_text=" — ").first.inner_text()
    kpi, service = sentence.split(" — ")[0], sentence.split(" — ")[1].split(":")[0].strip()
    button.click()
    page.wait_for_url(re.compile(r".*/actions\?.*"))
    wait_ready(page)
    # The shared filters travel with it; the form opens prefilled from the signal.
    assert _query(page)["from"] == ["2025-11"] and _query(page)["lang"] == ["en"]
    page.get_by_text("Created from a signal:").first.wait_for()
    # The form's box, not the follow-up's nor a table's "Title": the seeded actions show those too.
    title = page.get_by_role("textbox", name="Title", exact=True).first
    expect(title).to_have_value(re.compile(f" — {re.escape(kpi)}$"))
    expect(page.get_by_label("Service", exact=True).first).to_have_value(service)
    expect(page.get_by_label("KPI", exact=True).first).to_have_value(kpi)
    title.fill("Browser: reinforce the team")
    page.get_by_label("Owner").first.fill("Léa")
    page.get_by_role("button", name="Create the action").click()
    # No one signed in: a name is asked once, then the action is created with it.
    page.get_by_label("Your name").fill("Ana Browser")
    page.get_by_role("button", name="Continue").click()
    page.get_by_text(re.compile(r"Action no\. \d+ created\.")).wait_for()
    wait_ready(page)
    number = page.get_by_text(re.compile(r"Action no\. \d+ created\.")).inner_text().split()[2]

    # Open forms, the timeline and the follow-up section pass the audit too (the page-wide audit sees
    # them closed).
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)

    # It is picked for follow-up below: edit it.
    page.get_by_text("Created by Ana Browser").wait_for()
    edit = page.get_by_test_id("stForm").nth(1)
    edit.get_by_label("Owner").fill("Marc")
    edit.get_by_role("button", name="Save the changes").click()
    page.get_by_text("Changes saved (version 2).").wait_for()
    wait_ready(page)

    page.get_by_label("Add a comment").fill("Called the <b>team</b> on Monday")
    page.get_by_role("button", name="Post the comment").click()
    page.get_by_text("Called the <b>team</b> on Monday").wait_for()  # literally, not as HTML
    assert page.locator("b", has_text="team").count() == 0
    wait_ready(page)

    before = {k: _metric(page, k) for k in ("Open", "Done")}
    page.get_by_role("button", name="Mark done").click()
    page.get_by_text("Changes saved (version 3).").wait_for()
    wait_ready(page)
    history = page.get_by_test_id("stDataFrame").last
    history.scroll_into_view_if_needed()
    expect(history.locator("[role=gridcell]").filter(has_text="Done")).to_have_count(1)

    # Done, it leaves the open actions and shows among all of them.
    assert _metric(page, "Open") == before["Open"] - 1 and _metric(page, "Done") == before["Done"] + 1
    page.get_by_text("All", exact=True).click()
    wait_ready(page)
    # Its owner only: the grid draws just the rows in view, and the seeded actions come before it.
    owners = page.get_by_test_id("stMultiSelect").filter(has_text="Owner").first
    owners.evaluate("(e) => e.scrollIntoView({block: 'center'})")
    owners.click()
    page.get_by_role("option", name="Marc", exact=True).click()
    page.keyboard.press("Escape")
    wait_ready(page)
    cells = page.get_by_test_id("stDataFrame").first.locator("[role=gridcell]")
    expect(cells.filter(has_text="Mathieu Chevalier")).to_have_count(0)  # redrawn: a seeded owner gone
    texts = _grid_texts(page)
    assert "Browser: reinforce the team" in texts, texts
    row = texts.index("Browser: reinforce the team")
    assert texts[row - 1] == number and "Done" in texts[row : row + 8] and "Marc" in texts[row : row + 8]
    assert page.get_by_test_id("stException").count() == 0


def test_selecting_a_table_row_follows_that_action(page, server):
    goto(page, f"{server.base}/actions?lang=en")
    page.get_by_text("All", exact=True).click()
    wait_ready(page)
    table = page.get_by_test_id("stDataFrame").first
    table.scroll_into_view_if_needed()
    # Redrawn with all statuses (the seeded done action among them) before its first row is read.
    expect(table.locator("[role=gridcell]").filter(has_text=re.compile(r"^Done$")).first).to_be_attached()
    first_title = table.locator("[role=gridcell]").nth(2).inner_text()
    # The first row's selection box (the grid is drawn on a canvas: its header and rows are 35 px).
    box = table.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)
    wait_ready(page)
    picked = page.get_by_role("combobox", name="Action", exact=True)
    expect(picked).to_have_value(re.compile(re.escape(first_title)))
    expect(page.get_by_label("Title", exact=True).last).to_have_value(first_title)
