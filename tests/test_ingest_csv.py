"""Delimited text: encodings, separators, quotes, broken and blank lines with exact line numbers.

Every case runs through both readers (Polars for well-formed files, Python's csv module for the
rest) and must give the same answer.
"""

from __future__ import annotations

import codecs
import random

import polars as pl
import pytest

import lib.ingest.text as text_module
from lib.ingest import load_extract
from lib.ingest.text import detect_layout, fix_cp1252, read_text

HEADER = "period;service;kpi;actual;target"


@pytest.fixture(params=["fast", "exact"])
def reader(request, monkeypatch):
    """Run a test with the Polars reader, then with the exact (csv module) one."""
    if request.param == "exact":
        monkeypatch.setattr(text_module, "_fast_read", lambda *args, **kwargs: None)
    return request.param


def rejected(result) -> list[tuple]:
    return [(r.file, r.line, r.column, r.value, r.code) for r in result.report.rejected]


def rows(result) -> list[tuple]:
    return result.data.select(
        "period", pl.col("service").cast(pl.String), pl.col("kpi").cast(pl.String), "actual", "target"
    ).rows()


# --- Encodings --------------------------------------------------------------------------------------

FRENCH = "Période;Service;Indicateur;Réalisé;Objectif\r\n2025-01;Qualité;Coût moyen;1 234,5;1 200\r\n"


@pytest.mark.parametrize(
    ("data", "encoding_notice"),
    [
        (FRENCH.encode("utf-8"), None),
        (codecs.BOM_UTF8 + FRENCH.encode("utf-8"), None),
        (FRENCH.encode("cp1252"), "Windows-1252"),
        (FRENCH.encode("latin-1"), "Windows-1252"),
        (
            codecs.BOM_UTF16_LE + FRENCH.replace(";", "\t").encode("utf-16-le"),
            "UTF-16",
        ),  # Excel "Unicode text"
        (codecs.BOM_UTF16_BE + FRENCH.replace(";", "\t").encode("utf-16-be"), "UTF-16"),
        (FRENCH.replace(";", "\t").encode("utf-16-le"), "UTF-16"),  # no BOM: NUL beside every ASCII byte
    ],
)
def test_encodings(reader, data, encoding_notice):
    result = load_extract(data, name="f.csv")
    assert result.report.error is None
    assert result.report.columns == {
        "Période": "period",
        "Service": "service",
        "Indicateur": "kpi",
        "Réalisé": "actual",
        "Objectif": "target",
    }
    from datetime import date

    assert rows(result) == [(date(2025, 1, 1), "Qualité", "Coût moyen", 1234.5, 1200.0)]
    notices = [w.params["encoding"] for w in result.report.warnings if w.code == "encoding"]
    assert notices == ([encoding_notice] if encoding_notice else [])


def test_cp1252_characters_that_latin1_lacks(reader):
    # € ’ œ … are bytes 0x80-0x9F in Windows-1252; 0x81 is undefined there and reads as Latin-1.
    text = "period;service;kpi;actual;unit\n2025-01;Œuvres d’art;Coût…;12;k€\n2025-01;X\x81;K;1;€\n"
    data = (
        text.encode("cp1252", errors="strict")
        if "\x81" not in text
        else (text.replace("\x81", "").encode("cp1252").replace(b"X;", b"X\x81;"))
    )
    result = load_extract(data, name="f.csv")
    services = sorted(result.data["service"].cast(pl.String).to_list())
    assert services == ["X\x81", "Œuvres d’art"]
    assert sorted(result.data["kpi"].cast(pl.String).unique().to_list()) == ["Coût…", "K"]
    assert sorted(result.catalog["unit"].to_list()) == ["k€", "€"]


@pytest.mark.parametrize(
    ("head", "tail", "expected"),
    [
        # The head is plain ASCII, accents come later: Windows-1252 found when Polars meets them.
        ("Team", "Café €", ["Café €", "Team 0"]),
        # UTF-8 with one Windows-1252 line pasted in: both read right.
        ("Équipe", "Café €", ["Café €", "Équipe 0"]),
    ],
)
def test_windows_1252_bytes_after_a_utf8_head(reader, head, tail, expected):
    lines = [f"2025-01;{head} {i};K;1;1" for i in range(4000)]
    data = (HEADER + "\n" + "\n".join(lines) + "\n").encode("utf-8")
    data += f"2025-01;{tail};K;1;1\n2025-01;Z;K;x;1\n".encode("cp1252")
    result = load_extract(data, name="mixed.csv")
    assert [(r.line, r.value) for r in result.report.rejected] == [(4003, "x")]
    services = set(result.data["service"].cast(pl.String).to_list())
    assert set(expected) <= services and len(services) == 4001
    [notice] = [w for w in result.report.warnings if w.code == "encoding"]
    assert notice.params["encoding"] == "UTF-8 + Windows-1252"


