"""The filter widgets of the shared sidebar. Each widget is drawn from the view state and writes back
to it in its on_change callback; the URL follows (lib/ui/state.py)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import streamlit as st

from lib.filters import Domain, ViewState, allowed_grains, period_end, share_link
from lib.i18n import t
from lib.model import COMPARES, STATUSES
from lib.periods import period_label, truncate_date
from lib.ui import state
from lib.ui.text import md_escape


@lru_cache(maxsize=16)
def _labels(periods: tuple[date, ...], grain: str, lang: str) -> dict[date, str]:
    """Slider labels, formatted once per dataset and language (babel is slow on 400 daily periods)."""
    return {p: period_label(p, grain, lang, short=True) for p in periods}


def _set(field: str, convert=lambda v: v):
    def callback() -> None:
        state.set_view(state.current_view().with_(**{field: convert(st.session_state[f"_w_{field}"])}))

    return callback


# The key of the period slider the last run drew. The slider gets a new key whenever the view's range
# changes; the browser may still send the previous slider's value with the next interaction (seen
# under load: a chart click set the range to April, then the old slider's October came back with the
# next button click and undid it). Only the slider on screen may change the range.
RANGE_KEY = "_w_range_current"


def _on_range(key: str, grain: str) -> None:
    if key != st.session_state.get(RANGE_KEY):
        return
    value = st.session_state.get(key)
    if not isinstance(value, (tuple, list)) or len(value) != 2:  # a stale single value from another page
        return
    start, end = value
    state.set_view(state.current_view().with_(start=start, end=period_end(end, grain)))


def _on_reset() -> None:
    view = state.current_view()
    state.set_view(ViewState(dataset=view.dataset, lang=view.lang))


def filters_panel(raw: ViewState, view: ViewState, domain: Domain, periods: list[date], lang: str) -> None:
    """`raw` is what the user chose (written to the URL); `view` the same with defaults filled."""
    st.markdown(f"**{t('common.filters.title', lang)}**")
    grain = domain.grain
    if len(periods) > 1:
        lo = truncate_date(view.start, grain) if view.start else periods[0]
        hi = truncate_date(view.end, grain) if view.end else periods[-1]
        lo = min(max(lo, periods[0]), periods[-1])
        hi = min(max(hi, lo), periods[-1])
        labels = _labels(tuple(periods), grain, lang)
        # A new widget whenever the view's range changes (a link, Back, a chart click): a keyed slider
        # would otherwise keep showing its own last value.
        key = f"_w_range_{lo}_{hi}"
        st.session_state[RANGE_KEY] = key
        st.select_slider(
            t("common.filters.period", lang),
            options=periods,
            value=(lo, hi),
            key=key,
            format_func=labels.__getitem__,
            on_change=_on_range,
            args=(key, grain),
        )
    grains = allowed_grains(grain)
    st.session_state["_w_grain"] = view.grain if view.grain in grains else grain
    st.selectbox(
        t("common.filters.grain", lang),
        grains,
        key="_w_grain",
        on_change=_set("grain"),
        format_func=lambda g: t(f"common.grain.{g}", lang),
    )
    st.session_state["_w_compare"] = view.compare
    st.selectbox(
        t("common.filters.compare", lang),
        COMPARES,
        key="_w_compare",
        on_change=_set("compare"),
        format_func=lambda c: t(f"common.compare.{c}", lang),
    )
    for field, options in (("services", domain.services), ("axes", domain.axes), ("kpis", domain.kpis)):
        if field == "axes" and not options:
            continue
        st.session_state[f"_w_{field}"] = list(getattr(view, field))
        # Options are plain text in the widget; typing filters them (searchable).
        st.multiselect(
            t(f"common.filters.{field}", lang),
            sorted(options),
            key=f"_w_{field}",
            on_change=_set(field, tuple),
            placeholder=t("common.filters.all", lang),
        )
    st.session_state["_w_statuses"] = list(view.statuses)
    st.multiselect(
        t("common.filters.statuses", lang),
        STATUSES,
        key="_w_statuses",
        on_change=_set("statuses", tuple),
        placeholder=t("common.filters.all", lang),
        format_func=lambda s: t(f"common.status.{s}", lang),
    )
    c1, c2 = st.columns(2)
    for col, field in ((c1, "gap_min"), (c2, "gap_max")):
        st.session_state[f"_w_{field}"] = getattr(view, field)
        col.number_input(
            t(f"common.filters.{field}", lang),
            key=f"_w_{field}",
            step=5.0,
            format="%g",
            on_change=_set(field),
            placeholder="—",
        )
    if raw != ViewState(dataset=raw.dataset, lang=raw.lang):
        st.button(
            t("common.filters.reset", lang),
            on_click=_on_reset,
            icon=":material/filter_alt_off:",
            width="stretch",
        )


def share_box(view: ViewState, lang: str) -> None:
    """The copy-link affordance: an absolute link with every parameter explicit."""
    base = st.context.url or ""
    with st.popover(t("common.share.button", lang), icon=":material/link:"):
        st.caption(md_escape(t("common.share.help", lang)))
        st.code(share_link(base, "", view), language=None, wrap_lines=True)
