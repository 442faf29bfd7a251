"""Numbers and dates for text outside charts, formatted with babel (FR: `1 234,5`, `85,0 %`)."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

LOCALES = {"fr": "fr_FR", "en": "en_GB"}


def _locale(lang: str) -> str:
    return LOCALES.get(lang, "fr_FR")


def fmt_int(value: int | float | None, lang: str) -> str:
    return "—" if value is None else format_decimal(round(value), format="#,##0", locale=_locale(lang))


def fmt_number(value: float | None, lang: str, decimals: int = 1) -> str:
    if value is None:
        return "—"
    pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
    return format_decimal(value, format=pattern, locale=_locale(lang))


def fmt_percent(ratio: float | None, lang: str, decimals: int = 1) -> str:
    """0.85 -> '85,0 %' (FR) / '85.0%' (EN)."""
    if ratio is None:
        return "—"
    # French sets a no-break space before %, so the sign never wraps onto its own line.
    suffix = "\u00a0%" if lang == "fr" else "%"
    return format_percent(ratio, format="#,##0." + "0" * decimals + suffix, locale=_locale(lang))


def fmt_date(value: date | None, lang: str, fmt: str = "medium") -> str:
    return "—" if value is None else format_date(value, format=fmt, locale=_locale(lang))


def fmt_datetime(value: datetime | None, lang: str) -> str:
    return "—" if value is None else format_datetime(value, format="medium", locale=_locale(lang))


def fmt_signed(value: float | None, lang: str, decimals: int = 1) -> str:
    """+5,0 / −3,2 (a true minus sign, which does not break from its number)."""
    if value is None:
        return "—"
    text = fmt_number(abs(value), lang, decimals)
    if round(value, decimals) == 0:
        return text
    return ("+" if value > 0 else "\u2212") + text
