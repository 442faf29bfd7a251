"""lib.catalog: sources in order, defaults with a visible warning, conflicts and bad values."""

from __future__ import annotations

import polars as pl
import pytest

from lib.catalog import build_catalog, catalog_frame, parse_percent, read_catalog
from lib.contract import AGG_SERVICES, AGG_TIME, CATALOG_SCHEMA, DIRECTIONS


def extract(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows)


def by_kpi(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["kpi"]: row for row in frame.iter_rows(named=True)}


def notices(items, code):
    return [n.params for n in items if n.code == code]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("5", 5.0),
        ("5 %", 5.0),
        ("5,0", 5.0),
        ("0.5%", 0.5),
        (" 12 ", 12.0),
        ("-1", None),
        ("abc", None),
        (None, None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_percent(text, value):
    assert parse_percent(text) == value


def test_defaults_by_unit_with_a_visible_warning():
    frame = extract(
        [{"kpi": "Taux", "unit": "%"}, {"kpi": "CA", "unit": "k€"}, {"kpi": "ETP", "unit": "ETP"}]
    )
    catalog, items = build_catalog(frame, None, ["Taux", "CA", "ETP", "Nouveau"], has_weight={"Taux"})
    assert {c: str(t) for c, t in catalog.schema.items()} == CATALOG_SCHEMA
    rows = by_kpi(catalog)
    assert (rows["Taux"]["agg_time"], rows["Taux"]["agg_services"]) == ("wmean", "wmean")
    assert (rows["CA"]["agg_time"], rows["CA"]["agg_services"]) == ("sum", "sum")
    assert (rows["ETP"]["agg_time"], rows["ETP"]["agg_services"]) == ("last", "sum")
    assert (rows["Nouveau"]["unit"], rows["Nouveau"]["agg_time"]) == (
        "",
        "mean",
    )  # no unit: averaging is harmless
    for row in rows.values():
        assert (row["direction"], row["tolerance"], row["score_weight"]) == ("higher", 5.0, 1.0)
        assert row["axis"] is None and row["description"] is None
    defaults = notices(items, "catalog_defaults")
    assert len(defaults) == 1
    assert defaults[0]["count"] == 4 and defaults[0]["kpis"] == "CA, ETP, Nouveau, Taux"
    assert defaults[0]["attributes"] == "direction, agg_time, agg_services, tolerance, score_weight"
    assert "direction, agg_time" in items[-1].message("fr") and "direction, agg_time" in items[-1].message(
        "en"
    )


def test_separate_file_beats_extract_columns_which_beat_defaults():
    in_extract = extract([{"kpi": "K", "direction": "hausse", "tolerance": "3", "unit": "nb"}] * 3)
    separate = pl.DataFrame({"kpi": ["K"], "direction": ["Baisse"], "axis": ["Finances"]})
    catalog, items = build_catalog(in_extract, separate, ["K"])
    row = catalog.row(0, named=True)
    assert (row["direction"], row["tolerance"], row["axis"], row["unit"]) == ("lower", 3.0, "Finances", "nb")
    assert notices(items, "catalog_defaults")[0]["attributes"] == "agg_time, agg_services, score_weight"


def test_most_frequent_extract_value_wins_with_a_conflict_warning():
    rows = [{"kpi": "K", "direction": "higher"}] * 5 + [{"kpi": "K", "direction": "lower"}] * 2
    rows += [{"kpi": "K", "direction": "Hausse"}]  # same meaning as "higher": counted with it
    catalog, items = build_catalog(extract(rows), None, ["K"])
    assert catalog["direction"].to_list() == ["higher"]
    assert notices(items, "catalog_conflict") == [
        {
            "kpi": "K",
            "attribute": "direction",
            "values": "higher (6), lower (2)",
            "kept": "higher",
        }
    ]


def test_pre_counted_rows_are_weighted():
    frame = pl.DataFrame({"kpi": ["K", "K"], "unit": ["€", "k€"], "__n": [1, 40]})
    catalog, _ = build_catalog(frame, None, ["K"])
    assert catalog["unit"].to_list() == ["k€"]


def test_bad_values_are_warnings_naming_kpi_and_value():
    frame = extract(
        [
            {
                "kpi": "K",
                "direction": "parfois",
                "agg_time": "médiane",
                "tolerance": "beaucoup",
                "agg_services": "dernier",
                "score_weight": "-2",
            }
        ]
    )
    catalog, items = build_catalog(frame, None, ["K"], has_weight=False)
    row = catalog.row(0, named=True)
    assert (
        row["direction"] in DIRECTIONS and row["agg_time"] in AGG_TIME and row["agg_services"] in AGG_SERVICES
    )
    bad = [(n["kpi"], n["attribute"], n["value"]) for n in notices(items, "catalog_bad_value")]
    assert bad == [
        ("K", "direction", "parfois"),
        ("K", "agg_time", "médiane"),
        ("K", "tolerance", "beaucoup"),
        ("K", "score_weight", "-2"),
    ]
    assert notices(items, "catalog_agg_services") == [{"kpi": "K", "value": "last", "fallback": "mean"}]


def test_catalog_file_kpis_absent_from_data_and_the_reverse():
    separate = pl.DataFrame({"kpi": ["A", "B", "Old"], "unit": ["%", "%", "%"]})
    _, items = build_catalog(None, separate, ["A", "B", "New"])
    assert notices(items, "catalog_unused") == [{"count": 1, "kpis": "Old"}]
    assert notices(items, "catalog_missing_kpis") == [{"count": 1, "kpis": "New"}]


def test_long_kpi_lists_are_shortened():
    kpis = [f"K{i:02d}" for i in range(25)]
    _, items = build_catalog(None, None, kpis)
    assert notices(items, "catalog_defaults")[0]["kpis"].endswith("K19 … (+5)")


@pytest.mark.parametrize(
    ("data", "name"),
    [
        ("Indicateur;Unité;Direction;Tolérance\nDélai;jours;baisse;10 %\n".encode("cp1252"), "cat.csv"),
        (b"kpi,unit,direction,tolerance\nD\xc3\xa9lai,jours,lower,10\n", "cat.csv"),
    ],
)
def test_read_catalog_text(data, name):
    frame, items = read_catalog(data, name)
    assert items == []
    assert frame.rows() == [
        ("Délai", "jours", "baisse" if b";" in data else "lower", "10 %" if b";" in data else "10")
    ]
    catalog, _ = build_catalog(None, frame, ["Délai"])
    assert catalog.select("direction", "tolerance").row(0) == ("lower", 10.0)


def test_read_catalog_failures_are_notices():
    frame, items = read_catalog(b"\x89PNG\r\n\x1a\n", "logo.png")
    assert frame is None and [n.code for n in items] == ["catalog_unreadable"]
    frame, items = read_catalog(b"a;b\n1;2\n", "nokpi.csv")
    assert frame is None and items[0].params == {"file": "nokpi.csv"}


def test_catalog_frame_reads_direction_as_the_polarity():
    frame = catalog_frame(
        ["KPI", "Direction", "Axe"], pl.DataFrame({"c0": [" K "], "c1": ["Hausse"], "c2": ["RH"]})
    )
    assert frame.rows() == [("K", "Hausse", "RH")] and frame.columns == ["kpi", "direction", "axis"]
