"""load_extract / load_files end to end: row rules, duplicates, grain, mapping, limits, the report."""

from __future__ import annotations

import json
import random
from datetime import date

import polars as pl
import pytest

from lib.config import Settings
from lib.contract import CATALOG_SCHEMA, DATA_COLUMNS, REJECTION_CODES
from lib.i18n import LANGS, catalog
from lib.ingest import load_extract, load_files

HEADER = "period;service;kpi;actual;target"


def csv(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


def rejected(result) -> list[tuple]:
    return [(r.line, r.column, r.value, r.code) for r in result.report.rejected]


def codes(notices) -> list[str]:
    return [n.code for n in notices]


# --- Row rules ----------------------------------------------------------------------------------------


def test_every_row_rule_with_exact_rejections():
    data = csv(
        "2025-01;A;K;10;12",  # 2 fine
        ";A;K;1;2",  # 3 empty period
        "2025-13;A;K;1;2",  # 4 bad date
        "2025-02;;K;1;2",  # 5 empty service
        "2025-02;A;  ;1;2",  # 6 empty KPI (spaces only)
        "2025-02;A;K;douze;2",  # 7 actual not a number
        "2025-02;B;K;1;dix",  # 8 target not a number
        "2025-02;C;K;;",  # 9 neither actual nor target
        "2025-03;A;K;;15",  # 10 a future target: loaded
        "xx;;K;abc;",  # 11 three problems, one row
        "2025;A;K;1;2",  # 12 a year in a monthly file
        "T1 2025;B;K;1;2",  # 13 a quarter in a monthly file
    )
    result = load_extract(data, name="r.csv")
    assert rejected(result) == [
        (3, "period", None, "empty_period"),
        (4, "period", "2025-13", "bad_date"),
        (5, "service", None, "empty_service"),
        (6, "kpi", None, "empty_kpi"),
        (7, "actual", "douze", "not_a_number"),
        (8, "target", "dix", "not_a_number"),
        (9, "actual", None, "no_value"),
        (11, "period", "xx", "bad_date"),
        (11, "service", None, "empty_service"),
        (11, "actual", "abc", "not_a_number"),
        (12, "period", "2025", "off_grain"),
        (13, "period", "T1 2025", "off_grain"),
    ]
    rep = result.report
    assert (rep.rows_read, rep.rows_loaded, rep.rows_rejected) == (12, 2, 10)
    assert rep.grain == "month"
    assert [r.params for r in rep.rejected if r.code == "off_grain"][0]["grain"] == "month"
    assert codes(rep.warnings).count("future_targets") == 1
    assert next(w for w in rep.warnings if w.code == "future_targets").params == {"count": 1}
    assert result.data.filter(pl.col("actual").is_null())["target"].to_list() == [15.0]


def test_weight_rules():
    data = csv(
        "2025-01;A;K;1;2;10",
        "2025-01;B;K;1;2;-3",
        "2025-01;C;K;1;2;beaucoup",
        "2025-01;D;K;1;2;",
        header=HEADER + ";Répondants",
    )
    result = load_extract(data, name="w.csv")
    assert rejected(result) == [
        (3, "Répondants", "-3", "negative_weight"),
        (4, "Répondants", "beaucoup", "not_a_number"),
    ]
    assert result.data.sort("service")["weight"].to_list() == [10.0, None]


def test_reasons_exist_in_both_languages_for_every_code():
    for lang in LANGS:
        keys = catalog(lang)
        for code in REJECTION_CODES:
            assert f"ingest.reject.{code}" in keys


@pytest.mark.parametrize("lang", LANGS)
def test_every_reason_renders(lang):
    data = csv(
        "2025-01;A;K;1;2",
        ";A;K;1;2",
        "x;A;K;1;2",
        "2025-01;;K;1;2",
        "2025-01;A;;1;2",
        "2025-02;A;K;a;",
        "2025-02;B;K;;",
        "2025;A;K;1;1",
        "2025-01;A;K;1;2",
        "2025-01;A;K;1",
        header=HEADER,
    )
    result = load_extract(data, name="all.csv")
    assert {r.code for r in result.report.rejected} == set(REJECTION_CODES) - {"negative_weight"}
    for r in result.report.rejected:
        assert r.reason(lang) and "{" not in r.reason(lang)


# --- Duplicates ---------------------------------------------------------------------------------------

DUPS = csv(
    "2025-01;A;K;1;1",  # 2
    "2025-01;A;K;2;1",  # 3 same key as 2
    "2025-01;B;K;5;5",  # 4
    "2025-01-31;A;K;3;1",  # 5 same month as 2 once normalised
    "2025-02;A;K;4;1",  # 6
    "2025-02;A;K;4;1",  # 7 exact duplicate of 6
)


def test_duplicates_rejected_name_the_other_lines():
    result = load_extract(DUPS, name="d.csv", duplicates="reject")
    dup = [(r.line, r.params["lines"]) for r in result.report.rejected]
    assert dup == [(2, "3, 5"), (3, "2, 5"), (5, "2, 3"), (6, "7"), (7, "6")]
    assert {r.code for r in result.report.rejected} == {"duplicate_key"}
    assert result.report.duplicates == 2
    assert result.data.select(pl.col("service").cast(pl.String), "actual").rows() == [("B", 5.0)]
    first = result.report.rejected[0]
    assert (
        first.params["period"] == "2025-01-01"
        and first.params["service"] == "A"
        and first.params["kpi"] == "K"
    )
    assert "3, 5" in first.reason("fr") and "3, 5" in first.reason("en")


@pytest.mark.parametrize(("mode", "kept"), [("first", [1.0, 4.0]), ("last", [3.0, 4.0])])
def test_duplicates_keep_first_or_last(mode, kept):
    result = load_extract(DUPS, name="d.csv", duplicates=mode)
    assert result.report.rejected == [] and result.report.duplicates == 2
    a = result.data.filter(pl.col("service") == "A").sort("period")
    assert a["actual"].to_list() == kept
    notice = next(w for w in result.report.warnings if w.code == f"duplicates_{mode}")
    assert notice.params == {"keys": 2, "rows": 3}


def test_duplicates_across_files():
    a = csv("2025-01;A;K;1;1", "2025-02;A;K;2;1")
    b = csv("2025-02;A;K;9;9", "2025-03;A;K;3;1")
    result = load_files([("a.csv", a), ("b.csv", b)])
    assert [(r.file, r.line, r.params["lines"]) for r in result.report.rejected] == [
        ("a.csv", 3, "b.csv:2"),
        ("b.csv", 2, "a.csv:3"),
    ]
    last = load_files([("a.csv", a), ("b.csv", b)], duplicates="last")
    assert last.data.sort("period")["actual"].to_list() == [1.0, 9.0, 3.0]


# --- Output shape -----------------------------------------------------------------------------------


def test_data_and_catalog_schema_and_order():
    rng = random.Random(3)
    lines = [
        f"2025-{m:02d};{s};{k};{rng.randint(1, 99)};50"
        for m in (3, 1, 2)
        for s in ("Zeta", "alpha", "Beta")
        for k in ("k2", "K1")
    ]
    rng.shuffle(lines)
    result = load_extract(csv(*lines), name="s.csv")
    data = result.data
    assert tuple(data.columns) == DATA_COLUMNS
    assert [str(t) for t in data.dtypes] == [
        "Date",
        "Categorical",
        "Categorical",
        "Float64",
        "Float64",
        "Float64",
        "Categorical",
    ]
    keys = data.select("period", pl.col("service").cast(pl.String), pl.col("kpi").cast(pl.String)).rows()
    assert keys == sorted(keys)
    assert keys[:3] == [
        (date(2025, 1, 1), "Beta", "K1"),
        (date(2025, 1, 1), "Beta", "k2"),
        (date(2025, 1, 1), "Zeta", "K1"),
    ]
    assert {c: str(t) for c, t in result.catalog.schema.items()} == CATALOG_SCHEMA
    assert result.catalog["kpi"].to_list() == ["K1", "k2"]
    rep = result.report
    assert (rep.services, rep.kpis, rep.first_period, rep.last_period) == (
        3,
        2,
        date(2025, 1, 1),
        date(2025, 3, 1),
    )


@pytest.mark.parametrize("presorted", [False, True])
def test_sort_keeps_file_and_line_order_for_equal_keys(presorted):
    from lib.ingest.validate import FIDX, KEY, sort_rows

    rng = random.Random(5)
    rows = [
        (date(2025, rng.randint(1, 3), 1), rng.choice("baC"), rng.choice("zyx"), i, i % 2) for i in range(400)
    ]
    frame = pl.DataFrame(rows, schema=["period", "service", "kpi", "__line", FIDX], orient="row")
    expected = frame.sort("period", "service", "kpi", FIDX, "__line")
    categories = {"service": pl.Series(["C", "a", "b"]), "kpi": pl.Series(["x", "y", "z"])}
    out = sort_rows((expected if presorted else frame).lazy(), categories)
    assert out.select(FIDX, "__line").rows() == expected.select(FIDX, "__line").rows()
    assert out["service"].dtype == pl.Enum(["C", "a", "b"]) and out[KEY].is_sorted()


def test_report_to_dict_has_the_exact_fields():
    result = load_extract(csv("2025-01;A;K;1;2", "2025-02;A;K;x;2"), name="j.csv")
    out = result.report.to_dict("fr")
    assert list(out) == [
        "ok",
        "files",
        "sheet",
        "rows_read",
        "rows_loaded",
        "rows_rejected",
        "rejected",
        "duplicates",
        "services",
        "kpis",
        "grain",
        "first_period",
        "last_period",
        "columns",
        "unmapped",
        "warnings",
        "error",
    ]
    assert out["ok"] is True and out["files"] == ["j.csv"] and out["sheet"] is None
    assert (out["rows_read"], out["rows_loaded"], out["rows_rejected"], out["duplicates"]) == (2, 1, 1, 0)
    assert (out["grain"], out["first_period"], out["last_period"]) == ("month", "2025-01-01", "2025-01-01")
    assert out["rejected"] == [
        {
            "file": "j.csv",
            "line": 3,
            "column": "actual",
            "value": "x",
            "code": "not_a_number",
            "reason": "« x » dans la colonne actual n'est pas un nombre : écrivez les nombres comme 1234,5, "
            "1 234,5 ou 85 %, ou laissez la cellule vide.",
        }
    ]
    assert out["columns"] == {
        "period": "period",
        "service": "service",
        "kpi": "kpi",
        "actual": "actual",
        "target": "target",
    }
    assert all(set(w) == {"code", "message"} for w in out["warnings"])
    assert out["error"] is None
    json.dumps(out, ensure_ascii=False)


# --- Grain ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("periods", "grain", "first"),
    [
        (["2025-03-03", "2025-03-04", "2025-03-05"], "day", date(2025, 3, 3)),
        (["2025-W10", "2025-W11", "S12 2025"], "week", date(2025, 3, 3)),
        (["03/03/2025", "10/03/2025", "17/03/2025"], "week", date(2025, 3, 3)),
        (["31/01/2025", "28/02/2025", "31/03/2025"], "month", date(2025, 1, 1)),
        (["janv. 2025", "févr. 2025", "mars 2025"], "month", date(2025, 1, 1)),
        (["T1 2025", "T2 2025", "2025-Q3"], "quarter", date(2025, 1, 1)),
        (["31/03/2025", "30/06/2025", "30/09/2025"], "quarter", date(2025, 1, 1)),
        (["2023", "2024", "2025"], "year", date(2023, 1, 1)),
    ],
)
def test_grain_from_text_and_spacing(periods, grain, first):
    result = load_extract(csv(*(f"{p};A;K;1;1" for p in periods)), name="g.csv")
    assert result.report.grain == grain and result.report.rejected == []
    assert result.report.first_period == first
    assert result.data["period"].n_unique() == 3


