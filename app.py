"""Overview (home page): where the organisation stands on the current dataset."""

import streamlit as st

from lib.fmt import fmt_int
from lib.i18n import t
from lib.periods import period_label
from lib.ui import page_setup
from lib.ui.text import md_escape

ctx = page_setup("overview")
lang, ds = ctx.lang, ctx.dataset

st.title(t("overview.title", lang))
st.caption(md_escape(t("overview.dataset", lang, name=ds.name)))

frame = ds.data
first, last = frame["period"].min(), frame["period"].max()
grain = ds.report.grain if ds.report is not None else "month"
cols = st.columns(4)
cols[0].metric(t("overview.services", lang), fmt_int(frame["service"].n_unique(), lang))
cols[1].metric(t("overview.kpis", lang), fmt_int(frame["kpi"].n_unique(), lang))
cols[2].metric(t("overview.rows", lang), fmt_int(frame.height, lang))
cols[3].metric(t("overview.latest", lang), period_label(last, grain, lang))
st.caption(
    t("overview.range", lang, first=period_label(first, grain, lang), last=period_label(last, grain, lang))
)
