"""The view state lives in st.session_state; the URL is its source of truth.

On each run: if the query string differs from the one the app last wrote (a pasted link, Back or
Forward), adopt it; otherwise keep the session's state. After the widgets, write the state back.
(Widgets bound to query params conflicted with page switches; see GUIDE.md.)
"""

from __future__ import annotations

import streamlit as st

from lib.filters import Dropped, ViewState, parse_query, query_string, to_query

VIEW_KEY = "_vigie_view"
WRITTEN_KEY = "_vigie_query_written"
# The detectors' settings chosen on the Signals page this session: Explore's replay and the briefing
# follow them.
SIGNAL_PARAMS_KEY = "_signal_params"


def signal_params() -> dict[str, dict[str, float]]:
    """The Signals page's settings when the user changed them this session, else the defaults."""
    from lib.signals import DETECTORS

    return st.session_state.setdefault(SIGNAL_PARAMS_KEY, {d.kind: d.defaults() for d in DETECTORS})


def read_view() -> tuple[ViewState, list[Dropped]]:
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    qs = query_string(params)
    if VIEW_KEY in st.session_state and qs == st.session_state.get(WRITTEN_KEY):
        return st.session_state[VIEW_KEY], []
    view, dropped = parse_query(params)
    st.session_state[VIEW_KEY] = view
    return view, dropped


def current_view() -> ViewState:
    return st.session_state[VIEW_KEY]


def set_view(view: ViewState) -> None:
    st.session_state[VIEW_KEY] = view


def write_url(view: ViewState) -> None:
    query = to_query(view)
    qs = query_string(query)
    current = query_string({k: st.query_params.get_all(k) for k in st.query_params})
    if qs != current:
        st.query_params.from_dict(query)
    st.session_state[WRITTEN_KEY] = qs