def test_year_start_month_nine():
    result = load_extract(
        csv("2025-10-15;A;K;1;1", "2026-01-15;A;K;2;1", "2026-04-15;A;K;3;1"),
        name="a.csv",
        settings=Settings(year_start_month=9),
    )
    assert result.report.grain == "quarter"
    assert result.data["period"].to_list() == [date(2025, 9, 1), date(2025, 12, 1), date(2026, 3, 1)]
    years = load_extract(
        csv("2024-10-15;A;K;1;1", "2025-10-15;A;K;2;1"), name="y.csv", settings=Settings(year_start_month=9)
    )
    assert years.report.grain == "year" and years.data["period"].to_list() == [
        date(2024, 9, 1),
        date(2025, 9, 1),
    ]


def test_mixed_text_forms_take_the_most_common_grain():
    result = load_extract(
        csv("2025-01;A;K;1;1", "2025-02;A;K;1;1", "2025-03-15;A;K;1;1", "2025;B;K;1;1"), name="m.csv"
    )
    assert result.report.grain == "month"
    assert rejected(result) == [(5, "period", "2025", "off_grain")]
    assert result.data["period"].to_list() == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]


# --- Columns ------------------------------------------------------------------------------------------


def test_direction_header_is_the_service_in_french_files():
    result = load_extract(
        "Mois;Direction;Indicateur;Réalisé\n2025-01;Finances;Coût;1\n2025-01;RH;Coût;2\n".encode(),
        name="fr.csv",
    )
    assert result.report.columns["Direction"] == "service"
    assert sorted(result.data["service"].cast(pl.String).to_list()) == ["Finances", "RH"]
    assert "ambiguous_header" not in codes(result.report.warnings)


