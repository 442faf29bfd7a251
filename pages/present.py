"""Presentation mode: the briefing's slides one at a time, full width and in large type, live on the data.

The sidebar starts collapsed and holds only the slide index (no menu, no filters); the slide shown is
in the URL (`slide=3`), so a link opens the meeting where it left off."""

import polars as pl
import streamlit as st

from lib.filters import to_query
from lib.i18n import t
from lib.ui import briefing as ui
from lib.ui import state
from lib.ui.text import md_escape

# Typography only: larger text for a room; no element is hidden or moved. Text from data never goes
# through here (it is escaped Markdown below).
STYLE = """<style>
[data-testid="stMain"] [data-testid="stMarkdown"] p,
[data-testid="stMain"] [data-testid="stMarkdown"] li { font-size: 1.5rem; line-height: 1.45; }
[data-testid="stMain"] h1 { font-size: 3rem; }
[data-testid="stMain"] h3 { font-size: 1.8rem; }
[data-testid="stMain"] [data-testid="stMetricValue"] p { font-size: 3rem; }
[data-testid="stMain"] [data-testid="stMetricLabel"] p { font-size: 1.3rem; white-space: normal; }
[data-testid="stMain"] [data-testid="stMetricDelta"] p { font-size: 1.3rem; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] p { font-size: 1.15rem; }
[data-testid="stMain"] [data-testid="stTable"] :is(th, td) { font-size: 1.15rem; }
[data-testid="stMain"] button p { font-size: 1.2rem; }
</style>"""

ctx = ui.present_setup()
lang, raw, ds = ctx.lang, ctx.raw, ctx.dataset
pack, _ = ui.build(ctx, since=ui.since_chosen(ui.previous_briefing(ctx)))
total = len(pack.slides)
n = min(max(raw.slide or 1, 1), total)
raw = raw.with_(slide=n)
state.set_view(raw)
state.write_url(raw)


def _go(to: int) -> None:
    state.set_view(state.current_view().with_(slide=to))


def _delta(text: str | None) -> tuple[str | None, str]:
    """st.metric reads the sign from an ASCII minus; the arrow follows the sign, the colour the meaning."""
    if not text:
        return None, "off"
    text = text.replace("\u2212", "-")
    return text, "down" if text.startswith("-") else "up" if text.startswith("+") else "off"


st.html(STYLE)
with st.sidebar:
    st.markdown(f"**{t('briefing_page.present.index', lang)}**")
    for i, s in enumerate(pack.slides, 1):
        st.page_link(
            "pages/present.py",
            label=f"{i}. {md_escape(s.title)}",  # a service name is text, not Markdown
            query_params=to_query(raw.with_(slide=i)),
            disabled=i == n,
        )

nav = st.container(horizontal=True, vertical_alignment="center", gap="medium")
nav.button(
    t("briefing_page.present.previous", lang),
    disabled=n <= 1,
    on_click=_go,
    args=(n - 1,),
    shortcut="Left",
)
nav.markdown(t("briefing_page.present.counter", lang, n=n, total=total))
nav.button(
    t("briefing_page.present.next", lang),
    disabled=n >= total,
    on_click=_go,
    args=(n + 1,),
    type="primary",
    shortcut="Right",
)
nav.space("stretch")
nav.page_link(
    "pages/explore.py",
    label=t("briefing_page.present.explore", lang),
    icon=":material/query_stats:",
    query_params=to_query(raw.with_(slide=None)),
)
nav.page_link(
    "pages/briefing.py",
    label=t("briefing_page.present.briefing", lang),
    icon=":material/slideshow:",
    query_params=to_query(raw.with_(slide=None)),
)

slide = pack.slides[n - 1]
st.title(md_escape(slide.title))
if slide.subtitle:
    st.subheader(md_escape(slide.subtitle))
if slide.metrics:
    cols = st.columns(len(slide.metrics))
    for col, m in zip(cols, slide.metrics, strict=True):
        delta, arrow = _delta(m.delta)
        color = "gray" if m.good is None else "green" if m.good else "red"
        col.metric(
            md_escape(m.label), m.value, delta=delta, delta_color=color, delta_arrow=arrow, border=True
        )
if slide.chart is not None and slide.bullets:
    text, chart = st.columns([2, 3], gap="large")
else:
    text = chart = st.container()
if slide.bullets:
    text.markdown("\n".join(f"- {md_escape(b)}" for b in slide.bullets))
if slide.chart is not None:
    chart.altair_chart(ui.room_chart(slide.chart), width="stretch", theme=None)
    if slide.chart_alt:
        chart.caption(md_escape(slide.chart_alt))
if slide.table is not None and not slide.table.is_empty():
    # A static table, every row on screen; st.table reads Markdown in cells: escape them.
    cells = slide.table.with_columns(pl.all().cast(pl.String).fill_null(""))
    st.table(
        pl.DataFrame({md_escape(c): [md_escape(v) for v in cells[c].to_list()] for c in cells.columns}),
        hide_index=True,
    )
if slide.commentary:
    with st.expander(t("briefing_page.present.notes", lang), icon=":material/record_voice_over:"):
        st.markdown(md_escape(slide.commentary))
