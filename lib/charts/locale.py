"""Vega-Lite d3 locales (French, British English) and the number and date formats charts use.

Axes, legends and tooltips formatted by Vega follow the locale configured on the chart: in French
`1 234,5` (narrow no-break space), `85,0 %`, `janv. 2026`.
"""

from __future__ import annotations

import altair as alt

NUMBER_LOCALES = {
    "fr": {
        "decimal": ",",
        "thousands": "\u202f",
        "grouping": [3],
        "currency": ["", "\u00a0€"],
        "percent": "\u202f%",
        "minus": "\u2212",
    },
    "en": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["£", ""], "minus": "\u2212"},
}

TIME_LOCALES = {
    "fr": {
        "dateTime": "%A %e %B %Y à %X",
        "date": "%d/%m/%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
        "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
        "months": [
            "janvier",
            "février",
            "mars",
            "avril",
            "mai",
            "juin",
            "juillet",
            "août",
            "septembre",
            "octobre",
            "novembre",
            "décembre",
        ],
        "shortMonths": [
            "janv.",
            "févr.",
            "mars",
            "avr.",
            "mai",
            "juin",
            "juil.",
            "août",
            "sept.",
            "oct.",
            "nov.",
            "déc.",
        ],
    },
    "en": {
        "dateTime": "%a %e %b %X %Y",
        "date": "%d/%m/%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        "shortDays": ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"],
        "months": [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        "shortMonths": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    },
}

# d3 format specifiers; the locale supplies the separators, so one specifier serves both languages.
NUMBER = ",.1~f"  # axis values: 1 234,5
EXACT = ",.2~f"  # tooltips: the value to the hundredth, trailing zeros dropped
PERCENT = ".0%"  # ratios on axes: 85 %
PERCENT_1 = ".1%"  # 85,0 %
SIGNED_PERCENT = "+.1%"  # gaps: +3,2 % / −1,0 %

# Axis label formats per grain (quarters and fiscal years get their own labels; tooltips name periods
# with lib.periods.period_label).
AXIS_TIME = {"day": "%e %b", "week": "%e %b", "month": "%b %Y", "quarter": "%b %Y", "year": "%Y"}


def lang_or_default(lang: str) -> str:
    return lang if lang in NUMBER_LOCALES else "fr"


def locale_config(lang: str) -> dict:
    """The `locale` block of a Vega-Lite config for `lang` ('fr' for anything unknown)."""
    lang = lang_or_default(lang)
    return {"number": dict(NUMBER_LOCALES[lang]), "time": dict(TIME_LOCALES[lang])}


def configure_locale(chart: alt.TopLevelMixin, lang: str) -> alt.TopLevelMixin:
    """`chart` with its numbers and dates formatted for `lang`, keeping any config already set."""
    config = chart.config if chart.config is not alt.Undefined else alt.Config()
    config = config.copy(deep=True)
    config.locale = locale_config(lang)
    out = chart.copy(deep=False)
    out.config = config
    return out


def month_ticks(n_months: int) -> dict:
    """A `tickCount` that puts one tick per month, or per 2, 3, 6 or 12 months on long ranges, so
    `%b %Y` labels neither repeat nor collide."""
    for limit, step in ((13, 1), (25, 2), (37, 3), (73, 6)):
        if n_months <= limit:
            return {"interval": "month", "step": step}
    return {"interval": "year", "step": max(1, n_months // 120 + 1)}


def unit_suffix(unit: str | None, lang: str) -> str:
    """What follows a number for `unit`: ' k€', and '%' typeset per language (FR `85,0 %`)."""
    unit = (unit or "").strip()
    if not unit:
        return ""
    if unit == "%":
        return "\u202f%" if lang_or_default(lang) == "fr" else "%"
    if unit.startswith("/"):  # a score out of ten reads 7,5/10
        return unit
    return "\u00a0" + unit
