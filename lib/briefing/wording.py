"""How the briefing pack words things in one language: numbers, gaps, points, periods, plurals, the
filters in effect, quoted team notes, and the sentences of lib.signals and lib.wins with their units."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from lib.filters import ViewState
from lib.fmt import fmt_int, fmt_signed
from lib.i18n import t
from lib.periods import period_label
from lib.signals import message
from lib.signals.text import amount
from lib.wins import win_sentence

NOTE_CHARS = 280
LIST_NAMES = 8  # names listed in a filter line before "and N more"
DUE_DAYS = 30
BREAKS = re.compile(r"[ \t\n\r\f\v\u2028\u2029\x85]+")


@dataclass(frozen=True)
class Wording:
    """Formatting for one language (every number of the pack goes through here)."""

    lang: str
    grain: str  # the label grain: the view's, months for year to date
    units: dict[str, str]

    def tr(self, key: str, **values: object) -> str:
        return t(f"briefing.{key}", self.lang, **values)

    def plural(self, key: str, count: int, **values: object) -> str:
        """`key`_one or `key`_many by `count` (French counts 0 and 1 as singular, English 1 only), with
        `n` the count unless given."""
        one = count < 2 if self.lang == "fr" else count == 1
        return self.tr(f"{key}_{'one' if one else 'many'}", **({"n": fmt_int(count, self.lang)} | values))

    def agreeing(self, on: int, n: int) -> int:
        """The number a "{on} of {n} KPIs" noun agrees with: « 1 indicateur sur 2 », "1 of 2 KPIs"."""
        return on if self.lang == "fr" else n

    def period(self, value: date | None) -> str:
        return "—" if value is None else period_label(value, self.grain, self.lang)

    def amount(self, value: float | None, kpi: str) -> str:
        unit = self.units.get(kpi, "")
        if unit.startswith("/") and value is not None:  # a score out of ten reads 7,2/10
            return amount(value, self.lang) + unit
        return amount(value, self.lang, unit)

    def gap(self, value: float | None) -> str:
        """A signed gap to target in percent: +5,0 % / −12.0%."""
        if value is None:
            return "—"
        return fmt_signed(value, self.lang) + ("\u00a0%" if self.lang == "fr" else "%")

    def points(self, ratio_change: float | None) -> str:
        """A score change (0.018) in points: +1,8 pt."""
        return (
            "—"
            if ratio_change is None
            else self.tr("points", value=fmt_signed(ratio_change * 100, self.lang))
        )

    def status(self, code: str) -> str:
        return t(f"common.status.{code}", self.lang)


def quote(text: str, lang: str) -> str:
    # Typed text on one line (never markup); no-break spaces stay, French notes need them.
    text = BREAKS.sub(" ", text).strip()
    if len(text) > NOTE_CHARS:
        text = text[: NOTE_CHARS - 1].rstrip() + "…"
    return f"«\u00a0{text}\u00a0»" if lang == "fr" else f"“{text}”"


def listed(values: tuple[str, ...], tx: Wording) -> str:
    if not values:
        return t("common.filters.all", tx.lang)
    shown = ", ".join(values[:LIST_NAMES])
    more = len(values) - LIST_NAMES
    return shown if more <= 0 else tx.tr("filter.more", names=shown, n=fmt_int(more, tx.lang))


def describe_filters(
    view: ViewState, name: str, version: int | None, first: date | None, last: date | None, tx: Wording
) -> tuple[str, ...]:
    """The filters in effect, one line each, as printed in every file of the pack."""
    lang = tx.lang
    dataset = name if version is None else tx.tr("filter.version", name=name, version=version)
    span = tx.period(first) if first == last else f"{tx.period(first)} – {tx.period(last)}"
    grain = t(f"common.grain.{view.grain}", lang) if view.grain else "—"
    lines = [
        tx.tr("filter.dataset", value=dataset),
        tx.tr("filter.period", value=span, grain=grain, grain_label=t("common.filters.grain", lang)),
        tx.tr("filter.compare", value=t(f"common.compare.{view.compare}", lang)),
        tx.tr("filter.services", value=listed(view.services, tx)),
        tx.tr("filter.axes", value=listed(view.axes, tx)),
        tx.tr("filter.kpis", value=listed(view.kpis, tx)),
    ]
    if view.statuses:
        lines.append(tx.tr("filter.statuses", value=", ".join(tx.status(s) for s in view.statuses)))
    if view.gap_min is not None or view.gap_max is not None:
        low = "—" if view.gap_min is None else tx.gap(view.gap_min)
        high = "—" if view.gap_max is None else tx.gap(view.gap_max)
        lines.append(tx.tr("filter.gap", low=low, high=high))
    return tuple(lines)


def compare_clause(delta: float | None, compare: str, tx: Wording) -> str:
    if delta is None or compare == "target":
        return ""
    return tx.tr("against", change=tx.points(delta), compare=tx.tr(f"compare.{compare}"))


def signal_sentence(row: dict, tx: Wording) -> str:
    return message(row, tx.lang, tx.units.get(row["kpi"], ""))


def win_text(row: dict, tx: Wording) -> str:
    return win_sentence(row, tx.lang, tx.units.get(str(row["kpi"]), ""))
