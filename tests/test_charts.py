"""Chart builders: specs checked through `chart.to_dict()` (marks, encodings, sorts, selections, locale,
translations, guards) and rendered once with vl-convert to prove Vega accepts them."""

from __future__ import annotations

import html
import json
import math
import random
import re
from datetime import date, timedelta

import altair as alt
import polars as pl
import pytest
import vl_convert as vlc
from babel.dates import get_day_names, get_month_names

import lib.charts as C
from lib.charts.base import natural_key, ordered, template_text
from lib.charts.locale import locale_config, month_ticks, unit_suffix
from lib.charts.theme import FONT, SYMBOL_FONT
from lib.i18n import t

LANGS = ("fr", "en")
NNBSP = "\u202f"

# --- Helpers -----------------------------------------------------------------------------------------


def layers(spec: dict, data: dict | None = None) -> list[dict]:
    """Every unit spec (with a mark) inside a possibly layered spec, with the data it inherits."""
    data = spec.get("data", data)
    if "layer" in spec:
        return [unit for layer in spec["layer"] for unit in layers(layer, data)]
    return [spec if "data" in spec or data is None else {**spec, "data": data}]


def mark_type(unit: dict) -> str:
    mark = unit["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def params(spec: dict) -> list[dict]:
    found = list(spec.get("params", []))
    for layer in spec.get("layer", []):
        found += params(layer)
    return found


def values(spec: dict, unit: dict) -> list[dict]:
    """The inline rows a unit spec draws (datasets are shared at the top level)."""
    return spec["datasets"][unit["data"]["name"]]


def svg_texts(chart: alt.TopLevelMixin) -> list[str]:
    svg = vlc.vegalite_to_svg(chart.to_json())
    assert svg.startswith("<svg")
    return [html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def strict_json(chart: alt.TopLevelMixin) -> dict:
    def refuse(name: str) -> None:
        raise ValueError(f"{name} in chart JSON")

    return json.loads(chart.to_json(), parse_constant=refuse)


def tooltip_titles(spec: dict) -> set[str]:
    titles = set()
    for unit in layers(spec):
        for tip in unit.get("encoding", {}).get("tooltip", []):
            titles.add(tip.get("title"))
    return titles


# --- Fixtures built in code (fixed seeds) --------------------------------------------------------------

SERVICES = ["Qualité", "Admissions", "Étudiants", "finances", "Zèbre"]


def grid_frame(n_rows: int, n_cols: int, seed: int = 7) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for r in range(n_rows):
        for c in range(n_cols):
            gap = None if rng.random() < 0.1 else rng.uniform(-40, 40)
            status = "none" if gap is None else "on" if gap >= 0 else "watch" if gap > -5 else "off"
            rows.append(
                {
                    "service": f"Service {r:03d}",
                    "kpi": f"KPI {c:02d}",
                    "gap_pct": gap,
                    "status": status,
                    "actual": rng.uniform(0, 5000),
                    "target": 2500.0,
                    "unit": rng.choice(["%", "k€", None]),
                }
            )
    return pl.DataFrame(rows)


def heat_small() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "service": ["Qualité", "Admissions", "Étudiants", "Admissions"],
            "kpi": ["Coût", "Coût", "Délai", "Délai"],
            "gap_pct": [-30.0, 4.5, None, -2.0],
            "status": pl.Series(
                ["off", "on", "none", "watch"], dtype=pl.Enum(["on", "watch", "off", "none"])
            ),
            "actual": [1234.5, 80.25, None, 12.0],
            "target": [950.0, 76.8, None, 12.25],
            "unit": ["k€", "%", "jours", "jours"],
        }
    )


def months(first: date, n: int) -> list[date]:
    out = []
    for i in range(n):
        k = first.year * 12 + first.month - 1 + i
        out.append(date(k // 12, k % 12 + 1, 1))
    return out


def series_frame(n: int = 12, series: tuple[str, ...] = ("Organisation",), seed: int = 3) -> pl.DataFrame:
    rng = random.Random(seed)
    rows = []
    for name in series:
        for p in months(date(2026, 1, 1), n):
            actual = rng.uniform(80, 100)
            rows.append(
                {
                    "period": p,
                    "series": name,
                    "actual": actual,
                    "target": 90.0,
                    "tol_low": 85.5,
                    "tol_high": 90.0,
                    "cmp_actual": actual - 2,
                    "status": "on" if actual >= 90 else "watch" if actual >= 85.5 else "off",
                }
            )
    return pl.DataFrame(rows)


def projection_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "period": months(date(2027, 1, 1), 3),
            "series": ["Organisation"] * 3,
            "mean": [91.0, 92.0, 93.0],
            "low": [88.0, 87.0, 86.0],
            "high": [94.0, 97.0, 100.0],
        }
    )


def bars_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "label": ["Coût", "Délai", "Éthique", "Absences", "Budget"],
            "gap_pct": [3.25, -21.6, None, -1.0, -21.6],
            "status": ["on", "off", "none", "watch", "off"],
            "actual": [10.0, 20.0, 30.0, 40.0, 50.0],
            "target": [9.0, 25.0, None, 41.0, 60.0],
            "unit": ["%", "k€", None, "nb", "€"],
        }
    )


def leaderboard_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "service": ["Finances", "Admissions", "Qualité", "Logistique", "Pédagogie"],
            "score": [0.5, 0.82, None, 0.82, 0.64],
            "change": [0.0, 0.032, None, 0.005, -0.01],
        }
    )


def distribution_frame() -> pl.DataFrame:
    rng = random.Random(11)
    gaps = [rng.gauss(-3, 25) for _ in range(2000)]
    status = ["on" if g >= 0 else "watch" if g > -5 else "off" for g in gaps]
    return C.bin_gaps(pl.DataFrame({"gap_pct": gaps, "status": status}))


def sparkline_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "period": months(date(2026, 1, 1), 6),
            "actual": [1.0, 2.0, 3.0, 2.5, 4.0, None],
            "target": [3.0] * 6,
            "status": ["off", "off", "on", "watch", "on", "none"],
        }
    )


def status_counts() -> pl.DataFrame:
    return pl.DataFrame({"status": ["off", "on", "watch", "none"], "count": [12, 31, 6, 3]})


# One entry per builder: (name, build(frame, lang), small frame factory, rows factory for the guard).
BUILDERS = {
    "heatmap": (lambda f, lang: C.heatmap(f, lang), heat_small),
    "time_series": (lambda f, lang: C.time_series(f, lang, grain="month", unit="%"), series_frame),
    "gap_bars": (lambda f, lang: C.gap_bars(f, lang), bars_frame),
    "gap_distribution": (lambda f, lang: C.gap_distribution(f, lang), distribution_frame),
    "sparkline": (lambda f, lang: C.sparkline(f, lang), sparkline_frame),
    "leaderboard": (lambda f, lang: C.leaderboard(f, lang), leaderboard_frame),
    "status_bar": (lambda f, lang: C.status_bar(f, lang), status_counts),
}
TITLES = {
    "heatmap": "charts.heatmap.title",
    "time_series": "charts.series.title",
    "gap_bars": "charts.gaps.title",
    "gap_distribution": "charts.gaps.distribution_title",
    "leaderboard": "charts.leaderboard.title",
    "status_bar": "charts.status_bar.title",
}
SELECTIONS = {
    "heatmap": ("cell", "point", {"fields": ["service", "kpi"]}),
    "time_series": ("point", "point", {"fields": ["period", "series"], "nearest": True, "on": "click"}),
    "gap_bars": ("bar", "point", {"fields": ["label"]}),
    "gap_distribution": ("bin", "point", {"fields": ["bin_start"]}),
    "leaderboard": ("service", "point", {"fields": ["service"]}),
    "status_bar": ("status", "point", {"fields": ["status"]}),
}


def build(name: str, lang: str = "fr", frame: pl.DataFrame | None = None) -> alt.TopLevelMixin:
    builder, factory = BUILDERS[name]
    return builder(factory() if frame is None else frame, lang)


