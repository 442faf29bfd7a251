"""Briefing: the pack of the view on screen — what it holds, one click for PowerPoint, PDF and Excel, and
the packs prepared before."""

import re
from datetime import UTC, date, datetime
from time import perf_counter

import polars as pl
import streamlit as st

from lib.briefing.render_pdf import render_pdf
from lib.briefing.render_pptx import render_pptx
from lib.briefing.render_xlsx import render_xlsx
from lib.filters import to_query
from lib.fmt import fmt_datetime, fmt_number
from lib.i18n import t
from lib.periods import period_label
from lib.ui import briefing as ui
from lib.ui import page_setup
from lib.ui import store as ui_store
from lib.ui.text import md_escape

GO_KEY = "_briefing_go"  # the author, once "Prepare the pack" was clicked (and a name known)
FILES_KEY = "_briefing_files"  # the last pack prepared in this session: its view and its three files
FORMATS = (
    ("pptx", render_pptx, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ("pdf", render_pdf, "application/pdf"),
    ("xlsx", render_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)
ss = st.session_state

ctx = page_setup("briefing")
lang, view, raw, ds = ctx.lang, ctx.view, ctx.raw, ctx.dataset
store = ui_store.store()
ui.warm_renderer()


def _seconds(value: float) -> str:
    return fmt_number(value, lang, 1)


def _period(record: dict) -> str:
    period, grain = record.get("period"), (record.get("snapshot") or {}).get("grain") or "month"
    if isinstance(period, str):
        period = date.fromisoformat(period[:10])
    return period_label(period, "month" if grain == "ytd" else grain, lang) if period else "—"


def _contents(slides) -> list[str]:
    """The slide list; a run of appendix slides (« … (1/8) », « … (2/8) ») on one line."""
    lines, i = [], 0
    while i < len(slides):
        j = i
        while slides[i].kind == "appendix" and j + 1 < len(slides) and slides[j + 1].kind == "appendix":
            j += 1
        if j == i:
            number, title = f"{i + 1}", slides[i].title
        else:
            number = f"{i + 1}–{j + 1}"
            title = re.sub(r"\s*\(1/\d+\)$", "", slides[i].title)
            title += " " + t("briefing_page.page.slides", lang, n=j - i + 1)
        lines.append(f"- **{number}** · {md_escape(title)}")
        i = j + 1
    return lines


st.title(t("briefing_page.page.title", lang))
subtitle = st.empty()
left, right = st.columns([3, 2], gap="large")
last = ui.previous_briefing(ctx)
since = st.toggle(
    t("briefing_page.since.toggle", lang),
    value=ui.since_chosen(last),
    disabled=last is None,
    help=t("briefing_page.since.help", lang),
    # A new widget once a pack exists, so it starts on (a keyed widget would keep its disabled "off").
    key=f"_briefing_since_{last is not None}",
)
if last is not None:
    ss[ui.SINCE_KEY] = since
    when = fmt_datetime(last["created_at"], lang)
    st.caption(
        md_escape(
            t("briefing_page.since.last", lang, date=when, author=last["created_by"], period=_period(last))
        )
    )
else:
    st.caption(t("briefing_page.since.none", lang))

pack, _ = ui.build(ctx, since=since)
subtitle.caption(md_escape(t("briefing_page.page.subtitle", lang, name=ds.name, period=pack.period)))
with left:
    st.subheader(t("briefing_page.page.contents", lang, n=len(pack.slides)))
    st.markdown("\n".join(_contents(pack.slides)))
with right:
    st.subheader(t("briefing_page.page.filters", lang))
    st.markdown("\n".join(f"- {md_escape(line)}" for line in pack.filters))
    st.page_link(
        "pages/present.py",
        label=t("briefing_page.page.present", lang),
        icon=":material/co_present:",
        help=t("briefing_page.page.present_help", lang),
        query_params=to_query(raw.with_(slide=1)),
    )

# The files shown belong to one view: change a filter and they are stale (prepare again).
files_key = (ds.slug, ds.token, view.with_(slide=None), lang, since)
st.button(
    t("briefing_page.prepare.button", lang),
    type="primary",
    icon=":material/slideshow:",
    on_click=ui_store.attempt,
    args=("briefing", lambda who: ss.__setitem__(GO_KEY, who)),
)
ui_store.author_prompt("briefing", lang)

who = ss.pop(GO_KEY, None)
if who:
    started = perf_counter()
    timings: list[tuple[str, float]] = []
    with st.status(t("briefing_page.prepare.running", lang), expanded=True) as status:
        step = perf_counter()
        st.write(t("briefing_page.step.content", lang))
        pack, snapshot = ui.build(ctx, since=since, who=who)
        timings.append(("content", perf_counter() - step))
        files: dict[str, tuple[str, bytes, str]] = {}
        for ext, render, mime in FORMATS:
            step = perf_counter()
            st.write(t(f"briefing_page.step.{ext}", lang))
            files[ext] = (pack.file_name(ext), render(pack), mime)
            timings.append((ext, perf_counter() - step))
        store.record_briefing(
            ds.slug,
            version=ds.version,
            link=pack.link,
            lang=lang,
            period=date.fromisoformat(str(snapshot["period"])[:10]),
            snapshot=snapshot,
            author=who,
        )
        st.write(t("briefing_page.step.record", lang))
        total = perf_counter() - started
        status.update(
            label=t("briefing_page.prepare.done", lang, seconds=_seconds(total)),
            state="complete",
            expanded=False,
        )
    ss[FILES_KEY] = {
        "key": files_key,
        "files": files,
        "seconds": total,
        "timings": timings,
        "at": datetime.now(UTC),
    }

prepared = ss.get(FILES_KEY)
if prepared and prepared["key"] == files_key:
    st.subheader(t("briefing_page.files.title", lang))
    row = st.container(horizontal=True, gap="small")
    for ext, (name, content, mime) in prepared["files"].items():
        row.download_button(
            t(f"briefing_page.files.{ext}", lang),
            data=content,
            file_name=name,
            mime=mime,
            icon=":material/download:",
            on_click="ignore",
            key=f"_briefing_dl_{ext}",
        )
    st.caption(
        t(
            "briefing_page.files.generated",
            lang,
            date=fmt_datetime(prepared["at"], lang),
            seconds=_seconds(prepared["seconds"]),
        )
        + " "
        + " · ".join(
            t("briefing_page.step.timing", lang, step=t(f"briefing_page.step.{k}", lang), seconds=_seconds(v))
            for k, v in prepared["timings"]
        )
    )

st.subheader(t("briefing_page.past.title", lang))
past = store.briefings(ds.slug)
if not past:
    st.caption(t("briefing_page.past.none", lang))
else:
    # Only links the app wrote (http(s) or the app's own path) are clickable.
    safe = [r["link"] if str(r["link"]).startswith(("http://", "https://", "/")) else None for r in past]
    table = pl.DataFrame(
        {
            "date": [fmt_datetime(r["created_at"], lang) for r in past],
            "author": [r["created_by"] for r in past],
            "period": [_period(r) for r in past],
            "lang": [
                t(f"common.lang.{r['lang']}", lang) if r["lang"] in ("fr", "en") else r["lang"] for r in past
            ],
            "version": [
                str(r["version"]) if r["version"] is not None else t("briefing_page.past.sample", lang)
                for r in past
            ],
            "link": safe,
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            c: st.column_config.TextColumn(t(f"briefing_page.past.{c}", lang))
            for c in ("date", "author", "period", "lang", "version")
        }
        | {
            "link": st.column_config.LinkColumn(
                t("briefing_page.past.link", lang), display_text=t("briefing_page.past.open", lang)
            )
        },
    )
