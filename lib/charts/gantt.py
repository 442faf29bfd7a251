"""The actions' timeline: one bar per action from its start to its due date (an Altair Gantt)."""

from __future__ import annotations

from datetime import date

import altair as alt
import polars as pl

from lib.charts.base import check_frame, check_unique, pick
from lib.charts.locale import AXIS_TIME, configure_locale, lang_or_default, month_ticks
from lib.charts.theme import INK, MUTED, STATUS_COLORS
from lib.fmt import fmt_date, fmt_int
from lib.i18n import t

# Action statuses get hues of their own (not the KPI statuses' meaning), each with an end-of-bar
# shape and an outline dash, so the status never rests on colour alone.
GANTT_COLORS = {"planned": "#56B4E9", "in_progress": "#0072B2", "done": "#009E73", "dropped": "#999999"}
GANTT_SHAPES = {"planned": "circle", "in_progress": "triangle-right", "done": "diamond", "dropped": "cross"}
GANTT_DASHES = {"planned": [4, 3], "in_progress": [1, 0], "done": [1, 0], "dropped": [1, 2]}
OVERDUE_COLOR = STATUS_COLORS["off"]
ROW_HEIGHT = 26
LABEL_CHARS = 42


def _short(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def gantt_frame(frame: pl.DataFrame, lang: str, today: date) -> pl.DataFrame:
    """The bars, with their texts: label (`#id title`), end (the due date; today for an open action
    without one, or its start), overdue days, tooltip texts and a sentence for screen readers."""
    lang = lang_or_default(lang)
    rows = []
    for r in frame.sort(["start", "id"]).iter_rows(named=True):
        due, start, status = r["due"], r["start"], str(r["status"])
        end = due if due is not None else max(start, today) if status in ("planned", "in_progress") else start
        late = int((today - due).days) if r.get("overdue") and due is not None else 0
        status_text = t(f"actions.status.{status}", lang)
        due_text = fmt_date(due, lang) if due is not None else t("actions_page.gantt.no_due", lang)
        late_text = t("actions_page.gantt.late", lang, days=fmt_int(late, lang)) if late else ""
        # Late ones say so on their label too (a symbol, not only the vermillion overrun).
        short = _short(f"#{r['id']} {r['title']}")
        label = ("⚠ " if late else "") + short
        desc = t(
            "actions_page.gantt.description",
            lang,
            label=short,
            service=r["service"],
            status=status_text,
            start=fmt_date(start, lang),
            due=due_text,
        )
        rows.append(
            {
                "id": r["id"],
                "label": label,
                "service": str(r["service"]),
                "owner": str(r.get("owner") or "—"),
                "start": start,
                "end": end,
                "due": due,
                "status": status,
                "_status": status_text,
                "_start": fmt_date(start, lang),
                "_due": due_text,
                "late": late,
                "_late": late_text or "—",
                "_desc": f"{desc} {late_text}".strip(),
            }
        )
    schema = {
        "id": pl.Int64,
        "label": pl.String,
        "service": pl.String,
        "owner": pl.String,
        "start": pl.Date,
        "end": pl.Date,
        "due": pl.Date,
        "status": pl.String,
        "_status": pl.String,
        "_start": pl.String,
        "_due": pl.String,
        "late": pl.Int64,
        "_late": pl.String,
        "_desc": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def gantt(frame: pl.DataFrame, lang: str, *, today: date, title: str | None = None) -> alt.LayerChart:
    """Start→due bars coloured, outlined and end-marked by status; late actions carry a vermillion
    overrun from their due date to today and a ⚠; a rule marks today. Columns: id, title, service,
    start, due, status; optional owner, overdue (from lib.actions.flag)."""
    lang = lang_or_default(lang)
    check_frame(
        frame, "gantt", ["id", "title", "service", "start", "due", "status"], hint="one row per action"
    )
    check_unique(frame, "gantt", ["id"])
    unknown = sorted(set(frame.get_column("status").cast(pl.String).to_list()) - set(GANTT_COLORS))
    if unknown:
        raise ValueError(f"gantt: unknown status {unknown}; expected one of {list(GANTT_COLORS)}")
    if "overdue" not in frame.columns:
        frame = frame.with_columns(pl.lit(False).alias("overdue"))
    bars = gantt_frame(frame, lang, today)
    present = [s for s in GANTT_COLORS if s in set(bars.get_column("status").to_list())]
    labels = [t(f"actions.status.{s}", lang) for s in present]
    field = t("actions_page.field.status", lang)
    legend = alt.Legend(title=field, orient="top", direction="horizontal")
    colour = alt.Color(
        "_status:N", title=field, scale=alt.Scale(domain=labels, range=[GANTT_COLORS[s] for s in present])
    )
    shape = alt.Shape(
        "_status:N", title=field, scale=alt.Scale(domain=labels, range=[GANTT_SHAPES[s] for s in present])
    )
    order = bars.get_column("label").to_list()
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    firsts = [bars.get_column("start").min() or today, today]
    lasts = [bars.get_column("end").max() or today, today]
    first, last = min(firsts), max(lasts)
    n_months = (last.year - first.year) * 12 + last.month - first.month + 1
    x_axis = alt.Axis(format=AXIS_TIME["month"], tickCount=month_ticks(n_months), title=None, grid=True)
    tooltip = [
        alt.Tooltip("label:N", title=t("actions_page.field.title", lang)),
        alt.Tooltip("service:N", title=t("actions_page.field.service", lang)),
        alt.Tooltip("owner:N", title=t("actions_page.field.owner", lang)),
        alt.Tooltip("_status:N", title=field),
        alt.Tooltip("_start:N", title=t("actions_page.field.start", lang)),
        alt.Tooltip("_due:N", title=t("actions_page.field.due", lang)),
        alt.Tooltip("_late:N", title=t("actions_page.overdue", lang)),
    ]
    base = alt.Chart(
        pick(
            bars,
            [
                "label",
                "service",
                "owner",
                "start",
                "end",
                "due",
                "status",
                "_status",
                "_start",
                "_due",
                "late",
                "_late",
                "_desc",
            ],
        )
    )
    dash = alt.StrokeDash(
        "_status:N", scale=alt.Scale(domain=labels, range=[GANTT_DASHES[s] for s in present]), legend=None
    )
    bar = base.mark_bar(height={"band": 0.55}, stroke=INK, strokeWidth=1, cornerRadius=2).encode(
        x=alt.X("start:T", axis=x_axis, scale=alt.Scale(padding=12)),
        x2="end:T",
        y=y,
        color=colour.legend(legend),
        strokeDash=dash,
        tooltip=tooltip,
        description=alt.Description("_desc:N"),
    )
    # The end marker repeats the status in a shape (legend merged with the colours'); the bar's own
    # description already says it, so it is hidden from screen readers.
    ends = base.mark_point(filled=True, size=90, opacity=1, stroke=INK, strokeWidth=0.8, aria=False).encode(
        x="end:T", y=y, color=colour.legend(legend), shape=shape.legend(legend), tooltip=tooltip
    )
    layers: list[alt.Chart] = [bar, ends]
    late = bars.filter(pl.col("late") > 0)
    if late.height:
        overrun_src = alt.Chart(
            pick(late.with_columns(pl.lit(today).alias("today")), ["label", "due", "today", "_late"])
        )
        overrun = overrun_src.mark_bar(
            height={"band": 0.25}, color=OVERDUE_COLOR, opacity=0.85, aria=False
        ).encode(
            x="due:T",
            x2="today:T",
            y=y,
            tooltip=[alt.Tooltip("_late:N", title=t("actions_page.overdue", lang))],
        )
        layers.append(overrun)
    today_src = alt.Chart(pl.DataFrame({"today": [today], "_text": [t("actions_page.gantt.today", lang)]}))
    layers.append(
        today_src.mark_rule(color=MUTED, strokeDash=[2, 2], strokeWidth=1.5, aria=False).encode(x="today:T")
    )
    layers.append(
        today_src.mark_text(
            align="left", dx=4, baseline="top", y=0, color=MUTED, fontSize=11, aria=False
        ).encode(x="today:T", text="_text:N")
    )
    title = title if title is not None else t("actions_page.gantt.title", lang)
    # A step per row, not a total height: Streamlit fits the whole chart (title, legend, axis) into a
    # given height, which would squash the rows.
    chart = alt.layer(*layers).properties(
        width="container", height=alt.Step(ROW_HEIGHT), title=title, description=title
    )
    return configure_locale(chart, lang)
