"""Workbooks: the sheet that holds the extract, sheet row numbers, date cells, serials, catalog sheets."""

from __future__ import annotations

import io
from datetime import date, datetime

import polars as pl
import pytest
import xlsxwriter

from lib.ingest import load_extract, load_files

HEADER = ["Période", "Service", "Indicateur", "Réalisé", "Objectif", "Unité"]


def workbook(sheets: dict[str, list[tuple[int, list]]]) -> bytes:
    """An XLSX from {sheet: [(row index, cells)]}; datetime cells get a date format."""
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True})
    as_date = book.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, cells in rows:
            for c, value in enumerate(cells):
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, as_date)
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return buf.getvalue()


EXTRACT = [
    (0, HEADER),
    (1, [datetime(2025, 1, 31), "Achats", "Délai", 12.5, 10, "jours"]),  # a real date cell
    (2, [45716, "Achats", "Délai", "13,5", 10, "jours"]),  # an Excel serial (2025-02-28), a text number
    (3, ["mars 2025", "Achats", "Délai", 1234.5, None, "jours"]),
    (4, ["avril 2025", "Achats", "Délai", "n/a", 10, "jours"]),  # sheet row 5
]


def test_first_sheet_extract_with_date_cells_serials_and_text_numbers():
    result = load_extract(workbook({"Données": EXTRACT}), name="b.xlsx")
    assert result.report.sheet == "Données" and result.report.grain == "month"
    assert result.data.select("period", "actual", "target").rows() == [
        (date(2025, 1, 1), 12.5, 10.0),
        (date(2025, 2, 1), 13.5, 10.0),
        (date(2025, 3, 1), 1234.5, None),
    ]
    assert [(r.line, r.column, r.value, r.code) for r in result.report.rejected] == [
        (5, "Réalisé", "n/a", "not_a_number")
    ]
    assert "sheet_chosen" not in [w.code for w in result.report.warnings]


def test_cover_sheet_is_skipped_with_a_warning():
    data = workbook(
        {"Notes": [(0, ["Lisez-moi"]), (2, ["Ce classeur contient les indicateurs"])], "KPI": EXTRACT}
    )
    result = load_extract(data, name="b.xlsx")
    assert result.report.sheet == "KPI" and result.report.rows_loaded == 3
    notice = next(w for w in result.report.warnings if w.code == "sheet_chosen")
    assert notice.params == {"file": "b.xlsx", "sheet": "KPI", "first": "Notes"}
    assert "Notes" in notice.message("fr") and "KPI" in notice.message("en")


def test_named_sheet_and_unknown_sheet():
    data = workbook({"Notes": [(0, ["x"])], "2024": EXTRACT[:2], "2025": EXTRACT})
    assert load_extract(data, name="b.xlsx", sheet="2024").report.rows_loaded == 1
    assert load_extract(data, name="b.xlsx", sheet=" 2025 ").report.sheet == "2025"
    missing = load_extract(data, name="b.xlsx", sheet="2026")
    assert missing.report.error.code == "unknown_sheet"
    assert missing.report.error.params["sheets"] == "Notes, 2024, 2025"
    assert "Notes, 2024, 2025" in missing.report.error.message("fr")


def test_title_rows_number_lines_by_sheet_row():
    rows = [(0, ["Tableau de bord 2025"]), (1, ["Source : DSI"]), (3, HEADER)]
    rows += [(4 + i, cells) for i, (_, cells) in enumerate(EXTRACT[1:])]
    result = load_extract(workbook({"S": rows}), name="t.xlsx")
    assert result.report.columns["Réalisé"] == "actual"
    assert [(r.line, r.code) for r in result.report.rejected] == [(8, "not_a_number")]


def test_blank_rows_inside_the_table_keep_numbering():
    rows = [(0, HEADER), (1, EXTRACT[1][1]), (3, ["2025-02", "Achats", "Délai", "x", 1, "jours"])]
    result = load_extract(workbook({"S": rows}), name="g.xlsx")
    assert [(r.line, r.value) for r in result.report.rejected] == [(4, "x")]


def test_catalog_sheet_of_the_same_workbook_is_used():
    catalog = [
        (0, ["Indicateur", "Unité", "Sens", "Agrégation temps", "Tolérance"]),
        (1, ["Délai", "jours", "baisse", "moyenne", "10 %"]),
    ]
    result = load_extract(workbook({"Données": EXTRACT, "Catalogue": catalog}), name="b.xlsx")
    assert "catalog_found" in [w.code for w in result.report.warnings]
    row = result.catalog.row(0, named=True)
    assert (row["direction"], row["agg_time"], row["tolerance"]) == ("lower", "mean", 10.0)


def test_catalog_sheet_with_several_uploads():
    catalog = [(0, ["Indicateur", "Sens"]), (1, ["Délai", "baisse"])]
    csv = "Période;Service;Indicateur;Réalisé\n2025-06;Achats;Délai;9\n".encode()
    result = load_files([("b.xlsx", workbook({"Données": EXTRACT, "Catalogue": catalog})), ("juin.csv", csv)])
    assert result.report.rows_loaded == 4
    assert result.catalog.select("kpi", "direction").rows() == [("Délai", "lower")]
    assert [w.params for w in result.report.warnings if w.code == "catalog_found"] == [
        {"file": "b.xlsx [Catalogue]"}
    ]


def _zip_of_text() -> bytes:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("export.csv", "period;service;kpi;actual\n")
    return buf.getvalue()


@pytest.mark.parametrize(
    "data", [b"PK\x03\x04\x14\x00\x00\x00garbage", b"PK\x05\x06" + bytes(18), _zip_of_text()]
)
def test_unreadable_workbook(data):
    result = load_extract(data, name="broken.xlsx")
    assert result.report.error.code == "unreadable_xlsx"
    assert "broken.xlsx" in result.report.error.message("fr")


def test_markup_in_cells_is_kept_verbatim():
    rows = [(0, HEADER), (1, ["2025-01", "<b>Achats</b>", "**Délai**", 1, 2, "j"])]
    result = load_extract(workbook({"S": rows}), name="m.xlsx")
    assert result.data.select(pl.col("service").cast(pl.String), pl.col("kpi").cast(pl.String)).row(0) == (
        "<b>Achats</b>",
        "**Délai**",
    )
