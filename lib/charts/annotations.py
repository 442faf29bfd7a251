"""Team notes and corrective actions drawn on the time series (lib.charts.series.time_series).

A note is a small speech bubble above its point (with the firings' good news, if any, under it); an
action is a vertical rule at its start (solid) and due date (dashed) with a marker on the plot's top
edge that carries its tooltip, and its short title beside the start. Dates are placed on the period
that contains them, so a monthly note shows on its quarter and a mid-month start on its month.
"""

from __future__ import annotations

import string
from datetime import date, timedelta

import altair as alt
import polars as pl

from lib.charts.base import check_frame, pick
from lib.charts.theme import INK, RULE
from lib.fmt import fmt_date
from lib.i18n import t

# A speech bubble with its tail down-left, in Vega's unit square: a shape no status or signal uses.
NOTE_SHAPE = "M-1,-0.75H1V0.45H-0.15L-0.65,0.95V0.45H-1Z"
NOTE_FILL = "#FBE7A1"  # note paper: pale enough not to read as the "watch" orange beside it
# Start: a play sign; due: a pennant on its pole. Both unlike the status and signal shapes.
ACTION_SHAPES = {"start": "triangle-right", "due": "M-0.15,-1L1,-0.45L0.15,0.1V1H-0.15Z"}
ACTION_DASHES = {"start": [1, 0], "due": [5, 3]}
ACTION_STATUSES = ("planned", "in_progress", "done", "dropped")
MAX_ACTIONS = 40  # the most recent starts; more would hide the curve behind rules
MAX_NOTE_POINTS = 400
TITLE_CHARS = 48  # the label beside a start rule (cut shorter where the next one is near)
LABEL_ROWS = 3  # labels of actions close in time are staggered over this many rows
_TOP, _ROW = 7, 14  # pixels from the plot's top to the first row of action markers, and between rows
_LABEL_GAP, _LABEL_MIN = 9, 40  # pixels from a label to the next marker; narrower labels are not shown
_NOTE_GAP, _FIRING_STEP = 16, 11  # pixels above the point, and per good-news mark stacked there


