"""Real-browser harness: a `streamlit run app.py` server on a free port and Debian's Chromium via Playwright.

Fixtures live in tests/conftest.py; helpers here are imported by browser tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / ".deps-npm" / "node_modules" / "axe-core" / "axe.min.js"
READY = "[data-testid='stApp'][data-test-script-state='notRunning']"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Streamlit server for the tests, with its own empty data folder."""

    def __init__(self, data_dir: Path, log: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "VIGIE_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
        self._log = log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.log_path = log

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {self.log_path.read_text()[-3000:]}")
            with contextlib.suppress(Exception):
                if urllib.request.urlopen(self.base + "/_stcore/health", timeout=1).read() == b"ok":
                    return
            time.sleep(0.2)
        raise TimeoutError(f"no /_stcore/health after {timeout}s: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


def wait_ready(page, timeout_ms: int = 60_000) -> None:
    """Wait until the script has finished running (after a load, a click, a rerun)."""
    # The attribute flips to "running" shortly after an interaction; give it a moment to start.
    page.wait_for_timeout(150)
    page.locator(READY).wait_for(state="attached", timeout=timeout_ms)


def open_select(container, label: str) -> None:
    """Open the select box labelled `label` in `container`, centred first: scrolled only to the
    viewport's edge (as a click scrolls), it takes the focus but its list stays shut."""
    box = container.get_by_test_id("stSelectbox").filter(has_text=label)
    box.evaluate("(e) => e.scrollIntoView({block: 'center'})")
    box.click()


def goto(page, url: str) -> None:
    page.goto(url)
    # Attached, not visible: the presentation mode starts with its sidebar collapsed.
    page.get_by_test_id("stSidebar").wait_for(state="attached", timeout=60_000)
    wait_ready(page)


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """WCAG 2 A/AA problems axe-core finds on the current page, at the given impacts."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
               values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def format_violations(violations: list[dict]) -> str:
    return json.dumps(violations, indent=2, ensure_ascii=False)
