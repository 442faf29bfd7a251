"""Shared fixtures. Browser fixtures start one Streamlit server and one Chromium per test worker."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.browser_harness import AXE, CHROMIUM, CHROMIUM_ARGS, Server

ROOT = Path(__file__).resolve().parent.parent

# Every chart the app draws under test (AppTest in this process, the browser tests' server) is checked
# against the Vega-Lite schema; in use that check is skipped for speed (lib/ui/__init__.py).
os.environ.setdefault("VIGIE_VALIDATE_CHARTS", "1")


@pytest.fixture(scope="session")
def postgres_url():
    """A PostgreSQL server for the store tests: the one `make test` started (VIGIE_TEST_POSTGRES_URL),
    else a throwaway cluster started here (.ci/postgres.sh) and removed after. Never skipped."""
    url = os.environ.get("VIGIE_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    out = subprocess.run(
        ["bash", str(ROOT / ".ci" / "postgres.sh"), "start"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, f"could not start PostgreSQL for the tests: {out.stderr}"
    env = dict(line.removeprefix("export ").split("=", 1) for line in out.stdout.splitlines())
    try:
        yield env["VIGIE_TEST_POSTGRES_URL"]
    finally:
        subprocess.run(["bash", str(ROOT / ".ci" / "postgres.sh"), "stop", env["VIGIE_TEST_POSTGRES_DIR"]])


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """`streamlit run app.py` on a free port, with an empty data folder, healthy before tests start."""
    tmp = tmp_path_factory.mktemp("server")
    srv = Server(data_dir=tmp / "data", log=tmp / "streamlit.log")
    try:
        srv.wait_healthy()
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="session")
def browser():
    # A missing browser or axe-core is a broken set-up, not a reason to skip: `make test` installs both.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)"
    assert AXE.exists(), f"{AXE} is missing: run `make test` (it installs axe-core from npm)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, locale="fr-FR", accept_downloads=True
    )
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()
