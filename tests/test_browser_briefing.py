"""Real Chromium against a real server: from an Explore link's filters to the Briefing page, one click
prepares the pack, each file downloads with its name and reads back (python-pptx, pypdf), and the
presentation mode walks the same slides with the slide number in the URL."""

from __future__ import annotations

import io
import re
from datetime import date
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from pptx import Presentation
from pypdf import PdfReader

from tests.browser_harness import READY, axe_violations, format_violations, goto, wait_ready

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

VIEW = [
    ("dataset", "sample"),
    ("lang", "fr"),
    ("from", "2026-01"),
    ("to", "2026-09"),
    ("service", "Admissions"),
    ("service", "Qualité"),
]
TITLE = "Revue de performance — Organisation exemple"
KPI = "Candidatures reçues"  # an Admissions KPI


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def _expected_view() -> dict[str, list[str]]:
    return parse_qs(urlencode(VIEW))


def _download(page, label: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    download = info.value
    with open(download.path(), "rb") as fh:
        return download.suggested_filename, fh.read()


def _slide_text(slide) -> str:
    """Every text of a slide: its text boxes and its tables' cells."""
    parts = [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]
    for sh in slide.shapes:
        if sh.has_table:
            parts += [cell.text for row in sh.table.rows for cell in row.cells]
    return "\n".join(parts)


def test_a_pack_from_an_explore_link_downloads_and_presents(page, server):
    goto(page, f"{server.base}/explore?{urlencode(VIEW)}")
    page.get_by_test_id("stSidebar").get_by_role("link", name="Dossier de réunion").click()
    page.get_by_role("heading", name="Dossier de réunion", exact=True).wait_for(timeout=60_000)
    wait_ready(page)
    assert urlparse(page.url).path == "/briefing"
    assert {k: v for k, v in _query(page).items() if k != "compare"} == _expected_view()
    assert page.get_by_test_id("stException").count() == 0

    page.get_by_role("button", name="Préparer le dossier").click()
    # A fresh browser: the name is asked once, then the pack is prepared with it.
    page.get_by_label("Votre nom").fill("Ana")
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("button", name="PowerPoint (.pptx)").wait_for(timeout=60_000)
    wait_ready(page)
    stem = f"vigie-briefing_sample_2026-09_{date.today().isoformat()}"

    name, pptx_bytes = _download(page, "PowerPoint (.pptx)")
    assert name == f"{stem}.pptx"
    deck = Presentation(io.BytesIO(pptx_bytes))
    texts = [_slide_text(slide) for slide in deck.slides]
    assert TITLE in texts[0]
    assert any(KPI in text for text in texts)
    assert any(sh.shape_type == 13 for slide in deck.slides for sh in slide.shapes), "no chart picture"

    name, pdf_bytes = _download(page, "PDF")
    assert name == f"{stem}.pdf"
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes)).pages)
    # (The title may wrap: its first words.)
    assert "Revue de performance" in text and KPI in text and "septembre 2026" in text

    name, xlsx_bytes = _download(page, "Excel (.xlsx)")
    assert name == f"{stem}.xlsx" and xlsx_bytes[:2] == b"PK"

    # Recorded and listed under the past packs.
    assert page.get_by_text("Dossiers précédents").count() == 1
    assert page.get_by_test_id("stException").count() == 0

    goto_present = f"{server.base}/present?{urlencode([*VIEW, ('slide', '2')])}"
    page.goto(goto_present)
    page.locator(READY).wait_for(state="attached", timeout=60_000)
    page.get_by_text("Diapositive 2 / ").wait_for()
    # The sidebar starts collapsed on the presentation page.
    assert not page.get_by_test_id("stSidebar").is_visible()
    page.get_by_role("button", name="Suivante").click()
    page.wait_for_url(re.compile(r"slide=3"))
    wait_ready(page)
    # (The pack just prepared is for the same period: no "since" slide, the services come third.)
    page.get_by_role("heading", name="Admissions", exact=True).wait_for()
    assert page.get_by_text("Diapositive 3 / ").count() == 1
    query = _query(page)
    assert query["slide"] == ["3"] and query["service"] == ["Admissions", "Qualité"]
    # A presenter's clicker or the keyboard: ← goes back a slide.
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(re.compile(r"slide=2"))
    wait_ready(page)
    # The link back to Explore keeps the filters and drops the slide.
    href = page.get_by_role("link", name="Explorer avec ces filtres").get_attribute("href")
    back = parse_qs(urlparse(href).query)
    assert "slide" not in back and back["service"] == ["Admissions", "Qualité"]
    assert page.get_by_test_id("stException").count() == 0


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_presentation_mode_passes_the_accessibility_audit(page, server, lang):
    # (Opened without `goto`: its sidebar starts collapsed, so there is no visible sidebar to wait for.)
    page.goto(f"{server.base}/present?lang={lang}&slide=2")
    page.locator(READY).wait_for(state="attached", timeout=60_000)
    wait_ready(page)
    page.get_by_test_id("stMetric").first.wait_for()
    assert page.get_by_test_id("stException").count() == 0
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
    # The first slide with a chart (a "since the last briefing" slide may come first).
    for _ in range(3):
        if page.get_by_test_id("stVegaLiteChart").count():
            break
        page.get_by_role("button", name={"fr": "Suivante", "en": "Next"}[lang]).click()
        wait_ready(page)
    page.get_by_test_id("stVegaLiteChart").first.wait_for()
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)
