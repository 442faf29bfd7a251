"""Every page starts with `page_setup`: language, dataset, translated navigation, filters, URL state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from lib.datasets import DatasetError
from lib.filters import SAMPLE_SLUG, Domain, Dropped, ViewState, resolve, to_query
from lib.i18n import DEFAULT_LANG, LANGS, normalise_lang, t
from lib.pages import PAGE_BY_KEY, PAGES
from lib.ui import data, state
from lib.ui.filters_panel import filters_panel, share_box
from lib.ui.text import md_escape


@dataclass(frozen=True)
class Ctx:
    view: ViewState  # resolved: defaults filled, names checked against the dataset
    raw: ViewState  # what the URL says
    lang: str
    dataset: data.Loaded
    domain: Domain
    periods: list[date]


def _on_lang() -> None:
    state.set_view(state.current_view().with_(lang=st.session_state["_w_lang"]))


def _on_dataset() -> None:
    # Filters name services and KPIs of the old dataset: start afresh on the new one.
    view = state.current_view()
    state.set_view(ViewState(dataset=st.session_state["_w_dataset"], lang=view.lang))


def _notice_dropped(dropped: list[Dropped], lang: str) -> None:
    if dropped:
        items = ", ".join(f"{d.name}={d.value} ({t(f'common.url.{d.why}', lang)})" for d in dropped)
        st.warning(md_escape(t("common.url.dropped", lang, items=items)), icon=":material/link_off:")


def _without_dropped(raw: ViewState, dropped: list[Dropped]) -> ViewState:
    """Remove from the URL what `resolve` could not use (names not in the data, a grain too fine)."""
    changes: dict[str, object] = {}
    for d in dropped:
        if d.name in ("service", "kpi", "axis"):
            attr = {"service": "services", "kpi": "kpis", "axis": "axes"}[d.name]
            changes[attr] = tuple(v for v in changes.get(attr, getattr(raw, attr)) if v != d.value)
        elif d.name == "grain":
            changes["grain"] = None
    return raw.with_(**changes)


def _sidebar(
    page_key: str,
    raw: ViewState,
    ctx_view: ViewState,
    lang: str,
    names: dict[str, str],
    domain: Domain,
    periods: list[date],
) -> None:
    with st.sidebar:
        st.markdown(f"### :material/explore: {t('common.app_name', lang)}")
        st.caption(t("common.tagline", lang))
        st.session_state["_w_lang"] = lang
        st.radio(
            t("common.lang.label", lang),
            LANGS,
            key="_w_lang",
            horizontal=True,
            on_change=_on_lang,
            format_func=lambda code: t(f"common.lang.{code}", lang),
        )
        st.session_state["_w_dataset"] = raw.dataset
        # Options are plain text (not Markdown), so dataset names from users are safe here.
        st.selectbox(
            t("common.dataset.label", lang),
            list(names),
            key="_w_dataset",
            on_change=_on_dataset,
            format_func=lambda slug: names.get(slug, slug),
        )
        st.markdown(f"**{t('common.nav.title', lang)}**")
        query = to_query(raw)
        for page in PAGES:
            st.page_link(
                page.script, label=t(f"common.nav.{page.key}", lang), icon=page.icon, query_params=query
            )
        if PAGE_BY_KEY[page_key].filters:
            st.divider()
            filters_panel(raw, ctx_view, domain, periods, lang)
            share_box(ctx_view, lang)


def resolve_context(raw: ViewState, dropped: list[Dropped], lang: str) -> tuple[Ctx, list[str]]:
    """The view of the URL against its dataset (the sample when it is unknown or gone), what was
    dropped said once; returns the page's context and the dataset names. Shared by every page setup."""
    sample_name = t("common.dataset.sample", lang)
    names = data.dataset_names(sample_name)
    if raw.dataset not in names:
        st.warning(md_escape(t("common.dataset.unknown", lang, slug=raw.dataset)), icon=":material/help:")
        raw = ViewState(dataset=SAMPLE_SLUG, slide=raw.slide)
    try:
        loaded = data.load(raw.dataset, sample_name)
    except DatasetError as exc:  # deleted by someone else since the list was drawn
        st.error(md_escape(exc.message(lang)))
        raw = ViewState(dataset=SAMPLE_SLUG, slide=raw.slide)
        loaded = data.load(SAMPLE_SLUG, sample_name)
    domain, periods = data.domain(loaded)
    raw = raw.with_(lang=lang)
    view, unresolved = resolve(raw, domain)
    raw = _without_dropped(raw, unresolved)
    state.set_view(raw)
    _notice_dropped(dropped + unresolved, lang)
    return Ctx(view, raw, lang, loaded, domain, periods), names


def page_setup(page_key: str) -> Ctx:
    """Resolve the view from the URL, draw the shared sidebar, sync the URL; returns what a page needs."""
    raw, dropped = state.read_view()
    lang = raw.lang or normalise_lang(st.context.locale) or DEFAULT_LANG
    page = PAGE_BY_KEY[page_key]
    st.set_page_config(
        page_title=f"{t(f'common.nav.{page.key}', lang)} · Vigie", page_icon="🧭", layout="wide"
    )
    ctx, names = resolve_context(raw, dropped, lang)
    _sidebar(page_key, ctx.raw, ctx.view, lang, names, ctx.domain, ctx.periods)
    state.write_url(ctx.raw)
    return ctx
