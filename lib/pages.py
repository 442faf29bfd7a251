"""The app's pages, listed once: the sidebar menu, the tests and the README loop over this registry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    key: str  # also the translation key `common.nav.<key>`
    script: str  # path from the project root, as Streamlit's `pages/` directory mode expects
    url_path: str  # what a shared link looks like
    icon: str
    filters: bool = True  # shows the shared filter panel (every page carries the filters in its links)


PAGES: tuple[Page, ...] = (
    Page("overview", "app.py", "/", ":material/dashboard:"),
    Page("explore", "pages/explore.py", "/explore", ":material/query_stats:"),
    Page("service", "pages/service.py", "/service", ":material/groups:"),
    Page("signals", "pages/signals.py", "/signals", ":material/notifications_active:"),
    Page("actions", "pages/actions.py", "/actions", ":material/task_alt:"),
    Page("briefing", "pages/briefing.py", "/briefing", ":material/slideshow:"),
    Page("present", "pages/present.py", "/present", ":material/co_present:", filters=False),
    Page("data", "pages/data.py", "/data", ":material/database:", filters=False),
)
PAGE_BY_KEY = {p.key: p for p in PAGES}