def title_text(spec: dict) -> str:
    title = spec.get("title")
    return title["text"] if isinstance(title, dict) else title


# --- Theme and locale ----------------------------------------------------------------------------------


def test_theme_is_registered_and_enabled():
    assert alt.theme.active == "vigie"
    config = alt.theme.get()()["config"]
    assert config["font"] == FONT
    assert config["axis"]["labelFontSize"] == 12 and config["axis"]["grid"] is False
    assert config["title"]["fontSize"] == 14
    assert config["background"] == "white"


def test_status_colours_are_okabe_ito_and_always_paired():
    assert C.STATUS_COLORS == {"on": "#009E73", "watch": "#E69F00", "off": "#D55E00", "none": "#999999"}
    assert C.STATUS_SYMBOLS == {"on": "✓", "watch": "!", "off": "✗", "none": "–"}
    assert len(set(C.STATUS_SHAPES.values())) == 4 and set(C.STATUS_SHAPES) == set(C.STATUS_COLORS)
    assert '"DejaVu Sans"' in SYMBOL_FONT and SYMBOL_FONT.endswith("sans-serif")


@pytest.mark.parametrize(
    ("lang", "decimal", "thousands", "percent"),
    [("fr", ",", NNBSP, NNBSP + "%"), ("en", ".", ",", None), ("xx", ",", NNBSP, NNBSP + "%")],
)
def test_locale_numbers(lang, decimal, thousands, percent):
    number = locale_config(lang)["number"]
    assert (number["decimal"], number["thousands"], number.get("percent")) == (decimal, thousands, percent)
    assert number["minus"] == "\u2212"


@pytest.mark.parametrize(("lang", "babel_locale"), [("fr", "fr_FR"), ("en", "en_GB")])
def test_locale_month_and_day_names_agree_with_cldr(lang, babel_locale):
    time = locale_config(lang)["time"]
    assert time["months"] == [get_month_names("wide", locale=babel_locale)[m] for m in range(1, 13)]
    # babel counts days from Monday, d3 from Sunday.
    wide = get_day_names("wide", locale=babel_locale)
    assert time["days"] == [wide[6], *[wide[d] for d in range(6)]]
    if lang == "fr":
        assert time["shortMonths"] == [
            get_month_names("abbreviated", locale="fr_FR")[m] for m in range(1, 13)
        ]
        assert time["shortMonths"][:3] == ["janv.", "févr.", "mars"]


def test_configure_locale_keeps_existing_config_and_does_not_mutate():
    chart = alt.Chart(pl.DataFrame({"a": [1]})).mark_point().encode(x="a:Q").configure_view(strokeWidth=3)
    fr = C.configure_locale(chart, "fr")
    en = C.configure_locale(fr, "en")
    assert fr.to_dict()["config"]["view"]["strokeWidth"] == 3
    assert fr.to_dict()["config"]["locale"]["number"]["decimal"] == ","
    assert en.to_dict()["config"]["locale"]["number"]["decimal"] == "."
    assert "locale" not in chart.to_dict()["config"]


@pytest.mark.parametrize(
    ("n_months", "expected"),
    [
        (1, {"interval": "month", "step": 1}),
        (13, {"interval": "month", "step": 1}),
        (14, {"interval": "month", "step": 2}),
        (25, {"interval": "month", "step": 2}),
        (36, {"interval": "month", "step": 3}),
        (72, {"interval": "month", "step": 6}),
        (84, {"interval": "year", "step": 1}),
        (300, {"interval": "year", "step": 3}),
    ],
)
def test_month_ticks(n_months, expected):
    assert month_ticks(n_months) == expected


@pytest.mark.parametrize(
    ("unit", "lang", "expected"),
    [
        ("%", "fr", NNBSP + "%"),
        ("%", "en", "%"),
        ("k€", "fr", "\u00a0k€"),
        (" jours ", "fr", "\u00a0jours"),
        ("/10", "fr", "/10"),
        (None, "fr", ""),
        ("  ", "en", ""),
    ],
)
def test_unit_suffix(unit, lang, expected):
    assert unit_suffix(unit, lang) == expected


def test_natural_order_ignores_accents_and_case_and_honours_order_columns():
    frame = pl.DataFrame({"name": SERVICES, "rank": [3, 1, 2, 5, 4]})
    assert ordered(frame, "name", None) == ["Admissions", "Étudiants", "finances", "Qualité", "Zèbre"]
    assert ordered(frame, "name", "rank") == ["Admissions", "Étudiants", "Qualité", "Zèbre", "finances"]
    assert natural_key("Étudiants") == "etudiants"


def test_template_text_builds_a_vega_expression():
    assert template_text("de {start} à {end}", start="a", end="b") == '"de " + (a) + " à " + (b)'
    assert template_text("{x}", x="datum.v") == "(datum.v)"


# --- Guards shared by every builder -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_more_than_max_rows_is_refused_with_a_fix(name):
    small = BUILDERS[name][1]()
    big = pl.concat([small] * (C.MAX_ROWS // small.height + 1))
    assert big.height > C.MAX_ROWS
    with pytest.raises(ValueError, match=r"MAX_ROWS = 5,000.*Aggregate first"):
        build(name, frame=big)


def test_exactly_max_rows_is_accepted():
    frame = grid_frame(100, 50)
    assert frame.height == C.MAX_ROWS
    chart = C.heatmap(frame, "fr")
    assert len(chart.to_dict()["datasets"]) == 1


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_lazy_frames_and_missing_columns_are_refused(name):
    small = BUILDERS[name][1]()
    with pytest.raises(ValueError, match="LazyFrame"):
        build(name, frame=small.lazy())
    first = small.columns[0] if name != "status_bar" else "count"
    with pytest.raises(ValueError, match=f"missing column.*{first}"):
        build(name, frame=small.drop(first))


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("heatmap", "service × kpi"),
        ("gap_bars", "label"),
        ("leaderboard", "service"),
        ("time_series", "period × series"),
        ("sparkline", "period"),
    ],
)
def test_duplicated_keys_are_refused(name, keys):
    small = BUILDERS[name][1]()
    with pytest.raises(ValueError, match=f"1 duplicated {keys} .*aggregate to one row per {keys} first"):
        build(name, frame=pl.concat([small, small.head(1)]))


def test_duplicated_projection_periods_are_refused():
    proj = projection_frame()
    with pytest.raises(ValueError, match="time_series projection: 1 duplicated period × series"):
        C.time_series(
            series_frame(), "fr", grain="month", unit=None, projection=pl.concat([proj, proj.tail(1)])
        )


@pytest.mark.parametrize("name", ["heatmap", "gap_bars", "sparkline", "gap_distribution"])
def test_unknown_status_is_refused(name):
    frame = BUILDERS[name][1]().with_columns(pl.lit("green").alias("status"))
    with pytest.raises(ValueError, match="unknown status value.*green"):
        build(name, frame=frame)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_chart_renders_with_its_locale_title_and_tooltips(name, lang):
    chart = build(name, lang)
    spec = strict_json(chart)
    assert spec["config"]["locale"] == locale_config(lang)
    assert spec["config"]["font"] == FONT  # the theme travels with the spec
    if name in TITLES:
        # The status bar draws its title as a mark (it shortens with the width); all have it as name.
        assert spec["description"] == t(TITLES[name], lang)
        assert title_text(spec) == (None if name == "status_bar" else t(TITLES[name], lang))
    assert any(unit.get("encoding", {}).get("tooltip") for unit in layers(spec)), "no tooltip"
    texts = svg_texts(chart)
    if name in TITLES:
        assert t(TITLES[name], lang) in texts


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_titles_and_tooltips_are_translated(name):
    fr, en = build(name, "fr").to_dict(), build(name, "en").to_dict()
    fr_titles, en_titles = tooltip_titles(fr) - {None}, tooltip_titles(en) - {None}
    assert fr_titles and en_titles
    catalog_fr = {
        t(f"charts.field.{k}", "fr") for k in ("actual", "target", "gap", "status", "period", "score")
    }
    catalog_en = {
        t(f"charts.field.{k}", "en") for k in ("actual", "target", "gap", "status", "period", "score")
    }
    assert fr_titles & catalog_fr and en_titles & catalog_en
    assert not fr_titles & (catalog_en - catalog_fr)


