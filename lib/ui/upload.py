"""The upload workflow of the Data page: files held per session until saved, report, manual mapping, save."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import streamlit as st

from lib.contract import COLUMNS, REQUIRED
from lib.datasets import DatasetError, catalog_for_append
from lib.fmt import fmt_int
from lib.i18n import t
from lib.ingest import LoadResult, load_files
from lib.ui import data
from lib.ui.report import show_report
from lib.ui.text import md_escape

UPLOAD_KEY = "_vigie_upload"
PREVIEW_ROWS = 200


@dataclass
class Upload:
    digest: str
    names: list[str]
    duplicates: str
    mapping: dict[str, str] = field(default_factory=dict)
    result: LoadResult | None = None


def _digest(files: list[tuple[str, bytes]], duplicates: str, mapping: dict[str, str]) -> str:
    h = hashlib.sha256(duplicates.encode())
    for name, payload in files:
        h.update(name.encode())
        h.update(hashlib.sha256(payload).digest())
    h.update(repr(sorted(mapping.items())).encode())
    return h.hexdigest()


def current_upload(files: list[tuple[str, bytes]], duplicates: str) -> Upload | None:
    """The session's upload, loaded once per (files, options, mapping): reruns don't re-read the files."""
    if not files:
        st.session_state.pop(UPLOAD_KEY, None)
        return None
    held: Upload | None = st.session_state.get(UPLOAD_KEY)
    names = [name for name, _ in files]
    mapping = held.mapping if held is not None and held.names == names else {}
    digest = _digest(files, duplicates, mapping)
    if held is None or held.digest != digest:
        held = Upload(digest, names, duplicates, mapping)
        held.result = load_files(
            files, duplicates=duplicates, mapping=mapping or None, settings=data.settings()
        )
        st.session_state[UPLOAD_KEY] = held
    return held


def mapping_form(upload: Upload, lang: str) -> None:
    """Map source headers to the contract's columns by hand when they are not recognised."""
    assert upload.result is not None
    report = upload.result.report
    headers = list(report.columns) + list(report.unmapped)
    if not headers:
        return
    missing = [c for c in REQUIRED if c not in report.columns.values()]
    with st.expander(
        t("data.mapping.title", lang),
        expanded=bool(missing) or report.error is not None,
        icon=":material/swap_horiz:",
    ):
        st.caption(t("data.mapping.help", lang))
        choices = ["", *(c.name for c in COLUMNS)]
        with st.form("mapping_form", border=False):
            chosen = {}
            cols = st.columns(3)
            for i, header in enumerate(headers):
                current = upload.mapping.get(header, report.columns.get(header, ""))
                chosen[header] = cols[i % 3].selectbox(
                    t("data.mapping.for_header", lang, header=md_escape(header)),
                    choices,
                    index=choices.index(current) if current in choices else 0,
                    key=f"_map_{i}",
                    format_func=lambda c: (
                        t(f"data.column.{c}", lang) if c else t("data.mapping.ignore", lang)
                    ),
                )
            if st.form_submit_button(t("data.mapping.apply", lang), type="primary"):
                upload.mapping = {h: c for h, c in chosen.items() if c}
                upload.digest = ""  # reload with the new mapping on this rerun
                st.rerun()


def preview(result: LoadResult, lang: str) -> None:
    if result.data is None:
        return
    with st.expander(
        t(
            "data.preview.title",
            lang,
            rows=fmt_int(min(PREVIEW_ROWS, result.data.height), lang),
            total=fmt_int(result.data.height, lang),
        ),
        icon=":material/table_view:",
    ):
        st.dataframe(result.data.head(PREVIEW_ROWS), hide_index=True, width="stretch")
        if result.catalog is not None:
            st.markdown(f"**{t('data.preview.catalog', lang)}**")
            st.dataframe(result.catalog, hide_index=True, width="stretch")


def save_form(upload: Upload, lang: str) -> None:
    """Save as a new dataset, append (upsert on the key) or replace an existing one."""
    result = upload.result
    if result is None or result.data is None or result.catalog is None:
        return
    st.subheader(t("data.save.title", lang))
    lib = data.library()
    existing = {info.slug: info.name for info in lib.list()}
    modes = ["new", "append", "replace"] if existing else ["new"]
    mode = st.radio(
        t("data.save.mode", lang),
        modes,
        horizontal=True,
        key="_save_mode",
        format_func=lambda m: t(f"data.save.mode_{m}", lang),
    )
    with st.form("save_form", border=True):
        if mode == "new":
            default = upload.names[0].rsplit(".", 1)[0] if upload.names else ""
            name = st.text_input(t("data.save.name", lang), value=default, max_chars=120)
        else:
            target = st.selectbox(t("data.save.target", lang), list(existing), format_func=existing.get)
        submitted = st.form_submit_button(t(f"data.save.submit_{mode}", lang), type="primary")
    if not submitted:
        return
    grain = result.report.grain
    try:
        if mode == "new":
            info = lib.save(name, result.data, result.catalog, sources=upload.names, grain=grain)
            message = t(
                "data.save.saved", lang, name=info.name, slug=info.slug, rows=fmt_int(info.rows, lang)
            )
        elif mode == "append":
            catalog = catalog_for_append(lib.read_catalog(target), result.catalog)
            out = lib.append(target, result.data, catalog, sources=upload.names, grain=grain)
            info = out.version
            message = (
                out.summary(lang)
                if not out.changed
                else t(
                    "data.save.appended",
                    lang,
                    name=info.name,
                    version=info.version,
                    added=fmt_int(out.added, lang),
                    replaced=fmt_int(out.replaced, lang),
                    unchanged=fmt_int(out.unchanged, lang),
                )
            )
        else:
            info = lib.replace(target, result.data, result.catalog, sources=upload.names, grain=grain)
            message = t("data.save.replaced", lang, name=info.name, version=info.version)
    except DatasetError as exc:
        st.error(md_escape(exc.message(lang)), icon=":material/error:")
        return
    data.invalidate()
    st.success(md_escape(message), icon=":material/check_circle:")
    st.page_link(
        "app.py",
        label=t("data.save.open", lang),
        icon=":material/dashboard:",
        query_params={"dataset": info.slug, "lang": lang},
    )


def show_upload(upload: Upload, lang: str) -> None:
    assert upload.result is not None
    show_report(upload.result.report, lang, key="upload")
    mapping_form(upload, lang)
    preview(upload.result, lang)
    save_form(upload, lang)
