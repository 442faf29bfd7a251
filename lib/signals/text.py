"""One sentence per signal, with its numbers, in French or English (babel formats via lib.fmt)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

from babel.dates import format_date

from lib.fmt import LOCALES, fmt_number, fmt_signed
from lib.i18n import t
from lib.periods import period_label


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _decimals(value: float) -> int:
    size = abs(value)
    return 0 if size >= 100 else 1 if size >= 1 else 2


def _with_unit(text: str, unit: str, lang: str) -> str:
    if not unit:
        return text
    if unit == "%":
        return f"{text}\u00a0%" if lang == "fr" else f"{text}%"
    return f"{text}\u00a0{unit}"


def amount(value: float | None, lang: str, unit: str = "", decimals: int | None = None) -> str:
    """1 234 k€, 85,0 % / 85.0%, 2,05 jours."""
    if _missing(value):
        return "—"
    assert value is not None
    d = _decimals(value) if decimals is None else decimals
    if unit == "%" and decimals is None:
        d = 1
    return _with_unit(fmt_number(value, lang, d), unit, lang)


def _rate(value: float, lang: str, unit: str, grain: str) -> str:
    """A change per period: −0,8 pt/mois, +1 250 k€/month."""
    d = 0 if abs(value) >= 100 else 1 if abs(value) >= 0.1 else 2
    text = fmt_signed(value, lang, d)
    unit_text = t("signals.unit.points", lang) if unit == "%" else unit
    per = t(f"signals.per.{grain}", lang)
    return f"{text}\u00a0{unit_text}/{per}" if unit_text else f"{text}/{per}"


def _periods(n: int, grain: str, lang: str) -> str:
    word = t(f"signals.periods.{grain}_{'one' if n == 1 else 'many'}", lang)
    return f"{n}\u00a0{word}"


def _label(value: date | None, grain: str, lang: str, short: bool = False) -> str:
    if value is None:
        return "—"
    return period_label(value, grain, lang, short=short)


def message(row: Mapping, lang: str, unit: str = "") -> str:
    """The signal's sentence, e.g. « Taux de satisfaction — Admissions : baisse depuis 5 mois (−0,8 pt/mois) ;
    au rythme actuel, l'objectif de 85,0 % sera manqué en mars 2027 (intervalle : févr. 2027–juin 2027). »"""
    kind = row["kind"]
    grain = row.get("grain") or "month"
    base = {"kpi": row["kpi"], "service": row["service"]}

    def num(name: str) -> str:
        return amount(row.get(name), lang, unit)

    if kind == "off_target_streak":
        n = int(row.get("n_periods") or 0)
        return t(
            "signals.message.off_target_streak",
            lang,
            **base,
            periods=_periods(n, grain, lang),
            value=num("value"),
            target=num("target"),
        )
    if kind == "silent_drift":
        slope = row.get("slope_per_period") or 0.0
        values = {
            **base,
            "trend": t(f"signals.word.{'falling' if slope < 0 else 'rising'}", lang),
            "periods": _periods(max(int(row.get("n_periods") or 0), 1), grain, lang),
            "rate": _rate(slope, lang, unit, grain),
        }
        head = t("signals.message.silent_drift", lang, **values)
        if row.get("miss_period") is None or _missing(row.get("target")):
            return head + "."
        low, high = row.get("miss_low"), row.get("miss_high")
        first, last = _label(low, grain, lang, short=True), _label(high, grain, lang, short=True)
        if low is not None and high is not None and grain == "month" and low.year == high.year:
            first = format_date(low, "MMM", locale=LOCALES.get(lang, "fr_FR"))  # févr.–juin 2027
        if high is None:
            span = t("signals.word.from", lang, start=first)
        elif low == high:
            span = last  # one period: « déc. 2026 », not « déc.–déc. 2026 »
        else:
            span = first if first == last else f"{first}–{last}"
        tail = t(
            "signals.message.silent_drift_miss",
            lang,
            target=num("target"),
            miss=_label(row["miss_period"], grain, lang),
            span=span,
        )
        return f"{head}{tail}"
    if kind == "anomaly":
        return t(
            "signals.message.anomaly",
            lang,
            **base,
            period=_label(row.get("as_of"), grain, lang),
            value=num("value"),
            low=num("low"),
            high=num("high"),
        )
    if kind == "level_shift":
        before, after = row.get("before"), row.get("after")
        down = not _missing(before) and not _missing(after) and after < before
        return t(
            "signals.message.level_shift",
            lang,
            **base,
            way=t(f"signals.word.{'down' if down else 'up'}", lang),
            since=_label(row.get("since"), grain, lang),
            after=num("after"),
            before=num("before"),
        )
    if kind == "projected_miss":
        agg = row.get("agg_time") or "mean"
        what = {"sum": "total", "mean": "average", "wmean": "average", "last": "last"}.get(agg, "result")
        low, high = num("projected_low"), num("projected_high")
        interval = "" if low == high else t("signals.word.interval", lang, low=low, high=high)
        return t(
            "signals.message.projected_miss",
            lang,
            **base,
            what=t(f"signals.word.year_{what}", lang),
            projected=num("projected"),
            deadline=_label(row.get("deadline"), grain, lang),
            target=num("year_target"),
            interval=interval,
        )
    if kind == "volatility_jump":
        return t("signals.message.volatility_jump", lang, **base, after=num("after"), before=num("before"))
    if kind == "win_streak":
        return t(
            "signals.message.win_streak",
            lang,
            **base,
            periods=_periods(int(row.get("n_periods") or 0), grain, lang),
        )
    if kind in ("win_back_on_target", "win_record"):
        return t(
            f"signals.message.{kind}",
            lang,
            **base,
            value=num("value"),
            target=num("target"),
            before=num("before"),
        )
    if kind == "win_most_improved":
        return t(
            "signals.message.win_most_improved",
            lang,
            **base,
            before=fmt_signed(row.get("before"), lang),
            gap=fmt_signed(row.get("gap_pct"), lang),
        )
    raise ValueError(f"unknown signal kind {kind!r}")
