"""The URL view state: every parameter parsed or dropped with its reason, resolved against a dataset,
and written back so that a link opens exactly the view it was copied from."""

from __future__ import annotations

import random
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from lib.filters import (
    DEFAULT_MONTHS,
    Domain,
    Dropped,
    ViewState,
    allowed_grains,
    default_grain,
    default_range,
    parse_query,
    period_end,
    query_string,
    resolve,
    share_link,
    to_query,
)
from lib.model import COMPARES, STATUSES, VIEW_GRAINS

ALL_PARAMS = {"dataset", "lang", "from", "to", "grain", "service", "axis", "kpi", "status"}
ALL_PARAMS |= {"gap_min", "gap_max", "compare"}


def parse(**params: str | list[str]) -> tuple[ViewState, list[Dropped]]:
    """parse_query with single values given as plain strings."""
    return parse_query({k: [v] if isinstance(v, str) else v for k, v in params.items()})


def domain(
    grain: str = "month",
    first: date = date(2023, 1, 1),
    last: date = date(2025, 12, 1),
    services=("Achats", "Finances", "RH"),
    kpis=("Délai", "Recettes", "Satisfaction"),
    axes=("Clients", "Efficience"),
) -> Domain:
    return Domain(frozenset(services), frozenset(kpis), frozenset(axes), grain, first, last)


# --- parse_query: one parameter at a time ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("budget-2026", "budget-2026"),
        ("a", "a"),
        ("0", "0"),
        ("  sample  ", "sample"),  # values are stripped
        ("a" * 80, "a" * 80),
        ("a" * 81, None),
        ("Budget", None),  # upper case
        ("-budget", None),  # must start with a letter or digit
        ("bud_get", None),
        ("../etc", None),
        ("bud get", None),
        ("budgét", None),
        ("", None),
    ],
)
def test_dataset_slug(value, expected):
    view, dropped = parse(dataset=value)
    if expected is None:
        assert view.dataset == ViewState().dataset == "sample"
        assert dropped == [Dropped("dataset", value.strip(), "malformed")]
    else:
        assert (view.dataset, dropped) == (expected, [])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("fr", "fr"),
        ("en", "en"),
        ("EN", "en"),
        (" Fr ", "fr"),
        ("fr-FR", None),  # a locale is not a language parameter
        ("en_GB", None),
        ("de", None),
        ("", None),
    ],
)
def test_lang(value, expected):
    view, dropped = parse(lang=value)
    assert view.lang == expected
    assert dropped == ([] if expected else [Dropped("lang", value.strip(), "malformed")])


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("from", "2025-03", date(2025, 3, 1)),
        ("to", "2025-03", date(2025, 3, 31)),  # a YYYY-MM `to` runs to the month's last day
        ("to", "2024-02", date(2024, 2, 29)),  # leap year
        ("to", "2025-02", date(2025, 2, 28)),
        ("to", "2025-12", date(2025, 12, 31)),
        ("from", "2025-12", date(2025, 12, 1)),
        ("from", "2025-03-15", date(2025, 3, 15)),
        ("to", "2025-03-15", date(2025, 3, 15)),  # a full date is taken as it is
        ("to", "2024-02-29", date(2024, 2, 29)),
        ("from", " 2025-03 ", date(2025, 3, 1)),
        ("from", "2025-13", None),
        ("from", "2025-00", None),
        ("to", "1899-12", None),
        ("from", "2025-02-30", None),
        ("to", "2025-02-29", None),
        ("from", "2025-3", None),
        ("from", "2025/03", None),
        ("from", "03/2025", None),
        ("from", "2025-03-01T00:00", None),
        ("to", "march", None),
        ("to", "", None),
    ],
)
def test_dates(name, value, expected):
    view, dropped = parse(**{name: value})
    got = view.start if name == "from" else view.end
    assert got == expected
    assert dropped == ([] if expected else [Dropped(name, value.strip(), "malformed")])


@pytest.mark.parametrize("grain", VIEW_GRAINS)
def test_every_grain_is_parsed(grain):
    assert parse(grain=grain) == (ViewState(grain=grain), [])


