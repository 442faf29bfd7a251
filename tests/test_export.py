"""Downloads: formula-looking text neutralised in CSV and XLSX (read back), numbers and dates untouched,
a BOM for Excel, headers in the user's language, and file names that say what they hold."""

from __future__ import annotations

import io
from datetime import date

import polars as pl
import pytest

from lib.export import FORMULA_STARTS, export_name, neutralise, to_csv, to_xlsx
from lib.filters import ViewState
from lib.model import STATUS

DANGEROUS = [
    "=1+2",
    '=HYPERLINK("http://evil","x")',
    "+33 1 23",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
    "==",
    "-",
]
HARMLESS = ["Achats", "a=b", " =1", "1+1", "R&D", "'=1", "", "Délai moyen", "x@y.org", "5 %"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_starts_are_prefixed(text):
    assert text[0] in FORMULA_STARTS
    out = neutralise(pl.DataFrame({"s": [text]}))
    assert out["s"].to_list() == ["'" + text]


@pytest.mark.parametrize("text", HARMLESS)
def test_other_text_is_left_alone(text):
    assert neutralise(pl.DataFrame({"s": [text]}))["s"].to_list() == [text]


def mixed() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "period": [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)],
            "service": pl.Series(["=cmd|' /C calc'!A0", "Achats", None]).cast(pl.Categorical),
            "kpi": ["-Délai", "+Recettes", "@Satisfaction"],
            "status": pl.Series(["off", "on", "none"], dtype=STATUS),
            "actual": [-5.5, 0.0, 1e6],
            "target": [None, -100.0, 3.0],
            "n": [-1, 2, -3],
        }
    )


def test_neutralise_touches_text_columns_only():
    out = neutralise(mixed())
    assert out["service"].to_list() == ["'=cmd|' /C calc'!A0", "Achats", None]
    assert out["kpi"].to_list() == ["'-Délai", "'+Recettes", "'@Satisfaction"]
    assert out["status"].to_list() == ["off", "on", "none"]
    assert out.schema["service"] == out.schema["kpi"] == out.schema["status"] == pl.String
    for name in ("period", "actual", "target", "n"):
        assert out[name].equals(mixed()[name])  # same values, same type


def test_a_frame_without_text_is_unchanged():
    frame = mixed().select("period", "actual", "target", "n")
    assert neutralise(frame).equals(frame)


def test_csv_has_a_bom_and_neutralised_cells():
    data = to_csv(mixed())
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\xef\xbb\xbf") == 1
    back = pl.read_csv(data.removeprefix(b"\xef\xbb\xbf"), try_parse_dates=True)
    assert back["kpi"].to_list() == ["'-Délai", "'+Recettes", "'@Satisfaction"]
    assert back["service"].to_list() == ["'=cmd|' /C calc'!A0", "Achats", None]
    assert back["actual"].to_list() == [-5.5, 0.0, 1e6]
    assert back["target"].to_list() == [None, -100.0, 3.0]
    assert back["n"].to_list() == [-1, 2, -3]
    assert back["period"].to_list() == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]
    text = data.decode("utf-8-sig")
    assert text.splitlines()[1].split(",")[-3:] == ["-5.5", "", "-1"]  # numbers keep their sign, no quote


@pytest.mark.parametrize("text", ["\t=1", "\r=1"])
def test_csv_neutralises_tab_and_carriage_return(text):
    back = pl.read_csv(to_csv(pl.DataFrame({"s": [text]})).removeprefix(b"\xef\xbb\xbf"))
    assert back["s"].to_list() == ["'" + text]


def test_csv_headers_in_the_users_language():
    data = to_csv(mixed(), headers={"kpi": "Indicateur", "actual": "Réalisé", "missing": "ignored"})
    header = data.decode("utf-8-sig").splitlines()[0]
    assert header == "period,service,Indicateur,status,Réalisé,target,n"


def read_sheet(data: bytes, sheet: str) -> pl.DataFrame:
    return pl.read_excel(io.BytesIO(data), sheet_name=sheet)


def test_xlsx_neutralises_and_keeps_numbers():
    data = to_xlsx({"Détails": mixed()}, headers={"kpi": "Indicateur"})
    assert data.startswith(b"PK")  # a zip: an Office Open XML workbook
    back = read_sheet(data, "Détails")
    assert back.columns == ["period", "service", "Indicateur", "status", "actual", "target", "n"]
    assert back["Indicateur"].to_list() == ["'-Délai", "'+Recettes", "'@Satisfaction"]
    assert back["service"].to_list() == ["'=cmd|' /C calc'!A0", "Achats", None]
    assert back["actual"].to_list() == [-5.5, 0.0, 1e6]
    assert back["target"].to_list() == [None, -100.0, 3.0]
    assert back["n"].to_list() == [-1, 2, -3]
    assert back["period"].cast(pl.Date).to_list() == [date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)]


@pytest.mark.parametrize("text", DANGEROUS)
def test_xlsx_never_writes_a_formula(text):
    data = to_xlsx({"s": pl.DataFrame({"cell": [text], "x": [1]})})
    back = read_sheet(data, "s")
    assert back["cell"].to_list() == ["'" + text]
    assert b"<f>" not in _sheet_xml(data)  # no formula element anywhere


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_xlsx_one_sheet_per_table_names_cut_to_31():
    long = "Détails des indicateurs par service et par mois"
    data = to_xlsx({long: mixed(), "Résumé": pl.DataFrame({"a": [1.5]})})
    assert read_sheet(data, long[:31])["kpi"].to_list() == ["'-Délai", "'+Recettes", "'@Satisfaction"]
    assert read_sheet(data, "Résumé")["a"].to_list() == [1.5]


@pytest.mark.parametrize(
    ("view", "ext", "name"),
    [
        (ViewState(), "csv", "vigie_sample.csv"),
        (ViewState(dataset="budget-2026"), "xlsx", "vigie_budget-2026.xlsx"),
        (
            ViewState(dataset="budget-2026", start=date(2025, 1, 1), end=date(2025, 6, 30)),
            "csv",
            "vigie_budget-2026_2025-01_2025-06.csv",
        ),
        (
            ViewState(start=date(2024, 12, 15), end=date(2025, 1, 10)),
            "xlsx",
            "vigie_sample_2024-12_2025-01.xlsx",
        ),
        (ViewState(start=date(2025, 1, 1)), "csv", "vigie_sample.csv"),  # both dates or neither
    ],
)
def test_export_name(view, ext, name):
    assert export_name(view, ext) == name
