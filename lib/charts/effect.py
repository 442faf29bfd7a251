""" "Did it work?": a KPI's actuals against the projection it would have followed without the action."""

from __future__ import annotations

from datetime import date

import altair as alt
import polars as pl

from lib.charts.base import check_frame, clean_floats, literal, pick
from lib.charts.locale import NUMBER, configure_locale, lang_or_default
from lib.charts.series import period_names, time_axis, with_period_text
from lib.charts.theme import ACCENT, MUTED, RULE
from lib.effect import Effect, effect_sentence
from lib.i18n import t
from lib.signals.text import amount

_HEIGHT = 300
_BAND = "#56B4E9"  # the projection band's colour on Explore: the same idea reads the same
_DASHES = {"actual": [1, 0], "counterfactual": [6, 4]}


def _texts(data: pl.DataFrame, lang: str, unit: str) -> pl.DataFrame:
    """Tooltip and screen-reader texts of each point, numbers formatted with babel."""
    rows = data.select("_period_text", "actual", "counterfactual", "low", "high").iter_rows()
    actual, expected, band, desc = [], [], [], []
    for period, a, cf, lo, hi in rows:
        actual.append(amount(a, lang, unit))
        has_cf = cf is not None
        expected.append(amount(cf, lang, unit) if has_cf else None)
        band.append(
            t("charts.series.range", lang, low=amount(lo, lang, unit), high=amount(hi, lang, unit))
            if has_cf and lo is not None and hi is not None
            else None
        )
        key = "effect.chart.point_after" if has_cf else "effect.chart.point"
        values = {"period": period, "actual": actual[-1]}
        if has_cf:
            values |= {
                "expected": expected[-1],
                "low": amount(lo, lang, unit),
                "high": amount(hi, lang, unit),
            }
        desc.append(t(key, lang, **values))
    return data.with_columns(
        pl.Series("_actual_text", actual, dtype=pl.String),
        pl.Series("_cf_text", expected, dtype=pl.String),
        pl.Series("_band_text", band, dtype=pl.String),
        pl.Series("_desc", desc, dtype=pl.String),
    )


def _domain(data: pl.DataFrame) -> list[float] | None:
    values = pl.concat([data.get_column(c) for c in ("actual", "counterfactual", "low", "high")])
    values = values.drop_nulls()
    if values.is_empty():
        return None
    low, high = float(values.min()), float(values.max())
    margin = (high - low) * 0.12 or abs(high) * 0.05 or 1.0
    return [low - margin, high + margin]