def _next(value: date, grain: str) -> date:
    if grain == "day":
        return value + timedelta(days=1)
    if grain == "week":
        return value + timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}.get(grain, 1)  # ytd charts are drawn by month
    k = value.year * 12 + value.month - 1 + months
    return date(k // 12, k % 12 + 1, min(value.day, 28))


def period_starts(periods: list[date], grain: str) -> list[date]:
    """Every period start from the first drawn to the one after the last, stepping from the first (so
    fiscal quarters keep their months), gaps included."""
    if not periods:
        return []
    out, current = [], periods[0]
    while current <= periods[-1]:
        out.append(current)
        current = _next(current, grain)
    return [*out, current]


def snap(
    frame: pl.DataFrame, column: str, periods: list[date], grain: str, dtype: pl.DataType
) -> pl.DataFrame:
    """`frame` with `_x`, the start of the drawn period containing `column`'s date (rows outside the
    drawn range are dropped), cast like the chart's periods."""
    starts = period_starts(periods, grain)
    if not starts or frame.is_empty():
        return frame.clear().with_columns(pl.lit(None, dtype).alias("_x"))
    bounds = pl.DataFrame({"_x": starts[:-1]}, schema={"_x": pl.Date})
    dated = frame.with_columns(pl.col(column).cast(pl.Date).alias("_on")).filter(
        pl.col("_on").is_not_null() & (pl.col("_on") >= starts[0]) & (pl.col("_on") < starts[-1])
    )
    joined = dated.sort("_on").join_asof(bounds, left_on="_on", right_on="_x", strategy="backward")
    return joined.with_columns(pl.col("_x").cast(dtype)).drop("_on")


def filled(template: str, **exprs: pl.Expr) -> pl.Expr:
    """A translated template ('{kind}, {period}: {message}') filled row by row with expressions."""
    parts: list[pl.Expr] = []
    for text, name, _, _ in string.Formatter().parse(template):
        if text:
            parts.append(pl.lit(text))
        if name is not None:
            parts.append(exprs[name])
    return pl.concat_str(parts)


# --- Notes ------------------------------------------------------------------------------------------------


def note_texts(
    notes: pl.DataFrame, points: pl.DataFrame, periods: list[date], grain: str, lang: str
) -> pl.DataFrame:
    """One row per point carrying notes: period, series, `_notes` (their texts and authors, oldest
    first, joined), `_n_notes`. `points`: the drawn points (period, series with an actual)."""
    check_frame(notes, "time_series notes", ["period", "series", "text"])
    dtype = points.schema["period"]
    author = pl.col("author").cast(pl.String) if "author" in notes.columns else pl.lit(None, pl.String)
    rows = notes.select(
        pl.col("period"),
        pl.col("series").cast(pl.String),
        pl.col("text").cast(pl.String).str.strip_chars(),
        author.str.strip_chars().alias("author"),
        pl.int_range(pl.len()).alias("_order"),
    ).filter(pl.col("text").is_not_null() & (pl.col("text") != ""))
    rows = snap(rows, "period", periods, grain, dtype).drop("period").rename({"_x": "period"})
    item = filled(t("explore.notes.item", lang), text=pl.col("text"), author=pl.col("author"))
    one = pl.when(pl.col("author").fill_null("") != "").then(item).otherwise(pl.col("text"))
    return (
        rows.join(points.select("period", "series"), on=["period", "series"], how="inner")
        .sort("period", "series", "_order")
        .group_by("period", "series", maintain_order=True)
        .agg(one.str.join(" · ").alias("_notes"), pl.len().alias("_n_notes"))
        .head(MAX_NOTE_POINTS)
    )


def note_marks(
    texts: pl.DataFrame,
    data: pl.DataFrame,
    firings: pl.DataFrame | None,
    x: alt.X,
    y: alt.Y,
    lang: str,
    single: bool,
) -> alt.Chart:
    """The bubbles above their points, over any good news stacked there, with their notes' tooltip."""
    marks = texts.join(data.select("period", "series", "actual", "_period_text"), on=["period", "series"])
    above = pl.lit(0, pl.Int64)
    if firings is not None and firings.height:
        good = (
            firings.filter(pl.col("polarity") == "good")
            .group_by("period", "series")
            .agg(pl.len().alias("_g"))
        )
        marks = marks.join(good, on=["period", "series"], how="left")
        above = pl.col("_g").fill_null(0).cast(pl.Int64)
    legend_name = t("explore.notes.legend", lang)
    marks = marks.with_columns(
        (-(_NOTE_GAP + _FIRING_STEP * above)).alias("_note_offset"),
        pl.lit(legend_name).alias("_note"),
        filled(
            t("explore.notes.description", lang),
            period=pl.col("_period_text"),
            series=pl.col("series"),
            notes=pl.col("_notes"),
        ).alias("_note_desc"),
    ).sort("period", "series")
    tooltip = [alt.Tooltip("_period_text:N", title=t("charts.field.period", lang))]
    if not single:
        tooltip.append(alt.Tooltip("series:N", title=t("charts.field.series", lang)))
    tooltip.append(alt.Tooltip("_notes:N", title=t("explore.notes.field", lang)))
    columns = ["period", "series", "actual", "_period_text", "_notes", "_note", "_note_offset", "_note_desc"]
    legend = alt.Legend(title=None, orient="right", direction="vertical", symbolStrokeColor=INK)
    return (
        alt.Chart(pick(marks, columns))
        .mark_point(
            filled=True,
            opacity=1,
            size=130,
            stroke=INK,
            strokeWidth=0.9,
            yOffset=alt.expr("datum._note_offset"),
        )
        .encode(
            x=x,
            y=y,
            shape=alt.Shape(
                "_note:N", scale=alt.Scale(domain=[legend_name], range=[NOTE_SHAPE]), legend=legend
            ),
            fill=alt.Fill("_note:N", scale=alt.Scale(domain=[legend_name], range=[NOTE_FILL]), legend=legend),
            tooltip=tooltip,
            description=alt.Description("_note_desc:N"),
        )
    )


# --- Actions ----------------------------------------------------------------------------------------------


def short_title(title: str, limit: int = TITLE_CHARS) -> str:
    """The title cut at a word before `limit` characters, with an ellipsis when cut."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    cut = title[: limit - 1].rsplit(" ", 1)[0] if " " in title[: limit - 1] else title[: limit - 1]
    return cut.rstrip(" ,;:.-–—") + "…"


def action_edges(
    actions: pl.DataFrame, series: list[str], periods: list[date], grain: str, lang: str, dtype: pl.DataType
) -> pl.DataFrame:
    """One row per drawn start and due date of the actions on the chart's series (the MAX_ACTIONS latest
    starts), placed on their period, with the texts their tooltip, label and description read."""
    check_frame(actions, "time_series actions", ["id", "title", "series", "start", "due", "status"])
    unknown = sorted(set(actions.get_column("status").drop_nulls().to_list()) - set(ACTION_STATUSES))
    if unknown:
        raise ValueError(f"time_series actions: unknown status {unknown}; expected {list(ACTION_STATUSES)}")
    owner = pl.col("owner").cast(pl.String) if "owner" in actions.columns else pl.lit(None, pl.String)
    chosen = actions.select(
        pl.col("id").cast(pl.Int64),
        pl.col("title").cast(pl.String).fill_null(""),
        pl.col("series").cast(pl.String),
        pl.col("start").cast(pl.Date),
        pl.col("due").cast(pl.Date),
        pl.col("status").cast(pl.String),
        owner.fill_null("").alias("owner"),
    ).filter(pl.col("series").is_in(series) & pl.col("start").is_not_null())
    edges = pl.concat(
        [
            chosen.with_columns(pl.col(edge).alias("_on"), pl.lit(edge).alias("_edge"))
            for edge in ("start", "due")
        ]
    )
    placed = snap(edges, "_on", periods, grain, dtype)
    drawn = placed.select("id", "start").unique().sort("start", "id").tail(MAX_ACTIONS)
    if drawn.is_empty():
        return pl.DataFrame()
    # Actions take turns over a few rows of markers, so labels of actions close in time have room.
    rows = drawn.select("id", (pl.int_range(pl.len()) % LABEL_ROWS).alias("_row"))
    chosen = placed.join(rows, on="id", how="inner").sort(
        "_row", "_x", "_edge", descending=[False, False, True]
    )
    statuses = {s: t(f"actions.status.{s}", lang) for s in ACTION_STATUSES}
    dated = {d: fmt_date(d, lang) for col in ("start", "due") for d in chosen.get_column(col).drop_nulls()}
    texts = chosen.with_columns(
        pl.col("status").replace_strict(statuses, default="—", return_dtype=pl.String).alias("_status_text"),
        pl.col("start").replace_strict(dated, default="—", return_dtype=pl.String).alias("_start_text"),
        pl.col("due").replace_strict(dated, default="—", return_dtype=pl.String).alias("_due_text"),
        pl.when(pl.col("owner") != "").then(pl.col("owner")).otherwise(pl.lit("—")).alias("_owner_text"),
    )
    names = {e: t(f"explore.actions.{e}", lang) for e in ACTION_SHAPES}
    # A label runs from its start marker to the next start on its row (the plot's edge for the last);
    # due dates are marked at the foot of their rule.
    starts = texts.filter(pl.col("_edge") == "start").select(
        "id", "_edge", pl.col("_x").shift(-1).over("_row").alias("_next")
    )
    texts = texts.join(starts, on=["id", "_edge"], how="left", maintain_order="left")
    return texts.with_columns(
        pl.col("_edge").replace_strict(names, return_dtype=pl.String).alias("_edge_text"),
        pl.when(pl.col("_edge") == "start")
        .then(pl.col("title").map_elements(short_title, return_dtype=pl.String))
        .otherwise(pl.lit(""))
        .alias("_label"),
        (_TOP + _ROW * pl.col("_row")).alias("_y"),
        filled(
            t("explore.actions.description", lang),
            edge=pl.col("_edge").replace_strict(names, return_dtype=pl.String),
            title=pl.col("title"),
            series=pl.col("series"),
            status=pl.col("_status_text"),
            start=pl.col("_start_text"),
            due=pl.col("_due_text"),
            owner=pl.col("_owner_text"),
        ).alias("_action_desc"),
    )


def marker_headroom(edges: pl.DataFrame) -> int:
    """Pixels the rows of action markers take at the top of the plot."""
    rows = edges.get_column("_row").n_unique() if edges.height else 0
    return _TOP + _ROW * rows if rows else 0


def on_x(x: alt.X, field: str) -> alt.X:
    """The chart's time axis for another date field (layers share the scale and the axis)."""
    moved = x.copy()
    moved.shorthand = f"{field}:T"
    return moved


