"""Meta-tests in the spirit of datasette's: everything listed once is complete and documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lib.contract import COLUMNS, REJECTION_CODES
from lib.filters import LIST_PARAMS
from lib.i18n import catalog
from lib.pages import PAGES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
URL_PARAMS = ["dataset", "lang", "from", "to", "grain", *LIST_PARAMS, "gap_min", "gap_max", "compare"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.key)
def test_every_page_exists_is_translated_and_documented(page):
    assert (ROOT / page.script).is_file()
    for lang in ("fr", "en"):
        assert f"common.nav.{page.key}" in catalog(lang)
    assert f"`{page.url_path}`" in README, f"README does not list the page path {page.url_path}"


def test_pages_directory_holds_only_registered_pages():
    scripts = {p.script for p in PAGES}
    on_disk = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}
    assert on_disk == scripts - {"app.py"}


@pytest.mark.parametrize("code", REJECTION_CODES)
def test_every_rejection_code_is_documented_and_translated(code):
    assert re.search(rf"`{code}`", README), f"README does not list rejection code {code}"
    for lang in ("fr", "en"):
        assert f"ingest.reject.{code}" in catalog(lang)


@pytest.mark.parametrize("column", [c.name for c in COLUMNS])
def test_every_column_of_the_contract_is_documented(column):
    assert f"`{column}`" in README


@pytest.mark.parametrize("param", URL_PARAMS)
def test_every_url_parameter_is_documented(param):
    assert re.search(rf"`{param}`", README), f"README does not document the URL parameter {param}"
