"""The view state every page shares, and its URL form (query parameters, documented in the README).

Parsing never fails: unknown or malformed parameters are dropped and named, so the UI can say so.
`parse_query` checks the form of each value; `resolve` checks it against a dataset (names that exist,
grains at or above the data's own) and fills the defaults (the last 12 months).
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from lib.contract import GRAINS
from lib.datasets.model import SAMPLE_SLUG
from lib.i18n import normalise_lang
from lib.model import COMPARES, STATUSES, VIEW_GRAINS
from lib.periods import grain_rank

DEFAULT_MONTHS = 12
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
MAX_SLIDE = 999
LIST_PARAMS = {"service": "services", "axis": "axes", "kpi": "kpis", "status": "statuses"}


@dataclass(frozen=True)
class ViewState:
    dataset: str = SAMPLE_SLUG
    lang: str | None = None  # None: not chosen (browser language, else French)
    start: date | None = None  # `from`, inclusive; None: the default range
    end: date | None = None  # `to`, inclusive (a YYYY-MM `to` is the last day of that month)
    grain: str | None = None  # None: the data's own grain
    services: tuple[str, ...] = ()
    axes: tuple[str, ...] = ()
    kpis: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    gap_min: float | None = None  # percent
    gap_max: float | None = None
    compare: str = "previous"
    slide: int | None = None  # presentation mode: the slide shown, 1-based (other pages ignore it)

    def with_(self, **changes: object) -> ViewState:
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Dropped:
    """A query parameter that was not used: `name=value`, and why (`unknown`, `malformed`,
    `not_in_data` or `too_fine`)."""

    name: str
    value: str
    why: str


@dataclass(frozen=True)
class Domain:
    """What a dataset offers, to check a view against."""

    services: frozenset[str]
    kpis: frozenset[str]
    axes: frozenset[str]
    grain: str  # the data's own grain
    first: date
    last: date


def _parse_date(value: str, *, end: bool) -> date | None:
    if m := _MONTH.match(value):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12 and year >= 1900:
            return date(year, month, calendar.monthrange(year, month)[1] if end else 1)
        return None
    if m := _DAY.match(value):
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


def _parse_number(value: str) -> float | None:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_query(params: Mapping[str, Sequence[str]]) -> tuple[ViewState, list[Dropped]]:
    """Query parameters (each name with all its values) -> the view state and what was dropped."""
    changes: dict[str, object] = {}
    dropped: list[Dropped] = []

    def bad(name: str, value: str, why: str = "malformed") -> None:
        dropped.append(Dropped(name, value, why))

    for name, values in params.items():
        values = [v.strip() for v in values]
        last = values[-1] if values else ""
        if name == "dataset":
            if _SLUG.match(last):
                changes["dataset"] = last
            else:
                bad(name, last)
        elif name == "lang":
            lang = normalise_lang(last)
            if lang and last.lower() == lang:
                changes["lang"] = lang
            else:
                bad(name, last)
        elif name in ("from", "to"):
            parsed = _parse_date(last, end=name == "to")
            if parsed is None:
                bad(name, last)
            else:
                changes["start" if name == "from" else "end"] = parsed
        elif name == "grain":
            if last in VIEW_GRAINS:
                changes["grain"] = last
            else:
                bad(name, last)
        elif name in LIST_PARAMS:
            kept = []
            for v in values:
                if not v or (name == "status" and v not in STATUSES):
                    bad(name, v)
                elif v not in kept:
                    kept.append(v)
            changes[LIST_PARAMS[name]] = tuple(kept)
        elif name in ("gap_min", "gap_max"):
            number = _parse_number(last)
            if number is None:
                bad(name, last)
            else:
                changes[name] = number
        elif name == "compare":
            if last in COMPARES:
                changes["compare"] = last
            else:
                bad(name, last)
        elif name == "slide":
            if last.isdigit() and 1 <= int(last) <= MAX_SLIDE:
                changes["slide"] = int(last)
            else:
                bad(name, last)
        else:
            bad(name, ", ".join(values), "unknown")
    state = ViewState(**changes)  # type: ignore[arg-type]
    if state.start and state.end and state.start > state.end:
        dropped.append(Dropped("from", state.start.isoformat(), "malformed"))
        state = state.with_(start=None)
    if state.gap_min is not None and state.gap_max is not None and state.gap_min > state.gap_max:
        dropped.append(Dropped("gap_min", str(state.gap_min), "malformed"))
        state = state.with_(gap_min=None)
    return state, dropped


def _months_back(anchor: date, months: int) -> date:
    """The first day of the month `months - 1` months before `anchor`'s: `months` months ending with it."""
    start_month = anchor.year * 12 + anchor.month - 1 - (months - 1)
    return date(start_month // 12, start_month % 12 + 1, 1)


def default_range(domain: Domain, months: int = DEFAULT_MONTHS) -> tuple[date, date]:
    """The last `months` months of the data (whole periods), ending on its last period's last day."""
    end = period_end(domain.last, domain.grain)
    # Counted back from the last period's end for quarters and years (four quarters, not a fifth one
    # that starts 14 months back); from the last period itself for days and weeks.
    anchor = end if grain_rank(domain.grain) >= grain_rank("month") else domain.last
    return max(_months_back(anchor, months), domain.first), end


def period_end(start: date, grain: str) -> date:
    """The last day of the period of `grain` starting at `start`."""
    if grain == "day":
        return start
    if grain == "week":
        return start + timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    m = start.year * 12 + start.month - 1 + months
    return date(m // 12, m % 12 + 1, 1) - timedelta(days=1)


def resolve(view: ViewState, domain: Domain) -> tuple[ViewState, list[Dropped]]:
    """Check names and grain against the dataset, drop what it does not have, fill default dates."""
    dropped: list[Dropped] = []
    changes: dict[str, object] = {}
    for param, attr, known in (
        ("service", "services", domain.services),
        ("kpi", "kpis", domain.kpis),
        ("axis", "axes", domain.axes),
    ):
        values: tuple[str, ...] = getattr(view, attr)
        missing = [v for v in values if v not in known]
        if missing:
            dropped += [Dropped(param, v, "not_in_data") for v in missing]
            changes[attr] = tuple(v for v in values if v in known)
    if view.grain and view.grain != "ytd" and grain_rank(view.grain) < grain_rank(domain.grain):
        dropped.append(Dropped("grain", view.grain, "too_fine"))
        changes["grain"] = None
    view = view.with_(**changes)
    start, end = default_range(domain)
    if view.start is None and view.end is not None and view.end < start:
        # Only `to`, before the default window: the months that end there, not an inverted range.
        start = max(_months_back(view.end, DEFAULT_MONTHS), domain.first)
    grain = view.grain or default_grain(domain.grain)
    return view.with_(start=view.start or start, end=view.end or end, grain=grain), dropped


def default_grain(data_grain: str) -> str:
    """Monthly unless the data is coarser: a year of daily points is noise to a steering meeting."""
    return data_grain if grain_rank(data_grain) >= grain_rank("month") else "month"


def allowed_grains(data_grain: str) -> list[str]:
    """The grains a view of data at `data_grain` may use: its own and coarser, and year to date."""
    return [g for g in GRAINS if grain_rank(g) >= grain_rank(data_grain)] + ["ytd"]


def _date_param(value: date, *, end: bool) -> str:
    """Month precision when the date is a month's first (from) or last (to) day, else the full date."""
    if (not end and value.day == 1) or (end and value == period_end(value.replace(day=1), "month")):
        return value.strftime("%Y-%m")
    return value.isoformat()


def to_query(view: ViewState, *, explicit: bool = False) -> dict[str, list[str]]:
    """The URL form of a view. `explicit` writes every parameter, defaults included (the copy link:
    it must open the same view after new data arrives)."""
    defaults = ViewState()
    query: dict[str, list[str]] = {"dataset": [view.dataset]}
    if view.lang:
        query["lang"] = [view.lang]
    if view.start:
        query["from"] = [_date_param(view.start, end=False)]
    if view.end:
        query["to"] = [_date_param(view.end, end=True)]
    if view.grain:
        query["grain"] = [view.grain]
    for param, attr in LIST_PARAMS.items():
        if getattr(view, attr):
            query[param] = list(getattr(view, attr))
    for name in ("gap_min", "gap_max"):
        value = getattr(view, name)
        if value is not None:
            # The shortest text that reads back as the same number ("%g" would round 2.345678 off).
            query[name] = [repr(float(value)).removesuffix(".0")]
    if explicit or view.compare != defaults.compare:
        query["compare"] = [view.compare]
    if view.slide is not None:
        query["slide"] = [str(view.slide)]
    return query


def query_string(query: Mapping[str, Sequence[str]]) -> str:
    """A canonical query string (sorted by name), to compare URLs and build links. Repeated values keep
    their order: the first service is the one the Service page shows."""
    return urlencode(sorted(((k, v) for k, vs in query.items() for v in vs), key=lambda kv: kv[0]))


def share_link(base_url: str, path: str, view: ViewState) -> str:
    """An absolute link with every parameter explicit."""
    return f"{base_url.rstrip('/')}{path}?{query_string(to_query(view, explicit=True))}"


FIELD_NAMES = tuple(f.name for f in fields(ViewState))