@pytest.mark.parametrize("value", ["Month", "monthly", "ytd2", "", "mois"])
def test_unknown_grain_is_dropped(value):
    assert parse(grain=value) == (ViewState(), [Dropped("grain", value, "malformed")])


@pytest.mark.parametrize(
    ("param", "attr", "values", "kept", "bad"),
    [
        ("service", "services", ["RH"], ("RH",), []),
        ("service", "services", ["RH", "Achats", "RH"], ("RH", "Achats"), []),  # order kept, once each
        ("service", "services", ["R&D", "A, B", "Hôpital = 1"], ("R&D", "A, B", "Hôpital = 1"), []),
        ("service", "services", ["RH", "  ", ""], ("RH",), ["", ""]),
        ("axis", "axes", ["Clients", "Efficience"], ("Clients", "Efficience"), []),
        ("kpi", "kpis", ["Délai", " Délai "], ("Délai",), []),
        ("status", "statuses", ["off", "watch", "on", "none"], ("off", "watch", "on", "none"), []),
        ("status", "statuses", ["off", "bad", "ON", "off"], ("off",), ["bad", "ON"]),
        ("status", "statuses", ["bad"], (), ["bad"]),
    ],
)
def test_repeated_parameters(param, attr, values, kept, bad):
    view, dropped = parse(**{param: values})
    assert getattr(view, attr) == kept
    assert dropped == [Dropped(param, v, "malformed") for v in bad]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),
        ("-5", -5.0),
        ("+3", 3.0),
        ("-2,5", -2.5),  # French decimal comma
        ("2.5", 2.5),
        ("0,125", 0.125),
        ("1e2", 100.0),
        (" 7 ", 7.0),
        ("abc", None),
        ("", None),
        ("1,000.5", None),
        ("5 %", None),
        ("nan", None),
        ("inf", None),
        ("-inf", None),
    ],
)
@pytest.mark.parametrize("name", ["gap_min", "gap_max"])
def test_gap_bounds(name, value, expected):
    view, dropped = parse(**{name: value})
    assert getattr(view, name) == expected
    assert dropped == ([] if expected is not None else [Dropped(name, value.strip(), "malformed")])


@pytest.mark.parametrize("value", COMPARES)
def test_compare(value):
    assert parse(compare=value) == (ViewState(compare=value), [])


@pytest.mark.parametrize("value", ["", "last-year", "Previous", "budget"])
def test_unknown_compare_is_dropped(value):
    assert parse(compare=value) == (ViewState(), [Dropped("compare", value, "malformed")])


def test_unknown_parameters_are_dropped_with_all_their_values():
    view, dropped = parse_query({"utm_source": ["mail"], "page": ["2", "3"], "dataset": ["budget"]})
    assert view == ViewState(dataset="budget")
    assert dropped == [Dropped("utm_source", "mail", "unknown"), Dropped("page", "2, 3", "unknown")]


def test_the_last_value_of_a_single_parameter_wins():
    view, dropped = parse_query({"dataset": ["a", "b"], "grain": ["day", "year"], "gap_min": ["1", "2"]})
    assert (view.dataset, view.grain, view.gap_min, dropped) == ("b", "year", 2.0, [])


def test_a_parameter_without_values_is_malformed():
    assert parse_query({"grain": []}) == (ViewState(), [Dropped("grain", "", "malformed")])


@pytest.mark.parametrize(
    ("params", "start", "end", "dropped"),
    [
        (
            {"from": "2025-06", "to": "2025-03"},
            None,
            date(2025, 3, 31),
            [Dropped("from", "2025-06-01", "malformed")],
        ),
        (
            {"from": "2025-03-02", "to": "2025-03-01"},
            None,
            date(2025, 3, 1),
            [Dropped("from", "2025-03-02", "malformed")],
        ),
        ({"from": "2025-03", "to": "2025-03"}, date(2025, 3, 1), date(2025, 3, 31), []),  # one month
        ({"from": "2025-03-31", "to": "2025-03"}, date(2025, 3, 31), date(2025, 3, 31), []),  # one day
    ],
)
def test_from_after_to_drops_from(params, start, end, dropped):
    view, got = parse(**params)
    assert (view.start, view.end, got) == (start, end, dropped)


