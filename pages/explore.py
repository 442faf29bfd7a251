"""Explore: a KPI's time series against target, the gap by service, the gap distribution, the details."""

import polars as pl
import streamlit as st

from lib import charts
from lib.explore import MAX_SERIES, details, epoch_date, gap_by_service, kpi_series, latest_gaps, needs_total
from lib.export import EXCEL_ROWS, export_name, to_csv, to_xlsx
from lib.filters import period_end, to_query
from lib.fmt import fmt_int
from lib.i18n import t
from lib.model import STATUSES
from lib.periods import period_label
from lib.signals.engine import chart_firings
from lib.ui import annotations as notes_ui
from lib.ui import compute, page_setup, state
from lib.ui.navigate import open_page
from lib.ui.store import store
from lib.ui.tables import detail_column_config, detail_headers
from lib.ui.text import md_escape

MAX_CHARTS = 4
TABLE_ROWS = 5_000
FIRINGS_KEY = "_explore_firings"  # the toggle's value, kept across pages (a widget's own state is not)

ctx = page_setup("explore")
lang, view, ds = ctx.lang, ctx.view, ctx.dataset
grain = view.grain or ctx.domain.grain
perf = compute.view_performance(ds, view, ctx.domain.grain)

st.title(t("explore.title", lang))
# From any Explore view, one click to the meeting pack of exactly this view.
st.page_link(
    "pages/briefing.py",
    label=t("explore.briefing_link", lang),
    icon=":material/slideshow:",
    query_params=to_query(ctx.raw),
)
if perf.is_empty():
    st.info(t("overview.empty", lang), icon=":material/filter_alt_off:")
    st.stop()

kpis = list(view.kpis) or []
if not kpis:
    options = sorted(perf["kpi"].cast(str).unique().to_list())
    chosen = st.selectbox(
        t("explore.pick_kpi", lang), options, index=None, placeholder=t("explore.pick_kpi_ph", lang)
    )
    if chosen:
        open_page("pages/explore.py", ctx.raw.with_(kpis=(chosen,)))
    kpis = options[:1]
    st.caption(t("explore.showing_first", lang))
elif len(kpis) > MAX_CHARTS:
    st.caption(t("explore.too_many", lang, shown=MAX_CHARTS, total=len(kpis)))

