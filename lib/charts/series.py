"""Time series of actuals against target (with tolerance band, comparison and projection) and sparklines."""

from __future__ import annotations

import math
from datetime import date, datetime

import altair as alt
import polars as pl

from lib.charts.annotations import (
    action_edges,
    action_marks,
    action_rules,
    filled,
    marker_headroom,
    note_marks,
    note_texts,
)
from lib.charts.base import (
    check_frame,
    check_unique,
    clean_floats,
    literal,
    ordered,
    pick,
    status_codes,
    status_label,
    template_text,
    value_text,
    with_status_label,
)
from lib.charts.locale import (
    AXIS_TIME,
    NUMBER,
    configure_locale,
    lang_or_default,
    month_ticks,
    unit_suffix,
)
from lib.charts.theme import ACCENT, FAINT, INK, MUTED, SERIES_COLORS, STATUS_COLORS, STATUS_SHAPES
from lib.contract import GRAINS
from lib.i18n import t
from lib.model import STATUSES
from lib.periods import period_label

_MAX_TICKS = 12
# Projection is dash-dot so it is not mistaken for the dashed target, in the legend too.
_DASHES = {"actual": [1, 0], "target": [6, 4], "comparison": [1.5, 3], "projection": [8, 3, 2, 3]}
_VALUES = ("actual", "target", "tol_low", "tol_high", "cmp_actual")
# Signal firings: shapes no status uses (a warning sign, a star), in the status colours of their
# polarity; warnings hang under the point, good news sits above it, several stacked outward.
_STAR = (
    "M0,-1L0.235,-0.324L0.951,-0.309L0.38,0.124L0.588,0.809L0,0.4"
    "L-0.588,0.809L-0.38,0.124L-0.951,-0.309L-0.235,-0.324Z"
)
FIRING_SHAPES = {"bad": "triangle-up", "good": _STAR}
FIRING_COLORS = {"bad": STATUS_COLORS["off"], "good": STATUS_COLORS["on"]}
_HEIGHT = 280
_TITLE_SPACE, _LEGEND_ROW, _LEGEND_GAP = 45, 20, 10  # pixels, as the theme draws them (12 px labels)
FIRINGS_PER_POINT = 3  # marks stacked on one point, most severe first
MAX_FIRINGS = 400


def _point_size(points_per_series: float) -> int:
    """Markers shrink on long series so they mark the values without hiding the line."""
    return 60 if points_per_series <= 24 else 32 if points_per_series <= 60 else 16


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _thin(values: list[date]) -> list[date]:
    step = math.ceil(len(values) / _MAX_TICKS) if values else 1
    return values[::step]


def _datetime(value: date) -> alt.DateTime:
    return alt.DateTime(year=value.year, month=value.month, date=value.day)


def time_axis(periods: list[date], grain: str, labels: dict[date, str] | None = None) -> alt.Axis:
    """An x axis that labels each period once: `%b %Y` months with month-aligned ticks, years, days,
    or the given `labels` (quarters, fiscal years) on one tick per period."""
    common = {"title": None, "labelFlush": False, "grid": False}
    if labels:
        ticks = _thin(sorted(labels))
        lookup = "{" + ", ".join(f"{literal(d.isoformat())}: {literal(labels[d])}" for d in ticks) + "}"
        # Ticks and data dates are both read in the browser's local time, so the lookup key matches.
        return alt.Axis(
            values=[_datetime(d) for d in ticks],
            labelExpr=f"{lookup}[timeFormat(datum.value, '%Y-%m-%d')] || ''",
            **common,
        )
    if grain == "month" and periods:
        first, last = periods[0], periods[-1]
        n_months = (last.year - first.year) * 12 + last.month - first.month + 1
        return alt.Axis(format=AXIS_TIME["month"], tickCount=month_ticks(n_months), **common)
    if grain == "year" and periods:
        step = max(1, math.ceil((periods[-1].year - periods[0].year + 1) / _MAX_TICKS))
        return alt.Axis(format="%Y", tickCount={"interval": "year", "step": step}, **common)
    return alt.Axis(format=AXIS_TIME.get(grain, "%e %b"), **common)


