"""What the AppTest suites of store-backed pages share: a fresh data folder with the sample seeded as
the pages seed it, a page opened with its URL parameters and author, and a button clicked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lib.config import Settings
from lib.store import Store
from lib.ui import data
from lib.ui import store as ui_store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PROCESS_CACHES: tuple[Callable, ...] = (data.settings, data.library, ui_store.store)


@contextmanager
def seeded_store(tmp_path: Path, monkeypatch, caches: tuple[Callable, ...] = ()) -> Iterator[Store]:
    """This test's data folder (its SQLite file) and a Store on it, the sample seeded as the pages do
    (action ids are then the same whoever writes first): "the other person", or a check of what a
    page recorded. The process-wide caches are cleared before and after, so they read this folder."""
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    cleared = (*PROCESS_CACHES, *caches)
    for cached in cleared:
        cached.clear()
    store = Store.from_settings(Settings.load())
    store.seed_sample()
    try:
        yield store
    finally:
        store.close()
        for cached in cleared:
            cached.clear()


def open_page(
    page: str, lang: str = "en", *, author: str | None = None, timeout: int = 60, **query
) -> AppTest:
    """`page` opened as a link would open it (query parameters), with this session's author set."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params["lang"] = lang
    for key, value in query.items():
        at.query_params[key] = value
    if author:
        at.session_state[ui_store.AUTHOR_KEY] = author
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def click_label(at: AppTest, label: str) -> AppTest:
    """Click the first button labelled `label`, and run."""
    matches = [b for b in at.button if b.label == label]
    assert matches, [b.label for b in at.button]
    matches[0].click().run()
    assert not at.exception, at.exception
    return at