@pytest.mark.parametrize("name", sorted(SELECTIONS))
def test_selections_are_named_with_fields(name):
    selection_name, kind, spec_fields = SELECTIONS[name]
    found = params(build(name).to_dict())
    assert [p["name"] for p in found] == [selection_name]
    assert found[0]["select"] == {"type": kind, **spec_fields}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_empty_frames_give_valid_charts(name):
    empty = BUILDERS[name][1]().head(0)
    chart = build(name, frame=empty)
    assert svg_texts(chart) is not None


@pytest.mark.parametrize("name", ["heatmap", "gap_bars", "time_series", "leaderboard"])
def test_nan_and_infinity_become_null(name):
    frame = BUILDERS[name][1]()
    column = {"heatmap": "gap_pct", "gap_bars": "gap_pct", "time_series": "actual", "leaderboard": "score"}[
        name
    ]
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(float("nan"))
        .when(pl.int_range(pl.len()) == 1)
        .then(float("inf"))
        .otherwise(pl.col(column))
        .alias(column)
    )
    spec = strict_json(build(name, frame=frame))  # raises on NaN / Infinity
    rows = [row for rows in spec["datasets"].values() for row in rows]
    assert rows


# --- Heatmap ---------------------------------------------------------------------------------------------


def test_heatmap_encodings_scale_and_sorting():
    spec = C.heatmap(heat_small(), "fr").to_dict()
    rect, text = layers(spec)
    assert (mark_type(rect), mark_type(text)) == ("rect", "text")
    x, y = rect["encoding"]["x"], rect["encoding"]["y"]
    assert (x["field"], x["type"], x["sort"]) == ("kpi", "nominal", ["Coût", "Délai"])
    assert (y["field"], y["type"], y["sort"]) == (
        "service",
        "nominal",
        ["Admissions", "Étudiants", "Qualité"],
    )
    # Every column label is drawn, slanted or upright depending on the cell width in the browser.
    assert x["axis"]["labelOverlap"] is False
    assert x["axis"]["labelAngle"] == {"expr": "bandwidth('x') >= 30 ? -40 : -90"}
    colour = rect["encoding"]["color"]
    assert colour["condition"]["test"] == "isValid(datum._gap)"
    assert colour["value"] == "#DCDCDC"
    scale = colour["condition"]["scale"]
    assert scale["domain"] == [-0.25, 0, 0.25] and scale["clamp"] is True
    assert scale["range"] == ["#D55E00", "#F4F4F2", "#0072B2"]
    assert text["encoding"]["text"]["field"] == "_symbol"
    assert text["mark"]["font"] == SYMBOL_FONT
    assert text["mark"]["aria"] is False and "tooltip" not in text["encoding"]


def test_heatmap_data_carries_symbols_ratios_and_units():
    spec = C.heatmap(heat_small(), "fr").to_dict()
    rows = sorted(values(spec, layers(spec)[0]), key=lambda r: (r["service"], r["kpi"]))
    assert [(r["service"], r["kpi"], r["_symbol"], r["_gap"], r["_suffix"]) for r in rows] == [
        ("Admissions", "Coût", "✓", 0.045, NNBSP + "%"),
        ("Admissions", "Délai", "!", -0.02, "\u00a0jours"),
        ("Qualité", "Coût", "✗", -0.3, "\u00a0k€"),
        ("Étudiants", "Délai", "–", None, "\u00a0jours"),
    ]
    assert rows[2]["_status"] == "Non atteint"
    assert set(rows[0]) == {
        "service",
        "kpi",
        "_gap",
        "status",
        "_status",
        "_symbol",
        "actual",
        "target",
        "_suffix",
    }


def test_heatmap_order_columns_and_swapped_axes():
    frame = heat_small().with_columns(
        pl.col("service").replace_strict({"Qualité": 0, "Admissions": 2, "Étudiants": 1}).alias("col_order")
    )
    spec = C.heatmap(frame, "en", rows="kpi", cols="service").to_dict()
    rect = layers(spec)[0]
    assert rect["encoding"]["x"]["sort"] == ["Qualité", "Étudiants", "Admissions"]
    assert rect["encoding"]["y"]["sort"] == ["Coût", "Délai"]
    assert params(spec)[0]["select"]["fields"] == ["kpi", "service"]
    assert [tip["title"] for tip in rect["encoding"]["tooltip"]][:2] == ["KPI", "Service"]


@pytest.mark.parametrize(
    ("n_rows", "n_cols", "width", "height", "legend"),
    [(10, 50, 22, 26, "bottom"), (500, 5, 44, 16, "top"), (40, 20, 30, 20, "top"), (3, 3, 44, 26, "bottom")],
)
def test_heatmap_cells_adapt_to_the_grid(n_rows, n_cols, width, height, legend):
    spec = C.heatmap(grid_frame(n_rows, n_cols), "fr").to_dict()
    assert spec["width"] == {"step": width} and spec["height"] == {"step": height}
    rect = layers(spec)[0]
    assert len(rect["encoding"]["y"]["sort"]) == n_rows and len(rect["encoding"]["x"]["sort"]) == n_cols
    assert rect["encoding"]["color"]["condition"]["legend"]["orient"] == legend


def test_heatmap_renders_french_legend_and_symbol_key():
    texts = svg_texts(C.heatmap(heat_small(), "fr"))
    assert f"≤ −25{NNBSP}%" in texts and f"≥ +25{NNBSP}%" in texts and f"0{NNBSP}%" in texts
    key = next(x for x in texts if x.startswith("Symboles"))
    assert key == "Symboles : ✓ atteint · ! à surveiller · ✗ non atteint · – sans objectif"


def test_heatmap_tooltip_formats_exact_values_with_units():
    spec = C.heatmap(heat_small(), "fr").to_dict()
    calc = {c["as"]: c["calculate"] for c in layers(spec)[0]["transform"]}
    assert calc["_actual_text"] == (
        'isValid(datum["actual"]) ? format(datum["actual"], \',.2~f\') + datum["_suffix"] : \'–\''
    )
    assert calc["_gap_text"] == "isValid(datum[\"_gap\"]) ? format(datum[\"_gap\"], '+.1%') : '–'"


# --- Time series -----------------------------------------------------------------------------------------


def test_time_series_single_series_layers_and_legends():
    chart = C.time_series(
        series_frame(),
        "fr",
        grain="month",
        unit="%",
        compare_label="Année précédente",
        projection=projection_frame(),
    )
    spec = chart.to_dict()
    units = layers(spec)
    assert [mark_type(u) for u in units] == ["area", "area", "line", "line", "line", "line", "point", "point"]
    dash = next(u for u in units if "strokeDash" in u["encoding"])["encoding"]["strokeDash"]
    assert dash["scale"]["domain"] == ["Réalisé", "Objectif", "Année précédente", "Projection"]
    assert dash["scale"]["range"] == [[1, 0], [6, 4], [1.5, 3], [8, 3, 2, 3]]
    # The projection's points come after the actuals' points: the actuals' nearest-point hover surface
    # would otherwise hide the projection's tooltips.
    points, projected = units[-2], units[-1]
    assert projected["encoding"]["y"]["field"] == "mean" and points["encoding"]["y"]["field"] == "actual"
    x = points["encoding"]["x"]
    assert (x["field"], x["type"]) == ("period", "temporal")
    assert x["axis"]["format"] == "%b %Y" and x["axis"]["tickCount"] == {"interval": "month", "step": 2}
    assert points["encoding"]["y"]["title"] == "Valeur (%)"
    colour, shape = points["encoding"]["color"], points["encoding"]["shape"]
    assert colour["field"] == shape["field"] == "_status"
    statuses = ["on", "watch", "off"]
    assert colour["scale"]["domain"] == [t(f"common.status.{s}", "fr") for s in statuses]
    assert colour["scale"]["range"] == [C.STATUS_COLORS[s] for s in statuses]
    assert shape["scale"]["range"] == [C.STATUS_SHAPES[s] for s in statuses]
    assert {tip["title"] for tip in points["encoding"]["tooltip"]} == {
        "Période",
        "Réalisé",
        "Objectif",
        "Année précédente",
        "Statut",
    }
    # Altair hoists the selection to the top and points it at the layer that owns it.
    assert spec["params"] == [
        {
            "name": "point",
            "select": {"type": "point", "fields": ["period", "series"], "nearest": True, "on": "click"},
            "views": [points["name"]],
        }
    ]
    # Bands and lines are for the eye; the points carry the values for assistive technology.
    assert [u["mark"].get("aria") for u in units] == [False] * 6 + [None, None]