def effect_chart(eff: Effect, lang: str, *, unit: str = "", title: str | None = None) -> alt.LayerChart:
    """Actuals as a line with points, the projection without the action dashed from the action's
    start with its 80 % band, a labelled rule at the start. Every point carries a tooltip and a
    screen-reader description; lines, band and labels are for the eye (aria=False); the chart's own
    description is the effect's sentence."""
    lang = lang_or_default(lang)
    check_frame(eff.series, "effect_chart", ["period", "actual", "counterfactual", "low", "high"])
    data = clean_floats(eff.series, ["actual", "counterfactual", "low", "high"]).sort("period")
    periods: list[date] = data.get_column("period").to_list()
    data = with_period_text(data, period_names(periods, eff.grain, lang))
    data = _texts(data, lang, unit)
    title = title if title is not None else t("effect.chart.title", lang)
    names = {key: t(f"effect.chart.{key}", lang) for key in _DASHES}
    has_cf = data.get_column("counterfactual").is_not_null().any()
    present = [k for k in _DASHES if k == "actual" or has_cf]
    legend = alt.Legend(title=None, orient="top", symbolType="stroke", symbolStrokeWidth=2)
    line_field = {
        "color": alt.Color(
            "_line:N",
            scale=alt.Scale(domain=[names[k] for k in present], range=[ACCENT, MUTED][: len(present)]),
            legend=legend if has_cf else None,
        ),
        "strokeDash": alt.StrokeDash(
            "_line:N",
            scale=alt.Scale(domain=[names[k] for k in present], range=[_DASHES[k] for k in present]),
            legend=legend if has_cf else None,
        ),
    }
    domain = _domain(data)
    scale = alt.Scale(zero=False, domain=domain) if domain else alt.Scale(zero=False)
    y_title = f"{t('charts.field.value', lang)} ({unit})" if unit else t("charts.field.value", lang)
    x = alt.X("period:T", axis=time_axis(periods, eff.grain))

    def y(field: str) -> alt.Y:
        return alt.Y(f"{field}:Q", title=y_title, scale=scale, axis=alt.Axis(format=NUMBER))

    base = alt.Chart(pick(data, ["period", "actual", "_period_text", "_actual_text", "_cf_text", "_desc"]))
    layers: list[alt.Chart] = []
    if has_cf:
        cf = _anchored(data)
        band = (
            alt.Chart(cf)
            .transform_calculate(_band=literal(t("effect.chart.band", lang)))
            .mark_area(opacity=0.25, aria=False)
            .encode(
                x=x,
                y=y("low"),
                y2="high:Q",
                fill=alt.Fill(
                    "_band:N",
                    scale=alt.Scale(range=[_BAND]),
                    legend=alt.Legend(title=None, orient="top", symbolOpacity=0.35, symbolType="square"),
                ),
            )
        )
        dashed = (
            alt.Chart(cf)
            .transform_calculate(_line=literal(names["counterfactual"]))
            .mark_line(strokeWidth=2, aria=False)
            .encode(x=x, y=y("counterfactual"), **line_field)
        )
        layers += [band, dashed]
    solid = (
        base.transform_filter("isValid(datum.actual)")
        .transform_calculate(_line=literal(names["actual"]))
        .mark_line(strokeWidth=2.2, aria=False)
        .encode(x=x, y=y("actual"), **line_field)
    )
    tooltip = [
        alt.Tooltip("_period_text:N", title=t("charts.field.period", lang)),
        alt.Tooltip("_actual_text:N", title=names["actual"]),
    ]
    if has_cf:
        tooltip.append(alt.Tooltip("_cf_text:N", title=names["counterfactual"]))
        tooltip.append(alt.Tooltip("_band_text:N", title=t("effect.chart.band", lang)))
        points_data = pick(
            data, ["period", "actual", "_period_text", "_actual_text", "_cf_text", "_band_text", "_desc"]
        )
    else:
        points_data = pick(data, ["period", "actual", "_period_text", "_actual_text", "_desc"])
    points = (
        alt.Chart(points_data)
        .transform_filter("isValid(datum.actual)")
        .mark_point(filled=True, size=40, color=ACCENT, opacity=1)
        .encode(x=x, y=y("actual"), tooltip=tooltip, description=alt.Description("_desc:N"))
    )
    layers += [solid, points]
    if eff.start is not None:
        late = bool(periods) and eff.start > periods[int(len(periods) * 0.8)]
        layers += _start_rule(eff, lang, x, late)
    chart = alt.layer(*layers).properties(
        height=_HEIGHT, title=title, description=effect_sentence(eff, lang, unit)
    )
    return configure_locale(chart, lang)


def _anchored(data: pl.DataFrame) -> pl.DataFrame:
    """The counterfactual rows, led by the last actual before them so the dashed line and the band
    start from the solid one."""
    cf = data.filter(pl.col("counterfactual").is_not_null()).select("period", "counterfactual", "low", "high")
    first = cf.get_column("period").min()
    anchor = (
        data.filter((pl.col("period") < first) & pl.col("actual").is_not_null())
        .tail(1)
        .select(
            "period",
            pl.col("actual").alias("counterfactual"),
            pl.col("actual").alias("low"),
            pl.col("actual").alias("high"),
        )
    )
    return pl.concat([anchor, cf])


def _start_rule(eff: Effect, lang: str, x: alt.X, late: bool) -> list[alt.Chart]:
    """A rule at the action's start, described for screen readers, and its label for the eye (on
    its left when the start is near the end, so it stays inside the chart)."""
    assert eff.start is not None
    label = t("effect.chart.start", lang)
    period = period_names([eff.start], eff.grain, lang)[eff.start]
    frame = pl.DataFrame(
        {
            "period": [eff.start],
            "_label": [label],
            "_desc": [t("effect.chart.start_description", lang, period=period)],
        }
    )
    rule = (
        alt.Chart(frame)
        .mark_rule(color=RULE, strokeWidth=1.5, strokeDash=[2, 2])
        .encode(x=x, description=alt.Description("_desc:N"), tooltip=alt.Tooltip("_desc:N", title=label))
    )
    text = (
        alt.Chart(frame)
        .mark_text(
            align="right" if late else "left",
            baseline="top",
            dx=-4 if late else 4,
            dy=2,
            color=RULE,
            aria=False,
        )
        .encode(x=x, y=alt.value(0), text="_label:N")
    )
    return [rule, text]
