"""Every page starts with `page_setup`: language, dataset, translated navigation, URL state."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from lib.datasets import DatasetError
from lib.filters import SAMPLE_SLUG, Dropped, ViewState, to_query
from lib.i18n import DEFAULT_LANG, LANGS, normalise_lang, t
from lib.pages import PAGE_BY_KEY, PAGES
from lib.ui import data, state
from lib.ui.text import md_escape


@dataclass(frozen=True)
class Ctx:
    view: ViewState
    lang: str
    dataset: data.Loaded


def _on_lang() -> None:
    state.set_view(state.current_view().with_(lang=st.session_state["_w_lang"]))


def _on_dataset() -> None:
    state.set_view(state.current_view().with_(dataset=st.session_state["_w_dataset"]))


def _notice_dropped(dropped: list[Dropped], lang: str) -> None:
    if dropped:
        items = ", ".join(f"{d.name}={d.value} ({t(f'common.url.{d.why}', lang)})" for d in dropped)
        st.warning(md_escape(t("common.url.dropped", lang, items=items)), icon=":material/link_off:")


def _sidebar(view: ViewState, lang: str, names: dict[str, str]) -> None:
    with st.sidebar:
        st.markdown(f"### {t('common.app_name', lang)}")
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
        st.session_state["_w_dataset"] = view.dataset
        # Options are plain text (not Markdown), so dataset names from users are safe here.
        st.selectbox(
            t("common.dataset.label", lang),
            list(names),
            key="_w_dataset",
            on_change=_on_dataset,
            format_func=lambda slug: names.get(slug, slug),
        )
        st.markdown(f"**{t('common.nav.title', lang)}**")
        query = to_query(view)
        for page in PAGES:
            st.page_link(
                page.script, label=t(f"common.nav.{page.key}", lang), icon=page.icon, query_params=query
            )


def page_setup(page_key: str) -> Ctx:
    """Resolve the view from the URL, draw the shared sidebar, sync the URL; returns what a page needs."""
    view, dropped = state.read_view()
    lang = view.lang or normalise_lang(st.context.locale) or DEFAULT_LANG
    page = PAGE_BY_KEY[page_key]
    st.set_page_config(
        page_title=f"{t(f'common.nav.{page.key}', lang)} · Vigie", page_icon="🧭", layout="wide"
    )
    sample_name = t("common.dataset.sample", lang)
    names = data.dataset_names(sample_name)
    if view.dataset not in names:
        st.warning(md_escape(t("common.dataset.unknown", lang, slug=view.dataset)), icon=":material/help:")
        view = view.with_(dataset=SAMPLE_SLUG)
    view = view.with_(lang=lang)
    state.set_view(view)
    _notice_dropped(dropped, lang)
    _sidebar(view, lang, names)
    state.write_url(view)
    try:
        loaded = data.load(view.dataset, sample_name)
    except DatasetError as exc:  # deleted by someone else since the list was drawn
        st.error(md_escape(exc.message(lang)))
        loaded = data.load(SAMPLE_SLUG, sample_name)
    return Ctx(view, lang, loaded)