def action_rules(edges: pl.DataFrame, x: alt.X) -> alt.Chart:
    """The rules, under the curves and their click surface (aria off: the markers describe them)."""
    return (
        alt.Chart(pick(edges, ["_x", "_edge"]))
        .mark_rule(
            color=RULE,
            strokeWidth=1.3,
            opacity=0.75,
            aria=False,
            strokeDash=alt.expr(f"datum._edge === 'due' ? {ACTION_DASHES['due']} : {ACTION_DASHES['start']}"),
        )
        .encode(x=on_x(x, "_x"))
    )


def action_marks(edges: pl.DataFrame, x: alt.X, lang: str, single: bool) -> alt.LayerChart:
    """A marker on the plot's top edge for each rule (its tooltip and description) and the short title
    beside each start (aria off: it repeats the marker's description)."""
    present = [e for e in ACTION_SHAPES if e in set(edges.get_column("_edge").to_list())]
    domain = [t(f"explore.actions.{e}", lang) for e in present]
    legend = alt.Legend(
        title=t("explore.actions.legend", lang),
        orient="right",
        direction="vertical",
        symbolFillColor=RULE,
        symbolSize=90,
    )
    x = on_x(x, "_x")
    tooltip = [
        alt.Tooltip("_edge_text:N", title=t("explore.actions.marker", lang)),
        alt.Tooltip("title:N", title=t("actions.field.title", lang)),
    ]
    if not single:
        tooltip.append(alt.Tooltip("series:N", title=t("actions.field.service", lang)))
    tooltip += [
        alt.Tooltip("_owner_text:N", title=t("actions.field.owner", lang)),
        alt.Tooltip("_status_text:N", title=t("actions.field.status", lang)),
        alt.Tooltip("_start_text:N", title=t("actions.field.start", lang)),
        alt.Tooltip("_due_text:N", title=t("actions.field.due", lang)),
    ]
    columns = [
        "id", "_x", "_next", "_edge", "_edge_text", "title", "series", "_owner_text", "_status_text",
        "_start_text", "_due_text", "_label", "_y", "_action_desc",
    ]  # fmt: skip
    base = alt.Chart(pick(edges, columns))
    # Starts on their rows at the top, due dates at the foot (7 px up); the offset is the marker's.
    foot = "datum._edge === 'due' ? height - 7 : datum._y"
    markers = base.mark_point(
        filled=True,
        opacity=1,
        size=alt.expr("datum._edge === 'due' ? 200 : 70"),  # the pennant's area is smaller
        color=RULE,
        yOffset=alt.expr(foot),
    ).encode(
        x=x,
        y=alt.value(0),
        shape=alt.Shape(
            "_edge_text:N",
            scale=alt.Scale(domain=domain, range=[ACTION_SHAPES[e] for e in present]),
            legend=legend,
        ),
        tooltip=tooltip,
        description=alt.Description("_action_desc:N"),
    )
    # The room up to the next marker on the row, in pixels of the chart as drawn (its width may change).
    here = "scale('x', toDate(datum._x))"
    room = f"(isValid(datum._next) ? scale('x', toDate(datum._next)) : width) - {here} - {7 + _LABEL_GAP}"
    labels = (
        base.transform_filter("datum._label !== ''")
        .mark_text(
            align="left",
            baseline="middle",
            dx=7,
            fontSize=11,
            color=RULE,
            limit=alt.expr(f"max({room}, 1)"),
            opacity=alt.expr(f"{room} < {_LABEL_MIN} ? 0 : 1"),
            aria=False,
            yOffset=alt.expr("datum._y"),
        )
        .encode(x=x, y=alt.value(0), text="_label:N")
    )
    return alt.layer(markers, labels)