units = dict(ds.catalog.select("kpi", "unit").iter_rows())
chart_grain = "month" if grain == "ytd" else grain
show_firings = st.toggle(
    t("explore.firings.toggle", lang),
    value=st.session_state.get(FIRINGS_KEY, True),
    help=t("explore.firings.help", lang),
    key="_explore_firings_toggle",
)
st.session_state[FIRINGS_KEY] = show_firings
services_all, kpis_all = sorted(ctx.domain.services), sorted(ctx.domain.kpis)
for kpi in kpis[:MAX_CHARTS]:
    source = perf
    if needs_total(perf, kpi):
        source = compute.view_total(ds, view.with_(kpis=(kpi,)), ctx.domain.grain, t("explore.total", lang))
    frame = kpi_series(source, ds.catalog, kpi, view.compare)
    if frame.is_empty():
        continue
    st.subheader(md_escape(kpi))
    compare_label = t(f"common.compare.{view.compare}", lang) if view.compare != "target" else None
    # The projection to the deadline continues each service's line (not a total: its rule differs).
    projected = None
    if source is perf and grain != "ytd":
        services = frame["series"].unique().to_list()
        ahead = compute.kpi_projection(ds, grain, ctx.domain.grain, view.end, services, kpi)
        if not ahead.is_empty():
            projected = ahead.select(
                "period", pl.col("service").cast(pl.String).alias("series"), "mean", "low", "high"
            )
    # Each firing of the replay, at its period on its service's line (not on a total, nor on cumulated
    # year-to-date values: a signal is about one service's period values).
    fired = None
    if show_firings and grain != "ytd" and source is perf:
        with st.spinner(t("explore.firings.computing", lang)):
            trail = compute.signal_replay(ds, grain, ctx.domain.grain, kpi, state.signal_params())
        services = frame["series"].unique().to_list()
        fired = chart_firings(
            trail, lang, kpi=kpi, services=services, start=view.start, end=view.end, unit=units.get(kpi) or ""
        )
    # The team's notes and corrective actions on each service's line (a total is no one service's).
    services = frame["series"].unique().sort().to_list()
    scope = services if source is perf else sorted(view.services or services_all)
    actions = notes_ui.kpi_actions(store(), ds.slug, kpi, scope)
    chart = charts.time_series(
        frame,
        lang,
        grain=chart_grain,
        unit=units.get(kpi),
        compare_label=compare_label,
        projection=projected,
        firings=fired,
        notes=notes_ui.chart_notes(store(), ds.slug, kpi, services) if source is perf else None,
        actions=notes_ui.chart_actions(actions) if source is perf else None,
    )
    key = notes_ui.chart_key(kpi)
    event = st.altair_chart(chart, on_select="rerun", key=key, width="stretch", theme=None)
    # Clicking a point selects it (for a note or an action) and shows that period: the other charts are
    # drawn "at the last period" of the range.
    picked = event.selection.get("point")
    point = notes_ui.clicked(kpi, picked, epoch_date(picked[0].get("period")) if picked else None)
    if point is not None and period_end(point.period, chart_grain) != view.end:
        open_page("pages/explore.py", ctx.raw.with_(end=period_end(point.period, chart_grain)))
    if show_firings and grain == "ytd":
        st.caption(t("explore.firings.ytd", lang))
    elif show_firings and source is not perf:
        st.caption(t("explore.firings.total", lang, max=MAX_SERIES))
    elif fired is not None and fired.is_empty():
        st.caption(t("explore.firings.none", lang))
    periods = frame["period"].unique().to_list()
    if point := notes_ui.selected(kpi, services, periods):
        if source is perf:
            notes_ui.point_panel(
                point,
                slug=ds.slug,
                grain=chart_grain,
                lang=lang,
                raw=ctx.raw,
                services=services_all,
                kpis=kpis_all,
            )
        else:
            st.caption(t("explore.notes.total", lang, max=MAX_SERIES))
    else:
        st.caption(t("explore.notes.hint", lang))
    if not actions.is_empty():
        history = compute.history(ds, ctx.domain.grain, ctx.domain.grain)
        notes_ui.did_it_work(actions, history, ds, ctx.domain.grain, lang, units.get(kpi) or "")

    left, right = st.columns([3, 2], gap="large")
    with left:
        bars = gap_by_service(perf, kpi)
        if not bars.is_empty():
            picked = st.altair_chart(
                charts.gap_bars(bars, lang, title=t("explore.gap_by_service", lang)),
                on_select="rerun",
                key=f"bars_{kpi}",
                width="stretch",
                theme=None,
            )
            if sel := picked.selection.get("bar"):
                open_page("pages/explore.py", ctx.raw.with_(services=(sel[0]["label"],)))
    with right:
        binned = charts.bin_gaps(latest_gaps(perf.filter(perf["kpi"] == kpi)))
        if not binned.is_empty():
            st.altair_chart(
                charts.gap_distribution(binned, lang, title=t("explore.distribution", lang)),
                width="stretch",
                theme=None,
            )

st.subheader(t("explore.details", lang))
labels = {p: period_label(p, chart_grain, lang, short=True) for p in perf["period"].unique().to_list()}
statuses = {s: t(f"common.status.{s}", lang) for s in STATUSES}
# The table shows the newest rows; the downloads, built only when clicked, hold them all.
st.dataframe(
    details(perf, ds.catalog, labels, statuses, limit=TABLE_ROWS),
    hide_index=True,
    width="stretch",
    column_config=detail_column_config(lang),
)
if perf.height > TABLE_ROWS:
    st.caption(
        t("explore.table_cut", lang, shown=fmt_int(TABLE_ROWS, lang), total=fmt_int(perf.height, lang))
    )
headers = detail_headers(lang)
sheet = t("explore.details", lang)
c1, c2, _ = st.columns([1, 1, 3])
c1.download_button(
    t("explore.download_csv", lang),
    lambda: to_csv(details(perf, ds.catalog, labels, statuses), headers),
    file_name=export_name(ctx.view, "csv"),
    mime="text/csv",
    icon=":material/download:",
)
too_big = perf.height > EXCEL_ROWS
c2.download_button(
    t("explore.download_xlsx", lang),
    lambda: to_xlsx({sheet: details(perf, ds.catalog, labels, statuses)}, headers),
    file_name=export_name(ctx.view, "xlsx"),
    icon=":material/download:",
    disabled=too_big,
    help=t("explore.xlsx_too_big", lang, rows=fmt_int(EXCEL_ROWS, lang)) if too_big else None,
    mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)