@pytest.mark.parametrize(
    ("gap_min", "gap_max", "expected", "dropped"),
    [
        ("5", "-5", (None, -5.0), [Dropped("gap_min", "5.0", "malformed")]),
        ("-5", "5", (-5.0, 5.0), []),
        ("2,5", "2.5", (2.5, 2.5), []),
    ],
)
def test_gap_min_above_gap_max_drops_gap_min(gap_min, gap_max, expected, dropped):
    view, got = parse(gap_min=gap_min, gap_max=gap_max)
    assert ((view.gap_min, view.gap_max), got) == (expected, dropped)


def test_a_full_query_is_parsed_at_once():
    view, dropped = parse_query(
        {
            "dataset": ["budget-2026"],
            "lang": ["en"],
            "from": ["2025-01"],
            "to": ["2025-06"],
            "grain": ["quarter"],
            "service": ["RH", "Achats"],
            "axis": ["Clients"],
            "kpi": ["Délai"],
            "status": ["off", "watch"],
            "gap_min": ["-20"],
            "gap_max": ["-2,5"],
            "compare": ["last_year"],
            "bogus": ["1"],
            "grain2": ["x"],
        }
    )
    assert view == ViewState(
        dataset="budget-2026",
        lang="en",
        start=date(2025, 1, 1),
        end=date(2025, 6, 30),
        grain="quarter",
        services=("RH", "Achats"),
        axes=("Clients",),
        kpis=("Délai",),
        statuses=("off", "watch"),
        gap_min=-20.0,
        gap_max=-2.5,
        compare="last_year",
    )
    assert dropped == [Dropped("bogus", "1", "unknown"), Dropped("grain2", "x", "unknown")]


# --- resolve: against what the dataset offers -------------------------------------------------------


@pytest.mark.parametrize(
    ("attr", "param", "values", "kept"),
    [
        ("services", "service", ("RH", "Nowhere", "Achats", "rh"), ("RH", "Achats")),
        ("kpis", "kpi", ("Delai", "Délai"), ("Délai",)),  # exact names: no accent folding
        ("axes", "axis", ("Clients", "Growth"), ("Clients",)),
        ("services", "service", ("Nowhere",), ()),
    ],
)
def test_resolve_drops_names_the_dataset_does_not_have(attr, param, values, kept):
    view, dropped = resolve(ViewState(**{attr: values}), domain())
    assert getattr(view, attr) == kept
    assert dropped == [Dropped(param, v, "not_in_data") for v in values if v not in kept]


@pytest.mark.parametrize(
    ("data_grain", "asked", "grain", "dropped"),
    [
        ("month", "day", "month", [Dropped("grain", "day", "too_fine")]),
        ("month", "week", "month", [Dropped("grain", "week", "too_fine")]),
        ("month", "month", "month", []),
        ("month", "quarter", "quarter", []),
        ("month", "year", "year", []),
        ("month", "ytd", "ytd", []),
        ("quarter", "month", "quarter", [Dropped("grain", "month", "too_fine")]),
        ("quarter", "ytd", "ytd", []),  # year to date is never too fine
        ("year", "quarter", "year", [Dropped("grain", "quarter", "too_fine")]),
        ("year", "ytd", "ytd", []),
        ("day", "day", "day", []),
        ("day", "week", "week", []),
        ("day", None, "month", []),  # daily data: monthly by default
        ("week", None, "month", []),
        ("week", "day", "month", [Dropped("grain", "day", "too_fine")]),
        ("month", None, "month", []),
        ("quarter", None, "quarter", []),
        ("year", None, "year", []),
    ],
)
def test_resolve_grain(data_grain, asked, grain, dropped):
    view, got = resolve(ViewState(grain=asked), domain(grain=data_grain))
    assert (view.grain, got) == (grain, dropped)


@pytest.mark.parametrize(
    ("data_grain", "expected"),
    [("day", "month"), ("week", "month"), ("month", "month"), ("quarter", "quarter"), ("year", "year")],
)
def test_default_grain(data_grain, expected):
    assert default_grain(data_grain) == expected


