"""Data: upload extracts, read the validation report, map columns, save and manage versioned datasets."""

import streamlit as st

from lib.fmt import fmt_int
from lib.i18n import t
from lib.template import template_csv, template_xlsx
from lib.ui import page_setup
from lib.ui.library import show_library
from lib.ui.report import show_report
from lib.ui.upload import current_upload, show_upload

ctx = page_setup("data")
lang = ctx.lang

st.title(t("data.title", lang))
st.caption(t("data.intro", lang))

with st.container(border=True):
    st.subheader(t("data.template.title", lang))
    st.caption(t("data.template.help", lang))
    c1, c2, _ = st.columns([1, 1, 3])
    c1.download_button(
        t("data.template.csv", lang),
        template_csv(lang),
        file_name=f"vigie_template_{lang}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    c2.download_button(
        t("data.template.xlsx", lang),
        template_xlsx(lang),
        file_name=f"vigie_template_{lang}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        icon=":material/download:",
    )

st.subheader(t("data.upload.title", lang))
uploaded = st.file_uploader(
    t("data.upload.label", lang),
    type=["csv", "txt", "tsv", "xlsx", "parquet"],
    accept_multiple_files=True,
    help=t("data.upload.help", lang),
)
duplicates = st.radio(
    t("data.upload.duplicates", lang),
    ["reject", "first", "last"],
    horizontal=True,
    format_func=lambda d: t(f"data.upload.dup_{d}", lang),
    key="_dup_policy",
)
upload = current_upload([(f.name, f.getvalue()) for f in uploaded or []], duplicates)
if upload is not None:
    show_upload(upload, lang)

st.divider()
show_library(lang)

with st.expander(t("data.current.title", lang, name=ctx.dataset.name), icon=":material/fact_check:"):
    st.caption(t("data.current.summary", lang, rows=fmt_int(ctx.dataset.data.height, lang)))
    if ctx.dataset.report is not None:
        show_report(ctx.dataset.report, lang, key="current")
