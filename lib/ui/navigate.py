"""Click to navigate: a chart selection becomes filters, and the app switches page with them in the URL."""

from __future__ import annotations

import streamlit as st

from lib.filters import ViewState, to_query
from lib.ui import state


def open_page(script: str, view: ViewState) -> None:
    state.set_view(view)
    st.switch_page(script, query_params=to_query(view))


def open_explore(
    raw: ViewState, *, service: str | None = None, kpi: str | None = None, axis: str | None = None
) -> None:
    """Explore filtered on what was clicked (other filters kept)."""
    changes: dict[str, object] = {}
    if service:
        changes["services"] = (service,)
    if kpi:
        changes["kpis"] = (kpi,)
    if axis and axis != "—":
        changes["axes"] = (axis,)
    open_page("pages/explore.py", raw.with_(**changes))