def test_time_series_projection_starts_at_the_last_actual():
    frame = series_frame(n=5)
    spec = C.time_series(frame, "en", grain="month", unit=None, projection=projection_frame()).to_dict()
    band = next(u for u in layers(spec) if mark_type(u) == "area" and u["encoding"]["y"]["field"] == "low")
    rows = values(spec, band)
    last = frame.row(4, named=True)
    assert rows[0]["period"].startswith("2026-05-01") and rows[0]["mean"] == rows[0]["low"] == last["actual"]
    assert [r["_anchor"] for r in rows] == [True, False, False, False]
    assert [r["mean"] for r in rows[1:]] == [91.0, 92.0, 93.0]


def test_time_series_multi_series_colours_by_series_and_shapes_by_status():
    frame = series_frame(series=("Pédagogie", "Admissions"))
    spec = C.time_series(frame, "en", grain="month", unit="k€").to_dict()
    points = layers(spec)[-1]
    assert points["encoding"]["color"]["field"] == "series"
    assert points["encoding"]["color"]["scale"]["domain"] == ["Admissions", "Pédagogie"]
    assert points["encoding"]["shape"]["field"] == "_status"
    lines = [u for u in layers(spec) if mark_type(u) == "line"]
    assert all(u["encoding"]["color"]["field"] == "series" for u in lines)
    assert "Series" in {tip["title"] for tip in points["encoding"]["tooltip"]}
    assert points["encoding"]["y"]["title"] == "Value (k€)"


def test_time_series_without_optional_columns():
    frame = series_frame().select("period", "series", "actual")
    spec = C.time_series(frame, "fr", grain="month", unit="").to_dict()
    units = layers(spec)
    assert [mark_type(u) for u in units] == ["line", "point"]
    assert "shape" not in units[-1]["encoding"]
    assert units[0]["encoding"]["strokeDash"]["legend"] is None
    assert units[-1]["encoding"]["y"]["title"] == "Valeur"


@pytest.mark.parametrize(
    ("grain", "periods", "axis"),
    [
        (
            "year",
            [date(y, 1, 1) for y in range(2015, 2027)],
            {"format": "%Y", "tickCount": {"interval": "year", "step": 1}},
        ),
        ("day", [date(2026, 3, 1) + timedelta(days=i) for i in range(20)], {"format": "%e %b"}),
        (
            "month",
            months(date(2020, 1, 1), 84),
            {"format": "%b %Y", "tickCount": {"interval": "year", "step": 1}},
        ),
    ],
)
def test_time_series_axis_per_grain(grain, periods, axis):
    frame = pl.DataFrame(
        {"period": periods, "series": "S", "actual": [float(i) for i in range(len(periods))]}
    )
    x_axis = layers(C.time_series(frame, "fr", grain=grain, unit="nb").to_dict())[-1]["encoding"]["x"]["axis"]
    assert {k: x_axis[k] for k in axis} == axis


def test_time_series_quarter_labels_from_a_label_column():
    quarters = [date(2024, 9, 1), date(2024, 12, 1), date(2025, 3, 1)]
    frame = pl.DataFrame(
        {
            "period": quarters,
            "series": "S",
            "actual": [1.0, 2.0, 3.0],
            "label": ["T1 2024-2025", "T2 2024-2025", "T3 2024-2025"],
        }
    )
    chart = C.time_series(frame, "fr", grain="quarter", unit=None)
    axis = layers(chart.to_dict())[-1]["encoding"]["x"]["axis"]
    assert axis["values"] == [
        {"year": 2024, "month": 9, "date": 1},
        {"year": 2024, "month": 12, "date": 1},
        {"year": 2025, "month": 3, "date": 1},
    ]
    assert '"2024-09-01": "T1 2024-2025"' in axis["labelExpr"]
    texts = svg_texts(chart)
    assert {"T1 2024-2025", "T2 2024-2025", "T3 2024-2025"} <= set(texts)


def test_time_series_calendar_quarters_without_labels():
    quarters = [date(2025, 1, 1), date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1)]
    frame = pl.DataFrame({"period": quarters, "series": "S", "actual": [1.0, 2.0, 3.0, 4.0]})
    assert {"Q1 2025", "Q2 2025", "Q3 2025", "Q4 2025"} <= set(
        svg_texts(C.time_series(frame, "en", grain="quarter", unit=None))
    )
    assert {"T1 2025", "T4 2025"} <= set(svg_texts(C.time_series(frame, "fr", grain="quarter", unit=None)))


def test_time_series_renders_french_months_and_numbers():
    frame = series_frame(n=6).with_columns(pl.col("actual") * 100)
    texts = svg_texts(C.time_series(frame, "fr", grain="month", unit="€"))
    assert "janv. 2026" in texts and "févr. 2026" in texts
    assert any(re.fullmatch(r"\d{1,2}\u202f\d{3}", x) for x in texts), texts  # 8 500 on the y axis


def test_time_series_rejects_an_unknown_grain():
    with pytest.raises(ValueError, match="unknown grain 'fortnight'"):
        C.time_series(series_frame(), "fr", grain="fortnight", unit=None)


def test_time_series_many_points_get_smaller_markers():
    small = layers(C.time_series(series_frame(n=12), "fr", grain="month", unit=None).to_dict())[-1]
    large = layers(C.time_series(series_frame(n=84), "fr", grain="month", unit=None).to_dict())[-1]
    assert (small["mark"]["size"], large["mark"]["size"]) == (60, 16)


# --- Gap bars and distribution ---------------------------------------------------------------------------


def test_gap_bars_sorted_worst_first_with_labels_and_zero_rule():
    chart = C.gap_bars(bars_frame(), "fr")
    spec = chart.to_dict()
    units = layers(spec)
    assert [mark_type(u) for u in units] == ["bar", "rule", "text", "text"]
    bars = units[0]
    assert bars["encoding"]["y"]["sort"] == ["Budget", "Délai", "Absences", "Coût", "Éthique"]
    assert (bars["encoding"]["x"]["field"], bars["encoding"]["x"]["type"]) == ("_gap", "quantitative")
    domain = bars["encoding"]["x"]["scale"]["domain"]
    assert domain[0] < -0.216 and domain[1] > 0.0325
    colour = bars["encoding"]["color"]
    assert colour["scale"]["domain"] == ["Atteint", "À surveiller", "Non atteint", "Sans objectif"]
    assert colour["scale"]["range"] == ["#009E73", "#E69F00", "#D55E00", "#999999"]
    assert units[1]["encoding"]["x"] == {"datum": 0}
    texts = svg_texts(chart)
    assert f"✗ −21,6{NNBSP}%" in texts and f"✓ +3,3{NNBSP}%" in texts and f"! −1,0{NNBSP}%" in texts
    assert "–" in texts  # the bar without a gap


