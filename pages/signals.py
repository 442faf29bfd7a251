"""Signals: weak signals and good news as they stood at the end of the period, ranked and explained."""

import streamlit as st

from lib import charts
from lib.actions import draft_from_signal
from lib.filters import to_query
from lib.fmt import fmt_int, fmt_percent
from lib.i18n import t
from lib.periods import period_label
from lib.scorecard import spark_frame
from lib.signals import DETECTORS, message
from lib.ui import compute, data, page_setup, state
from lib.ui.store import create_action_from
from lib.ui.text import md_escape

STEP = 20  # signals drawn at a time (each has a chart): more on demand
SHOWN_KEY = "_signals_shown"

ctx = page_setup("signals")
lang, view, raw, ds = ctx.lang, ctx.view, ctx.raw, ctx.dataset
grain = "month" if view.grain == "ytd" else (view.grain or ctx.domain.grain)
as_of = view.end

st.title(t("signals_page.title", lang))
st.caption(t("signals_page.as_of", lang, date=period_label(as_of, "day", lang)))

params = state.signal_params()  # the inputs below write into it
with st.expander(t("signals_page.settings", lang), icon=":material/tune:"):
    st.caption(t("signals_page.settings_help", lang))
    for detector in DETECTORS:
        if not detector.params:
            continue
        st.markdown(f"**{t(detector.label_key, lang)}** — {t(detector.doc_key, lang)}")
        cols = st.columns(min(len(detector.params), 4))
        for i, p in enumerate(detector.params):
            params[detector.kind][p.name] = cols[i % len(cols)].number_input(
                t(p.label_key(detector.kind), lang),
                min_value=float(p.minimum),
                max_value=float(p.maximum),
                value=float(params[detector.kind][p.name]),
                step=float(p.step),
                format=f"%.{p.decimals}f",
                key=f"_sp_{detector.kind}_{p.name}",
            )
    if st.button(t("signals_page.reset", lang), icon=":material/restart_alt:"):
        st.session_state[state.SIGNAL_PARAMS_KEY] = {d.kind: d.defaults() for d in DETECTORS}
        # The inputs keep their own state: drop it, or they would write the old values back.
        for key in [k for k in st.session_state if str(k).startswith("_sp_")]:
            del st.session_state[key]
        st.rerun()

# As-of replay: the dataset as it was known then (an older saved version if there is one), cut at
# the date inside the detectors (no look-ahead).
known = data.known_on(ds, as_of)
if known.version != ds.version:
    st.info(t("signals_page.version", lang, version=known.version), icon=":material/history:")
found = compute.signals(known, grain, ctx.domain.grain, as_of, params)
if raw.services:
    found = found.filter(found["service"].is_in(list(raw.services)))
if view.kpis:
    found = found.filter(found["kpi"].is_in(list(view.kpis)))

c1, c2, c3 = st.columns([3, 2, 2])
per_kind = dict(found.group_by("kind").len().iter_rows())
kinds = c1.multiselect(
    t("signals_page.kinds", lang),
    [d.kind for d in DETECTORS],
    placeholder=t("common.filters.all", lang),
    format_func=lambda k: t(
        "signals_page.kind_count",
        lang,
        kind=t(f"signals.kind.{k}", lang),
        n=fmt_int(per_kind.get(k, 0), lang),
    ),
)
polarity = c2.segmented_control(
    t("signals_page.polarity", lang),
    ["bad", "good"],
    selection_mode="multi",
    default=["bad", "good"],
    format_func=lambda p: t(f"signals.polarity.{p}", lang),
)
minimum = c3.slider(t("signals_page.min_severity", lang), 0, 100, 0, 5, format="%d %%") / 100
if kinds:
    found = found.filter(found["kind"].is_in(kinds))
found = found.filter(found["polarity"].is_in(list(polarity or [])) & (found["severity"] >= minimum))

# What needs attention first, then the good news; each by severity.
found = found.sort(["polarity", "severity"], descending=[False, True])
bad = found.filter(found["polarity"] == "bad").height
st.subheader(
    t(
        "signals_page.count",
        lang,
        total=fmt_int(found.height, lang),
        bad=fmt_int(bad, lang),
        good=fmt_int(found.height - bad, lang),
    )
)
if found.is_empty():
    st.info(t("signals_page.none", lang), icon=":material/check_circle:")
units = dict(ds.catalog.select("kpi", "unit").iter_rows())
perf = compute.history(known, grain, ctx.domain.grain)
shown = st.session_state.get(SHOWN_KEY, STEP)
for row in found.head(shown).iter_rows(named=True):
    with st.container(border=True):
        text, spark = st.columns([3, 1], vertical_alignment="center")
        icon = ":material/trending_down:" if row["polarity"] == "bad" else ":material/emoji_events:"
        kind = md_escape(t(f"signals.kind.{row['kind']}", lang))
        # A warning has a severity; good news has a strength (the win's, from lib.wins).
        weight = "severity" if row["polarity"] == "bad" else "strength"
        severity = md_escape(
            t(f"signals_page.{weight}", lang, value=fmt_percent(row["severity"], lang, decimals=0))
        )
        text.markdown(f"{icon} **{kind}** · {severity}")
        sentence = message(row, lang, units.get(row["kpi"]) or "")
        text.markdown(md_escape(sentence))
        link = raw.with_(services=(row["service"],), kpis=(row["kpi"],))
        links = text.container(horizontal=True, vertical_alignment="center", gap="medium")
        links.page_link(
            "pages/explore.py",
            label=t("signals_page.open", lang),
            icon=":material/query_stats:",
            query_params=to_query(link),
        )
        if row["polarity"] == "bad":
            # A warning calls for a corrective action: the Actions page's form, prefilled from it.
            if links.button(
                t("actions_page.from_signal", lang),
                icon=":material/add_task:",
                key=f"_act_{row['kind']}_{row['service']}_{row['kpi']}_{row['period']}",
            ):
                create_action_from(draft_from_signal(row, sentence, lang), raw)
        history = spark_frame(
            perf.filter(perf["period"] <= as_of), row["service"], row["kpi"], since=row["period"]
        )
        if history.height > 1:
            spark.altair_chart(
                charts.sparkline(history, lang, grain=grain, width=220, height=48, marker=row["period"]),
                theme=None,
            )
if found.height > shown:
    st.caption(t("signals_page.more", lang, shown=fmt_int(shown, lang), total=fmt_int(found.height, lang)))
    if st.button(t("signals_page.show_more", lang, n=fmt_int(STEP, lang)), icon=":material/expand_more:"):
        st.session_state[SHOWN_KEY] = shown + STEP
        st.rerun()