def period_names(periods: list[date], grain: str, lang: str, given: dict[date, str] | None = None) -> dict:
    """Each period's name ('mars 2026', 'T1 2026', 'S12 2026'), the caller's label first.

    Names are made here rather than by Vega date functions, which read dates in the browser's time
    zone and know nothing of fiscal quarters: the tooltip says what the tables say.
    """
    given = given or {}
    return {p: given.get(p) or period_label(p, grain, lang) for p in periods}


def with_period_text(frame: pl.DataFrame, names: dict[date, str]) -> pl.DataFrame:
    """`frame` with `_period_text`, the name of its period (from `period_names`)."""
    keys = frame.get_column("period").drop_nulls().unique().to_list()
    mapping = {k: names.get(_as_date(k), "") for k in keys}
    return frame.with_columns(
        pl.col("period").replace_strict(mapping, default=None, return_dtype=pl.String).alias("_period_text")
    )


def _periods(*frames: pl.DataFrame) -> list[date]:
    values: set[date] = set()
    for frame in frames:
        values |= {_as_date(v) for v in frame.get_column("period").drop_nulls().to_list()}
    return sorted(values)


def _colour_scale(series: list[str]) -> alt.Scale:
    palette = [SERIES_COLORS[i % len(SERIES_COLORS)] for i in range(len(series))]
    return alt.Scale(domain=series, range=palette)


def _status_scales(present: list[str], lang: str) -> tuple[alt.Scale, alt.Scale]:
    labels = [status_label(s, lang) for s in present]
    return (
        alt.Scale(domain=labels, range=[STATUS_COLORS[s] for s in present]),
        alt.Scale(domain=labels, range=[STATUS_SHAPES[s] for s in present]),
    )


def _value_domain(data: pl.DataFrame, proj: pl.DataFrame | None, headroom: int = 0) -> list[float] | None:
    """[low, high] of the plotted values with a margin, or None when there are none; `headroom` pixels
    more at the top (of a chart at least _HEIGHT high) keep the actions' markers off the curve."""
    columns = [data.get_column(c) for c in ("actual", "target", "cmp_actual")]
    if proj is not None:
        columns += [proj.get_column(c) for c in ("mean", "low", "high") if c in proj.columns]
    values = pl.concat([c.cast(pl.Float64) for c in columns]).drop_nulls().drop_nans()
    if values.is_empty():
        return None
    low, high = float(values.min()), float(values.max())
    margin = (high - low) * 0.12 or abs(high) * 0.05 or 1.0
    plot = _HEIGHT - _TITLE_SPACE
    extra = headroom * (high - low + 2 * margin) / (plot - headroom)
    return [low - margin, high + margin + extra]