def test_gap_bars_english_labels_and_custom_title():
    chart = C.gap_bars(bars_frame(), "en", title="KPIs of Finance", label_title="KPI")
    spec = chart.to_dict()
    assert spec["title"] == "KPIs of Finance"
    assert layers(spec)[0]["encoding"]["y"]["title"] == "KPI"
    assert "✗ −21.6%" in svg_texts(chart)


@pytest.mark.parametrize(
    ("gaps", "expected"),
    [
        # value -> (bin_start, bin_end, overflow)
        ([-60.0, -50.0, -49.9], [(-55.0, -50.0, "below", 1), (-50.0, -45.0, None, 2)]),
        ([-0.0, 0.0, 4.99, -0.01], [(-5.0, 0.0, None, 1), (0.0, 5.0, None, 3)]),
        (
            [49.99, 50.0, 120.0, float("inf"), float("-inf")],
            [(-55.0, -50.0, "below", 1), (45.0, 50.0, None, 1), (50.0, 55.0, "above", 3)],
        ),
        ([None, float("nan")], []),
    ],
)
def test_bin_gaps_edges_and_overflow(gaps, expected):
    out = C.bin_gaps(pl.DataFrame({"gap_pct": gaps}, schema={"gap_pct": pl.Float64}))
    assert out.columns == ["bin_start", "bin_end", "count", "overflow"]
    assert [tuple(r) for r in out.select("bin_start", "bin_end", "overflow", "count").iter_rows()] == expected


def test_bin_gaps_per_status_stays_small_and_counts_everything():
    rng = random.Random(5)
    gaps = [rng.gauss(0, 40) for _ in range(10_000)] + [None] * 7
    status = ["on" if g is not None and g >= 0 else "off" if g is not None else "none" for g in gaps]
    out = C.bin_gaps(pl.DataFrame({"gap_pct": gaps, "status": status}))
    assert out.get_column("count").sum() == 10_000
    assert out.height <= 25 and out.get_column("bin_start").is_sorted()
    assert set(out.get_column("status")) == {"on", "off"}


@pytest.mark.parametrize(("step", "n_bins"), [(10, 12), (2.5, 42), (1, 102)])
def test_bin_gaps_steps(step, n_bins):
    out = C.bin_gaps(pl.DataFrame({"gap_pct": [x / 4 for x in range(-240, 240)]}), step=step)
    assert out.height == n_bins
    assert math.isclose(out.get_column("bin_end").max(), 50 + step)


@pytest.mark.parametrize("step", [0, -5, 7, 3])
def test_bin_gaps_rejects_steps_that_do_not_divide_fifty(step):
    with pytest.raises(ValueError, match="step must be positive and divide 50"):
        C.bin_gaps(pl.DataFrame({"gap_pct": [1.0]}), step=step)


def test_gap_distribution_spec_and_overflow_labels():
    chart = C.gap_distribution(distribution_frame(), "fr")
    spec = chart.to_dict()
    units = layers(spec)
    assert [mark_type(u) for u in units] == ["bar", "rule", "text"]
    bars = units[0]["encoding"]
    assert bars["x"]["bin"] == "binned" and bars["x"]["field"] == "_start" and bars["x2"]["field"] == "_end"
    assert (bars["y"]["field"], bars["y"]["stack"]) == ("count", "zero")
    assert bars["order"]["field"] == "_order"
    texts = svg_texts(chart)
    assert f"<{NNBSP}−50{NNBSP}%" in texts and f"≥{NNBSP}50{NNBSP}%" in texts
    assert f"−25{NNBSP}%" in texts and t("charts.gaps.count_title", "fr") in texts


def test_gap_distribution_without_status_or_overflow():
    frame = C.bin_gaps(pl.DataFrame({"gap_pct": [-3.0, 2.0, 2.5, 7.0]}))
    spec = C.gap_distribution(frame, "en").to_dict()
    units = layers(spec)
    assert [mark_type(u) for u in units] == ["bar", "rule"]
    assert units[0]["encoding"]["color"]["scale"]["domain"] == ["No target"]
    calc = units[0]["transform"][0]["calculate"]
    assert '" to "' in calc and '"below "' in calc and '" and above"' in calc


# --- Sparkline, leaderboard, status bar -------------------------------------------------------------------


def test_sparkline_is_tiny_without_axes_and_marks_the_last_status():
    spec = C.sparkline(sparkline_frame(), "fr").to_dict()
    assert (spec["width"], spec["height"]) == (120, 30)
    units = layers(spec)
    assert [mark_type(u) for u in units] == ["line", "line", "point", "point"]
    for unit in units:
        assert unit["encoding"]["x"]["axis"] is None and unit["encoding"]["y"]["axis"] is None
    last = units[-1]
    assert [(r["status"], r["actual"]) for r in values(spec, last)] == [("on", 4.0)]
    assert last["encoding"]["color"]["scale"]["range"] == list(C.STATUS_COLORS.values())
    assert last["encoding"]["shape"]["scale"]["range"] == list(C.STATUS_SHAPES.values())
    assert units[0]["mark"]["color"] == "#9AA5B1"  # the faint target line
    assert params(spec) == []


def test_sparkline_without_status_and_custom_size():
    frame = sparkline_frame().drop("status")
    spec = C.sparkline(frame, "en", width=200, height=40).to_dict()
    assert (spec["width"], spec["height"]) == (200, 40)
    assert values(spec, layers(spec)[-1])[0]["status"] == "none"


def test_leaderboard_sorted_with_points_of_change():
    chart = C.leaderboard(leaderboard_frame(), "fr")
    spec = chart.to_dict()
    units = layers(spec)
    assert [mark_type(u) for u in units] == ["bar", "bar", "text", "text", "text"]
    assert units[1]["encoding"]["y"]["sort"] == [
        "Admissions",
        "Logistique",
        "Pédagogie",
        "Finances",
        "Qualité",
    ]
    x = units[1]["encoding"]["x"]
    assert (x["field"], x["scale"]["domain"], x["axis"]["format"]) == ("score", [0, 1], ".0%")
    texts = svg_texts(chart)
    assert "▲ +3,2\u00a0pts" in texts and "▼ −1,0\u00a0pt" in texts and "▲ +0,5\u00a0pt" in texts
    assert "+0,0\u00a0pt" in texts
    assert f"82{NNBSP}%" in texts and f"50{NNBSP}%" in texts


def test_leaderboard_english_plural_and_no_change_column():
    texts = svg_texts(C.leaderboard(leaderboard_frame(), "en"))
    assert "▲ +3.2\u00a0pts" in texts and "▼ −1.0\u00a0pt" in texts and "▲ +0.5\u00a0pts" in texts
    spec = C.leaderboard(leaderboard_frame().drop("change"), "en").to_dict()
    assert values(spec, layers(spec)[0])[0]["change"] is None


def svg_root(chart: alt.TopLevelMixin) -> str:
    return vlc.vegalite_to_svg(chart.to_json())


def text_elements(svg: str) -> list[tuple[str, str]]:
    """(attributes, text) of every <text> element of an SVG."""
    return [(attrs, html.unescape(text)) for attrs, text in re.findall(r"<text([^>]*)>([^<]*)</text>", svg)]


