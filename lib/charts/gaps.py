"""Gap to target: bars sorted worst first, and the distribution of gaps as a pre-binned histogram."""

from __future__ import annotations

import altair as alt
import polars as pl

from lib.charts.base import (
    check_frame,
    check_unique,
    clean_floats,
    natural_key,
    pick,
    signed_percent_text,
    status_codes,
    status_label,
    template_text,
    value_text,
    with_status_label,
)
from lib.charts.locale import PERCENT, SIGNED_PERCENT, configure_locale, lang_or_default, unit_suffix
from lib.charts.theme import INK, MUTED, RULE, STATUS_COLORS, STATUS_SYMBOLS, SYMBOL_FONT
from lib.i18n import t
from lib.model import STATUSES

GAP_LIMIT = 50.0  # percent: bin_gaps puts anything beyond ±50 % in one overflow bin on each side


def _status_colour(present: list[str], lang: str, **legend: object) -> alt.Color:
    return alt.Color(
        "_status:N",
        title=t("charts.field.status", lang),
        scale=alt.Scale(
            domain=[status_label(s, lang) for s in present], range=[STATUS_COLORS[s] for s in present]
        ),
        legend=alt.Legend(**legend),
    )


def _present(frame: pl.DataFrame) -> list[str]:
    seen = set(frame.get_column("status").to_list())
    return [s for s in STATUSES if s in seen]


def _padded_domain(gaps: pl.Series) -> list[float]:
    """Zero and every gap, with room on each side for the value labels written past the bar ends."""
    known = gaps.drop_nulls()
    low = min(0.0, known.min()) if known.len() else 0.0
    high = max(0.0, known.max()) if known.len() else 0.0
    room = max((high - low) * 0.22, 0.03)
    # Bars without a gap are labelled at zero, to the right.
    right = high + room if high > 0 or low == 0 or gaps.null_count() else 0.0
    return [low - room if low < 0 else 0.0, right]


def gap_bars(
    frame: pl.DataFrame, lang: str, *, title: str | None = None, label_title: str | None = None
) -> alt.LayerChart:
    """Horizontal bars of gap_pct, worst at the top, coloured by status, labelled with the status
    symbol and the signed gap; click a bar: point selection `bar` with fields ["label"].

    Columns: label, gap_pct, status; optional actual, target, unit.
    """
    lang = lang_or_default(lang)
    check_frame(frame, "gap_bars", ["label", "gap_pct", "status"], hint="one row per bar")
    check_unique(frame, "gap_bars", ["label"])
    data = status_codes(clean_floats(frame, ["gap_pct", "actual", "target"])).with_columns(
        pl.col("label").cast(pl.String)
    )
    for name in ("actual", "target"):
        if name not in data.columns:
            data = data.with_columns(pl.lit(None, pl.Float64).alias(name))
    units = data.get_column("unit").cast(pl.String).fill_null("") if "unit" in data.columns else None
    suffixes = {u: unit_suffix(u, lang) for u in (units.unique().to_list() if units is not None else [""])}
    data = with_status_label(data, lang).with_columns(
        (pl.col("gap_pct") / 100).alias("_gap"),
        pl.col("status").replace_strict(STATUS_SYMBOLS, return_dtype=pl.String).alias("_symbol"),
        (units.replace_strict(suffixes, return_dtype=pl.String) if units is not None else pl.lit("")).alias(
            "_suffix"
        ),
    )
    data = pick(data, ["label", "_gap", "status", "_status", "_symbol", "actual", "target", "_suffix"])
    # Worst first; bars without a gap go last, each group in reading order.
    keyed = sorted(
        data.select("label", "_gap").iter_rows(),
        key=lambda r: (r[1] is None, r[1] if r[1] is not None else 0.0, natural_key(r[0]), r[0]),
    )
    order = list(dict.fromkeys(label for label, _ in keyed))

    bar = alt.selection_point(name="bar", fields=["label"])
    item = label_title or t("charts.field.label", lang)
    y = alt.Y("label:N", sort=order, title=label_title, axis=alt.Axis(labelLimit=300))
    x = alt.X(
        "_gap:Q",
        title=t("charts.field.gap", lang),
        scale=alt.Scale(domain=_padded_domain(data.get_column("_gap")), nice=False),
        axis=alt.Axis(format=PERCENT),
    )
    tooltip = [
        alt.Tooltip("label:N", title=item),
        alt.Tooltip("_actual_text:N", title=t("charts.field.actual", lang)),
        alt.Tooltip("_target_text:N", title=t("charts.field.target", lang)),
        alt.Tooltip("_gap_text:N", title=t("charts.field.gap", lang)),
        alt.Tooltip("_status:N", title=t("charts.field.status", lang)),
    ]
    base = (
        alt.Chart(data)
        .transform_calculate(
            _actual_text=value_text("actual", suffix_field="_suffix"),
            _target_text=value_text("target", suffix_field="_suffix"),
            _gap_text=signed_percent_text("_gap"),
            _value=(
                f"isValid(datum._gap) ? datum._symbol + ' ' + format(datum._gap, '{SIGNED_PERCENT}') "
                ": datum._symbol"
            ),
            _x="isValid(datum._gap) ? datum._gap : 0",
        )
        .encode(y=y, tooltip=tooltip)
    )
    bars = (
        base.mark_bar(height={"band": 0.72})
        .encode(
            x=x,
            color=_status_colour(_present(data), lang),
            opacity=alt.when(bar).then(alt.value(1.0)).otherwise(alt.value(0.4)),
        )
        .add_params(bar)
    )
    # The zero rule and the value labels repeat what each bar's description says: hidden from
    # assistive technology (aria=False). The labels keep their tooltip, so hovering them still helps.
    zero = alt.Chart().mark_rule(color=RULE, strokeWidth=1, aria=False).encode(x=alt.datum(0))
    text = {"color": INK, "font": SYMBOL_FONT, "aria": False}
    right = base.transform_filter("datum._x >= 0").mark_text(align="left", dx=5, **text)
    left = base.transform_filter("datum._x < 0").mark_text(align="right", dx=-5, **text)
    labels = [side.encode(x=alt.X("_x:Q"), text="_value:N") for side in (right, left)]
    title = title if title is not None else t("charts.gaps.title", lang)
    chart = alt.layer(bars, zero, *labels).properties(height=alt.Step(24), title=title, description=title)
    return configure_locale(chart, lang)


