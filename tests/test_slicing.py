"""Views of a dataset: performance() against a plain-Python oracle at every grain, the rolled-up
`history` path against the raw one, filters, comparisons that look back before `from`, lazy input."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lib import model
from lib.filters import ViewState, allowed_grains, period_end
from lib.periods import period_range, truncate_date
from lib.slicing import domain_of, keep_matching_series, latest, performance, selected_kpis
from tests.builders import CATALOG_SCHEMA

SERVICES = ("Achats", "Finances", "RH")
# kpi, unit, direction, agg_time, agg_services, tolerance, axis
KPIS = (
    ("Recettes", "€", "higher", "sum", "sum", 5.0, "Finances"),
    ("Délai", "jours", "lower", "mean", "mean", 10.0, "Efficience"),
    ("Satisfaction", "%", "higher", "wmean", "wmean", 5.0, "Clients"),
    ("Effectif", "ETP", "higher", "last", "sum", 0.0, "Finances"),
    ("Pic", "h", "lower", "max", "max", 5.0, "Efficience"),
    ("Plancher", "h", "higher", "min", "min", 5.0, "Efficience"),
    ("Ouverture", "", "higher", "first", "mean", 5.0, None),
)
SCHEMA = {
    "period": pl.Date,
    "service": pl.String,
    "kpi": pl.String,
    "actual": pl.Float64,
    "target": pl.Float64,
    "weight": pl.Float64,
}


def make_catalog(kpis=KPIS) -> pl.DataFrame:
    return pl.DataFrame(
        [(*k, f"about {k[0]}", 1.0) for k in kpis],
        orient="row",
        schema=CATALOG_SCHEMA,
    )


CATALOG = make_catalog()
RULES = {k[0]: k for k in KPIS}


def to_frame(rows: list[tuple]) -> pl.DataFrame:
    """rows (period, service, kpi, actual, target, weight) -> a dataset as held: sorted, categorical."""
    frame = pl.DataFrame(rows, orient="row", schema=SCHEMA).sort("period", "service", "kpi")
    return frame.with_columns(pl.col("service", "kpi").cast(pl.Categorical))


def make_data(periods: list[date], seed: int, holes: bool = True) -> pl.DataFrame:
    """Random values in quarters of a unit, so that sums are exact whatever the order of addition;
    with `holes`, some rows are missing and some actuals and targets are null."""
    rng = random.Random(seed)
    rows = []
    for p in periods:
        for s in SERVICES:
            for k, *_ in KPIS:
                if holes and rng.random() < 0.04:
                    continue
                actual = rng.randrange(0, 400) / 4 if not (holes and rng.random() < 0.04) else None
                target = rng.randrange(40, 360) / 4 if not (holes and rng.random() < 0.04) else None
                rows.append((p, s, k, actual, target, float(rng.randint(1, 5))))
    return to_frame(rows)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


DAILY = make_data(days(date(2024, 1, 1), date(2025, 12, 31)), seed=1)
MONTHLY = make_data(period_range(date(2023, 1, 1), date(2025, 12, 1), "month"), seed=2)
DATA = {"day": DAILY, "month": MONTHLY}


# --- the oracle: the catalog's rules in plain Python ------------------------------------------------


def aggregate(rule: str, pairs: list[tuple[float | None, float | None]]) -> float | None:
    """pairs (value, weight) in period order."""
    values = [v for v, _ in pairs if v is not None]
    if rule == "last":
        return pairs[-1][0]
    if rule == "first":
        return pairs[0][0]
    if not values:
        return None
    if rule == "sum":
        return sum(values)
    if rule == "mean":
        return sum(values) / len(values)
    if rule == "min":
        return min(values)
    if rule == "max":
        return max(values)
    assert rule == "wmean"
    weighted = [(v, w) for v, w in pairs if v is not None and w is not None]
    total = sum(w for _, w in weighted)
    return sum(v * w for v, w in weighted) / total if total > 0 else sum(values) / len(values)


def with_gap(actual, target, kpi: str) -> dict:
    _, _, direction, _, _, tolerance, _ = RULES[kpi]
    sign = -1 if direction == "lower" else 1
    gap = (actual - target) * sign if actual is not None and target is not None else None
    gap_pct = gap / abs(target) * 100 if gap is not None and target != 0 else None
    if gap is None:
        status = "none"
    elif gap >= 0:
        status = "on"
    elif gap_pct is not None and gap_pct >= -tolerance:
        status = "watch"
    else:
        status = "off"
    return {"actual": actual, "target": target, "gap": gap, "gap_pct": gap_pct, "status": status}


def oracle(data: pl.DataFrame, grain: str, year_start_month: int = 1) -> dict[tuple, dict]:
    """(period, service, kpi) -> actual, target, gap, gap_pct, status over the whole data at `grain`.
    `ytd`: at each month, every row from the start of its year to that month's end."""
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for row in data.with_columns(pl.col("service", "kpi").cast(pl.String)).iter_rows(named=True):
        if row["actual"] is None:
            continue  # a row without an actual carries no target either
        if grain == "ytd":
            year = truncate_date(row["period"], "year", year_start_month)
            end_of_year = period_end(year, "year")
            for month in period_range(row["period"], end_of_year, "month"):
                groups[(month, row["service"], row["kpi"])].append(row)
        else:
            groups[
                (truncate_date(row["period"], grain, year_start_month), row["service"], row["kpi"])
            ].append(row)
    out = {}
    last_period = data["period"].max()
    for key, rows in groups.items():
        if key[0] > last_period:
            continue
        rows = sorted(rows, key=lambda r: r["period"])
        rule = RULES[key[2]][3]
        actual = aggregate(rule, [(r["actual"], r["weight"]) for r in rows])
        target = aggregate(rule, [(r["target"], r["weight"]) for r in rows])
        out[key] = with_gap(actual, target, key[2])
    return out