@pytest.mark.parametrize(
    "counts",
    [
        status_counts(),
        pl.DataFrame({"n_on": [31], "n_watch": [6], "n_off": [12], "n_none": [3], "score": [0.6]}),
        pl.DataFrame({"status": ["on", "off", "on", "watch", "none", "off"], "count": [30, 12, 1, 6, 3, 0]}),
    ],
    ids=["long", "wide", "repeated"],
)
def test_status_bar_segments_and_key_counts(counts):
    chart = C.status_bar(counts, "fr", width=470)
    spec = chart.to_dict()
    bars, counts_text, key_symbols, key_labels, title = layers(spec)
    rows = values(spec, bars)
    assert [(r["status"], r["count"]) for r in rows] == [("on", 31), ("watch", 6), ("off", 12), ("none", 3)]
    assert [round(r["_x1"], 4) for r in rows] == [round(x / 52, 4) for x in (31, 37, 49, 52)]
    domain = ["Atteint (31)", "À surveiller (6)", "Non atteint (12)", "Sans objectif (3)"]
    assert bars["encoding"]["color"]["scale"]["domain"] == domain
    assert bars["encoding"]["color"]["scale"]["range"] == list(C.STATUS_COLORS.values())
    assert key_labels["encoding"]["text"]["field"] == "_status"
    assert key_symbols["encoding"]["color"] == bars["encoding"]["color"]
    assert title["encoding"]["text"] == {"value": "Statut des indicateurs"}
    # A 44-pixel bar below a 28-pixel title row, then two rows of key.
    assert (bars["encoding"]["y"], bars["encoding"]["y2"]) == ({"value": 28}, {"value": 72})
    assert spec["height"] == 28 + 44 + 14 + 2 * 22
    texts = {text for _, text in text_elements(svg_root(chart))}
    assert set(domain) <= texts
    assert {"✓ 31", "! 6", "✗ 12"} <= texts
    assert "– 3" not in texts  # 3/52 of the width is too narrow for a count: the key has it


def test_status_bar_fits_any_width_without_squeezing_the_bar():
    """Streamlit stretches charts with autosize "fit" (the whole chart in `height` pixels) unless the
    spec sets its own: the bar asks for "fit-x", and draws its title and key as marks that shorten
    with the drawn width, so nothing outside the plot can outgrow a narrow container."""
    spec = C.status_bar(status_counts(), "fr").to_dict()
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    assert "title" not in spec and "legend" not in json.dumps(layers(spec)[0]["encoding"]["color"]).replace(
        '"legend": null', ""
    )
    limits = [u["mark"]["limit"]["expr"] for u in layers(spec) if "limit" in u["mark"]]
    assert limits and all("width" in limit for limit in limits)
    for width, columns in ((160, 1), (280, 1), (470, 2)):
        svg = svg_root(C.status_bar(status_counts(), "fr", width=width))
        assert re.search(rf'<svg[^>]* width="{width}"', svg)
        bar_paths = re.findall(
            r'<path[^>]*aria-roledescription="bar"[^>]*d="M([\d.]+),([\d.]+)h([\d.]+)v([\d.]+)', svg
        )
        assert len(bar_paths) == 4 and all(float(h) == 44 for *_, h in bar_paths)
        assert sum(float(w) for _, _, w, _ in bar_paths) > width * 0.85  # the bar spans the chart
        key_x = {
            attrs.split("translate(")[1].split(",")[0]
            for attrs, text in text_elements(svg)
            if "(" in text and "translate(" in attrs
        }
        assert len(key_x) == columns, (width, key_x)


def test_status_bar_drops_zero_counts_and_hides_title_on_request():
    counts = pl.DataFrame({"status": ["on", "off"], "count": [4, 0]})
    spec = C.status_bar(counts, "en", title="").to_dict()
    assert "title" not in spec and spec["description"] == "KPI status"
    units = layers(spec)
    assert len(units) == 4 and units[0]["encoding"]["y"] == {"value": 0}
    assert units[0]["encoding"]["color"]["scale"]["domain"] == ["On target (4)"]
    assert spec["height"] == 44 + 14 + 22
    with pytest.raises(ValueError, match="exactly one row"):
        C.status_bar(pl.DataFrame({"n_on": [1, 2], "n_watch": 0, "n_off": 0, "n_none": 0}), "fr")


def test_projection_without_band_or_anchor():
    proj = projection_frame().drop("low", "high").with_columns(pl.lit("Autre").alias("series"))
    spec = C.time_series(series_frame(n=3), "fr", grain="month", unit=None, projection=proj).to_dict()
    units = layers(spec)
    assert [mark_type(u) for u in units] == ["area", "line", "line", "line", "line", "point", "point"]
    line = next(u for u in units if mark_type(u) == "line" and u["encoding"]["y"]["field"] == "mean")
    assert [r["series"] for r in values(spec, line)] == ["Autre"] * 3  # no actual to continue from
    fill = units[0]["encoding"]["fill"]
    assert fill["scale"]["domain"] == ["Zone de tolérance"]


def test_sparkline_sorts_periods_before_taking_the_last_point():
    frame = sparkline_frame().sample(fraction=1.0, shuffle=True, seed=4)
    assert frame.get_column("period").to_list() != sorted(frame.get_column("period").to_list())
    spec = C.sparkline(frame, "fr").to_dict()
    assert [(r["status"], r["actual"]) for r in values(spec, layers(spec)[-1])] == [("on", 4.0)]


# --- Accessibility, clicks, period names, column labels ----------------------------------------------------

# Builders with every optional layer drawn, on top of the plain ones in BUILDERS.
FULL = {
    **{name: (lambda name=name: build(name)) for name in BUILDERS},
    "time_series_full": lambda: C.time_series(
        series_frame(), "fr", grain="month", unit="%", compare_label="N-1", projection=projection_frame()
    ),
    "time_series_multi": lambda: C.time_series(
        series_frame(series=("Pédagogie", "Admissions")), "en", grain="quarter", unit="k€"
    ),
    "time_series_bare": lambda: C.time_series(
        series_frame().select("period", "series", "actual"), "fr", grain="year", unit=None
    ),
    "gap_bars_negative": lambda: C.gap_bars(bars_frame().with_columns(pl.col("gap_pct") - 50), "fr"),
    "leaderboard_low": lambda: C.leaderboard(leaderboard_frame().with_columns(score=pl.lit(0.05)), "fr"),
    "status_bar_untitled": lambda: C.status_bar(status_counts(), "en", title=""),
    "heatmap_tall": lambda: C.heatmap(grid_frame(40, 3), "en", rows="service", cols="kpi"),
}


def describes(unit: dict) -> bool:
    encoding = unit.get("encoding", {})
    return bool(encoding.get("tooltip") or encoding.get("description"))


@pytest.mark.parametrize("name", sorted(FULL))
def test_every_mark_is_described_or_hidden_from_assistive_technology(name):
    """Rule (axe `svg-img-alt`): Vega gives the items of every mark role="graphics-symbol", which
    needs a text alternative. So every mark of every layer either has `aria: false` in its mark
    definition (decorative: rules, bands, lines, labels repeating a described mark) or carries a
    tooltip or description encoding (Vega-Lite turns it into each item's aria-label). Interval
    selections are refused outright: their brush marks cannot be hidden."""
    spec = FULL[name]().to_dict()
    units = layers(spec)
    assert units
    for unit in units:
        mark = unit["mark"] if isinstance(unit["mark"], dict) else {"type": unit["mark"]}
        assert mark.get("aria") is False or describes(unit), (name, mark["type"], unit.get("encoding"))
    # Something is left for a screen reader to read.
    assert any(mark_type(u) != "text" and u["mark"].get("aria") is not False and describes(u) for u in units)
    assert all(p["select"]["type"] == "point" for p in params(spec))


@pytest.mark.parametrize("name", sorted(FULL))
def test_every_chart_has_an_accessible_name(name):
    spec = FULL[name]().to_dict()
    assert isinstance(spec.get("description"), str) and spec["description"].strip()
    if "title" in spec:
        assert spec["description"] == title_text(spec)


def test_sparkline_and_custom_titles_name_the_chart():
    assert C.sparkline(sparkline_frame(), "fr").to_dict()["description"] == t(
        "charts.sparkline.description", "fr"
    )
    assert (
        C.gap_bars(bars_frame(), "en", title="KPIs of Finance").to_dict()["description"] == "KPIs of Finance"
    )
    assert C.heatmap(heat_small(), "en", title="Grid").to_dict()["description"] == "Grid"


def marks_in_vega(chart: alt.TopLevelMixin) -> list[dict]:
    """Every mark of the compiled Vega spec (what the browser runs)."""

    def walk(marks: list[dict]) -> list[dict]:
        return [m for mark in marks for m in [mark, *walk(mark.get("marks", []))]]

    return walk(json.loads(json.dumps(vlc.vegalite_to_vega(chart.to_json())))["marks"])