@pytest.mark.parametrize(
    ("data_grain", "expected"),
    [
        ("day", ["day", "week", "month", "quarter", "year", "ytd"]),
        ("week", ["week", "month", "quarter", "year", "ytd"]),
        ("month", ["month", "quarter", "year", "ytd"]),
        ("quarter", ["quarter", "year", "ytd"]),
        ("year", ["year", "ytd"]),
    ],
)
def test_allowed_grains(data_grain, expected):
    assert allowed_grains(data_grain) == expected


@pytest.mark.parametrize(
    ("start", "grain", "end"),
    [
        (date(2025, 3, 4), "day", date(2025, 3, 4)),
        (date(2025, 12, 29), "week", date(2026, 1, 4)),
        (date(2024, 2, 1), "month", date(2024, 2, 29)),
        (date(2025, 12, 1), "month", date(2025, 12, 31)),
        (date(2025, 10, 1), "quarter", date(2025, 12, 31)),
        (date(2025, 11, 1), "quarter", date(2026, 1, 31)),  # a fiscal quarter starting in November
        (date(2025, 1, 1), "year", date(2025, 12, 31)),
        (date(2025, 9, 1), "year", date(2026, 8, 31)),  # an academic year
    ],
)
def test_period_end(start, grain, end):
    assert period_end(start, grain) == end


@pytest.mark.parametrize(
    ("data_grain", "first", "last", "expected"),
    [
        ("month", date(2020, 1, 1), date(2025, 12, 1), (date(2025, 1, 1), date(2025, 12, 31))),
        ("month", date(2020, 1, 1), date(2025, 3, 1), (date(2024, 4, 1), date(2025, 3, 31))),
        ("month", date(2025, 6, 1), date(2025, 9, 1), (date(2025, 6, 1), date(2025, 9, 30))),  # short data
        ("day", date(2020, 1, 1), date(2025, 12, 15), (date(2025, 1, 1), date(2025, 12, 15))),
        ("day", date(2025, 11, 20), date(2025, 12, 15), (date(2025, 11, 20), date(2025, 12, 15))),
        ("week", date(2020, 1, 6), date(2025, 12, 29), (date(2025, 1, 1), date(2026, 1, 4))),
        # Whole periods: four quarters, one year (not a fifth quarter starting 14 months back).
        ("quarter", date(2020, 1, 1), date(2025, 10, 1), (date(2025, 1, 1), date(2025, 12, 31))),
        ("quarter", date(2020, 3, 1), date(2025, 6, 1), (date(2024, 9, 1), date(2025, 8, 31))),  # fiscal
        ("year", date(2020, 1, 1), date(2025, 1, 1), (date(2025, 1, 1), date(2025, 12, 31))),
        ("year", date(2020, 9, 1), date(2025, 9, 1), (date(2025, 9, 1), date(2026, 8, 31))),  # academic
    ],
)
def test_default_range_is_the_last_twelve_months_of_whole_periods(data_grain, first, last, expected):
    assert DEFAULT_MONTHS == 12
    assert default_range(domain(grain=data_grain, first=first, last=last)) == expected


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (None, None, (date(2025, 1, 1), date(2025, 12, 31))),
        (date(2024, 3, 1), None, (date(2024, 3, 1), date(2025, 12, 31))),
        (None, date(2025, 6, 30), (date(2025, 1, 1), date(2025, 6, 30))),
        (date(2023, 2, 1), date(2023, 5, 31), (date(2023, 2, 1), date(2023, 5, 31))),
        # Only `to`, before the default window: the twelve months that end there, not an inverted range.
        (None, date(2024, 6, 30), (date(2023, 7, 1), date(2024, 6, 30))),
        (None, date(2023, 3, 31), (date(2023, 1, 1), date(2023, 3, 31))),  # clamped to the first period
    ],
)
def test_resolve_fills_the_default_range(start, end, expected):
    view, dropped = resolve(ViewState(start=start, end=end), domain())
    assert ((view.start, view.end), dropped) == (expected, [])


