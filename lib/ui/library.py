"""Manage saved datasets on the Data page: list, history, restore, rename, delete."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import streamlit as st

from lib.datasets import DatasetError
from lib.fmt import fmt_date, fmt_datetime, fmt_int
from lib.i18n import t
from lib.ui import data
from lib.ui.text import md_escape


def _when(iso: str, lang: str) -> str:
    return fmt_datetime(datetime.fromisoformat(iso), lang)


def _act(action, lang: str, success_key: str, **values) -> None:
    try:
        action()
    except DatasetError as exc:
        st.error(md_escape(exc.message(lang)), icon=":material/error:")
        return
    data.invalidate()
    st.session_state["_library_flash"] = t(success_key, lang, **values)
    st.rerun()


def show_library(lang: str) -> None:
    st.subheader(t("data.library.title", lang))
    if flash := st.session_state.pop("_library_flash", None):
        st.success(md_escape(flash), icon=":material/check_circle:")
    lib = data.library()
    infos = lib.list()
    if not infos:
        st.info(t("data.library.empty", lang), icon=":material/info:")
        return
    table = pl.DataFrame(
        [
            {
                "name": i.name,
                "slug": i.slug,
                "version": i.version,
                "rows": i.rows,
                "services": i.services,
                "kpis": i.kpis,
                "first": fmt_date(i.first_period, lang),
                "last": fmt_date(i.last_period, lang),
                "saved_at": _when(i.saved_at, lang),
            }
            for i in infos
        ]
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={c: t(f"data.library.col_{c}", lang) for c in table.columns},
    )

    names = {i.slug: i.name for i in infos}
    slug = st.selectbox(t("data.library.manage", lang), list(names), format_func=names.get, key="_lib_slug")
    history, rename, delete = st.tabs(
        [
            t("data.library.tab_history", lang),
            t("data.library.tab_rename", lang),
            t("data.library.tab_delete", lang),
        ]
    )
    with history:
        versions = lib.versions(slug)
        st.dataframe(
            pl.DataFrame(
                [
                    {
                        "version": v.version,
                        "action": t(f"data.library.action_{v.action}", lang),
                        "saved_at": _when(v.saved_at, lang),
                        "rows": fmt_int(v.rows, lang),
                        "sources": ", ".join(v.sources),
                        "author": v.author or "",
                    }
                    for v in versions
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={
                c: t(f"data.library.col_{c}", lang)
                for c in ("version", "action", "saved_at", "rows", "sources", "author")
            },
        )
        older = [v.version for v in versions[1:]]
        if older:
            col1, col2 = st.columns([2, 1], vertical_alignment="bottom")
            chosen = col1.selectbox(t("data.library.restore_which", lang), older, key="_lib_restore_v")
            if col2.button(t("data.library.restore", lang), key="_lib_restore"):
                _act(lambda: lib.restore(slug, chosen), lang, "data.library.restored", version=chosen)
    with rename:
        new_name = st.text_input(
            t("data.library.new_name", lang), value=names[slug], max_chars=120, key=f"_lib_name_{slug}"
        )
        st.caption(t("data.library.rename_keeps_link", lang, slug=slug))
        if st.button(t("data.library.rename", lang), key="_lib_rename"):
            _act(lambda: lib.rename(slug, new_name), lang, "data.library.renamed", name=new_name)
    with delete:
        confirm = st.checkbox(
            t("data.library.delete_confirm", lang, name=md_escape(names[slug])), key=f"_lib_del_ok_{slug}"
        )
        if st.button(t("data.library.delete", lang), key="_lib_delete", disabled=not confirm, type="primary"):
            _act(lambda: lib.delete(slug), lang, "data.library.deleted", name=names[slug])