@pytest.mark.parametrize(
    ("name", "covering_text"),
    [
        ("heatmap", "symbol in the cell"),
        ("leaderboard", "score on the bar"),
        ("status_bar", "count in the segment"),
    ],
)
def test_texts_over_clickable_marks_let_clicks_through(name, covering_text):
    """A text drawn over a selectable mark must not catch the click (Playwright: "<text> intercepts
    pointer events"): Vega-Lite compiles a text without tooltip or selection to interactive: false."""
    marks = marks_in_vega(build(name))
    selectable = [m for m in marks if m["type"] == "rect" and m.get("interactive") is True]
    assert selectable, name
    over = [m for m in marks if m["type"] == "text" and "tooltip" not in m["encode"]["update"]]
    assert over, covering_text
    assert all(m["interactive"] is False and m["aria"] is False for m in over)
    if name == "heatmap":
        assert len([m for m in marks if m["type"] == "text"]) == 1


def test_time_series_click_picks_the_nearest_point_and_shows_its_tooltip():
    marks = marks_in_vega(build("time_series"))
    voronoi = next(m for m in marks if m["name"].endswith("_voronoi"))
    # The invisible cells that catch clicks near a point are hidden from assistive technology and
    # still show the point's tooltip.
    assert voronoi["aria"] is False and "tooltip" in voronoi["encode"]["update"]
    assert not [m for m in marks if "brush" in m["name"]]


def aria_labels(chart: alt.TopLevelMixin) -> list[str]:
    return [
        html.unescape(x) for x in re.findall(r'aria-label="([^"]*)"', vlc.vegalite_to_svg(chart.to_json()))
    ]


@pytest.mark.parametrize(
    ("lang", "grain", "periods", "names"),
    [
        (
            "en",
            "quarter",
            [date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)],
            ["Q4 2025", "Q1 2026", "Q2 2026", "Q3 2026"],
        ),
        ("fr", "quarter", [date(2026, 1, 1), date(2026, 10, 1)], ["T1 2026", "T4 2026"]),
        ("fr", "month", [date(2026, 1, 1), date(2026, 12, 1)], ["janvier 2026", "décembre 2026"]),
        ("en", "week", [date(2026, 3, 16), date(2026, 3, 23)], ["W12 2026", "W13 2026"]),
        ("fr", "year", [date(2025, 1, 1), date(2026, 1, 1)], ["2025", "2026"]),
    ],
)
def test_time_series_tooltips_name_periods_like_the_tables(lang, grain, periods, names):
    """The quarter starting in January is Q1: period names come from lib.periods.period_label, not
    from Vega date functions (local time, no fiscal years)."""
    frame = pl.DataFrame({"period": periods, "series": "S", "actual": [1.5 + i for i in range(len(periods))]})
    chart = C.time_series(frame, lang, grain=grain, unit=None)
    period = t("charts.field.period", lang)
    labels = [x for x in aria_labels(chart) if f"{period}: " in x]
    assert [x.split(f"{period}: ")[1].split(";")[0] for x in labels] == names
    assert "quarter(" not in chart.to_json() and "timeFormat(datum" not in chart.to_json().replace(
        "timeFormat(datum.value, '%Y-%m-%d')", ""
    )
    if grain == "quarter":
        assert set(names) <= set(svg_texts(chart))  # axis labels too


def test_time_series_projection_and_fiscal_labels_share_period_names():
    frame = pl.DataFrame(
        {
            "period": [date(2024, 9, 1), date(2024, 12, 1)],
            "series": "S",
            "actual": [1.0, 2.0],
            "label": ["T1 2024-2025", "T2 2024-2025"],
        }
    )
    projection = pl.DataFrame(
        {"period": [date(2025, 3, 1)], "series": ["S"], "mean": [3.0], "low": [2.5], "high": [3.5]}
    )
    chart = C.time_series(frame, "fr", grain="quarter", unit=None, projection=projection)
    labels = [x for x in aria_labels(chart) if "Période: " in x]
    named = sorted(x.split("Période: ")[1].split(";")[0] for x in labels)
    # The projected quarter has no label in the frame: it is named by the calendar.
    assert named == ["T1 2024-2025", "T1 2025", "T2 2024-2025"]


def test_sparkline_tooltips_name_quarters():
    frame = (
        sparkline_frame()
        .head(3)
        .with_columns(pl.Series("period", [date(2025, 7, 1), date(2025, 10, 1), date(2026, 1, 1)]))
    )
    labels = aria_labels(C.sparkline(frame, "en", grain="quarter"))
    assert [x.split("Period: ")[1].split(";")[0] for x in labels if "Period: " in x][:3] == [
        "Q3 2025",
        "Q4 2025",
        "Q1 2026",
    ]


ELEVEN = [
    "Admissions",
    "Communication",
    "Finances",
    "Formation continue",
    "International",
    "Logistique",
    "Pédagogie",
    "Qualité",
    "Relations entreprises",
    "Ressources humaines",
    "Systèmes d'information",
]


@pytest.mark.parametrize(("width", "angle"), [(None, -40), (380, -40), (200, -90)])
def test_heatmap_draws_every_column_label(width, angle):
    frame = pl.DataFrame(
        [
            {
                "service": s,
                "kpi": k,
                "gap_pct": 1.0,
                "status": "on",
                "actual": 1.0,
                "target": 1.0,
                "unit": "%",
            }
            for k in ("Effectif", "Délai de réponse aux demandes")
            for s in ELEVEN
        ]
    )
    chart = C.heatmap(frame, "fr", rows="kpi", cols="service")
    if width:
        chart = chart.properties(width=width)  # what a page stretching the chart does
    drawn = {text: attrs for attrs, text in text_elements(svg_root(chart)) if text in ELEVEN}
    assert sorted(drawn) == sorted(ELEVEN)
    assert all('opacity="1"' in attrs and f"rotate({angle})" in attrs for attrs in drawn.values())


def test_time_series_range_follows_the_values_not_a_wide_watch_band():
    from datetime import date

    frame = pl.DataFrame(
        {
            "period": [date(2026, m, 1) for m in range(1, 7)],
            "series": ["A"] * 6,
            "actual": [98.0, 99.0, 100.0, 101.0, 100.0, 99.0],
            "target": [95.0] * 6,
            "tol_low": [80.75] * 6,  # a 15 % tolerance
            "tol_high": [95.0] * 6,
        }
    )
    spec = C.time_series(frame, "fr", grain="month", unit="%").to_dict()
    domains = [
        layer["encoding"]["y"]["scale"]["domain"]
        for layer in spec["layer"]
        if "y" in layer.get("encoding", {}) and "domain" in layer["encoding"]["y"].get("scale", {})
    ]
    assert domains and all(d[0] > 90 and d[1] < 105 for d in domains)
    bands = [layer for layer in spec["layer"] if layer.get("mark", {}).get("type") == "area"]
    assert bands and all(layer["mark"]["clip"] for layer in bands)


def test_sparkline_marks_a_detection_period():
    from datetime import date

    frame = pl.DataFrame(
        {
            "period": [date(2026, m, 1) for m in range(1, 7)],
            "actual": [1.0, 2.0, 3.0, 2.0, 1.0, 0.5],
            "target": [2.0] * 6,
        }
    )
    plain = C.sparkline(frame, "fr").to_dict()
    marked = C.sparkline(frame, "fr", marker=date(2026, 4, 1)).to_dict()
    assert len(marked["layer"]) == len(plain["layer"]) + 1
    rule = marked["layer"][0]
    assert rule["mark"]["type"] == "rule" and rule["mark"]["aria"] is False
    assert rule["encoding"]["x"]["field"] == "period"


# --- Signal firings on the time series --------------------------------------------------------------------

