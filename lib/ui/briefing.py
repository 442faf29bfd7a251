"""The briefing pack of the current URL view, for the Briefing page and the presentation mode.

Both pages show the same `Briefing`, built once per dataset version, view, language, author, day and
state of the store (the last pack recorded, the actions and notes): st.cache_resource holds it (charts
and frames, never mutated) instead of pickling a copy per rerun as st.cache_data would.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import altair as alt
import polars as pl
import streamlit as st

from lib.briefing import images
from lib.briefing.content import build_briefing
from lib.briefing.model import Briefing
from lib.filters import ViewState, share_link
from lib.i18n import DEFAULT_LANG, normalise_lang, t
from lib.ui import compute, data, state
from lib.ui.shell import Ctx, resolve_context
from lib.ui.store import author, store

SINCE_KEY = "_briefing_since"  # "since the last briefing" chosen on the Briefing page (None: default)


def signal_grain(view: ViewState, data_grain: str) -> str:
    """The grain the Signals page judges at: year to date is a cumulation, not a series of periods."""
    return "month" if view.grain == "ytd" else (view.grain or data_grain)


def app_base_url() -> str:
    """The app's address without the current page's path ('' under AppTest, which has no browser)."""
    url = (st.context.url or "").rstrip("/")
    for suffix in ("/briefing", "/present"):
        if url.endswith(suffix):
            return url.removesuffix(suffix)
    return url


def view_link(view: ViewState) -> str:
    """The link recorded with a pack and printed in it: the home page on this view, every parameter
    explicit (it rebuilds the same view after new data arrives)."""
    return share_link(app_base_url(), "/", view.with_(slide=None))


def _fingerprint(frame: pl.DataFrame) -> int:
    """Changes whenever a row does (an action closed, a note added): part of the cache key."""
    return int(frame.hash_rows(seed=0).sum()) if frame.height else 0


def _frozen(params: dict[str, dict[str, float]]) -> tuple:
    return tuple(sorted((k, tuple(sorted(v.items()))) for k, v in params.items()))


@st.cache_resource(show_spinner=False, max_entries=16)
def _build(
    slug: str,
    token: str,
    view: ViewState,
    lang: str,
    previous_id: int | None,
    stored: tuple[int, int],
    who: str,
    today: date,
    link: str,
    params: tuple,
    data_grain: str,
    _ctx: Ctx,
    _previous: dict | None,
    _actions: pl.DataFrame,
    _notes: pl.DataFrame,
) -> tuple[Briefing, dict]:
    ds = _ctx.dataset
    grain = view.grain or data_grain
    perf = compute.view_performance(ds, view, data_grain)
    history = compute.history(ds, grain, data_grain)
    sig_grain = signal_grain(view, data_grain)
    # As the Signals page: the dataset as it was known at the view's end.
    known = data.known_on(ds, view.end)
    # (build_briefing keeps the view's series itself.)
    signals = compute.signals(known, sig_grain, data_grain, view.end, {k: dict(v) for k, v in params})
    return build_briefing(
        name=ds.name,
        slug=slug,
        version=ds.version,
        perf=perf,
        history=history,
        catalog=ds.catalog,
        view=view.with_(lang=lang),
        data_grain=data_grain,
        lang=lang,
        signals=signals,
        actions=_actions,
        notes=_notes,
        previous=_previous,
        now=datetime.now(UTC),
        author=who,
        link=link,
        year_start_month=data.settings().year_start_month,
    )


@st.cache_resource(show_spinner=False)
def warm_renderer() -> None:
    """Start the chart renderer's engine in the background once per process (~1.5 s the first time),
    while the user reads the page, rather than during the first pack."""
    threading.Thread(target=images.warm_up, daemon=True, name="vl-convert-warm-up").start()


def briefed_period(ctx: Ctx) -> date | None:
    """The period the pack is about: the view's last period with data (None: no data in the view)."""
    perf = compute.view_performance(ctx.dataset, ctx.view.with_(slide=None), ctx.domain.grain)
    return perf["period"].max() if perf.height else None


def previous_briefing(ctx: Ctx) -> dict | None:
    """The pack "since the last briefing" compares with: the newest one recorded for an earlier period.

    Not simply the newest: a pack prepared on Monday and presented on Tuesday would otherwise compare
    with itself (nothing changed), and a pack prepared again for the same month (data corrected) would
    hide what changed since the previous meeting. Packs with an unreadable snapshot are skipped."""
    period = briefed_period(ctx)
    if period is None:  # no data in the view: no period to compare
        return None
    for record in store().briefings(ctx.dataset.slug):
        if record["snapshot"] is not None and record["period"] < period:
            return record
    return None


def since_chosen(previous: dict | None) -> bool:
    """Whether the pack includes "since the last briefing": on by default when there is one."""
    chosen = st.session_state.get(SINCE_KEY)
    return previous is not None and (chosen is None or bool(chosen))


def build(ctx: Ctx, *, since: bool, who: str | None = None) -> tuple[Briefing, dict]:
    """The pack of the view on screen (and its snapshot, to record with it)."""
    s = store()
    previous = previous_briefing(ctx) if since else None
    actions, notes = s.actions_frame(ctx.dataset.slug), s.notes_frame(ctx.dataset.slug)
    view = ctx.view.with_(slide=None, lang=None)
    who = who if who is not None else (author() or "")
    return _build(
        ctx.dataset.slug,
        ctx.dataset.token,
        view,
        ctx.lang,
        previous["id"] if previous else None,
        (_fingerprint(actions), _fingerprint(notes)),
        who,
        date.today(),
        view_link(ctx.view.with_(lang=ctx.lang)),
        _frozen(state.signal_params()),
        ctx.domain.grain,
        ctx,
        previous["snapshot"] if previous else None,
        actions,
        notes,
    )


# Chart text for a room (the theme's 12 px reads on a laptop, not on a wall): axes, legends, titles and
# text marks that do not set their own size.
ROOM_FONTS = {
    "axis": {"labelFontSize": 15, "titleFontSize": 15},
    "legend": {"labelFontSize": 15, "titleFontSize": 15},
    "title": {"fontSize": 19},
    "text": {"fontSize": 14},
}


def room_chart(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """A copy of `chart` with larger text; its own config (locale…) kept, the shared chart untouched."""
    config = chart.config.copy(deep=True) if chart.config is not alt.Undefined else alt.Config()
    for block, sizes in ROOM_FONTS.items():
        current = config[block].to_dict() if config[block] is not alt.Undefined else {}
        config[block] = {**current, **sizes}
    out = chart.copy(deep=False)
    out.config = config
    return out


def present_setup(title_key: str = "common.nav.present") -> Ctx:
    """page_setup for the presentation mode: the same view from the URL, but the sidebar starts
    collapsed and holds no menu nor filters (the page draws its slide index there)."""
    raw, dropped = state.read_view()
    lang = raw.lang or normalise_lang(st.context.locale) or DEFAULT_LANG
    st.set_page_config(
        page_title=f"{t(title_key, lang)} · Vigie",
        page_icon="🧭",
        layout="wide",
        initial_sidebar_state="collapsed",
    )
    return resolve_context(raw, dropped, lang)[0]