def test_direction_header_is_the_polarity_when_its_values_say_so():
    data = (
        b"Month,Department,KPI,Actual,Direction\n2025-01,Sales,Churn,3,lower\n2025-01,Ops,Uptime,99,Higher\n"
    )
    result = load_extract(data, name="en.csv")
    assert result.report.columns == {
        "Month": "period",
        "Department": "service",
        "KPI": "kpi",
        "Actual": "actual",
        "Direction": "direction",
    }
    assert dict(result.catalog.select("kpi", "direction").rows()) == {"Churn": "lower", "Uptime": "higher"}
    assert "ambiguous_header" not in codes(result.report.warnings)  # beside a service column: plain
    # No other service column: the values alone decide, and the report says so beside the error.
    values_only = load_extract(b"Month;Direction;KPI;Actual\n2025-01;lower;K;1\n", name="v.csv")
    assert values_only.report.columns["Direction"] == "direction"
    assert values_only.report.error.code == "missing_columns"
    assert codes(values_only.report.warnings) == ["ambiguous_header"]


def test_unmapped_duplicate_and_manual_mapping():
    data = "Date;Équipe;Indicateur;Valeur;Réalisé;Commentaire libre\n2025-01;A;K;1;2;ok\n".encode()
    result = load_extract(data, name="m.csv")
    assert result.report.unmapped == ["Réalisé", "Commentaire libre"]
    assert codes(result.report.warnings)[:2] == ["duplicate_column", "unmapped_columns"]
    assert result.data["actual"].to_list() == [1.0]
    manual = load_extract(
        data, name="m.csv", mapping={"Valeur": "", "Réalisé": "actual", "Commentaire libre": "owner"}
    )
    assert manual.report.unmapped == ["Valeur"]
    assert manual.data.select("actual", pl.col("owner").cast(pl.String)).rows() == [(2.0, "ok")]


