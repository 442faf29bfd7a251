"""Latency of Explore filter changes in a real browser, from the change to the updated chart.

    .venv/bin/python benchmarks/browser_latency.py                   # 10M rows
    .venv/bin/python benchmarks/browser_latency.py --rows 1000000 --json

Saves a generated extract (benchmarks/.cache, see bench.py) into a temporary data folder with
DatasetLibrary, starts `streamlit run app.py` headless on a free port with that folder
(tests/browser_harness.py), opens /explore?dataset=<slug>&kpi=<kpi>&grain=month&service=... (two
services; --start-services 0 starts from all of them) in Debian's Chromium, and drives the sidebar
widgets through filter changes: grain, comparison, services; the period by URL navigation. Each
change is timed inside the page: from the user's input event that started the rerun to the later of
the script finishing (`data-test-script-state="notRunning"`) and the last change to the DOM of a
chart. Prints the median and p95; the server is always stopped.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from benchmarks.bench import extract_path, machine  # noqa: E402
from lib.datasets import DatasetLibrary  # noqa: E402
from tests.browser_harness import CHROMIUM, CHROMIUM_ARGS, Server, open_select  # noqa: E402

KPI = "Chiffre d'affaires formation continue"  # a summed KPI; small extracts may not have it
ADDED = 2  # services added one by one during the run
QUIET_MS = 300  # no chart change for this long after the script ended: the chart is drawn
TIMEOUT_MS = 120_000

# Installed before any page script: timestamps (performance.now(), ms since navigation) of the last
# user input, of script runs starting and ending, and of the last DOM change inside a chart.
PROBE = """
(() => {
  const s = window.__lat = {input: 0, start: 0, running: false, ran: false, runAt: 0, doneAt: 0, chartAt: 0};
  const mark = () => { s.input = performance.now(); };
  for (const type of ['pointerdown', 'click', 'keydown']) document.addEventListener(type, mark, true);
  const inChart = (node) => {
    const el = node && (node.nodeType === 1 ? node : node.parentElement);
    return !!(el && el.closest("[data-testid='stVegaLiteChart']"));
  };
  const watch = () => {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app) { requestAnimationFrame(watch); return; }
    new MutationObserver(() => {
      const state = app.getAttribute('data-test-script-state');
      if (state === 'running' && !s.running) {
        s.running = true; s.ran = true; s.start = s.input; s.runAt = performance.now();
      }
      if (state === 'notRunning' && s.running) { s.running = false; s.doneAt = performance.now(); }
    }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    new MutationObserver((records) => {
      if (records.some((r) => inChart(r.target) || [...r.addedNodes].some(inChart))) {
        s.chartAt = performance.now();
      }
    }).observe(app, {subtree: true, childList: true, attributes: true, characterData: true});
  };
  watch();
})();
"""
RESET = "() => Object.assign(window.__lat, {start: 0, ran: false, runAt: 0, doneAt: 0, chartAt: 0})"
# Settled: a run started after the reset and ended, a chart changed after the input, and both are
# older than QUIET_MS.
SETTLED = f"""() => {{
  const s = window.__lat;
  return s.ran && !s.running && s.chartAt > s.start
    && performance.now() - Math.max(s.doneAt, s.chartAt) > {QUIET_MS};
}}"""
# Total, and its phases: until the server starts the run, the run (script and its messages), drawing after.
ELAPSED = """() => { const s = window.__lat; const end = Math.max(s.doneAt, s.chartAt);
  return [end - s.start, s.runAt - s.start, s.doneAt - s.runAt, end - s.doneAt]; }"""


@dataclass(frozen=True)
class Change:
    name: str
    act: Callable  # (page) -> None: performs the change with the widgets


def _select(label: str, option: str) -> Callable:
    def act(page) -> None:
        open_select(page.get_by_test_id("stSidebar"), label)
        page.get_by_role("option", name=option, exact=True).click()

    return act


def _add_service(name: str) -> Callable:
    def act(page) -> None:
        box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Services")
        box.locator("input").click()
        page.keyboard.type(name)  # the whole name: the option list only renders the first matches
        page.get_by_role("option", name=name, exact=True).click()

    return act


def _remove_service(page) -> None:
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(has_text="Services")
    box.locator(".react-aria-ComboBox button[aria-label^='Remove ']").first.click()


def _period(start: str, end: str) -> Callable:
    """The period by URL navigation inside the app (pushState + popstate, as Back and Forward do):
    the period slider does not commit range changes (see benchmarks/README.md)."""

    def act(page) -> None:
        page.evaluate(
            """([start, end]) => {
              const url = new URL(location.href);
              url.searchParams.set('from', start);
              url.searchParams.set('to', end);
              window.__lat.input = performance.now();  // no input event here: this is the change
              history.pushState(null, '', url.toString());
              dispatchEvent(new PopStateEvent('popstate', {state: null}));
            }""",
            [start, end],
        )

    return act


def _month(last: date, back: int) -> str:
    m = last.year * 12 + last.month - 1 - back
    return f"{m // 12:04d}-{m % 12 + 1:02d}"


def changes(services: list[str], last: date) -> list[Change]:
    """At least 10 changes; the service ones need as many services in the data."""
    added = [Change(f"add service {i + 1}", _add_service(name)) for i, name in enumerate(services)]
    return [
        Change("grain quarter", _select("Grain", "Quarter")),
        Change("grain month", _select("Grain", "Month")),
        Change("compare last year", _select("Compare with", "Same period last year")),
        Change("compare previous", _select("Compare with", "Previous period")),
        *added,
        Change("period last 6 months", _period(_month(last, 5), _month(last, 0))),
        Change("compare target", _select("Compare with", "Target")),
        *([Change("remove a service", _remove_service)] if added else []),
        Change("period 12 months earlier", _period(_month(last, 12), _month(last, 1))),
        Change("grain year", _select("Grain", "Year")),
        Change("grain month again", _select("Grain", "Month")),
    ]


@dataclass(frozen=True)
class Saved:
    slug: str
    kpi: str  # the KPI Explore shows
    shown: list[str]  # services in the first view's URL (none: all services)
    services: list[str]  # services to add to the filter
    last: date  # the last period of the data


def save_dataset(rows: int, root: Path, start_services: int) -> Saved:
    """Save the cached extract into a fresh data folder; pick the KPI and services the run uses."""
    path = extract_path(rows)
    extract = pl.read_parquet(path)
    catalog = pl.read_parquet(path.with_name(f"{path.stem}_catalog.parquet"))
    info = DatasetLibrary(root).save(f"Latency {rows}", extract, catalog, sources=[path.name])
    kpis = sorted(extract["kpi"].unique().cast(pl.String).to_list())
    names = sorted(extract["service"].unique().cast(pl.String).to_list())
    wanted = start_services + ADDED
    picked = list(dict.fromkeys(names[len(names) * i // wanted] for i in range(wanted)))
    shown = picked[:start_services]
    kpi = KPI if KPI in kpis else kpis[0]
    return Saved(info.slug, kpi, shown, picked[len(shown) :], extract["period"].max())


def first_url(base: str, saved: Saved) -> str:
    services = "".join(f"&service={quote(name)}" for name in saved.shown)
    return f"{base}/explore?dataset={saved.slug}&lang=en&grain=month&kpi={quote(saved.kpi)}{services}"


def percentile(values: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class AppFailed(RuntimeError):
    """The page showed an exception, or never settled: no timing is reported for a broken view."""


def _settle(page, step: str) -> None:
    """Wait until the run after `step` is done and a chart drawn; fail on an exception on the page."""
    failed = page.get_by_test_id("stException")
    try:
        page.wait_for_function(
            f"() => ({SETTLED})() || !!document.querySelector(\"[data-testid='stException']\")",
            timeout=TIMEOUT_MS,
        )
    except Exception as exc:
        state = page.evaluate("() => window.__lat")
        raise AppFailed(f"{step}: not settled after {TIMEOUT_MS} ms ({state})") from exc
    if failed.count():
        raise AppFailed(f"{step}: the page shows an exception: {failed.first.inner_text()[:600]}")


def measure(base: str, saved: Saved, log) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="en-GB")
            page.set_default_timeout(TIMEOUT_MS)
            page.add_init_script(PROBE)
            page.goto(first_url(base, saved))
            _settle(page, "first load")
            first_load = page.evaluate("() => Math.max(window.__lat.doneAt, window.__lat.chartAt)")
            log(f"first load {first_load:.0f} ms")
            timings = []
            for change in changes(saved.services, saved.last):
                page.evaluate(RESET)
                try:
                    change.act(page)
                except Exception as exc:  # a widget not found or not clickable: say which change
                    raise AppFailed(f"{change.name}: could not drive the widget: {exc}") from exc
                _settle(page, change.name)
                elapsed, *phases = page.evaluate(ELAPSED)
                timings.append((change.name, elapsed, phases))
                wait, run, draw = (f"{ms:5.0f}" for ms in phases)
                log(f"{change.name:<24} {elapsed:7.0f} ms  (to run {wait}, run {run}, drawing after {draw})")
                page.keyboard.press("Escape")  # close a dropdown left open; after the timing
        finally:
            browser.close()
    values = [ms for _, ms, _ in timings]
    phases = zip(*(p for _, _, p in timings), strict=True)
    return {
        "changes": len(values),
        "median_ms": round(statistics.median(values), 1),
        "p95_ms": round(percentile(values, 0.95), 1),
        "first_load_ms": round(first_load, 1),
        "phases_median_ms": {
            name: round(statistics.median(ms), 1)
            for name, ms in zip(("to_run", "run", "draw"), phases, strict=True)
        },
        "per_change": {name: round(ms, 1) for name, ms, _ in timings},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="benchmarks/browser_latency.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--rows", type=int, default=10_000_000, help="extract size (default 10M)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--start-services",
        type=int,
        default=2,
        help="services in the first view (0: all, the page's default; then Explore draws their total)",
    )
    args = parser.parse_args(argv)
    log = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    # A TERM (a timeout, a CI cancel) must still reach the finally below that stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    log(machine())
    tmp = Path(tempfile.mkdtemp(prefix="vigie-latency-"))
    server = None
    try:
        started = time.perf_counter()
        saved = save_dataset(args.rows, tmp / "data", args.start_services)
        log(f"saved {args.rows:,} rows as {saved.slug!r} in {time.perf_counter() - started:.1f} s")
        server = Server(data_dir=tmp / "data", log=tmp / "streamlit.log")
        server.wait_healthy()
        result = {"rows": args.rows, **measure(server.base, saved, log)}
    except AppFailed as exc:
        print(f"FAILED {exc}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(
            f"{result['rows']:,} rows: {result['changes']} changes, median {result['median_ms']:.0f} ms, "
            f"p95 {result['p95_ms']:.0f} ms; first load {result['first_load_ms']:.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