def cmp_key(period: date, grain: str, compare: str) -> date:
    if compare == "last_year":
        return period - timedelta(weeks=52) if grain == "week" else period.replace(year=period.year - 1)
    step = {"day": 0, "week": 0, "month": 1, "quarter": 3, "year": 12, "ytd": 1}[grain]
    if grain == "day":
        return period - timedelta(days=1)
    if grain == "week":
        return period - timedelta(weeks=1)
    m = period.year * 12 + period.month - 1 - step
    return date(m // 12, m % 12 + 1, 1)


def rounded(value):
    return round(value, 9) if isinstance(value, float) else value


COLUMNS = ("actual", "target", "gap", "gap_pct", "status", "cmp_actual", "cmp_gap_pct", "gap_change")


def expected_rows(data, view: ViewState, first_shown: date, year_start_month: int = 1) -> list[dict]:
    table = oracle(data, view.grain, year_start_month)
    out = []
    for (period, service, kpi), row in table.items():
        if not first_shown <= period <= view.end:
            continue
        if view.compare == "target":
            cmp = {"actual": row["target"], "gap_pct": None, "status": None}
        else:
            cmp = table.get((cmp_key(period, view.grain, view.compare), service, kpi), {})
        gap_change = None
        if row["gap_pct"] is not None and cmp.get("gap_pct") is not None:
            gap_change = row["gap_pct"] - cmp["gap_pct"]
        full = row | {"cmp_actual": cmp.get("actual"), "cmp_gap_pct": cmp.get("gap_pct")}
        full["gap_change"] = gap_change
        out.append(
            {"period": period, "service": service, "kpi": kpi} | {c: rounded(full[c]) for c in COLUMNS}
        )
    return sorted(out, key=lambda r: (r["period"], r["service"], r["kpi"]))


def got_rows(frame: pl.DataFrame) -> list[dict]:
    rows = frame.select("period", "service", "kpi", *COLUMNS).with_columns(
        pl.col("service", "kpi", "status").cast(pl.String)
    )
    return [{k: rounded(v) for k, v in r.items()} for r in rows.iter_rows(named=True)]


# --- performance against the oracle -----------------------------------------------------------------


CASES = [
    # data grain, view grain, from, to, first period shown
    ("day", "day", date(2025, 3, 1), date(2025, 3, 20), date(2025, 3, 1)),
    ("day", "week", date(2025, 1, 1), date(2025, 3, 30), date(2024, 12, 30)),  # whole ISO weeks
    ("day", "month", date(2025, 1, 1), date(2025, 6, 30), date(2025, 1, 1)),
    ("day", "quarter", date(2025, 1, 1), date(2025, 9, 30), date(2025, 1, 1)),
    ("day", "year", date(2025, 1, 1), date(2025, 12, 31), date(2025, 1, 1)),
    ("month", "month", date(2024, 4, 1), date(2025, 9, 30), date(2024, 4, 1)),
    ("month", "quarter", date(2024, 4, 1), date(2025, 9, 30), date(2024, 4, 1)),
    ("month", "quarter", date(2024, 5, 1), date(2025, 9, 30), date(2024, 4, 1)),  # from inside a quarter
    ("month", "year", date(2024, 1, 1), date(2025, 12, 31), date(2024, 1, 1)),
]


@pytest.mark.parametrize("compare", ["previous", "last_year", "target"])
@pytest.mark.parametrize(("data_grain", "grain", "start", "end", "first_shown"), CASES)
def test_performance_follows_the_rules(data_grain, grain, start, end, first_shown, compare):
    data = DATA[data_grain]
    view = ViewState(start=start, end=end, grain=grain, compare=compare)
    out = performance(data, CATALOG, view, data_grain)
    expected = expected_rows(data, view, first_shown)
    assert len(expected) > 20
    assert got_rows(out) == expected
    assert out.columns[:3] == ["period", "service", "kpi"]
    if compare != "target":
        # The first period compares with one before `from`: the rows looked back far enough.
        first = [r for r in got_rows(out) if r["period"] == first_shown]
        assert any(r["cmp_actual"] is not None for r in first if r["kpi"] == "Recettes")


YTD_CASES = [
    ("month", "Recettes"),
    ("month", "Délai"),
    ("month", "Satisfaction"),
    ("month", "Effectif"),
    ("month", "Pic"),
    ("month", "Plancher"),
    ("month", "Ouverture"),
    ("day", "Recettes"),
    ("day", "Délai"),
    ("day", "Satisfaction"),
    ("day", "Effectif"),
    ("day", "Pic"),
    ("day", "Plancher"),
    ("day", "Ouverture"),
]
FULL = {
    "day": make_data(days(date(2024, 1, 1), date(2025, 6, 30)), seed=3, holes=False),
    "month": make_data(period_range(date(2023, 1, 1), date(2025, 6, 1), "month"), seed=4, holes=False),
}


@pytest.mark.parametrize("compare", ["previous", "last_year"])
@pytest.mark.parametrize(("data_grain", "kpi"), YTD_CASES)
def test_year_to_date_aggregates_every_row_since_january(data_grain, kpi, compare):
    data = FULL[data_grain]
    view = ViewState(start=date(2025, 2, 1), end=date(2025, 6, 30), grain="ytd", kpis=(kpi,), compare=compare)
    out = performance(data, CATALOG, view, data_grain)
    expected = [r for r in expected_rows(data, view, date(2025, 2, 1)) if r["kpi"] == kpi]
    assert [r["period"] for r in expected[:: len(SERVICES)]] == period_range(
        date(2025, 2, 1), date(2025, 6, 1), "month"
    )
    assert got_rows(out) == expected


def test_year_to_date_follows_the_first_month_of_the_year():
    data = FULL["month"].filter(pl.col("kpi") == "Recettes")
    view = ViewState(start=date(2024, 9, 1), end=date(2025, 2, 28), grain="ytd", compare="last_year")
    out = performance(data, CATALOG, view, "month", year_start_month=9)
    assert got_rows(out) == expected_rows(data, view, date(2024, 9, 1), year_start_month=9)
    sums = out.filter(pl.col("service") == "RH")["actual"].to_list()
    months = data.filter(pl.col("service") == "RH", pl.col("period") >= date(2024, 9, 1))["actual"]
    assert sums == pytest.approx(months.cum_sum().to_list()[:6])  # September starts the year


# --- comparisons look back before `from` ------------------------------------------------------------


def numbered(periods: list[date]) -> pl.DataFrame:
    """One series whose actual is the period's position (1, 2, ...), target 10."""
    return to_frame([(p, "A", "Recettes", float(i + 1), 10.0, 1.0) for i, p in enumerate(periods)])


MONTHS_2023_2025 = period_range(date(2023, 1, 1), date(2025, 12, 1), "month")  # 2024-01 is number 13


@pytest.mark.parametrize(
    ("grain", "start", "end", "compare", "first_actual", "first_cmp"),
    [
        ("month", date(2025, 1, 1), date(2025, 3, 31), "previous", 25.0, 24.0),
        ("month", date(2025, 1, 1), date(2025, 3, 31), "last_year", 25.0, 13.0),
        ("month", date(2025, 1, 1), date(2025, 3, 31), "target", 25.0, 10.0),
        ("quarter", date(2025, 1, 1), date(2025, 6, 30), "previous", 25 + 26 + 27, 22 + 23 + 24),
        ("quarter", date(2025, 1, 1), date(2025, 6, 30), "last_year", 25 + 26 + 27, 13 + 14 + 15),
        ("quarter", date(2025, 1, 1), date(2025, 6, 30), "target", 25 + 26 + 27, 30.0),
        ("year", date(2025, 1, 1), date(2025, 12, 31), "previous", sum(range(25, 37)), sum(range(13, 25))),
        ("year", date(2025, 1, 1), date(2025, 12, 31), "last_year", sum(range(25, 37)), sum(range(13, 25))),
        ("ytd", date(2025, 1, 1), date(2025, 3, 31), "previous", 25.0, sum(range(13, 25))),  # vs December
        ("ytd", date(2025, 3, 1), date(2025, 3, 31), "previous", 25 + 26 + 27, 25 + 26),
        ("ytd", date(2025, 3, 1), date(2025, 3, 31), "last_year", 25 + 26 + 27, 13 + 14 + 15),
        ("ytd", date(2025, 3, 1), date(2025, 3, 31), "target", 25 + 26 + 27, 30.0),
    ],
)
def test_the_comparison_uses_data_before_from(grain, start, end, compare, first_actual, first_cmp):
    view = ViewState(start=start, end=end, grain=grain, compare=compare)
    out = performance(numbered(MONTHS_2023_2025), CATALOG, view, "month")
    first = out.row(0, named=True)
    assert first["period"] == start
    assert (first["actual"], first["cmp_actual"]) == (first_actual, first_cmp)
    assert first["change"] == first_actual - first_cmp
    assert first["change_pct"] == pytest.approx((first_actual - first_cmp) / first_cmp * 100)


@pytest.mark.parametrize(
    ("compare", "cmp_day"),
    [("previous", date(2025, 2, 24)), ("last_year", date(2024, 3, 4))],  # last year: 52 weeks back
)
def test_weeks_compare_with_the_week_before_or_52_weeks_back(compare, cmp_day):
    data = numbered(days(date(2024, 1, 1), date(2025, 12, 31)))
    view = ViewState(start=date(2025, 3, 3), end=date(2025, 3, 9), grain="week", compare=compare)
    out = performance(data, CATALOG, view, "day")
    assert out["period"].to_list() == [date(2025, 3, 3)]
    position = (cmp_day - date(2024, 1, 1)).days + 1
    assert out["cmp_actual"][0] == sum(range(position, position + 7))


def test_year_to_date_on_quarterly_data_compares_with_the_previous_quarter():
    quarters = period_range(date(2024, 1, 1), date(2025, 10, 1), "quarter")
    view = ViewState(start=date(2025, 1, 1), end=date(2025, 12, 31), grain="ytd", compare="previous")
    out = performance(numbered(quarters), CATALOG, view, "quarter")
    assert out["actual"].to_list() == [5, 5 + 6, 5 + 6 + 7, 5 + 6 + 7 + 8]
    assert out["cmp_actual"].to_list() == [1 + 2 + 3 + 4, 5, 5 + 6, 5 + 6 + 7]


# --- the rolled-up history gives the same frame ------------------------------------------------------


def random_views(data_grain: str, n: int, seed: int) -> list[tuple[ViewState, int]]:
    """Views over whole periods (any grain the data allows), with random filters."""
    rng = random.Random(seed)
    data = DATA[data_grain]
    first, last = data["period"].min(), data["period"].max()
    axes = sorted({k[6] for k in KPIS if k[6]})
    out = []
    for _ in range(n):
        year_start_month = rng.choice([1, 1, 9])
        grain = rng.choice(allowed_grains(data_grain))
        unit = "month" if grain == "ytd" else grain
        periods = period_range(first, last, unit, year_start_month)[1:]  # the first may be partial
        i = rng.randrange(len(periods))
        j = rng.randrange(i, min(len(periods), i + 30))
        gap_min = rng.choice([None, None, -10.0, 0.0])
        out.append(
            (
                ViewState(
                    start=periods[i],
                    end=period_end(periods[j], unit),
                    grain=grain,
                    services=tuple(rng.sample(SERVICES, rng.choice([0, 0, 1, 2]))),
                    kpis=tuple(rng.sample([k[0] for k in KPIS], rng.choice([0, 0, 2, 4]))),
                    axes=tuple(rng.sample(axes, rng.choice([0, 0, 1, 2]))),
                    statuses=tuple(rng.sample(["on", "watch", "off", "none"], rng.choice([0, 0, 1, 2]))),
                    gap_min=gap_min,
                    gap_max=rng.choice([None, None, 10.0]),
                    compare=rng.choice(["previous", "last_year", "target"]),
                ),
                year_start_month,
            )
        )
    return out


def history(data: pl.DataFrame, grain: str, data_grain: str, year_start_month: int) -> pl.DataFrame:
    """As lib.ui.compute holds it: the whole dataset at `grain`, with gaps, sorted by period."""
    rollup = model.rollup_time(data.lazy(), CATALOG, grain, data_grain, year_start_month)
    return model.with_gap(rollup, CATALOG).collect().sort("period", "service", "kpi")


VIEWS = [(g, v, y) for g in ("day", "month") for v, y in random_views(g, 16, seed=7 if g == "day" else 8)]


@pytest.mark.parametrize(
    ("data_grain", "view", "year_start_month"), VIEWS, ids=[f"v{i}" for i in range(len(VIEWS))]
)
def test_history_path_gives_the_same_frame(data_grain, view, year_start_month):
    data = DATA[data_grain]
    raw = performance(data, CATALOG, view, data_grain, year_start_month)
    hist = history(data, view.grain, data_grain, year_start_month)
    fast = performance(data, CATALOG, view, data_grain, year_start_month, history=hist)
    assert_frame_equal(fast, raw, check_exact=True)


def test_the_random_views_are_not_all_empty():
    sizes = [performance(DATA[g], CATALOG, v, g, y).height for g, v, y in VIEWS]
    assert sum(s > 0 for s in sizes) >= len(VIEWS) * 2 // 3


@pytest.mark.parametrize(
    ("grain", "end"),
    [("quarter", date(2025, 2, 15)), ("year", date(2025, 4, 30)), ("month", date(2025, 3, 10))],
)
def test_a_range_ending_inside_a_period_covers_it_whole_either_way(grain, end):
    view = ViewState(start=date(2025, 1, 1), end=end, grain=grain)
    raw = performance(DAILY, CATALOG, view, "day")
    fast = performance(DAILY, CATALOG, view, "day", history=history(DAILY, grain, "day", 1))
    whole = performance(DAILY, CATALOG, view.with_(end=period_end(truncate_date(end, grain), grain)), "day")
    assert_frame_equal(raw, whole, check_exact=True)
    assert_frame_equal(fast, whole, check_exact=True)


# --- lazy input -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    paths = {}
    for grain, data in DATA.items():
        path = tmp_path_factory.mktemp("data") / f"{grain}.parquet"
        data.write_parquet(path, row_group_size=500)
        paths[grain] = path
    return paths


@pytest.mark.parametrize(
    ("data_grain", "view", "year_start_month"), VIEWS[::3], ids=[f"v{i}" for i in range(0, len(VIEWS), 3)]
)
def test_a_lazy_parquet_scan_gives_the_same_frame(parquet, data_grain, view, year_start_month):
    lazy = pl.scan_parquet(parquet[data_grain])
    assert isinstance(lazy, pl.LazyFrame)
    got = performance(lazy, CATALOG, view, data_grain, year_start_month)
    assert_frame_equal(
        got, performance(DATA[data_grain], CATALOG, view, data_grain, year_start_month), check_exact=True
    )


# --- filters ----------------------------------------------------------------------------------------

ALL_KPIS = sorted(k[0] for k in KPIS)


@pytest.mark.parametrize(
    ("services", "kpis", "axes", "want_services", "want_kpis"),
    [
        ((), (), (), SERVICES, ALL_KPIS),
        (("RH",), (), (), ("RH",), ALL_KPIS),
        (("RH", "Achats"), (), (), ("Achats", "RH"), ALL_KPIS),
        ((), ("Délai", "Recettes"), (), SERVICES, ["Délai", "Recettes"]),
        ((), (), ("Finances",), SERVICES, ["Effectif", "Recettes"]),  # an axis through the catalog
        ((), (), ("Finances", "Clients"), SERVICES, ["Effectif", "Recettes", "Satisfaction"]),
        ((), ("Délai", "Recettes"), ("Finances",), SERVICES, ["Recettes"]),  # KPIs AND axes
        ((), ("Délai",), ("Finances",), SERVICES, []),
        (("RH",), ("Pic",), ("Efficience",), ("RH",), ["Pic"]),
        (("Nowhere",), (), (), (), []),
    ],
)
def test_services_kpis_and_axes(services, kpis, axes, want_services, want_kpis):
    view = ViewState(
        start=date(2025, 1, 1), end=date(2025, 3, 31), grain="month", services=services, kpis=kpis, axes=axes
    )
    out = performance(MONTHLY, CATALOG, view, "month")
    pairs = set(out.select(pl.col("service", "kpi").cast(pl.String)).iter_rows())
    assert pairs == {(s, k) for s in want_services for k in want_kpis}


@pytest.mark.parametrize(
    ("kpis", "axes", "expected"),
    [
        ((), (), None),
        (("Délai",), (), ["Délai"]),
        (("Délai", "Nowhere"), (), ["Délai"]),
        ((), ("Efficience",), ["Délai", "Pic", "Plancher"]),
        ((), ("Nowhere",), []),
        (("Délai", "Recettes", "Ouverture"), ("Efficience", "Finances"), ["Délai", "Recettes"]),
        (("Ouverture",), ("Efficience",), []),  # no axis: never in an axis filter
    ],
)
def test_selected_kpis(kpis, axes, expected):
    got = selected_kpis(ViewState(kpis=kpis, axes=axes), CATALOG)
    assert (sorted(got) if got is not None else None) == expected


# Status and gap filters: each series judged at its own last period in the range (March here).
STORY_CATALOG = make_catalog([("k", "", "higher", "sum", "sum", 5.0, None)])
STORY = {
    # service: actual in January .. April (target 100); None: not reported
    "A": [120, 120, 80, 120],  # off at the end of the range, on before
    "B": [80, 80, 110, 80],  # on at the end of the range, off before (and after)
    "C": [100, 100, 97, 50],  # watch
    "D": [120, 88, None, None],  # stops in February: judged there (off, -12 %)
    "E": [100, 100, 100, 100],  # exactly on target
    "F": [100, 100, None, 100],  # reported in April only after the range: judged in February
}


def story_frame() -> pl.DataFrame:
    months = period_range(date(2025, 1, 1), date(2025, 4, 1), "month")
    rows = [
        (m, s, "k", float(a), 100.0, None)
        for s, values in STORY.items()
        for m, a in zip(months, values, strict=True)
        if a is not None
    ]
    rows.append((months[2], "G", "k", 50.0, None, None))  # no target: status none
    return to_frame(rows)


@pytest.mark.parametrize(
    ("statuses", "gap_min", "gap_max", "kept"),
    [
        ((), None, None, "ABCDEFG"),
        (("off",), None, None, "AD"),
        (("on",), None, None, "BEF"),
        (("watch",), None, None, "C"),
        (("none",), None, None, "G"),
        (("watch", "off"), None, None, "ACD"),
        ((), -5.0, None, "BCEF"),  # a series without a gap never matches a gap bound
        ((), None, -5.0, "AD"),
        ((), -15.0, -10.0, "D"),
        ((), 0.0, 0.0, "EF"),
        (("off",), -15.0, None, "D"),
        (("on",), 5.0, None, "B"),
        (("on",), None, -1.0, ""),
    ],
)
def test_status_and_gap_filters_keep_whole_series_by_their_last_period(statuses, gap_min, gap_max, kept):
    view = ViewState(
        start=date(2025, 1, 1),
        end=date(2025, 3, 31),
        grain="month",
        statuses=statuses,
        gap_min=gap_min,
        gap_max=gap_max,
    )
    out = performance(story_frame(), STORY_CATALOG, view, "month")
    assert "".join(sorted(out["service"].cast(pl.String).unique().to_list())) == kept
    # Whole series: every period of a kept series within the range, none after it.
    full = performance(
        story_frame(), STORY_CATALOG, view.with_(statuses=(), gap_min=None, gap_max=None), "month"
    )
    assert_frame_equal(out, full.filter(pl.col("service").cast(pl.String).is_in(list(kept))))
    assert out["period"].max() is None or out["period"].max() <= date(2025, 3, 1)


def test_keep_matching_series_without_filters_is_the_frame_itself():
    frame = performance(
        story_frame(),
        STORY_CATALOG,
        ViewState(start=date(2025, 1, 1), end=date(2025, 4, 30), grain="month"),
        "month",
    )
    assert keep_matching_series(frame, ViewState()) is frame


def test_status_filters_judge_at_the_view_grain():
    # The first quarter: A sums 320 against 300 (on) though March alone is off; D 208 against 200.
    view = ViewState(start=date(2025, 1, 1), end=date(2025, 3, 31), grain="quarter", statuses=("on",))
    out = performance(story_frame(), STORY_CATALOG, view, "month")
    assert sorted(out["service"].cast(pl.String).to_list()) == ["A", "D", "E", "F"]


# --- domain_of and latest ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "grain", "first", "last", "n_periods"),
    [
        (DAILY, "day", date(2024, 1, 1), date(2025, 12, 31), 731),
        (MONTHLY, "month", date(2023, 1, 1), date(2025, 12, 1), 36),
        (
            numbered(period_range(date(2024, 1, 1), date(2025, 10, 1), "quarter")),
            "quarter",
            date(2024, 1, 1),
            date(2025, 10, 1),
            8,
        ),
        (
            numbered(period_range(date(2024, 1, 1), date(2025, 2, 1), "week")),
            "week",
            date(2024, 1, 1),
            date(2025, 1, 27),
            57,
        ),
    ],
)
def test_domain_of(data, grain, first, last, n_periods):
    domain, periods = domain_of(data, CATALOG)
    assert (domain.grain, domain.first, domain.last, len(periods)) == (grain, first, last, n_periods)
    assert periods == sorted(set(periods))
    assert domain.services == frozenset(data["service"].cast(pl.String).unique().to_list())
    assert domain.kpis == frozenset(data["kpi"].cast(pl.String).unique().to_list())
    assert domain.axes == frozenset({"Finances", "Efficience", "Clients"})  # the null axis left out


def test_domain_of_without_axes_and_with_an_academic_year():
    data = numbered([date(2023, 9, 1), date(2024, 9, 1), date(2025, 9, 1)])
    domain, _ = domain_of(data, CATALOG.drop("axis"), year_start_month=9)
    assert (domain.axes, domain.grain) == (frozenset(), "year")
    assert domain_of(data, CATALOG, year_start_month=1)[0].grain == "year"


def test_latest_gives_each_series_at_its_own_last_period():
    view = ViewState(start=date(2025, 1, 1), end=date(2025, 3, 31), grain="month")
    out = latest(performance(story_frame(), STORY_CATALOG, view, "month"))
    got = [
        (r["service"], r["period"])
        for r in out.with_columns(pl.col("service").cast(pl.String)).iter_rows(named=True)
    ]
    assert got == [
        ("A", date(2025, 3, 1)),
        ("B", date(2025, 3, 1)),
        ("C", date(2025, 3, 1)),
        ("D", date(2025, 2, 1)),
        ("E", date(2025, 3, 1)),
        ("F", date(2025, 2, 1)),
        ("G", date(2025, 3, 1)),
    ]