from lib.charts.series import FIRING_COLORS, FIRING_SHAPES, MAX_FIRINGS, legend_height  # noqa: E402


def firings_frame(rows: list[tuple]) -> pl.DataFrame:
    """(month index from Jan 2026, series, polarity, severity) -> a firings frame for time_series."""
    ms = months(date(2026, 1, 1), 120)
    return pl.DataFrame(
        {
            "period": [ms[i] for i, *_ in rows],
            "series": [s for _, s, *_ in rows],
            "polarity": [p for _, _, p, _ in rows],
            "kind": [f"{p} {i} {s} {sev}" for i, s, p, sev in rows],
            "message": [f"Sentence {i} {s} {p} {sev}." for i, s, p, sev in rows],
            "severity": [sev for *_, sev in rows],
        }
    )


def firing_unit(spec: dict) -> dict:
    (unit,) = [u for u in layers(spec) if "description" in u.get("encoding", {})]
    return unit


def test_firings_sit_on_their_point_stacked_away_from_it():
    frame = series_frame(n=6, series=("Admissions", "Qualité"))
    frame = frame.with_columns(  # no actual in March for Qualité: nothing to mark there
        pl.when((pl.col("series") == "Qualité") & (pl.col("period") == date(2026, 3, 1)))
        .then(None)
        .otherwise(pl.col("actual"))
        .alias("actual")
    )
    fired = firings_frame(
        [
            (1, "Admissions", "bad", 0.4),
            (1, "Admissions", "bad", 0.9),
            (1, "Admissions", "good", 0.3),
            (4, "Qualité", "good", 0.5),
            (4, "Qualité", "good", 0.8),
            (4, "Qualité", "good", 0.6),
            (4, "Qualité", "good", 0.7),  # a fourth on one point: the least strong is left out
            (2, "Qualité", "bad", 0.5),  # no actual
            (3, "Autre", "bad", 0.5),  # not drawn
            (9, "Admissions", "bad", 0.5),  # after the last period
        ]
    )
    spec = C.time_series(frame, "en", grain="month", unit="%", firings=fired).to_dict()
    unit = firing_unit(spec)
    rows = sorted(values(spec, unit), key=lambda r: (r["series"], r["polarity"], abs(r["_offset"])))
    actual = {(r["series"], str(r["period"])): r["actual"] for r in frame.to_dicts()}
    got = [(r["series"], r["period"][:10], r["polarity"], r["_offset"], r["_signal"]) for r in rows]
    assert got == [
        ("Admissions", "2026-02-01", "bad", 14, "Warning — bad 1 Admissions 0.9"),
        ("Admissions", "2026-02-01", "bad", 25, "Warning — bad 1 Admissions 0.4"),
        ("Admissions", "2026-02-01", "good", -14, "Good news — good 1 Admissions 0.3"),
        ("Qualité", "2026-05-01", "good", -14, "Good news — good 4 Qualité 0.8"),
        ("Qualité", "2026-05-01", "good", -25, "Good news — good 4 Qualité 0.7"),
        ("Qualité", "2026-05-01", "good", -36, "Good news — good 4 Qualité 0.6"),
    ]
    assert all(r["actual"] == actual[(r["series"], r["period"][:10])] for r in rows)  # on the line
    assert rows[0]["_desc"] == "Warning — bad 1 Admissions 0.9, February 2026: Sentence 1 Admissions bad 0.9."
    enc = unit["encoding"]
    assert (enc["x"]["field"], enc["y"]["field"]) == ("period", "actual")
    assert unit["mark"]["yOffset"] == {"expr": "datum._offset"} and "aria" not in unit["mark"]
    assert enc["description"] == {"field": "_desc", "type": "nominal"}
    assert enc["shape"]["scale"] == {
        "domain": ["Warning", "Good news"],
        "range": list(FIRING_SHAPES.values()),
    }
    assert enc["fill"]["scale"] == {"domain": ["Warning", "Good news"], "range": list(FIRING_COLORS.values())}
    assert enc["shape"]["legend"]["title"] == "Signals fired"
    assert [tip["title"] for tip in enc["tooltip"]] == ["Period", "Series", "Signal", "Finding"]
    # Their own shape and colour scales: a polarity is neither a status nor a series.
    assert spec["resolve"]["scale"] == {"shape": "independent", "fill": "independent", "color": "independent"}
    # Drawn after the points, whose nearest-point hover surface would hide their tooltips.
    assert layers(spec)[-1] == unit
    assert [p["name"] for p in params(spec)] == ["point"]


def test_firings_keep_warnings_first_then_the_most_severe():
    frame = series_frame(n=100, series=tuple("ABCDE"))
    rows = [(i, s, "good", round(((i * 7 + ord(s)) % 97) / 100, 2)) for s in "ABCDE" for i in range(100)]
    rows += [(i, "A", "bad", 0.01) for i in range(0, 100, 2)]
    spec = C.time_series(frame, "fr", grain="month", unit=None, firings=firings_frame(rows)).to_dict()
    drawn = values(spec, firing_unit(spec))
    assert len(drawn) == MAX_FIRINGS
    assert sum(r["polarity"] == "bad" for r in drawn) == 50  # every warning, however mild
    kept = sorted(sev for _, _, p, sev in rows if p == "good")[-(MAX_FIRINGS - 50) :]
    assert sorted(float(r["_signal"].rsplit(" ", 1)[1]) for r in drawn if r["polarity"] == "good") == kept


@pytest.mark.parametrize("lang", LANGS)
def test_firings_render_with_their_legend(lang):
    fired = firings_frame([(2, "Organisation", "bad", 0.5), (5, "Organisation", "good", 0.5)])
    chart = C.time_series(series_frame(), lang, grain="month", unit="%", firings=fired)
    texts = svg_texts(chart)
    legend = [
        t("explore.firings.legend", lang),
        t("signals.polarity.bad", lang),
        t("signals.polarity.good", lang),
    ]
    assert all(text in texts for text in legend), texts


@pytest.mark.parametrize(
    ("fired", "message"),
    [
        (firings_frame([(1, "Organisation", "ugly", 0.5)]), "unknown polarity \\['ugly'\\]"),
        (
            firings_frame([(1, "Organisation", "bad", 0.5)]).drop("message"),
            "missing column\\(s\\) \\['message'\\]",
        ),
    ],
)
def test_bad_firings_are_refused(fired, message):
    with pytest.raises(ValueError, match=message):
        C.time_series(series_frame(), "fr", grain="month", unit=None, firings=fired)


@pytest.mark.parametrize("fired", [None, firings_frame([(3, "Nobody", "bad", 0.5)])])
def test_no_firing_drawn_leaves_the_chart_as_it_was(fired):
    plain = C.time_series(series_frame(), "fr", grain="month", unit=None).to_dict()
    assert C.time_series(series_frame(), "fr", grain="month", unit=None, firings=fired).to_dict() == plain


@pytest.mark.parametrize(
    ("legends", "height"),
    [
        ([], 45),
        ([(4, False), (2, False)], 45 + 120 + 10),
        ([(4, False), (2, False), (4, True), (3, True), (2, True)], 45 + 15 * 20 + 3 * 20 + 40),
    ],
)
def test_legend_height(legends, height):
    assert legend_height(legends) == height


def test_the_chart_grows_to_show_every_legend():
    five = series_frame(series=("A", "B", "C", "D", "E"))
    fired = firings_frame([(1, "A", "bad", 0.5), (2, "B", "good", 0.5)])
    single = C.time_series(series_frame(), "fr", grain="month", unit=None).to_dict()
    many = C.time_series(five, "fr", grain="month", unit=None, firings=fired).to_dict()
    assert single["height"] == 280
    statuses = five["status"].n_unique()
    # Lines (actual, target, comparison), the band, 5 series, the statuses, 2 polarities: 5 legends.
    rows = 3 + 1 + (5 + 1) + (statuses + 1) + (2 + 1)
    assert many["height"] == 45 + rows * 20 + 4 * 10
