"""Service: one service's scorecard, the page a manager receives as a link (/service?service=...)."""

import streamlit as st

from lib import charts
from lib.fmt import fmt_number, fmt_percent, fmt_signed
from lib.i18n import t
from lib.periods import period_label
from lib.scorecard import scorecard, service_score, spark_frame
from lib.ui import compute, page_setup
from lib.ui.navigate import open_page
from lib.ui.text import md_escape

COLUMNS = 3
SYMBOLS = charts.STATUS_SYMBOLS

ctx = page_setup("service")
lang, raw, ds = ctx.lang, ctx.raw, ctx.dataset
grain = ctx.view.grain or ctx.domain.grain
st.title(t("service.title", lang))

services = list(raw.services)
if not services:
    chosen = st.selectbox(
        t("service.pick", lang),
        sorted(ctx.domain.services),
        index=None,
        placeholder=t("service.pick_ph", lang),
    )
    if chosen:
        open_page("pages/service.py", raw.with_(services=(chosen,)))
    st.stop()
if len(services) > 1:
    shown = st.selectbox(t("service.switch", lang), services, index=0)
    if shown != services[0]:
        open_page("pages/service.py", raw.with_(services=(shown, *[s for s in services if s != shown])))
service = services[0]

view = ctx.view.with_(services=(service,))
perf = compute.view_performance(ds, view, ctx.domain.grain)
card = scorecard(perf, ds.catalog, service)
st.header(md_escape(service))
if card.is_empty():
    st.info(t("overview.empty", lang), icon=":material/filter_alt_off:")
    st.stop()

label_grain = "month" if grain == "ytd" else grain
at = card["period"].max()
counts = {s: card.filter(card["status"] == s).height for s in ("on", "watch", "off", "none")}
top = st.columns(4)
top[0].metric(t("service.score", lang), fmt_percent(service_score(card, ds.catalog), lang))
for col, status in zip(top[1:], ("on", "watch", "off"), strict=True):
    col.metric(f"{SYMBOLS[status]} {t(f'common.status.{status}', lang)}", counts[status])
st.caption(
    t(
        "service.as_of",
        lang,
        period=period_label(at, label_grain, lang),
        compare=t(f"common.compare.{view.compare}", lang),
    )
)

for axis in card["axis"].unique(maintain_order=True).to_list():
    st.subheader(md_escape(axis or t("service.no_axis", lang)))
    rows = card.filter(card["axis"].is_null() if axis is None else card["axis"] == axis)
    cols = st.columns(COLUMNS)
    for i, row in enumerate(rows.iter_rows(named=True)):
        with cols[i % COLUMNS].container(border=True):
            unit = f"\u00a0{row['unit']}" if row["unit"] else ""
            change = row["change"]
            delta = fmt_signed(change, lang).replace("\u2212", "-") if change is not None else None
            moved = change is not None and round(change, 1) != 0
            st.metric(
                md_escape(row["kpi"]),
                fmt_number(row["actual"], lang) + unit,
                delta=delta,
                delta_color=("inverse" if row["direction"] == "lower" else "normal") if moved else "off",
                help=md_escape(row["description"]) if row["description"] else None,
            )
            status = row["status"]
            st.caption(
                t(
                    "service.card",
                    lang,
                    symbol=SYMBOLS[status],
                    status=t(f"common.status.{status}", lang),
                    target=fmt_number(row["target"], lang) + unit if row["target"] is not None else "—",
                    gap=fmt_signed(row["gap_pct"], lang),
                    trend=t(f"service.trend.{row['trend'] or 'none'}", lang),
                )
            )
            spark = spark_frame(perf, service, row["kpi"])
            if spark.height > 1:
                st.altair_chart(
                    charts.sparkline(spark, lang, grain=label_grain, width=260, height=40),
                    width="stretch",
                    theme=None,
                )