def bin_gaps(values_frame: pl.DataFrame, step: float = 5) -> pl.DataFrame:
    """Count gap_pct values per bin of `step` points (per status when the frame has one).

    Bins are [start, end) from −50 to +50; values below −50 % fall in one bin [−50 − step, −50) with
    overflow 'below', values from +50 % in [50, 50 + step) with overflow 'above'. Null and NaN gaps
    are left out. Columns out: bin_start, bin_end, count, overflow[, status], sorted.
    """
    if step <= 0 or abs(GAP_LIMIT / step - round(GAP_LIMIT / step)) > 1e-9:
        raise ValueError(f"bin_gaps: step must be positive and divide {GAP_LIMIT:g} (1, 2, 2.5, 5, 10...)")
    gap = pl.col("gap_pct").cast(pl.Float64)
    start = (
        pl.when(gap < -GAP_LIMIT)
        .then(-GAP_LIMIT - step)
        .when(gap >= GAP_LIMIT)
        .then(GAP_LIMIT)
        # Rounding absorbs float noise (0.1 steps); adding 0.0 turns −0.0 into 0.0 so they group together.
        .otherwise(((gap / step).floor() * step).round(9) + 0.0)
    )
    overflow = pl.when(gap < -GAP_LIMIT).then(pl.lit("below")).when(gap >= GAP_LIMIT).then(pl.lit("above"))
    keys = ["bin_start", "overflow"]
    frame = values_frame.filter(gap.is_not_null() & gap.is_not_nan())
    extra = []
    if "status" in frame.columns:
        frame = status_codes(frame)
        keys.append("status")
        extra = ["status"]
    return (
        frame.select(start.alias("bin_start"), overflow.alias("overflow"), *extra)
        .group_by(keys)
        .len(name="count")
        .select(
            "bin_start",
            (pl.col("bin_start") + step).alias("bin_end"),
            pl.col("count").cast(pl.Int64),
            "overflow",
            *extra,
        )
        .sort("bin_start", *extra)
    )


