"""The sidebar's period slider: only the slider on screen may change the range. The slider gets a new
key whenever the range changes (a link, Back, a chart click); the browser can still send the previous
slider's value with the next interaction, which must not undo the change (seen in Chromium under load:
a chart click set the range to April, the old slider's October came back with the next click)."""

from __future__ import annotations

from datetime import date

import pytest

from lib.filters import ViewState
from lib.ui import filters_panel as fp
from lib.ui import state

OLD = "_w_range_2025-11-01_2026-10-01"
NOW = "_w_range_2025-11-01_2026-04-01"


@pytest.fixture
def session(monkeypatch):
    """st.session_state as a plain dict (lib.ui reads it through the streamlit module at call time)."""
    store: dict = {}
    monkeypatch.setattr(fp.st, "session_state", store)
    store[state.VIEW_KEY] = ViewState(start=date(2025, 11, 1), end=date(2026, 4, 30))
    store[fp.RANGE_KEY] = NOW
    return store


def test_a_stale_slider_does_not_change_the_range(session):
    session[OLD] = (date(2025, 11, 1), date(2026, 10, 1))
    fp._on_range(OLD, "month")
    assert state.current_view().end == date(2026, 4, 30)


def test_the_slider_on_screen_changes_the_range(session):
    session[NOW] = (date(2026, 1, 1), date(2026, 6, 1))
    fp._on_range(NOW, "month")
    view = state.current_view()
    assert (view.start, view.end) == (date(2026, 1, 1), date(2026, 6, 30))


def test_a_single_value_left_by_another_page_is_ignored(session):
    session[NOW] = date(2026, 6, 1)
    fp._on_range(NOW, "month")
    assert state.current_view().end == date(2026, 4, 30)