def time_series(
    frame: pl.DataFrame,
    lang: str,
    *,
    grain: str,
    unit: str | None,
    compare_label: str | None = None,
    projection: pl.DataFrame | None = None,
    firings: pl.DataFrame | None = None,
    notes: pl.DataFrame | None = None,
    actions: pl.DataFrame | None = None,
    title: str | None = None,
) -> alt.LayerChart:
    """Actual per series (line and points, point shape by status), target dashed, tolerance band,
    comparison dotted, optional projection and signal firings; click a point (the nearest one): point
    selection `point` with fields ["period", "series"].

    Columns: period, series, actual; optional target, tol_low, tol_high, cmp_actual, status, label
    (period labels such as fiscal quarters), series_order. `projection`: period, series, mean[, low, high].
    `firings`: period, series, polarity ("bad" | "good"), kind (its label), message (its sentence),
    optional severity; each is marked on its series' point at that period (at most FIRINGS_PER_POINT
    per point and polarity, the most severe; MAX_FIRINGS in all).
    `notes`: period, series, text, optional author; a bubble above the point of the period containing
    each (where it has an actual), their texts in its tooltip and in the point's.
    `actions`: id, title, series, start, due, status, optional owner; a rule at the start (solid) and
    the due date (dashed) when drawn periods contain them, a marker with the tooltip on the top edge.
    """
    lang = lang_or_default(lang)
    if grain not in GRAINS:
        raise ValueError(f"time_series: unknown grain {grain!r}; expected one of {GRAINS}")
    check_frame(frame, "time_series", ["period", "series", "actual"], hint="one row per period × series")
    check_unique(frame, "time_series", ["period", "series"])
    data = clean_floats(frame, _VALUES).with_columns(pl.col("series").cast(pl.String))
    for name in _VALUES:
        if name not in data.columns:
            data = data.with_columns(pl.lit(None, pl.Float64).alias(name))
    has_status = "status" in data.columns
    if has_status:
        data = with_status_label(status_codes(data), lang)
    series = ordered(data, "series", "series_order")
    single = len(series) <= 1
    given = {}
    if "label" in data.columns:
        rows = data.select("period", "label").drop_nulls().unique().iter_rows()
        given = {_as_date(p): str(lbl) for p, lbl in rows}
    proj = _projection(projection, data) if projection is not None else None

    suffix = unit_suffix(unit, lang)
    y_title = t("charts.series.y_unit", lang, unit=unit.strip()) if unit and unit.strip() else None
    y_title = y_title or t("charts.field.value", lang)
    periods = _periods(data, *([proj] if proj is not None else []))
    names = period_names(periods, grain, lang, given)
    data = with_period_text(data, names)
    if proj is not None:
        proj = with_period_text(proj, names)
    x = alt.X("period:T", axis=time_axis(periods, grain, names if given or grain == "quarter" else None))
    drawn = data.filter(pl.col("actual").is_not_null())
    noted = note_texts(notes, drawn, periods, grain, lang) if notes is not None else None
    if noted is not None and noted.height:
        data = data.join(noted, on=["period", "series"], how="left")
    else:
        noted = None
    edges = (
        action_edges(actions, series, periods, grain, lang, data.schema["period"])
        if actions is not None
        else None
    )
    edges = edges if edges is not None and edges.height else None

    # The y range follows the values, target and comparison (and a projection), not the watch band: a
    # wide tolerance (15 %) would otherwise squash the line into the top of the chart. The band is
    # clipped to the plot.
    domain = _value_domain(data, proj, marker_headroom(edges) if edges is not None else 0)

    def y(field: str) -> alt.Y:
        scale = alt.Scale(zero=False, domain=domain) if domain else alt.Scale(zero=False)
        return alt.Y(f"{field}:Q", title=y_title, scale=scale, axis=alt.Axis(format=NUMBER))

    compare_label = compare_label or t("charts.field.comparison", lang)
    dash_names = {
        "actual": t("charts.field.actual", lang),
        "target": t("charts.field.target", lang),
        "comparison": compare_label,
        "projection": t("charts.field.projection", lang),
    }
    present = ["actual"]
    for key, column in (("target", "target"), ("comparison", "cmp_actual")):
        if data.get_column(column).is_not_null().any():
            present.append(key)
    if proj is not None and proj.height:
        present.append("projection")
    dash_scale = alt.Scale(domain=[dash_names[k] for k in present], range=[_DASHES[k] for k in present])
    # Legends stack on the right: side by side under the plot they would run wider than the chart.
    side = {"orient": "right", "direction": "vertical"}
    dash_legend = alt.Legend(
        title=None, symbolType="stroke", symbolStrokeColor=MUTED, symbolStrokeWidth=2, symbolSize=360, **side
    )

    def dashed(chart: alt.Chart, key: str) -> alt.Chart:
        # A constant field, not a datum: only field encodings take a scale and a legend. A lone solid
        # line needs no key.
        return chart.transform_calculate(_line=literal(dash_names[key])).encode(
            strokeDash=alt.StrokeDash(
                "_line:N", scale=dash_scale, legend=dash_legend if len(present) > 1 else None
            )
        )

    def banded(chart: alt.Chart, name: str) -> alt.Chart:
        return chart.transform_calculate(_band=literal(name)).encode(
            fill=alt.Fill("_band:N", scale=band_scale, legend=band_legend)
        )

    has_band = bool(
        data.select(pl.col("tol_low").is_not_null() & pl.col("tol_high").is_not_null()).to_series().any()
    )
    has_projection_band = proj is not None and bool(
        proj.select(pl.col("low").is_not_null() & pl.col("high").is_not_null()).to_series().any()
    )
    band_names = [t("charts.field.tolerance", lang), t("charts.field.projection_band", lang)]
    bands = [
        (n, c)
        for n, c, shown in zip(band_names, [FAINT, "#56B4E9"], [has_band, has_projection_band], strict=True)
        if shown
    ]
    band_scale = alt.Scale(domain=[n for n, _ in bands], range=[c for _, c in bands])
    band_legend = alt.Legend(title=None, symbolOpacity=0.35, symbolType="square", **side)
    series_colour = alt.Color(
        "series:N",
        title=t("charts.field.series", lang),
        scale=_colour_scale(series),
        legend=None if single else alt.Legend(**side),
    )

    def line_colour(default: str) -> alt.Color | alt.ColorValue:
        return alt.value(default) if single else series_colour

    base = alt.Chart(
        pick(data, ["period", "series", *_VALUES, "status", "_status", "_period_text", "_notes"])
    )
    # Bands and lines are drawn for the eye only (aria=False): every value they show is in the
    # description of a point, which is what a screen reader reads.
    layers = []
    if has_band:
        area = base.mark_area(opacity=0.22, aria=False, clip=True).encode(
            x=x, y=y("tol_low"), y2="tol_high:Q", detail="series:N"
        )
        layers.append(banded(area, band_names[0]))
    if has_projection_band:
        area = (
            alt.Chart(proj)
            .mark_area(opacity=0.25, aria=False)
            .encode(x=x, y=y("low"), y2="high:Q", detail="series:N")
        )
        layers.append(banded(area, band_names[1]))
    if edges is not None:
        layers.append(action_rules(edges, x))
    lines = [
        ("target", base, "target", 1.6, MUTED),
        ("comparison", base, "cmp_actual", 1.4, FAINT),
        ("projection", alt.Chart(proj) if proj is not None else None, "mean", 2.0, ACCENT),
        ("actual", base, "actual", 2.2, ACCENT),
    ]
    for key, source, field, width, colour in lines:
        if key in present:
            line = source.mark_line(strokeWidth=width, aria=False).encode(
                x=x, y=y(field), color=line_colour(colour), detail="series:N"
            )
            layers.append(dashed(line, key))

    tooltip = [alt.Tooltip("_period_text:N", title=t("charts.field.period", lang))]
    if not single:
        tooltip.append(alt.Tooltip("series:N", title=t("charts.field.series", lang)))
    tooltip.append(alt.Tooltip("_actual_text:N", title=t("charts.field.actual", lang)))
    calculations = {"_actual_text": value_text("actual", suffix)}
    if "target" in present:
        tooltip.append(alt.Tooltip("_target_text:N", title=t("charts.field.target", lang)))
        calculations["_target_text"] = value_text("target", suffix)
    if "comparison" in present:
        tooltip.append(alt.Tooltip("_cmp_text:N", title=compare_label))
        calculations["_cmp_text"] = value_text("cmp_actual", suffix)
    encoding = {"x": x, "y": y("actual"), "tooltip": tooltip}
    if has_status:
        tooltip.append(alt.Tooltip("_status:N", title=t("charts.field.status", lang)))
        statuses = [s for s in STATUSES if s in set(data.get_column("status").to_list())]
        colours, shapes = _status_scales(statuses, lang)
        status_title = t("charts.field.status", lang)
        legend = alt.Legend(**side)
        encoding["shape"] = alt.Shape("_status:N", title=status_title, scale=shapes, legend=legend)
        encoding["color"] = (
            alt.Color("_status:N", title=status_title, scale=colours, legend=legend)
            if single
            else series_colour
        )
    else:
        encoding["color"] = alt.value(ACCENT) if single else series_colour
    notes_title = t("explore.notes.field", lang)
    if noted is not None:
        # Every point's tooltip has a notes line ('–' where there is none: a field would print "null"),
        # and its description says the notes only where there are some.
        calculations["_point_desc"] = _description([*tooltip, alt.Tooltip("_notes:N", title=notes_title)])
        calculations["_notes_text"] = "isValid(datum._notes) ? datum._notes : '–'"
        tooltip.append(alt.Tooltip("_notes_text:N", title=notes_title))
        encoding["description"] = alt.Description("_point_desc:N")
    # A click picks the nearest point (no need to hit a 6-pixel marker); the page reads its period.
    point = alt.selection_point(name="point", fields=["period", "series"], nearest=True, on="click")
    encoding["stroke"] = alt.when(point, empty=False).then(alt.value(INK)).otherwise(alt.value("white"))
    encoding["strokeWidth"] = alt.when(point, empty=False).then(alt.value(2)).otherwise(alt.value(1))
    points = (
        base.transform_filter("isValid(datum.actual)")
        .transform_calculate(**calculations)
        .mark_point(filled=True, size=_point_size(data.height / max(len(series), 1)), opacity=1)
        .encode(**encoding)
        .add_params(point)
    )
    layers.append(points)
    # After the points: their nearest-point selection lays a hover surface over the plot, and marks
    # drawn under it would never show their tooltip (the projection's and the firings').
    if "projection" in present:
        layers.append(_projection_points(proj, x, y("mean"), lang, suffix, single, series_colour))
    marks = _firings(firings, data, lang) if firings is not None else None
    marks = marks if marks is not None and marks.height else None
    title = title if title is not None else t("charts.series.title", lang)
    chart = alt.layer(*layers)
    # Actions, notes and firings: shapes and colours that say what they are, not a status or a series:
    # scales of their own (x and y stay shared), and legends of their own. Drawn after the points, whose
    # nearest-point hover surface would hide their tooltips.
    extra = []
    if edges is not None:
        extra.append(action_marks(edges, x, lang, single))
    if noted is not None:
        extra.append(note_marks(noted, data, marks, x, y("actual"), lang, single))
    if marks is not None:
        per_series = data.height / max(len(series), 1)
        extra.append(_firing_marks(marks, x, y("actual"), lang, single, per_series))
    if extra:
        chart = alt.layer(chart, *extra).resolve_scale(
            shape="independent", fill="independent", color="independent"
        )
    # Legends stacked on the right: (entries, titled) each, to make the chart tall enough for them all.
    legends = [(len(present), False)] if len(present) > 1 else []
    legends += [(len(bands), False)] if bands else []
    legends += [(len(series), True)] if not single else []
    legends += [(len(statuses), True)] if has_status else []
    if edges is not None:
        legends.append((edges.get_column("_edge").n_unique(), True))
    if noted is not None:
        legends.append((1, False))
    if marks is not None:
        legends.append((marks.get_column("polarity").n_unique(), True))
    height = max(_HEIGHT, legend_height(legends))
    chart = chart.properties(height=height, title=title, description=title)
    return configure_locale(chart, lang)