def gap_distribution(frame: pl.DataFrame, lang: str, *, title: str | None = None) -> alt.LayerChart:
    """Histogram of pre-binned gaps (see `bin_gaps`), stacked by status, with a rule at zero; click a
    bin: point selection `bin` with fields ["bin_start"].

    Columns: bin_start, bin_end, count (gaps in percent); optional status, overflow ('below'/'above').
    """
    lang = lang_or_default(lang)
    check_frame(frame, "gap_distribution", ["bin_start", "bin_end", "count"], hint="use bin_gaps()")
    data = clean_floats(frame, ["bin_start", "bin_end", "count"])
    if "status" not in data.columns:
        data = data.with_columns(pl.lit("none").alias("status"))
    if "overflow" not in data.columns:
        data = data.with_columns(pl.lit(None, pl.String).alias("overflow"))
    data = with_status_label(status_codes(data), lang).with_columns(
        (pl.col("bin_start") / 100).alias("_start"),
        (pl.col("bin_end") / 100).alias("_end"),
        pl.col("status").replace_strict({s: i for i, s in enumerate(STATUSES)}).alias("_order"),
    )
    data = pick(
        data, ["bin_start", "bin_end", "_start", "_end", "count", "status", "_status", "overflow", "_order"]
    )

    bounds = data.select(pl.col("_start").min(), pl.col("_end").max()).row(0) if data.height else (None, None)
    low = min(-GAP_LIMIT / 100, bounds[0]) if bounds[0] is not None else -GAP_LIMIT / 100
    high = max(GAP_LIMIT / 100, bounds[1]) if bounds[1] is not None else GAP_LIMIT / 100
    ticks = [-0.5, -0.25, 0.0, 0.25, 0.5]
    start, end = "format(datum._start, '.0%')", "format(datum._end, '.0%')"
    below = template_text(t("charts.gaps.below", lang), limit=end)
    above = template_text(t("charts.gaps.above", lang), limit=start)
    inside = template_text(t("charts.gaps.bin_range", lang), start=start, end=end)
    range_text = f"datum.overflow == 'below' ? ({below}) : datum.overflow == 'above' ? ({above}) : ({inside})"
    count_title = t("charts.gaps.count_title", lang)
    tooltip = [
        alt.Tooltip("_range:N", title=t("charts.field.bin", lang)),
        alt.Tooltip("_status:N", title=t("charts.field.status", lang)),
        alt.Tooltip("count:Q", title=count_title, format=",d"),
    ]
    selected = alt.selection_point(name="bin", fields=["bin_start"])
    bars = (
        alt.Chart(data)
        .transform_calculate(_range=range_text)
        .mark_bar(cornerRadiusEnd=0, stroke="white", strokeWidth=0.8)
        .encode(
            x=alt.X(
                "_start:Q",
                bin="binned",
                title=t("charts.field.gap", lang),
                scale=alt.Scale(domain=[low, high], nice=False),
                axis=alt.Axis(values=ticks, format=PERCENT, grid=False),
            ),
            x2="_end:Q",
            y=alt.Y("count:Q", title=count_title, stack="zero", axis=alt.Axis(format=",d", tickMinStep=1)),
            color=_status_colour(_present(data), lang),
            order=alt.Order("_order:Q"),
            opacity=alt.when(selected).then(alt.value(1.0)).otherwise(alt.value(0.4)),
            tooltip=tooltip,
        )
        .add_params(selected)
    )
    zero = alt.Chart().mark_rule(color=RULE, strokeWidth=1.2, aria=False).encode(x=alt.datum(0))
    layers = [bars, zero]
    overflow = (
        data.filter(pl.col("overflow").is_not_null())
        .group_by("overflow", "_start", "_end")
        .agg(pl.col("count").sum())
        .sort("_start")
    )
    if overflow.height:
        # The outer bins hold everything beyond ±50 %: say so above them, or they read as −55 %/+55 %.
        layers.append(
            alt.Chart(overflow)
            .transform_calculate(
                _mid="(datum._start + datum._end) / 2",
                _text="datum.overflow == 'below' ? '<\u202f' + format(datum._end, '.0%') : "
                "'≥\u202f' + format(datum._start, '.0%')",
            )
            .mark_text(dy=-8, fontSize=11, color=MUTED, aria=False)
            .encode(x="_mid:Q", y="count:Q", text="_text:N")
        )
    title = title if title is not None else t("charts.gaps.distribution_title", lang)
    chart = alt.layer(*layers).properties(height=220, title=title, description=title)
    return configure_locale(chart, lang)
