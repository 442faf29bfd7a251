"""Read period values written in the many ways extracts write them.

Periods have few distinct values, so each distinct text is parsed once here (plain Python) and the
results are joined back onto the rows. Each value gives (start date, form): the form is the grain
the text itself states ("2025-03" is a month, "T1 2025" a quarter) or "date" for a full date, whose
grain comes from the spacing of all dates (lib.periods.infer_grain).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, timedelta

DATE_FORM = "date"  # a full date: its grain is inferred from the spacing of the column's dates

_MONTHS = {
    # French, full and abbreviated (accents removed before lookup)
    "janvier": 1,
    "janv": 1,
    "jan": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "feb": 2,
    "mars": 3,
    "mar": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "aou": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
    # English
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_MONTH_WORD = r"([a-z]{3,9})\.?"
_YEAR = r"(\d{4}|\d{2})"

_ISO = re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ t]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?z?)?$")
_DMY = re.compile(r"^(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
_YM = re.compile(r"^(\d{4})[-/.](\d{1,2})$")
_MY = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_YEAR_ONLY = re.compile(r"^(\d{4})$")
_SPAN = re.compile(r"^(\d{4}) ?[-/] ?(\d{4})$")  # an academic or fiscal year, "2025-2026"
_COMPACT_DAY = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_COMPACT_MONTH = re.compile(r"^(\d{4})(\d{2})$")
_QUARTER_YF = re.compile(r"^(\d{4}) ?[-_/]? ?[qt]([1-4])$")
_QUARTER_QF = re.compile(r"^[qt]([1-4]) ?[-_/]? ?(\d{4})$")
_WEEK_YF = re.compile(r"^(\d{4}) ?[-_/]? ?[ws](\d{1,2})$")
_WEEK_WF = re.compile(r"^[ws](\d{1,2}) ?[-_/]? ?(\d{4})$")
_MONTH_NAME = re.compile(rf"^{_MONTH_WORD} ?[-/ ]? ?{_YEAR}$")
_DAY_MONTH_NAME = re.compile(rf"^(\d{{1,2}})(?:er)? ?[-/ ]? ?{_MONTH_WORD} ?[-/ ]? ?(\d{{4}})$")
_MONTH_NAME_DAY = re.compile(rf"^{_MONTH_WORD} (\d{{1,2}}),? (\d{{4}})$")
_SERIAL = re.compile(r"^\d+(?:\.\d+)?$")

_EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug makes day 60 the odd one)
_MAX_SERIAL = 2_958_465  # 9999-12-31


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"\s+", " ", text).strip()


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        year += 2000 if year < 70 else 1900
    return year


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_start(year: int, month: int) -> date | None:
    return _safe_date(year, month, 1) if 1900 <= year <= 2200 else None


def _shift_months(start: date, months: int) -> date:
    total = start.year * 12 + start.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def _parse_one(
    text: str, *, day_first: bool, excel: bool, year_start_month: int
) -> tuple[date | None, str | None]:
    """(start date, form) of one cleaned value, (None, None) when it is not a period."""
    if m := _ISO.match(text):
        return _safe_date(int(m[1]), int(m[3]), int(m[4])), DATE_FORM
    if m := _DMY.match(text):
        first, second = int(m[1]), int(m[3])
        day, month = (first, second) if day_first else (second, first)
        return _safe_date(_year(m[4]), month, day), DATE_FORM
    if m := _YM.match(text):
        return _month_start(int(m[1]), int(m[2])), "month"
    if m := _MY.match(text):
        return _month_start(int(m[2]), int(m[1])), "month"
    if (m := _YEAR_ONLY.match(text)) and 1900 <= int(m[1]) <= 2200:
        return date(int(m[1]), year_start_month, 1), "year"
    if (m := _SPAN.match(text)) and int(m[2]) == int(m[1]) + 1:
        return date(int(m[1]), year_start_month, 1), "year"
    if m := _COMPACT_DAY.match(text):
        return _safe_date(int(m[1]), int(m[2]), int(m[3])), DATE_FORM
    if m := _COMPACT_MONTH.match(text):
        return _month_start(int(m[1]), int(m[2])), "month"
    for pattern, year_group, number_group in ((_QUARTER_YF, 1, 2), (_QUARTER_QF, 2, 1)):
        if m := pattern.match(text):
            start = date(int(m[year_group]), year_start_month, 1)
            return _shift_months(start, 3 * (int(m[number_group]) - 1)), "quarter"
    for pattern, year_group, number_group in ((_WEEK_YF, 1, 2), (_WEEK_WF, 2, 1)):
        if m := pattern.match(text):
            try:
                return date.fromisocalendar(int(m[year_group]), int(m[number_group]), 1), "week"
            except ValueError:
                return None, None
    if (m := _MONTH_NAME.match(text)) and m[1] in _MONTHS:
        return _month_start(_year(m[2]), _MONTHS[m[1]]), "month"
    if (m := _DAY_MONTH_NAME.match(text)) and m[2] in _MONTHS:
        return _safe_date(int(m[3]), _MONTHS[m[2]], int(m[1])), DATE_FORM
    if (m := _MONTH_NAME_DAY.match(text)) and m[1] in _MONTHS:
        return _safe_date(int(m[3]), _MONTHS[m[1]], int(m[2])), DATE_FORM
    if excel and _SERIAL.match(text):
        serial = float(text)
        if 1 <= serial <= _MAX_SERIAL:
            return _EXCEL_EPOCH + timedelta(days=int(serial)), DATE_FORM
    return None, None


def day_first(values: Iterable[str]) -> bool:
    """Whether d/m/y values read day first (the French default).

    Month first only when some value has a second part over 12 (it must be the day) and none has a
    first part over 12.
    """
    first_over = second_over = False
    for text in values:
        if m := _DMY.match(text):
            first_over |= int(m[1]) > 12
            second_over |= int(m[3]) > 12
    return not (second_over and not first_over)


def parse_periods(
    values: Iterable[str], *, excel: bool = False, year_start_month: int = 1
) -> dict[str, tuple[date | None, str | None]]:
    """Each distinct raw value -> (period start, form), (None, None) when unreadable.

    The d/m/y order is decided once for all the values (see `day_first`). With `excel`, plain
    numbers are Excel serial dates and 'yyyy-mm-dd hh:mm:ss' is how date cells arrive.
    """
    raw = [v for v in set(values) if v is not None]
    cleaned = {v: _clean(v) for v in raw}
    order = day_first(cleaned.values())
    out = {}
    for v, c in cleaned.items():
        start, form = _parse_one(c, day_first=order, excel=excel, year_start_month=year_start_month)
        out[v] = (start, form) if start is not None else (None, None)
    return out


def parse_period(text: str, *, year_start_month: int = 1) -> date | None:
    """One period text -> its start date (day first for d/m/y), None when unreadable."""
    return _parse_one(_clean(text), day_first=True, excel=False, year_start_month=year_start_month)[0]


def to_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value