def test_fix_cp1252_leaves_real_text_alone():
    assert fix_cp1252("Qualité €") == "Qualité €"
    assert fix_cp1252("\x80 \x92 \x9c") == "€ ’ œ"
    assert fix_cp1252(None) is None


# --- Separators and quotes --------------------------------------------------------------------------


@pytest.mark.parametrize("sep", [";", ",", "\t", "|"])
def test_each_separator_with_quoted_separators(reader, sep):
    decimal = "12,5" if sep != "," else "12.5"
    lines = [
        sep.join(["period", "service", "kpi", "actual", "target"]),
        sep.join(["2025-01", f'"Dupont{sep} Jean"', '"Taux ""net"""', decimal, "10"]),
        sep.join(["2025-02", "B", "K", "3", ""]),
    ]
    result = load_extract(("\n".join(lines) + "\n").encode(), name="f.txt")
    assert result.report.error is None and result.report.rejected == []
    data = sorted(rows(result))
    assert [r[1:4] for r in data] == [(f"Dupont{sep} Jean", 'Taux "net"', 12.5), ("B", "K", 3.0)]


def test_decimal_commas_do_not_fool_the_separator():
    # Every line has the same number of commas, so "," looks consistent too: the headers decide.
    text = "Mois;Service;Indicateur;Réalisé;Objectif\n" + "".join(
        f"2025-{m:02d};S;K;{m},5;{m},25\n" for m in range(1, 13)
    )
    sep, header_line, headers, skip = detect_layout(text)
    assert (sep, header_line, skip) == (";", 0, 0)
    assert headers == ["Mois", "Service", "Indicateur", "Réalisé", "Objectif"]


def test_separator_hint_line(reader):
    result = load_extract(
        b"sep=,\nperiod,service,kpi,actual\n2025-01,A,K,1\n2025-02,A,K,oops\n", name="f.csv"
    )
    assert rejected(result) == [("f.csv", 4, "actual", "oops", "not_a_number")]


# --- Broken, blank and continued lines ---------------------------------------------------------------


BROKEN = (
    f"{HEADER}\n"  # 1
    "2025-01;A;K;1;2\n"  # 2
    "\n"  # 3  blank: skipped, but counted
    "2025-02;A;K;1\n"  # 4  one field short
    "2025-03;A;K;1;2;3\n"  # 5  one field too many
    ";;;;\n"  # 6  empty record: skipped
    "   \n"  # 7  spaces only: skipped
    '2025-04;"A;B";K;1;2\n'  # 8  quoted separator: fine
    "2025-05;A;K;1;2;\n"  # 9  trailing separator: one field too many
    "2025-06;A;K\n"  # 10 two fields short
    "2025-07;A;K;7;8"  # 11 no final newline
)


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_broken_lines_are_reported_with_their_line(reader, eol):
    result = load_extract(BROKEN.replace("\n", eol).encode(), name="b.csv")
    assert rejected(result) == [
        ("b.csv", 4, None, "2025-02;A;K;1", "field_count"),
        ("b.csv", 5, None, "2025-03;A;K;1;2;3", "field_count"),
        ("b.csv", 9, None, "2025-05;A;K;1;2;", "field_count"),
        ("b.csv", 10, None, "2025-06;A;K", "field_count"),
    ]
    params = [(r.params["expected"], r.params["found"]) for r in result.report.rejected]
    assert params == [(5, 4), (5, 6), (5, 6), (5, 3)]
    assert result.report.rows_read == 7 and result.report.rows_loaded == 3
    assert sorted(r[1] for r in rows(result)) == ["A", "A", "A;B"]
    reason_fr = result.report.rejected[0].reason("fr")
    assert reason_fr.startswith("La ligne 4 a 4 champs alors que l'en-tête en a 5")
    assert result.report.rejected[0].reason("en").startswith("Line 4 has 4 fields where the header has 5")


def test_multiline_quoted_field_is_numbered_by_its_first_line():
    text = f'{HEADER}\n2025-01;"Service\nsur deux lignes";K;1;2\n2025-02;A;K;x;2\n'
    result = load_extract(text.encode(), name="m.csv")
    assert rows(result)[0][1] == "Service\nsur deux lignes"
    assert rejected(result) == [("m.csv", 4, "actual", "x", "not_a_number")]


def test_stray_quote_goes_to_the_exact_reader():
    result = load_extract(f'{HEADER}\n2025-01;Écran 27";K;1;2\n2025-02;A;K;1;x\n'.encode(), name="q.csv")
    assert rows(result)[0][1] == 'Écran 27"'
    assert rejected(result) == [("q.csv", 3, "target", "x", "not_a_number")]


def test_title_rows_above_the_header(reader):
    text = f"Export des indicateurs\nGénéré le 01/02/2025\n\n{HEADER}\n2025-01;A;K;1;2\n2025-02;A;K;;\n"
    result = load_extract(text.encode(), name="t.csv")
    assert rejected(result) == [("t.csv", 6, "actual", None, "no_value")]


