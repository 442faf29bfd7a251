"""Open a source (path, folder or bytes), recognise its format and read it into a RawTable."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import fastexcel
import polars as pl

from lib.config import Settings
from lib.ingest.columns import catalog_score, find_header_row, header_score
from lib.ingest.report import Notice
from lib.ingest.table import FILE, LINE, RawTable, ReadError
from lib.ingest.text import is_blank, read_text

# Magic numbers of files people upload by mistake.
_FOREIGN = (
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"%PDF", "PDF"),
    (b"\x1f\x8b", "GZIP"),
    (b"7z\xbc\xaf", "7-Zip"),
    (b"Rar!", "RAR"),
)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls / .doc
SHEET_PROBE_ROWS = 12


def sniff(data: bytes, name: str) -> str:
    """'xlsx', 'parquet' or 'text' from the content (the name only breaks no tie: content wins)."""
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):  # a zip: XLSX is one
        return "xlsx"
    if data.startswith(b"PAR1"):
        return "parquet"
    if data.startswith(_OLE2):
        raise ReadError("old_xls", file=name)
    for magic, label in _FOREIGN:
        if data.startswith(magic):
            raise ReadError("unsupported_format", file=name, format=label)
    return "text"


def _mb(size: int) -> str:
    mb = size / 1_048_576
    return f"{mb:.1f}" if mb >= 0.1 else f"{mb:.2g}"


def check_size(size: int, name: str, settings: Settings) -> None:
    if size > settings.max_file_mb * 1_048_576:
        raise ReadError("too_big", file=name, size_mb=_mb(size), limit_mb=f"{settings.max_file_mb:g}")


def read_source(
    source: Path | bytes,
    name: str | None,
    *,
    sheet: str | None,
    settings: Settings,
    mapping: Mapping[str, str | None] | None = None,
    force_exact: bool = False,
) -> RawTable:
    """Read one source. Raises ReadError (with a user-facing code) when nothing usable is in it."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = name or "upload"
        check_size(len(data), label, settings)
        return read_bytes(
            data, label, sheet=sheet, settings=settings, mapping=mapping, force_exact=force_exact
        )
    path = Path(source)
    label = name or path.name
    if not path.exists():
        raise ReadError("not_found", file=str(path))
    if path.is_dir():
        return read_parquet_folder(path, label, settings=settings)
    check_size(path.stat().st_size, label, settings)
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PAR1"):  # Polars maps the file itself: no copy through Python
        return _from_parquet_frame(_read_parquet(path, label), label, settings)
    return read_bytes(
        path.read_bytes(), label, sheet=sheet, settings=settings, mapping=mapping, force_exact=force_exact
    )


def read_bytes(
    data: bytes,
    name: str,
    *,
    sheet: str | None,
    settings: Settings,
    mapping: Mapping[str, str | None] | None = None,
    force_exact: bool = False,
) -> RawTable:
    if is_blank(data):
        raise ReadError("empty_file", file=name)
    kind = sniff(data, name)
    if kind == "xlsx":
        return read_xlsx(data, name, sheet=sheet, settings=settings, mapping=mapping)
    if kind == "parquet":
        return _from_parquet_frame(_read_parquet(data, name), name, settings)
    return read_text(data, name, max_columns=settings.max_columns, mapping=mapping, force_exact=force_exact)


# --- Parquet --------------------------------------------------------------------------------------


def _read_parquet(data: bytes | Path, name: str) -> pl.DataFrame:
    try:
        return pl.read_parquet(data)
    except Exception as exc:  # noqa: BLE001  (any reader failure means the same to the user)
        raise ReadError("unreadable_parquet", file=name) from exc


def _from_parquet_frame(
    frame: pl.DataFrame, name: str, settings: Settings, by_file: bool = False
) -> RawTable:
    headers = [c for c in frame.columns if c != FILE]
    if len(headers) > settings.max_columns:
        raise ReadError("too_many_columns", file=name, count=len(headers), limit=settings.max_columns)
    if frame.is_empty():
        raise ReadError("header_only", file=name, columns=", ".join(headers))
    names = RawTable.column_names(len(headers))
    frame = frame.rename(dict(zip(headers, names, strict=True)))
    if by_file:
        line = pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(FILE)
    else:
        line = pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
    frame = frame.with_columns(line.alias(LINE))
    return RawTable(file=name, kind="parquet", headers=headers, frame=frame, rows_read=frame.height)


def read_parquet_folder(folder: Path, name: str, *, settings: Settings) -> RawTable:
    """A folder of Parquet files (hive partitions such as year=2025/ become columns)."""
    files = sorted(p for p in folder.rglob("*.parquet") if p.is_file())
    if not files:
        raise ReadError("empty_folder", file=name)
    check_size(sum(p.stat().st_size for p in files), name, settings)
    try:
        frame = pl.scan_parquet(folder, hive_partitioning=True, include_file_paths=FILE).collect()
    except Exception as exc:  # noqa: BLE001
        raise ReadError("unreadable_parquet", file=name) from exc
    root = str(folder)
    frame = frame.with_columns(
        (pl.lit(f"{name}/") + pl.col(FILE).str.strip_prefix(root).str.strip_prefix("/")).alias(FILE)
    )
    return _from_parquet_frame(frame, name, settings, by_file=True)