def _entries(tooltip: list[alt.Tooltip]) -> list[tuple[str, str]]:
    """(title, Vega reference to its field) of each tooltip entry."""
    specs = [tip.to_dict() for tip in tooltip]
    return [(spec["title"], "datum[" + literal(spec["field"]) + "]") for spec in specs]


def _description(tooltip: list[alt.Tooltip]) -> str:
    """Vega expression: 'Title: text; …' like Vega-Lite's own descriptions, the last entry only where
    it has a value."""
    *shown, last = _entries(tooltip)
    text = " + '; ' + ".join(f"{literal(title + ': ')} + {ref}" for title, ref in shown)
    title, ref = last
    return f"{text} + (isValid({ref}) ? {literal('; ' + title + ': ')} + {ref} : '')"


def legend_height(legends: list[tuple[int, bool]]) -> int:
    """Pixels a column of legends takes, with the chart's title above (Streamlit fits the whole chart,
    legends included, in its height: a taller column would be cut off)."""
    rows = sum(n * _LEGEND_ROW + (_LEGEND_ROW if titled else 0) for n, titled in legends)
    return _TITLE_SPACE + rows + _LEGEND_GAP * max(len(legends) - 1, 0)


def _firings(firings: pl.DataFrame, data: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The firings placed on their series' point (none where the point has no actual), stacked and cut
    to the most severe, warnings first, with the texts their tooltip and description read."""
    check_frame(firings, "time_series firings", ["period", "series", "polarity", "kind", "message"])
    unknown = sorted(set(firings.get_column("polarity").unique().to_list()) - set(FIRING_SHAPES))
    if unknown:
        raise ValueError(f"time_series firings: unknown polarity {unknown}; expected {list(FIRING_SHAPES)}")
    severity = pl.col("severity").cast(pl.Float64) if "severity" in firings.columns else pl.lit(0.0)
    points = data.filter(pl.col("actual").is_not_null()).select("period", "series", "actual", "_period_text")
    marks = (
        firings.select(
            pl.col("period").cast(data.schema["period"]),
            pl.col("series").cast(pl.String),
            pl.col("polarity").cast(pl.String),
            pl.col("kind").cast(pl.String),
            pl.col("message").cast(pl.String),
            severity.fill_null(0.0).alias("severity"),
        )
        .join(points, on=["period", "series"], how="inner")
        .sort(["polarity", "severity", "kind", "message"], descending=[False, True, False, False])
        .with_columns(pl.int_range(pl.len()).over("period", "series", "polarity").alias("_rank"))
        .filter(pl.col("_rank") < FIRINGS_PER_POINT)
        .head(MAX_FIRINGS)  # warnings first (sorted by polarity), then the most severe
    )
    labels = {p: t(f"signals.polarity.{p}", lang) for p in FIRING_SHAPES}
    polarity = pl.col("polarity").replace_strict(labels, return_dtype=pl.String)
    # Pixels from the point: under it for warnings, above for good news, 11 px further per mark.
    away = 14 + 11 * pl.col("_rank")
    return marks.with_columns(
        polarity.alias("_polarity"),
        pl.when(pl.col("polarity") == "bad").then(away).otherwise(-away).alias("_offset"),
        pl.format("{} — {}", polarity, pl.col("kind")).alias("_signal"),
        filled(
            t("explore.firings.description", lang),
            polarity=polarity,
            kind=pl.col("kind"),
            period=pl.col("_period_text"),
            message=pl.col("message"),
        ).alias("_desc"),
    ).sort("period", "series", "polarity", "_rank")


def _firing_size(points_per_series: float) -> tuple[int, int]:
    """(warning, good news) marker areas: they shrink on long series as the points do."""
    return (75, 110) if points_per_series <= 24 else (55, 80) if points_per_series <= 60 else (40, 55)


def _firing_marks(
    marks: pl.DataFrame, x: alt.X, y: alt.Y, lang: str, single: bool, points_per_series: float
) -> alt.Chart:
    present = [p for p in FIRING_SHAPES if p in set(marks.get_column("polarity").to_list())]
    domain = [t(f"signals.polarity.{p}", lang) for p in present]
    legend = alt.Legend(
        title=t("explore.firings.legend", lang), orient="right", direction="vertical", symbolStrokeWidth=0
    )
    tooltip = [alt.Tooltip("_period_text:N", title=t("charts.field.period", lang))]
    if not single:
        tooltip.append(alt.Tooltip("series:N", title=t("charts.field.series", lang)))
    tooltip += [
        alt.Tooltip("_signal:N", title=t("explore.firings.signal", lang)),
        alt.Tooltip("message:N", title=t("explore.firings.finding", lang)),
    ]
    columns = ["period", "series", "actual", "polarity", "_polarity", "_offset", "_period_text", "_signal"]
    bad, good = _firing_size(points_per_series)
    return (
        alt.Chart(pick(marks, [*columns, "message", "_desc"]))
        # A dark outline sets them apart from the status points (white outline) they sit next to; the
        # star, thinner than the triangle, needs more area to look as big.
        .mark_point(
            filled=True,
            opacity=1,
            stroke=INK,
            strokeWidth=0.9,
            size=alt.expr(f"datum.polarity === 'good' ? {good} : {bad}"),
            yOffset=alt.expr("datum._offset"),
        )
        .encode(
            x=x,
            y=y,
            shape=alt.Shape(
                "_polarity:N",
                scale=alt.Scale(domain=domain, range=[FIRING_SHAPES[p] for p in present]),
                legend=legend,
            ),
            fill=alt.Fill(
                "_polarity:N",
                scale=alt.Scale(domain=domain, range=[FIRING_COLORS[p] for p in present]),
                legend=legend,
            ),
            tooltip=tooltip,
            description=alt.Description("_desc:N"),
        )
    )


def _projection(projection: pl.DataFrame, data: pl.DataFrame) -> pl.DataFrame:
    """The projection, joined to each series' last actual so the dashed line continues the solid one."""
    check_frame(projection, "time_series projection", ["period", "series", "mean"])
    check_unique(projection, "time_series projection", ["period", "series"])
    proj = clean_floats(projection, ["mean", "low", "high"]).with_columns(pl.col("series").cast(pl.String))
    for name in ("low", "high"):
        if name not in proj.columns:
            proj = proj.with_columns(pl.lit(None, pl.Float64).alias(name))
    period_type = data.schema["period"]
    proj = proj.select(pl.col("period").cast(period_type), "series", "mean", "low", "high")
    anchors = (
        data.filter(pl.col("actual").is_not_null())
        .sort("period")
        .group_by("series", maintain_order=True)
        .last()
        .filter(pl.col("series").is_in(proj.get_column("series").unique().to_list()))
        .select(
            "period",
            "series",
            pl.col("actual").alias("mean"),
            pl.col("actual").alias("low"),
            pl.col("actual").alias("high"),
        )
    )
    return pl.concat(
        [
            anchors.with_columns(pl.lit(True).alias("_anchor")),
            proj.with_columns(pl.lit(False).alias("_anchor")),
        ]
    ).sort("series", "period")


def _projection_points(
    proj: pl.DataFrame,
    x: alt.X,
    y: alt.Y,
    lang: str,
    suffix: str,
    single: bool,
    colour: alt.Color,
) -> alt.Chart:
    range_text = template_text(
        t("charts.series.range", lang), low=value_text("low", suffix), high=value_text("high", suffix)
    )
    tooltip = [alt.Tooltip("_period_text:N", title=t("charts.field.period", lang))]
    if not single:
        tooltip.append(alt.Tooltip("series:N", title=t("charts.field.series", lang)))
    tooltip += [
        alt.Tooltip("_mean_text:N", title=t("charts.field.projection", lang)),
        alt.Tooltip("_range_text:N", title=t("charts.field.projection_band", lang)),
    ]
    return (
        alt.Chart(proj)
        .transform_filter("!datum._anchor")
        .transform_calculate(
            _mean_text=value_text("mean", suffix),
            _range_text=range_text,
        )
        .mark_point(filled=False, size=45, strokeWidth=1.5)
        .encode(x=x, y=y, color=alt.value(ACCENT) if single else colour, tooltip=tooltip)
    )


def sparkline(
    frame: pl.DataFrame,
    lang: str,
    *,
    grain: str = "month",
    width: int = 120,
    height: int = 30,
    marker: date | None = None,
) -> alt.LayerChart:
    """A tiny line of actual, target as a faint line, the last point marked by its status; no axes.
    `marker`: a period to mark with a vertical rule (where a weak signal first fired).

    Columns: period, actual, target; optional status.
    """
    lang = lang_or_default(lang)
    check_frame(frame, "sparkline", ["period", "actual", "target"], hint="one row per period")
    check_unique(frame, "sparkline", ["period"])
    data = clean_floats(frame, ["actual", "target"]).sort("period")
    if "status" in data.columns:
        data = status_codes(data)
    else:
        data = data.with_columns(pl.lit("none").alias("status"))
    data = with_status_label(data, lang)
    data = with_period_text(data, period_names(_periods(data), grain, lang))
    data = pick(data, ["period", "_period_text", "actual", "target", "status", "_status"])
    last = data.filter(pl.col("actual").is_not_null()).tail(1)
    x = alt.X("period:T", axis=None)
    y_scale = alt.Scale(zero=False, padding=3)
    tooltip = [
        alt.Tooltip("_period_text:N", title=t("charts.field.period", lang)),
        alt.Tooltip("_actual_text:N", title=t("charts.field.actual", lang)),
        alt.Tooltip("_target_text:N", title=t("charts.field.target", lang)),
    ]
    base = alt.Chart(data).encode(x=x)
    # The lines are for the eye (aria=False); the invisible hover points carry the values.
    target = base.mark_line(strokeWidth=1, color=FAINT, strokeDash=[3, 2], aria=False).encode(
        y=alt.Y("target:Q", axis=None, scale=y_scale)
    )
    actual = base.mark_line(strokeWidth=1.6, color=ACCENT, aria=False).encode(
        y=alt.Y("actual:Q", axis=None, scale=y_scale)
    )
    texts = {"_actual_text": value_text("actual"), "_target_text": value_text("target")}
    hover = (
        base.transform_calculate(**texts)
        .mark_point(size=40, opacity=0)
        .encode(y=alt.Y("actual:Q", axis=None, scale=y_scale), tooltip=tooltip)
    )
    statuses = list(STATUSES)
    end = (
        alt.Chart(last)
        .transform_calculate(**texts)
        .mark_point(filled=True, size=42, stroke="white", strokeWidth=0.8, opacity=1)
        .encode(
            x=x,
            y=alt.Y("actual:Q", axis=None, scale=y_scale),
            color=alt.Color(
                "status:N",
                scale=alt.Scale(domain=statuses, range=[STATUS_COLORS[s] for s in statuses]),
                legend=None,
            ),
            shape=alt.Shape(
                "status:N",
                scale=alt.Scale(domain=statuses, range=[STATUS_SHAPES[s] for s in statuses]),
                legend=None,
            ),
            tooltip=[*tooltip, alt.Tooltip("_status:N", title=t("charts.field.status", lang))],
        )
    )
    layers = [target, actual, hover, end]
    if marker is not None:
        # Decorative: the detection period is said in the signal's sentence.
        rule = alt.Chart(pl.DataFrame({"period": [marker]})).mark_rule(
            color=STATUS_COLORS["off"], strokeWidth=1.5, strokeDash=[2, 2], aria=False
        )
        layers.insert(0, rule.encode(x=x))
    chart = alt.layer(*layers).properties(
        width=width,
        height=height,
        padding={"left": 3, "right": 6, "top": 4, "bottom": 4},
        description=t("charts.sparkline.description", lang),
    )
    return configure_locale(chart, lang)