def test_old_mac_line_ends(reader):
    result = load_extract(f"{HEADER}\r2025-01;A;K;1;2\r2025-02;A;K;x;2\r".encode(), name="mac.csv")
    assert rejected(result) == [("mac.csv", 3, "actual", "x", "not_a_number")]


def test_both_readers_agree_on_a_messy_file():
    text = BROKEN + '\n2025-08;" spaced ";K;"1 234,5";\n\n\n2025-09;C;K;abc;1\n'
    fast = read_text(text.encode("cp1252"), "m.csv", max_columns=200)
    exact = read_text(text.encode("cp1252"), "m.csv", max_columns=200, force_exact=True)
    assert fast.headers == exact.headers
    assert fast.rejected == exact.rejected
    assert fast.frame.equals(exact.frame)
    assert fast.rows_read == exact.rows_read == 9


# --- Text is data -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "service",
    [
        "<script>alert(1)</script>",
        "**x**",
        "=SUM(A1:A3)",
        "Ventes & Marketing",
        "a  b",
        "R&D ; Innovation",
        "é\u0301",
    ],
)
def test_markup_and_formulas_are_kept_verbatim(reader, service):
    quoted = '"' + service.replace('"', '""') + '"'
    result = load_extract(
        f"{HEADER}\n2025-01;  {quoted}  ;K;1;2\n".encode().replace(b'  "', b'"').replace(b'"  ', b'"'),
        name="x.csv",
    )
    assert result.data["service"].cast(pl.String).to_list() == [service]


def test_surrounding_spaces_are_stripped_inner_ones_kept(reader):
    result = load_extract(f"{HEADER}\n2025-01;  Service  A\t;  K ;1;2\n".encode(), name="s.csv")
    assert rows(result)[0][1:3] == ("Service  A", "K")


def test_large_windows_1252_files_are_read_in_pieces_with_the_same_result(monkeypatch):
    # Big Windows-1252 files are transcoded and read in pieces side by side: cut a small one the
    # same way and check that records, line numbers and rejections match the whole-file readers.
    lines = [HEADER + ";unit"]
    for i in range(400):
        lines.append(f"2025-{i % 12 + 1:02d};Qualité {i // 12};Coût…;{i},5;1{chr(0xA0)}000;k€")
    lines[57] = "2025-01;Bad;K;1"  # line 58: one field short
    lines[131] = "2025-01;Bad;K;1;2;3;4"  # line 132: one too many
    lines[290] = ""  # line 291: blank
    lines[333] = "2025-02;Qualité 27;Coût…;douze;1;k€"  # line 334: not a number
    data = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    monkeypatch.setattr(text_module, "CHUNK_MIN_BYTES", 1000)
    monkeypatch.setattr(text_module, "CHUNKS", 7)
    pieces = list(text_module._cp1252_chunks(data, 0, ";", 6))
    assert len(pieces) == 7
    # A piece starting on a full line is read without a header; one starting on a short line gets it.
    assert all(skip is None or p.startswith(HEADER.encode() + b";unit\n") for p, skip in pieces)
    chunked = load_extract(data, name="big.csv")
    monkeypatch.setattr(text_module, "CHUNK_MIN_BYTES", 10**12)
    whole = load_extract(data, name="big.csv")
    exact = read_text(data, "big.csv", max_columns=200, force_exact=True)
    assert chunked.data.equals(whole.data) and chunked.catalog.equals(whole.catalog)
    assert chunked.report.to_dict("fr") == whole.report.to_dict("fr")
    assert [(r.line, r.code) for r in chunked.report.rejected] == [
        (58, "field_count"),
        (132, "field_count"),
        (334, "not_a_number"),
    ]
    assert [(r.line, r.code) for r in exact.rejected] == [(58, "field_count"), (132, "field_count")]
    assert chunked.report.rejected[2].value == "douze"
    assert "Qualité 27" in chunked.data["service"].cast(pl.String).to_list()
    assert chunked.catalog["unit"].to_list() == ["k€"]


@pytest.mark.parametrize("seed", range(15))
def test_pieces_and_whole_agree_on_mutated_files(monkeypatch, seed):
    rng = random.Random(seed)
    body = [f"2025-{i % 12 + 1:02d};Équipe {i % 9};Délai;{i},{i % 10};{i}" for i in range(300)]
    text = list("\n".join([HEADER, *body]) + "\n")
    for _ in range(40):
        where = rng.randrange(len(HEADER) + 1, len(text))
        text[where] = rng.choice([";", "\n", "", "é", "\r\n", "x", " ", "€"])
    data = "".join(text).encode("cp1252")

    def load(chunk_min: int):
        monkeypatch.setattr(text_module, "CHUNK_MIN_BYTES", chunk_min)
        monkeypatch.setattr(text_module, "CHUNKS", 5)
        return load_extract(data, name="mut.csv")

    pieces, whole = load(100), load(10**12)
    assert pieces.report.to_dict("en") == whole.report.to_dict("en")
    assert (pieces.data is None and whole.data is None) or pieces.data.equals(whole.data)