# --- XLSX -----------------------------------------------------------------------------------------


def _open_workbook(data: bytes, name: str) -> fastexcel.ExcelReader:
    try:
        return fastexcel.read_excel(data)
    except Exception as exc:  # noqa: BLE001
        raise ReadError("unreadable_xlsx", file=name) from exc


def _load_sheet(book: fastexcel.ExcelReader, sheet: str, n_rows: int | None = None) -> pl.DataFrame:
    """A whole sheet as strings, one row per sheet row from row 1 (empty rows kept: they number rows)."""
    loaded = book.load_sheet(sheet, header_row=None, dtypes="string", skip_rows=0, n_rows=n_rows)
    return loaded.to_polars()


def _rows(frame: pl.DataFrame) -> list[list[str | None]]:
    return [list(r) for r in frame.iter_rows()]


def _probe(book: fastexcel.ExcelReader, sheet: str, mapping: Mapping[str, str | None] | None):
    try:
        rows = _rows(_load_sheet(book, sheet, SHEET_PROBE_ROWS))
    except Exception:  # noqa: BLE001  (an unreadable sheet is simply not the extract)
        return (0, 0), 0
    if not rows:
        return (0, 0), 0
    best = max((header_score(r, mapping) for r in rows[:SHEET_PROBE_ROWS]), default=(0, 0))
    catalog = max((catalog_score(r) for r in rows[:SHEET_PROBE_ROWS]), default=0)
    return best, catalog


def read_xlsx(
    data: bytes,
    name: str,
    *,
    sheet: str | None,
    settings: Settings,
    mapping: Mapping[str, str | None] | None = None,
    want: str = "extract",
) -> RawTable:
    """One sheet of a workbook: `sheet` when given, else the first sheet that holds an extract (or a
    KPI catalog, with want="catalog"); the row numbers are the sheet's."""
    book = _open_workbook(data, name)
    sheets = list(book.sheet_names)
    if not sheets:
        raise ReadError("unreadable_xlsx", file=name)
    notices: list[Notice] = []
    catalog_sheet = None
    if sheet is not None:
        matches = [s for s in sheets if s == sheet] or [
            s for s in sheets if s.strip().lower() == sheet.strip().lower()
        ]
        if not matches:
            raise ReadError("unknown_sheet", file=name, sheet=sheet, sheets=", ".join(sheets))
        chosen = matches[0]
    else:
        probes = {s: _probe(book, s, mapping) for s in sheets}
        if want == "catalog":
            ranked = [s for s in sheets if probes[s][1] > 0]
            chosen = max(ranked, key=lambda s: probes[s][1]) if ranked else sheets[0]
        else:
            top = max(p[0] for p in probes.values())
            chosen = next(s for s in sheets if probes[s][0] == top) if top[1] >= 2 else sheets[0]
            others = [s for s in sheets if s != chosen and probes[s][1] > 0]
            catalog_sheet = max(others, key=lambda s: probes[s][1]) if others else None
        if chosen != sheets[0]:
            notices.append(Notice("sheet_chosen", {"file": name, "sheet": chosen, "first": sheets[0]}))
    try:
        frame = _load_sheet(book, chosen)
    except Exception as exc:  # noqa: BLE001
        raise ReadError("unreadable_xlsx", file=name) from exc
    table = _sheet_table(frame, name, chosen, settings, mapping)
    table.notices = notices + table.notices
    if catalog_sheet is not None:
        try:
            table.catalog_sheet = _sheet_table(
                _load_sheet(book, catalog_sheet), name, catalog_sheet, settings, None
            )
        except Exception:  # noqa: BLE001  (a bad catalog sheet never spoils the extract)
            table.catalog_sheet = None
    return table


def _sheet_table(
    frame: pl.DataFrame, name: str, sheet: str, settings: Settings, mapping: Mapping[str, str | None] | None
) -> RawTable:
    if frame.is_empty() or frame.width == 0:
        raise ReadError("empty_file", file=f"{name} [{sheet}]")
    head = _rows(frame.head(SHEET_PROBE_ROWS))
    h = find_header_row(head, mapping)
    headers = ["" if c is None else str(c).strip() for c in head[h]]
    # Columns with neither a header nor a value (formatting far to the right) are dropped.
    keep = [
        i for i, header in enumerate(headers) if header or frame[:, i].slice(h + 1).drop_nulls().len() > 0
    ]
    headers = [headers[i] for i in keep]
    if len(headers) > settings.max_columns:
        raise ReadError("too_many_columns", file=name, count=len(headers), limit=settings.max_columns)
    names = RawTable.column_names(len(headers))
    body = frame.select(frame.columns[i] for i in keep).rename(
        dict(zip([frame.columns[i] for i in keep], names, strict=True))
    )
    body = body.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE)).slice(h + 1)
    blank = pl.all_horizontal(pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in names)
    body = body.filter(~blank)
    if body.is_empty():
        raise ReadError("header_only", file=name, columns=", ".join(h for h in headers if h))
    return RawTable(file=name, kind="xlsx", headers=headers, frame=body, sheet=sheet, rows_read=body.height)
