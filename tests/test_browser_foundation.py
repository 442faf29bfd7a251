"""Real Chromium against a real server: the app opens on the sample, a French Excel CSV gets its exact
report, a saved dataset opens by link, and every page passes the accessibility audit."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from lib.pages import PAGES
from tests.browser_harness import axe_violations, format_violations, goto, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# A French Excel export: `;`, decimal comma, NBSP thousands, dd/mm/yyyy, Windows-1252, CRLF.
FRENCH_CSV = (
    "Période;Direction;Indicateur;Réalisé;Objectif;Unité\r\n"
    "31/01/2026;Qualité;Taux de réclamations;2,5;3,0;%\r\n"  # line 2
    "28/02/2026;Qualité;Taux de réclamations;3,4;3,0;%\r\n"  # line 3
    "31/01/2026;Qualité;Chiffre d'affaires;1\u00a0234,5;1\u00a0200,0;k€\r\n"  # line 4
    "31/13/2026;Qualité;Chiffre d'affaires;1\u00a0250,0;1\u00a0200,0;k€\r\n"  # line 5: bad date
    "28/02/2026;**Ventes**;Chiffre d'affaires;n/a;1\u00a0200,0;k€\r\n"  # line 6: not a number
    "28/02/2026;Qualité;Chiffre d'affaires;1\u00a0300,0;1\u00a0200,0;k€\r\n"  # line 7
).encode("cp1252")


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_app_opens_on_the_sample_organisation(page, server):
    goto(page, server.base + "/")
    assert page.get_by_test_id("stException").count() == 0
    # The browser context is French and no `lang` was given: French, and the URL says so explicitly.
    page.get_by_role("heading", name="Vue d'ensemble").wait_for()
    page.get_by_text("Organisation exemple · octobre 2026").wait_for()
    query = _query(page)
    assert query["dataset"] == ["sample"] and query["lang"] == ["fr"]
    score = page.get_by_test_id("stMetric").filter(has_text="Score").get_by_test_id("stMetricValue")
    assert score.inner_text().endswith("\u00a0%")  # French: 95,7 %


def test_language_switch_translates_and_updates_the_url(page, server):
    goto(page, server.base + "/?lang=fr")
    page.get_by_test_id("stSidebar").get_by_text("English").click()
    page.get_by_role("heading", name="Overview").wait_for()
    assert _query(page)["lang"] == ["en"]
    # Navigation keeps the language.
    page.get_by_test_id("stSidebar").get_by_role("link", name="Data").click()
    page.get_by_role("heading", name="Data", exact=True).wait_for()
    assert _query(page)["lang"] == ["en"]


def test_unknown_link_parameters_are_dropped_with_a_notice(page, server):
    goto(page, server.base + "/?lang=en&colour=blue&dataset=NOT%20A%20SLUG")
    page.get_by_text("Some link parameters were not understood").wait_for()
    assert "colour" not in _query(page)
    assert _query(page)["dataset"] == ["sample"]


def test_french_excel_csv_upload_shows_the_exact_report(page, server):
    goto(page, server.base + "/data?lang=fr")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "export_qualite.csv", "mimeType": "text/csv", "buffer": FRENCH_CSV}]
    )
    page.get_by_text("Lignes rejetées (2)").wait_for(timeout=30_000)
    wait_ready(page)

    def metric(label: str) -> str:
        box = page.get_by_test_id("stMetric").filter(has_text=label).first
        return box.get_by_test_id("stMetricValue").inner_text()

    assert metric("Lignes lues") == "6"
    assert metric("Lignes chargées") == "4"
    assert metric("Lignes rejetées") == "2"
    table = page.get_by_test_id("stDataFrame").first
    table.scroll_into_view_if_needed()
    cells = table.locator("[role=gridcell]")
    cells.first.wait_for(state="attached")
    texts = [cells.nth(i).inner_text() for i in range(cells.count())]
    assert texts.count("bad_date") == 1 and texts.count("not_a_number") == 1
    # The rejected-rows table is downloadable.
    with page.expect_download() as dl:
        page.get_by_role("button", name="Télécharger les lignes rejetées (CSV)").click()
    content = open(dl.value.path(), encoding="utf-8-sig").read().splitlines()
    assert content[0] == "file,line,column,value,code,reason"
    assert content[1].startswith("export_qualite.csv,5,Période,31/13/2026,bad_date,")
    assert content[2].startswith("export_qualite.csv,6,Réalisé,n/a,not_a_number,")
    assert len(content) == 3
    assert page.get_by_test_id("stException").count() == 0


def test_saved_upload_opens_by_link(page, server):
    goto(page, server.base + "/data?lang=en")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "export_qualite.csv", "mimeType": "text/csv", "buffer": FRENCH_CSV}]
    )
    page.get_by_role("button", name="Save as a new dataset").wait_for()
    page.get_by_label("Name").fill("Qualité <b>2026</b>")
    page.get_by_role("button", name="Save as a new dataset").click()
    page.get_by_text("Its link id is").wait_for()
    goto(page, server.base + "/?dataset=qualite-b-2026-b&lang=en")
    # Text from data is shown literally, never as markup.
    page.get_by_text("Qualité <b>2026</b> · February 2026").wait_for()
    assert page.locator("b", has_text="2026").count() == 0


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("path", [p.url_path for p in PAGES])
def test_every_page_passes_the_accessibility_audit(page, server, path, lang):
    goto(page, f"{server.base}{path}?lang={lang}")
    assert page.get_by_test_id("stException").count() == 0
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