def test_missing_columns_error_lists_what_was_found():
    result = load_extract("Mois;Montant;Libellé\n2025-01;1;x\n".encode(), name="x.csv")
    assert result.data is None and result.catalog is None
    assert result.report.error.code == "missing_columns"
    assert result.report.columns == {"Mois": "period", "Montant": "actual", "Libellé": "description"}
    en = result.report.error.message("en")
    assert en.startswith(
        "x.csv has no column for: service, kpi. Found: Mois, Montant, Libellé. An extract needs"
    )
    assert result.report.error.message("fr").startswith(
        "x.csv n'a pas de colonne pour : service, kpi. Colonnes trouvées"
    )
    assert result.report.to_dict("en")["ok"] is False


# --- Unusable input never raises --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "empty.csv", "empty_file"),
        (b" \r\n\t\n", "blank.csv", "empty_file"),
        (b"period;service;kpi;actual\n", "head.csv", "header_only"),
        (b"period;service;kpi;actual\n\n;;;\n", "head2.csv", "header_only"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.png", "unsupported_format"),
        (b"%PDF-1.7\n", "doc.pdf", "unsupported_format"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "old.xls", "old_xls"),
        (b"PK\x03\x04 not a workbook", "bad.xlsx", "unreadable_xlsx"),
        (b"PAR1 truncated", "bad.parquet", "unreadable_parquet"),
        (bytes(range(256)) * 8, "noise.bin", "not_text"),
        (b"a;b;c\n1;2;3\n", "abc.csv", "missing_columns"),
        (b"period;service;kpi;actual\nx;A;K;1\n", "all_bad.csv", "nothing_loaded"),
    ],
)
def test_unusable_files_give_one_clear_error(data, name, code):
    result = load_extract(data, name=name)
    assert result.data is None and result.report.error is not None
    assert result.report.error.code == code and result.report.error.kind == "error"
    for lang in LANGS:
        message = result.report.error.message(lang)
        assert name in message and "{" not in message