def test_resolve_keeps_everything_else():
    raw = ViewState(
        dataset="budget",
        lang="en",
        services=("RH",),
        statuses=("off",),
        gap_min=-10.0,
        gap_max=0.0,
        compare="target",
        grain="quarter",
    )
    view, dropped = resolve(raw, domain())
    assert dropped == []
    assert view == raw.with_(start=date(2025, 1, 1), end=date(2025, 12, 31))


# --- to_query and share_link: back to the URL -------------------------------------------------------


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        (ViewState(), {"dataset": ["sample"]}),
        (ViewState(compare="previous"), {"dataset": ["sample"]}),  # the default is left out
        (ViewState(compare="target"), {"dataset": ["sample"], "compare": ["target"]}),
        (
            ViewState(start=date(2025, 1, 1), end=date(2025, 3, 31)),
            {"dataset": ["sample"], "from": ["2025-01"], "to": ["2025-03"]},
        ),
        (
            ViewState(start=date(2025, 1, 2), end=date(2025, 3, 30)),
            {"dataset": ["sample"], "from": ["2025-01-02"], "to": ["2025-03-30"]},
        ),
        (
            ViewState(start=date(2024, 2, 1), end=date(2024, 2, 29)),
            {"dataset": ["sample"], "from": ["2024-02"], "to": ["2024-02"]},
        ),
        (
            ViewState(end=date(2024, 2, 28)),  # not the last day of a leap February
            {"dataset": ["sample"], "to": ["2024-02-28"]},
        ),
        (
            ViewState(gap_min=-2.5, gap_max=10.0),
            {"dataset": ["sample"], "gap_min": ["-2.5"], "gap_max": ["10"]},
        ),
        (ViewState(gap_min=0.0), {"dataset": ["sample"], "gap_min": ["0"]}),
        (
            ViewState(services=("B", "A"), axes=("X",), kpis=("k1", "k2"), statuses=("off", "on")),
            {
                "dataset": ["sample"],
                "service": ["B", "A"],
                "axis": ["X"],
                "kpi": ["k1", "k2"],
                "status": ["off", "on"],
            },
        ),
        (ViewState(lang="en", grain="ytd"), {"dataset": ["sample"], "lang": ["en"], "grain": ["ytd"]}),
    ],
)
def test_to_query(view, expected):
    assert to_query(view) == expected


@pytest.mark.parametrize("compare", COMPARES)
def test_explicit_writes_compare(compare):
    assert to_query(ViewState(compare=compare), explicit=True)["compare"] == [compare]


NAMES = ["RH", "Achats", "R&D", "A, B", "Hôpital", "x=y", "50 %", "#1", "Ünïcödé", "a+b", "é/è?"]
GAPS = [None, 0.0, -0.0, 5.0, -2.5, 0.1, 1 / 3, -123.456789, 1e-7, 2.345678912, 1234567.0, 1e21]


def random_views(n: int, seed: int) -> list[ViewState]:
    rng = random.Random(seed)
    views = []
    for _ in range(n):
        start = end = None
        if rng.random() < 0.8:
            start = date(2020, 1, 1) + timedelta(days=rng.randrange(2000))
            if rng.random() < 0.5:
                start = start.replace(day=1)
        if rng.random() < 0.8:
            end = (start or date(2020, 1, 1)) + timedelta(days=rng.randrange(800))
            if rng.random() < 0.5:
                end = period_end(end.replace(day=1), "month")
        gap_min, gap_max = rng.choice(GAPS), rng.choice(GAPS)
        if gap_min is not None and gap_max is not None and gap_min > gap_max:
            gap_min, gap_max = gap_max, gap_min
        views.append(
            ViewState(
                dataset=rng.choice(["sample", "budget-2026", "x", "a" * 80]),
                lang=rng.choice([None, "fr", "en"]),
                start=start,
                end=end,
                grain=rng.choice([None, *VIEW_GRAINS]),
                services=tuple(rng.sample(NAMES, rng.randrange(4))),
                axes=tuple(rng.sample(NAMES, rng.randrange(3))),
                kpis=tuple(rng.sample(NAMES, rng.randrange(4))),
                statuses=tuple(rng.sample(STATUSES, rng.randrange(5))),
                gap_min=gap_min,
                gap_max=gap_max,
                compare=rng.choice(COMPARES),
            )
        )
    return views


