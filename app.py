"""Overview (home page): where the organisation stands, what got worse, what teams achieved."""

import polars as pl
import streamlit as st

from lib import charts
from lib.fmt import fmt_percent, fmt_signed
from lib.i18n import t
from lib.overview import build_overview
from lib.periods import period_label
from lib.ui import compute, page_setup
from lib.ui.navigate import open_explore
from lib.ui.text import md_escape
from lib.wins import win_sentence

ctx = page_setup("overview")
lang, view, ds = ctx.lang, ctx.view, ctx.dataset
grain = view.grain or ctx.domain.grain
perf = compute.view_performance(ds, view, ctx.domain.grain)
# Streaks and records look back over the whole history, rolled up once per dataset version; at a daily
# or weekly grain that history would be as large as the data, so they look back over the range only.
past = compute.history(ds, grain, ctx.domain.grain) if grain not in ("day", "week") else perf
ov = build_overview(perf, past, ds.catalog, grain, view.compare)

st.title(t("overview.title", lang))
if ov.at is None:
    st.info(t("overview.empty", lang), icon=":material/filter_alt_off:")
    st.stop()
label_grain = "month" if grain == "ytd" else grain
st.caption(
    md_escape(
        t(
            "overview.subtitle",
            lang,
            name=ds.name,
            period=period_label(ov.at, label_grain, lang),
            compare=t(f"common.compare.{view.compare}", lang),
        )
    )
)

tiles = st.columns([2.2, 1, 1], gap="large")
with tiles[0]:
    counts = pl.DataFrame({"status": list(ov.counts), "count": list(ov.counts.values())})
    st.altair_chart(
        charts.status_bar(counts, lang, title=t("overview.by_status", lang)), width="stretch", theme=None
    )
delta = None
if ov.score is not None and ov.score_before is not None:
    delta = t("overview.points", lang, value=fmt_signed((ov.score - ov.score_before) * 100, lang)).replace(
        "\u2212", "-"
    )
tiles[1].metric(
    t("overview.score", lang), fmt_percent(ov.score, lang), delta=delta, help=t("overview.score_help", lang)
)
tiles[2].metric(
    t("overview.completeness", lang),
    fmt_percent(ov.completeness, lang),
    help=t("overview.completeness_help", lang, reported=ov.reported, expected=ov.expected),
)

st.subheader(t(f"overview.heatmap_{ov.heatmap_by}", lang))
st.caption(t("overview.heatmap_help", lang))
if ov.heatmap["service"].n_unique() < ov.services:
    st.caption(t("overview.ends_only", lang, shown=ov.heatmap["service"].n_unique(), total=ov.services))
# The longer dimension runs down the page, so labels stay readable (52 KPIs × 11 services, or 500 × 4).
by = ov.heatmap_by
tall = ov.heatmap[by].n_unique() > ov.heatmap["service"].n_unique()
rows, cols = (by, "service") if tall else ("service", by)
event = st.altair_chart(
    charts.heatmap(ov.heatmap, lang, rows=rows, cols=cols),
    on_select="rerun",
    key="overview_heatmap",
    width="stretch",
    theme=None,
)
if cells := event.selection.get("cell"):
    open_explore(ctx.raw, service=cells[0].get("service"), **{by: cells[0].get(by)})

left, right = st.columns(2, gap="large")
with left:
    st.subheader(t("overview.leaderboard", lang))
    if ov.leaderboard.height < ov.services:
        st.caption(t("overview.ends_only", lang, shown=ov.leaderboard.height, total=ov.services))
    board = st.altair_chart(
        charts.leaderboard(ov.leaderboard, lang),
        on_select="rerun",
        key="overview_board",
        width="stretch",
        theme=None,
    )
    if picked := board.selection.get("service"):
        open_explore(ctx.raw, service=picked[0].get("service"))
with right:
    st.subheader(t("overview.deteriorations", lang))
    if ov.deteriorations.is_empty():
        st.caption(t("overview.no_deterioration", lang))
    for row in ov.deteriorations.iter_rows(named=True):
        st.markdown(
            md_escape(
                t(
                    "overview.deterioration",
                    lang,
                    service=row["service"],
                    kpi=row["kpi"],
                    before=fmt_signed(row["cmp_gap_pct"], lang),
                    now=fmt_signed(row["gap_pct"], lang),
                    change=fmt_signed(row["gap_change"], lang),
                )
            )
        )
    st.subheader(t("overview.wins", lang))
    if ov.wins.is_empty():
        st.caption(t("overview.no_win", lang))
    units = dict(ds.catalog.select("kpi", "unit").iter_rows())
    for row in ov.wins.iter_rows(named=True):
        st.markdown(
            ":material/emoji_events: " + md_escape(win_sentence(row, lang, units.get(row["kpi"], "")))
        )