def test_all_rejected_keeps_the_rejections():
    result = load_extract(b"period;service;kpi;actual\nx;A;K;1\n2025-01;A;K;y\n", name="b.csv")
    assert result.report.error.code == "nothing_loaded"
    assert [r.code for r in result.report.rejected] == ["bad_date", "not_a_number"]


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_never_raise(seed):
    rng = random.Random(seed)
    size = rng.choice([1, 10, 100, 5000])
    data = bytes(rng.randrange(256) for _ in range(size))
    result = load_extract(data, name="fuzz.csv")
    # "unexpected" is the safety net for bugs: garbage must get a real diagnosis.
    assert (result.report.error is None) != (result.data is None)
    assert result.report.error is None or result.report.error.code != "unexpected"


@pytest.mark.parametrize("seed", range(20))
def test_random_text_mutations_never_raise(seed):
    rng = random.Random(seed)
    base = list(csv(*(f"2025-{m:02d};S{m % 3};K;{m},5;{m}" for m in range(1, 13))).decode())
    for _ in range(30):  # the header is kept: the mutations hit the records
        i = rng.randrange(len(HEADER) + 1, len(base))
        base[i] = rng.choice([";", '"', "\n", "", "é", "\r", "x", " ", "\t", ",", "|"])
    result = load_extract("".join(base).encode("utf-8", errors="replace"), name="mut.csv")
    assert result.report.error is None or result.report.error.code != "unexpected"
    assert result.report.error is not None or result.report.rows_loaded > 0


