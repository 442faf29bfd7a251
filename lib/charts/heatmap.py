"""Heatmap of gap to target: one cell per row × column (service × KPI by default)."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib.charts.base import (
    check_frame,
    check_unique,
    clean_floats,
    field_title,
    ordered,
    pick,
    signed_percent_text,
    status_codes,
    status_label,
    value_text,
    with_status_label,
)
from lib.charts.locale import configure_locale, lang_or_default, unit_suffix
from lib.charts.theme import (
    GAP_BETTER,
    GAP_CLAMP,
    GAP_MISSING,
    GAP_NEUTRAL,
    GAP_WORSE,
    INK,
    STATUS_SYMBOLS,
    SYMBOL_FONT,
)
from lib.i18n import t
from lib.model import STATUSES

# Text on the darker blue end reads better in white; everywhere else dark ink contrasts more.
_WHITE_TEXT_FROM = 0.15
# Column labels: angled while cells are wide enough for slanted text not to touch, else upright (a
# page stretching the chart to its container decides the cell width, so the browser picks).
_SLANT_FROM = 30  # pixels of cell width
_COLUMN_LABEL_ANGLE = f"bandwidth('x') >= {_SLANT_FROM} ? -40 : -90"
_COLUMN_LABEL_SIZE = "bandwidth('x') >= 14 ? 12 : 10"


def _sizes(n_rows: int, n_cols: int) -> tuple[int, int]:
    """Cell width and height in pixels: roomy for small grids, compact for 500 rows or 50 columns."""
    width = 44 if n_cols <= 12 else 30 if n_cols <= 25 else 22
    height = 26 if n_rows <= 30 else 20 if n_rows <= 120 else 16
    return width, height


def heatmap(
    frame: pl.DataFrame,
    lang: str,
    *,
    rows: str = "service",
    cols: str = "kpi",
    title: str | None = None,
) -> alt.Chart:
    """Cells coloured by gap_pct (diverging, centred on 0, clamped to ±25 %), each with its status
    symbol; click a cell: point selection `cell` with fields [rows, cols].

    Columns: `rows`, `cols`, gap_pct, status, actual, target, unit; optional `row_order` and
    `col_order` (smallest first; else alphabetical).
    """
    lang = lang_or_default(lang)
    check_frame(frame, "heatmap", [rows, cols, "gap_pct", "status"], hint=f"one row per {rows} × {cols}")
    check_unique(frame, "heatmap", [rows, cols])
    data = status_codes(clean_floats(frame, ["gap_pct", "actual", "target"]))
    row_values = ordered(data, rows, "row_order")
    col_values = ordered(data, cols, "col_order")
    units = data.get_column("unit").cast(pl.String).fill_null("") if "unit" in data.columns else None
    data = with_status_label(data, lang).with_columns(
        pl.col(rows).cast(pl.String),
        pl.col(cols).cast(pl.String),
        (pl.col("gap_pct") / 100).alias("_gap"),
        pl.col("status").replace_strict(STATUS_SYMBOLS, return_dtype=pl.String).alias("_symbol"),
        _suffixes(units, data.height, lang).alias("_suffix"),
    )
    for name in ("actual", "target"):
        if name not in data.columns:
            data = data.with_columns(pl.lit(None, pl.Float64).alias(name))
    data = pick(data, [rows, cols, "_gap", "status", "_status", "_symbol", "actual", "target", "_suffix"])

    cell_width, cell_height = _sizes(len(row_values), len(col_values))
    cell = alt.selection_point(name="cell", fields=[rows, cols])
    x = alt.X(
        f"{cols}:N",
        sort=col_values,
        title=None,
        axis=alt.Axis(
            orient="top",
            labelAngle=alt.ExprRef(_COLUMN_LABEL_ANGLE),
            labelFontSize=alt.ExprRef(_COLUMN_LABEL_SIZE),
            labelAlign="left",
            labelBaseline="middle",
            labelLimit=210,
            labelPadding=6,
            # Every column is named: a dropped label would leave a column nobody can identify.
            labelOverlap=False,
        ),
    )
    y = alt.Y(f"{rows}:N", sort=row_values, title=None, axis=alt.Axis(labelLimit=300))
    tooltip = [
        alt.Tooltip(f"{rows}:N", title=field_title(rows, lang)),
        alt.Tooltip(f"{cols}:N", title=field_title(cols, lang)),
        alt.Tooltip("_actual_text:N", title=t("charts.field.actual", lang)),
        alt.Tooltip("_target_text:N", title=t("charts.field.target", lang)),
        alt.Tooltip("_gap_text:N", title=t("charts.field.gap", lang)),
        alt.Tooltip("_status:N", title=t("charts.field.status", lang)),
    ]
    clamp = GAP_CLAMP / 100
    colour = (
        alt.when("isValid(datum._gap)")
        .then(
            alt.Color(
                "_gap:Q",
                title=t("charts.field.gap", lang),
                scale=alt.Scale(
                    domain=[-clamp, 0, clamp],
                    range=[GAP_WORSE, GAP_NEUTRAL, GAP_BETTER],
                    interpolate="lab",
                    clamp=True,
                ),
                legend=alt.Legend(
                    format=".0%",
                    values=[-clamp, 0, clamp],
                    labelExpr=(
                        f"datum.value <= {-clamp} ? '≤ ' + datum.label : "
                        f"datum.value >= {clamp} ? '≥ +' + datum.label : datum.label"
                    ),
                    gradientLength=220,
                    gradientThickness=10,
                    # A tall grid would push a bottom legend thousands of pixels down.
                    orient="bottom" if len(row_values) <= 30 else "top",
                    direction="horizontal",
                    titleOrient="left",
                ),
            )
        )
        .otherwise(alt.value(GAP_MISSING))
    )
    base = alt.Chart(data).encode(x=x, y=y)
    rects = (
        base.transform_calculate(
            _actual_text=value_text("actual", suffix_field="_suffix"),
            _target_text=value_text("target", suffix_field="_suffix"),
            _gap_text=signed_percent_text("_gap"),
        )
        .mark_rect(stroke="white", strokeWidth=1, cornerRadius=2, invalid="show")
        .encode(
            color=colour,
            tooltip=tooltip,
            stroke=alt.when(cell, empty=False).then(alt.value(INK)).otherwise(alt.value("white")),
            strokeWidth=alt.when(cell, empty=False).then(alt.value(2.5)).otherwise(alt.value(1)),
        )
    )
    # The symbol repeats the status the cell's description already gives (aria=False), and without a
    # tooltip Vega-Lite makes it non-interactive: a click or hover on it reaches the cell beneath.
    symbols = base.mark_text(
        font=SYMBOL_FONT, fontSize=13 if cell_height >= 20 else 11, fontWeight=600, aria=False
    ).encode(
        text="_symbol:N",
        color=alt.when(f"datum._gap >= {_WHITE_TEXT_FROM}")
        .then(alt.value("white"))
        .otherwise(alt.value(INK)),
    )
    title = title if title is not None else t("charts.heatmap.title", lang)
    chart = alt.layer(rects.add_params(cell), symbols).properties(
        width=alt.Step(cell_width),
        height=alt.Step(cell_height),
        title=alt.Title(title, subtitle=_key(lang), subtitleFont=SYMBOL_FONT),
        description=title,
    )
    return configure_locale(chart, lang)


def _suffixes(units: pl.Series | None, height: int, lang: str) -> pl.Series:
    if units is None:
        return pl.Series([""] * height, dtype=pl.String)
    mapping = {u: unit_suffix(u, lang) for u in units.unique().to_list()}
    return units.replace_strict(mapping, return_dtype=pl.String)


def _key(lang: str) -> str:
    """Subtitle explaining the cell symbols, so status never rests on colour alone."""
    parts = [f"{STATUS_SYMBOLS[s]} {status_label(s, lang).lower()}" for s in STATUSES]
    return t("charts.heatmap.key", lang, symbols=" · ".join(parts))
