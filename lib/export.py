"""Tables downloaded as CSV or XLSX, safe to open in a spreadsheet: a text cell starting with
= + - @ (or a tab / carriage return) is prefixed with an apostrophe so it is never run as a formula."""

from __future__ import annotations

import io
from collections.abc import Mapping

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_ROWS = 1_048_575  # a sheet's rows, less the header


def neutralise(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column with formula-looking cells prefixed by `'` (numbers and dates untouched)."""
    pattern = "^[" + "".join("\\" + c if c in "-+" else c for c in FORMULA_STARTS) + "]"
    text_cols = [
        name for name, dtype in frame.schema.items() if dtype in (pl.String, pl.Categorical, pl.Enum)
    ]
    return frame.with_columns(
        pl.when(pl.col(c).cast(pl.String).str.contains(pattern))
        .then(pl.lit("'") + pl.col(c).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String))
        .alias(c)
        for c in text_cols
    )


def to_csv(frame: pl.DataFrame, headers: Mapping[str, str] | None = None) -> bytes:
    """UTF-8 with BOM, so Excel reads accents right."""
    out = neutralise(frame)
    if headers:
        out = out.rename({k: v for k, v in headers.items() if k in out.columns})
    return out.write_csv().encode("utf-8-sig")


def to_xlsx(sheets: Mapping[str, pl.DataFrame], headers: Mapping[str, str] | None = None) -> bytes:
    """One sheet per table (names cut to Excel's 31 characters)."""
    import xlsxwriter

    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf) as workbook:
        for name, frame in sheets.items():
            out = neutralise(frame)
            if headers:
                out = out.rename({k: v for k, v in headers.items() if k in out.columns})
            out.write_excel(workbook, worksheet=name[:31], autofit=True)
    return buf.getvalue()


def export_name(view, ext: str) -> str:
    """vigie_<dataset>_<from>_<to>.<ext>: the file says what it holds."""
    parts = [view.dataset]
    if view.start and view.end:
        parts += [view.start.strftime("%Y-%m"), view.end.strftime("%Y-%m")]
    return "vigie_" + "_".join(parts) + f".{ext}"
