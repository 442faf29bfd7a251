"""Scores: the service leaderboard and the tile-sized split of KPIs by status."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib.charts.base import (
    check_frame,
    check_unique,
    clean_floats,
    literal,
    natural_key,
    pick,
    status_codes,
    status_label,
)
from lib.charts.locale import PERCENT, PERCENT_1, configure_locale, lang_or_default
from lib.charts.theme import ACCENT, INK, MUTED, STATUS_COLORS, STATUS_SYMBOLS, SYMBOL_FONT
from lib.fmt import fmt_int
from lib.i18n import t
from lib.model import STATUSES

_UP, _DOWN = "#00704F", "#A84A00"  # darker status hues: readable as text on white (≥ 4.5:1)
_TRACK = "#EDF0F3"
# Status bar layout, in pixels from the top: it draws its own title and key inside the plot, where
# they shorten with the width the page gives (a Vega title or legend wider than a stretched chart
# would squeeze the bar to nothing).
_MIN_TEXT_PIXELS = 38  # a segment narrower than this gets no inline count (the key has it)
_TITLE_ROW = 28
_BAR_HEIGHT = 44
_KEY_GAP, _KEY_ROW = 14, 22
_KEY_CHAR = 6.8  # pixels per character of a 13-pixel key label, generously
_KEY_INDENT = 18  # the square and the space after it
_MIN_SCORE_INSIDE = 0.12  # a bar shorter than this cannot hold its own label


def _points_text(lang: str) -> str:
    """Vega expression: a change of score (a ratio) in signed points, '+3,2 pts' / '−1,0 pt'."""
    value = "round(datum.change * 1000) / 10 + 0"
    # French uses the singular below 2 (1,5 pt); English only for exactly one (1.0 pt, 0.5 pts).
    one = f"abs({value}) < 2" if lang == "fr" else f"abs({value}) == 1"
    singular, plural = (
        literal(t("charts.leaderboard.point_one", lang)),
        literal(t("charts.leaderboard.point_many", lang)),
    )
    unit = f"({one} ? {singular} : {plural})"
    arrow = f"({value} > 0 ? '▲ ' : {value} < 0 ? '▼ ' : '')"
    return f"isValid(datum.change) ? {arrow} + format({value}, '+.1f') + '\u00a0' + {unit} : ''"


def leaderboard(frame: pl.DataFrame, lang: str, *, title: str | None = None) -> alt.LayerChart:
    """Bars of score (0-1, shown in %) per service, best first, with the change in points; click a
    bar: point selection `service` with fields ["service"].

    Columns: service, score; optional change (score difference, a ratio: 0.032 reads '+3,2 pts').
    """
    lang = lang_or_default(lang)
    check_frame(frame, "leaderboard", ["service", "score"], hint="one row per service")
    check_unique(frame, "leaderboard", ["service"])
    data = clean_floats(frame, ["score", "change"]).with_columns(pl.col("service").cast(pl.String))
    if "change" not in data.columns:
        data = data.with_columns(pl.lit(None, pl.Float64).alias("change"))
    data = pick(data, ["service", "score", "change"])
    keyed = sorted(
        data.select("service", "score").iter_rows(),
        key=lambda r: (r[1] is None, -(r[1] or 0.0), natural_key(r[0]), r[0]),
    )
    order = list(dict.fromkeys(s for s, _ in keyed))

    selected = alt.selection_point(name="service", fields=["service"])
    y = alt.Y("service:N", sort=order, title=None, axis=alt.Axis(labelLimit=240))
    tooltip = [
        alt.Tooltip("service:N", title=t("charts.field.service", lang)),
        alt.Tooltip("_score:N", title=t("charts.field.score", lang)),
        alt.Tooltip("_change:N", title=t("charts.field.change", lang)),
    ]
    base = (
        alt.Chart(data)
        .transform_calculate(
            _change=_points_text(lang),
            _score=f"isValid(datum.score) ? format(datum.score, '{PERCENT_1}') : '–'",
        )
        .encode(y=y)
    )
    score_x = alt.X(
        "score:Q",
        title=t("charts.field.score", lang),
        scale=alt.Scale(domain=[0, 1], nice=False),
        axis=alt.Axis(format=PERCENT, values=[0, 0.25, 0.5, 0.75, 1]),
    )
    # Only the bars are described to assistive technology; the track and the texts repeat them
    # (aria=False). The track and the texts beside it keep the tooltip (hovering the row helps); the
    # score written on the bar has none, so it is not interactive and a click on it reaches the bar.
    track = base.mark_bar(color=_TRACK, height={"band": 0.62}, cornerRadiusEnd=0, aria=False).encode(
        x=alt.datum(1), x2=alt.datum(0), tooltip=tooltip
    )
    bars = (
        base.mark_bar(color=ACCENT, height={"band": 0.62})
        .encode(
            x=score_x,
            opacity=alt.when(selected).then(alt.value(1.0)).otherwise(alt.value(0.4)),
            tooltip=tooltip,
        )
        .add_params(selected)
    )
    # The score sits inside the end of its bar (white on blue, 5:1), outside when the bar is too short;
    # outside it would collide with the change written past 100 %.
    inside = base.transform_filter(f"datum.score >= {_MIN_SCORE_INSIDE}").mark_text(
        align="right", dx=-6, color="white", fontWeight=600, aria=False
    )
    outside = base.transform_filter(f"datum.score < {_MIN_SCORE_INSIDE}").mark_text(
        align="left", dx=5, color=INK, fontWeight=600, aria=False
    )
    score_texts = [
        inside.encode(x="score:Q", text=alt.Text("score:Q", format=PERCENT)),
        outside.encode(x="score:Q", text=alt.Text("score:Q", format=PERCENT), tooltip=tooltip),
    ]
    change_text = base.mark_text(align="left", dx=12, aria=False).encode(
        x=alt.datum(1),
        text="_change:N",
        tooltip=tooltip,
        color=alt.when("datum.change > 0")
        .then(alt.value(_UP))
        .when("datum.change < 0")
        .then(alt.value(_DOWN))
        .otherwise(alt.value(MUTED)),
    )
    title = title if title is not None else t("charts.leaderboard.title", lang)
    chart = alt.layer(track, bars, *score_texts, change_text).properties(
        height=alt.Step(26),
        title=alt.Title(title, subtitle=t("charts.leaderboard.subtitle", lang)),
        description=title,
    )
    return configure_locale(chart, lang)


def _counts(counts: pl.DataFrame) -> pl.DataFrame:
    """Long (status, count) from either that shape or one row of n_on … n_none (model.scores)."""
    check_frame(counts, "status_bar", [], hint="one row per status")
    wide = [f"n_{s}" for s in STATUSES]
    if "status" not in counts.columns and all(c in counts.columns for c in wide):
        if counts.height != 1:
            raise ValueError(f"status_bar: n_* columns need exactly one row, got {counts.height}")
        return pl.DataFrame({"status": list(STATUSES), "count": [counts.item(0, c) for c in wide]})
    check_frame(counts, "status_bar", ["status", "count"], hint="one row per status")
    return status_codes(counts).group_by("status").agg(pl.col("count").sum())


def status_bar(
    counts: pl.DataFrame, lang: str, *, title: str | None = None, width: int = 280
) -> alt.LayerChart:
    """A tile: title, one 44-pixel bar split by status (on, watch, off, none) with symbol and count in
    each segment wide enough, and a two-column key of status names with counts; click a segment:
    point selection `status` with fields ["status"]. `title=""` leaves the title out.

    `width` applies when the page does not stretch the chart; stretched (`width="stretch"`), the chart
    fills its container whatever its width, texts shortened with an ellipsis when too narrow.
    `counts`: columns status, count, or a single row of n_on, n_watch, n_off, n_none.
    """
    lang = lang_or_default(lang)
    data = _counts(counts).with_columns(pl.col("count").cast(pl.Float64).fill_null(0.0))
    order = {s: i for i, s in enumerate(STATUSES)}
    data = data.filter(pl.col("count") > 0).sort(pl.col("status").replace_strict(order))
    total = data.get_column("count").sum()
    data = data.with_columns(
        (pl.col("count") / total).alias("_share") if total else pl.lit(0.0).alias("_share"),
    ).with_columns(
        (pl.col("_share").cum_sum() - pl.col("_share")).alias("_x0"),
        pl.col("_share").cum_sum().alias("_x1"),
    )
    labels = {
        s: f"{status_label(s, lang)} ({fmt_int(c, lang)})"
        for s, c in data.select("status", "count").iter_rows()
    }
    present = list(labels)
    top = _TITLE_ROW if title != "" else 0
    key_top = top + _BAR_HEIGHT + _KEY_GAP
    data = data.with_columns(
        pl.col("status").replace_strict(labels, return_dtype=pl.String).alias("_status"),
        pl.col("status").replace_strict(STATUS_SYMBOLS, return_dtype=pl.String).alias("_symbol"),
        ((pl.col("_x0") + pl.col("_x1")) / 2).alias("_mid"),
        pl.col("count").cast(pl.Int64),
        pl.int_range(pl.len()).alias("_i"),
    )
    data = pick(data, ["status", "_status", "_symbol", "count", "_share", "_x0", "_x1", "_mid", "_i"])
    # The key fills two columns, row by row in status order, when the drawn width (the `width`
    # signal) holds its longest label twice; else one column, and the chart grows downwards.
    longest = max((len(label) for label in labels.values()), default=0)
    two = f"(width >= {2 * (_KEY_INDENT + round(longest * _KEY_CHAR) + 12)})"
    key_x = f"{two} ? (datum._i % 2) * width / 2 : 0"
    key_y = f"{key_top + _KEY_ROW / 2} + ({two} ? floor(datum._i / 2) : datum._i) * {_KEY_ROW}"
    height = key_top + max((len(present) + 1) // 2, 1) * _KEY_ROW

    selected = alt.selection_point(name="status", fields=["status"])
    unit = alt.Scale(domain=[0, 1], nice=False, zero=False)
    colour = alt.Color(
        "_status:N",
        title=None,
        scale=alt.Scale(domain=[labels[s] for s in present], range=[STATUS_COLORS[s] for s in present]),
        legend=None,
    )
    tooltip = [
        alt.Tooltip("_label:N", title=t("charts.field.status", lang)),
        alt.Tooltip("count:Q", title=t("charts.field.count", lang), format=",d"),
        alt.Tooltip("_share:Q", title=t("charts.field.share", lang), format=PERCENT_1),
    ]
    names = {s: status_label(s, lang) for s in present}
    label_expr = " : ".join(f"datum.status == {literal(s)} ? {literal(n)}" for s, n in names.items())
    base = alt.Chart(data).transform_calculate(_label=f"{label_expr} : ''" if names else "''")
    bars = (
        base.mark_bar(cornerRadius=0, stroke="white", strokeWidth=2)
        .encode(
            y=alt.value(top),
            y2=alt.value(top + _BAR_HEIGHT),
            x=alt.X("_x0:Q", axis=None, scale=unit),
            x2="_x1:Q",
            color=colour,
            opacity=alt.when(selected).then(alt.value(1.0)).otherwise(alt.value(0.4)),
            tooltip=tooltip,
        )
        .add_params(selected)
    )
    # Texts repeat what each segment's description says (aria=False), and without a tooltip they are
    # not interactive: a click on a count reaches its segment. `width` is the drawn width (signal).
    text = {"font": SYMBOL_FONT, "color": INK, "aria": False, "baseline": "middle"}
    counts_text = (
        base.transform_calculate(_text="datum._symbol + ' ' + format(datum.count, ',d')")
        .mark_text(fontWeight=600, fontSize=14, **text)
        .encode(
            y=alt.value(top + _BAR_HEIGHT / 2),
            x=alt.X("_mid:Q", scale=unit),
            # Empty rather than transparent: a hidden count near the end would still widen the chart.
            text=alt.when(f"datum._share * width >= {_MIN_TEXT_PIXELS}")
            .then(alt.Text("_text:N"))
            .otherwise(alt.value("")),
        )
    )
    key_position = {"x": alt.value(alt.ExprRef(key_x)), "y": alt.value(alt.ExprRef(key_y))}
    key_symbols = base.mark_point(
        shape="square", filled=True, size=120, opacity=1, xOffset=6, aria=False
    ).encode(color=colour, **key_position)
    key_labels = base.mark_text(
        align="left",
        dx=16,
        fontSize=13,
        limit=alt.ExprRef(f"max(0, ({two} ? width / 2 : width) - {_KEY_INDENT + 6})"),
        **text,
    ).encode(text="_status:N", **key_position)
    layers = [bars, counts_text, key_symbols, key_labels]
    heading = title or t("charts.status_bar.title", lang)
    if title != "":
        layers.append(
            alt.Chart(data.head(1))
            .mark_text(
                align="left",
                fontSize=14,
                fontWeight=600,
                limit=alt.ExprRef("width"),
                **text,
            )
            .encode(x=alt.value(0), y=alt.value(_TITLE_ROW / 2 - 4), text=alt.value(heading))
        )
    chart = alt.layer(*layers).properties(
        width=width,
        height=height,
        description=heading,
        # Fit the width only: with Streamlit's default ("fit") a stretched chart squeezes everything
        # into the height it is given.
        autosize=alt.AutoSizeParams(type="fit-x", contains="padding"),
    )
    return configure_locale(chart, lang)