def test_size_limit_names_the_variable(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(csv(*(f"2025-01;S{i};K;1;1" for i in range(5000))))
    result = load_extract(path, settings=Settings(max_file_mb=0.05))
    assert result.report.error.code == "too_big"
    assert result.report.error.params["limit_mb"] == "0.05"
    assert "VIGIE_MAX_FILE_MB" in result.report.error.message("en")
    assert "VIGIE_MAX_FILE_MB" in result.report.error.message("fr")
    assert (
        load_extract(path.read_bytes(), name="big.csv", settings=Settings(max_file_mb=0.05)).report.error.code
        == "too_big"
    )


def test_column_limit():
    header = HEADER + "".join(f";extra{i}" for i in range(10))
    result = load_extract(
        csv("2025-01;A;K;1;1" + ";" * 10, header=header), name="w.csv", settings=Settings(max_columns=12)
    )
    assert result.report.error.code == "too_many_columns"
    assert result.report.error.params == {"file": "w.csv", "count": 15, "limit": 12}


def test_missing_path():
    result = load_extract(__import__("pathlib").Path("/no/such/file.csv"))
    assert result.report.error.code == "not_found"


# --- Completeness ----------------------------------------------------------------------------------


def test_missing_periods_and_late_services():
    lines = [f"2025-{m:02d};A;K;1;1" for m in (1, 2, 4, 5)]  # A-K misses March
    lines += [f"2025-{m:02d};B;K;1;1" for m in (3, 4)]  # B-K starts in March, stops in April
    lines += [f"2025-{m:02d};B;L;1;1" for m in (1, 2, 3)]  # B-L stops in March
    result = load_extract(csv(*lines), name="c.csv")
    warnings = {
        (w.code, w.params.get("service"), w.params.get("kpi")): w.params for w in result.report.warnings
    }
    assert warnings[("missing_periods", "A", "K")] == {
        "service": "A",
        "kpi": "K",
        "count": 1,
        "periods": "2025-03",
    }
    assert warnings[("missing_periods", "B", "K")]["periods"] == "2025-05"
    assert warnings[("missing_periods", "B", "L")] == {
        "service": "B",
        "kpi": "L",
        "count": 2,
        "periods": "2025-04, 2025-05",
    }
    assert warnings[("late_services", None, None)] == {"period": "2025-05", "count": 1, "services": "B"}


def test_missing_period_warnings_are_capped():
    lines = [f"2025-01;S{i:03d};K;1;1" for i in range(60)] + ["2025-02;S000;K;1;1"]
    result = load_extract(csv(*lines), name="c.csv")
    assert codes(result.report.warnings).count("missing_periods") == 50
    more = next(w for w in result.report.warnings if w.code == "missing_periods_more")
    assert more.params == {"shown": 50, "total": 59}


# --- Catalog beside and among files -------------------------------------------------------------------


def test_catalog_beside_the_file(tmp_path):
    (tmp_path / "export.csv").write_bytes(csv("2025-01;A;Délai;3;5", "2025-01;A;Ventes;3;5"))
    (tmp_path / "export_catalog.csv").write_bytes(
        "kpi;unit;direction;agg_time;tolerance\nDélai;jours;lower;mean;10 %\n".encode()
    )
    result = load_extract(tmp_path / "export.csv")
    assert "catalog_found" in codes(result.report.warnings)
    row = result.catalog.filter(pl.col("kpi") == "Délai").row(0, named=True)
    assert (row["unit"], row["direction"], row["agg_time"], row["tolerance"]) == (
        "jours",
        "lower",
        "mean",
        10.0,
    )
    defaults = next(
        w for w in result.report.warnings if w.code == "catalog_defaults" and "Ventes" in w.params["kpis"]
    )
    assert defaults.params["count"] == 1


def test_load_files_uses_a_catalog_among_the_uploads():
    catalog_file = "Indicateur;Unité;Sens\nDélai;jours;baisse\n".encode()
    result = load_files(
        [
            ("cat.csv", catalog_file),
            ("a.csv", csv("2025-01;A;Délai;3;5")),
            ("b.csv", csv("2025-02;A;Délai;4;5")),
        ]
    )
    assert result.report.files == ["cat.csv", "a.csv", "b.csv"]
    assert result.report.rows_loaded == 2
    assert result.catalog.row(0, named=True)["direction"] == "lower"
    only = load_files([("cat.csv", catalog_file)])
    assert only.report.error.code == "no_extract"


def test_load_files_reports_the_bad_file():
    result = load_files([("a.csv", csv("2025-01;A;K;1;1")), ("b.png", b"\x89PNG\r\n\x1a\nxxxx")])
    assert result.report.error.code == "unsupported_format" and result.report.error.params["file"] == "b.png"