VIEWS = random_views(60, seed=20260301)


@pytest.mark.parametrize("explicit", [False, True])
@pytest.mark.parametrize("view", VIEWS, ids=[f"view{i}" for i in range(len(VIEWS))])
def test_round_trip_through_the_url(view, explicit):
    query = to_query(view, explicit=explicit)
    assert parse_query(query) == (view, [])
    # ... and through the encoded query string, as a browser sends it back.
    assert parse_query(parse_qs(query_string(query), keep_blank_values=True)) == (view, [])


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"from": ["2024-03"], "grain": ["quarter"]},
        {"to": ["2025-06-15"], "service": ["RH", "Nowhere"], "gap_max": ["-2,5"]},
        {"grain": ["day"], "kpi": ["Délai"], "axis": ["Clients"], "status": ["off"], "compare": ["target"]},
        {"from": ["2023-01-10"], "to": ["2023-11"], "grain": ["ytd"], "lang": ["EN"], "dataset": ["b-1"]},
    ],
)
def test_resolved_views_round_trip(params):
    raw, _ = parse_query(params)
    view, _ = resolve(raw, domain())
    assert view.start and view.end and view.grain
    assert parse_query(to_query(view)) == (view, [])
    assert parse_query(to_query(view, explicit=True)) == (view, [])


@pytest.mark.parametrize(
    ("base", "path", "prefix"),
    [
        ("https://vigie.example.org", "/explore", "https://vigie.example.org/explore?"),
        ("https://vigie.example.org/", "/explore", "https://vigie.example.org/explore?"),
        ("http://localhost:8501", "", "http://localhost:8501?"),
        ("http://localhost:8501/", "/service", "http://localhost:8501/service?"),
    ],
)
def test_share_link_is_absolute_with_every_parameter(base, path, prefix):
    view = ViewState(
        dataset="budget-2026",
        lang="fr",
        start=date(2025, 1, 1),
        end=date(2025, 6, 15),
        grain="month",
        services=("R&D", "A, B"),
        axes=("Clients",),
        kpis=("Délai",),
        statuses=("off",),
        gap_min=-10.0,
        gap_max=-0.5,
    )
    link = share_link(base, path, view)
    assert link.startswith(prefix)
    parts = urlsplit(link)
    assert parts.scheme in ("http", "https") and parts.netloc
    query = parse_qs(parts.query)
    assert set(query) == ALL_PARAMS
    assert query["compare"] == ["previous"]  # the default, written all the same
    assert query["from"] == ["2025-01"] and query["to"] == ["2025-06-15"]
    assert parse_query(query) == (view, [])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"service": ["B", "A"], "dataset": ["x"]}, "dataset=x&service=B&service=A"),
        ({"dataset": ["x"], "service": ["B", "A"]}, "dataset=x&service=B&service=A"),  # names sorted
        ({"kpi": ["é", "a b"], "axis": ["R&D"]}, "axis=R%26D&kpi=%C3%A9&kpi=a+b"),
        ({}, ""),
    ],
)
def test_query_string_sorts_names_and_keeps_the_order_of_values(query, expected):
    assert query_string(query) == expected


@pytest.mark.parametrize(
    ("value", "slide", "dropped"),
    [
        ("3", 3, []),
        ("1", 1, []),
        ("999", 999, []),
        ("0", None, ["slide"]),
        ("1000", None, ["slide"]),
        ("x", None, ["slide"]),
        ("-2", None, ["slide"]),
        ("2.5", None, ["slide"]),
    ],
)
def test_slide_parameter_round_trips_or_is_dropped(value, slide, dropped):
    view, out = parse_query({"slide": [value]})
    assert view.slide == slide
    assert [d.name for d in out] == dropped
    if slide is not None:
        assert to_query(view)["slide"] == [str(slide)]
        assert parse_query(to_query(view))[0] == view
