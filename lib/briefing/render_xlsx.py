"""The briefing pack's tables as an Excel workbook: a cover sheet with the filters, link, generation
date and dataset version, then one sheet per table of the Briefing.

Every text cell that looks like a formula (= + - @ tab, carriage return) is prefixed with an
apostrophe (lib.export.neutralise), and the cover is written cell by cell as strings: nothing from
the data runs in Excel. Headers are frozen and columns sized to their text.
"""

from __future__ import annotations

import io
import re

import polars as pl
import xlsxwriter

from lib.briefing.model import Briefing
from lib.briefing.render_common import clean, filter_lines, generated_at
from lib.export import FORMULA_STARTS, neutralise
from lib.i18n import t

SHEET_CHARS = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MAX_WIDTH = 60  # characters: longer text wraps in its cell instead of pushing the next column away
URL_LIMIT = 2079  # Excel refuses longer hyperlinks


def sheet_names(names: list[str], taken: set[str] = frozenset()) -> list[str]:
    """Valid, distinct Excel sheet names: no [ ] : * ? / \\, not empty, no edge apostrophe, 31
    characters at most, unique ignoring case (a suffix « (2) » when needed)."""
    seen = {n.lower() for n in taken}
    out = []
    for raw in names:
        base = _SHEET_FORBIDDEN.sub("-", clean(raw).replace("\n", " ")).strip().strip("'").strip()
        base = base or "Sheet"
        name, k = base[:SHEET_CHARS], 1
        while name.lower() in seen or name.lower() == "history":  # Excel reserves "History"
            k += 1
            suffix = f" ({k})"
            name = base[: SHEET_CHARS - len(suffix)] + suffix
        seen.add(name.lower())
        out.append(name)
    return out


def _safe(text: str) -> str:
    text = clean(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _as_text(value: object) -> str:
    return clean(value.to_list() if isinstance(value, pl.Series) else value)


def _plain(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested and object columns as text (Excel holds scalars), text cleaned of control characters,
    then neutralised."""
    out = frame.with_columns(
        pl.col(name).map_elements(_as_text, return_dtype=pl.String)
        for name, dtype in frame.schema.items()
        if dtype.is_nested() or dtype == pl.Object
    )
    out = out.with_columns(
        pl.col(name).cast(pl.String).map_elements(clean, return_dtype=pl.String)
        for name, dtype in out.schema.items()
        if dtype in (pl.String, pl.Categorical, pl.Enum)
    )
    return neutralise(out).rename({c: clean(c) for c in out.columns})


def _widths(frame: pl.DataFrame) -> dict[str, int]:
    """Column widths in pixels from the header and the 95th percentile of the cells' lengths."""
    widths = {}
    for name in frame.columns:
        lengths = frame.get_column(name).cast(pl.String).str.len_chars().fill_null(0)
        typical = int(lengths.quantile(0.95) or 0) if frame.height else 0
        chars = min(max(len(name) + 2, typical + 1, 8), MAX_WIDTH)
        widths[name] = chars * 7 + 12
    return widths


def _cover(workbook, sheet_name: str, b: Briefing) -> None:
    ws = workbook.add_worksheet(sheet_name)
    bold = workbook.add_format({"bold": True, "bg_color": "#E6EEF5", "border": 1, "border_color": "#C3CBD3"})
    label = workbook.add_format({"bold": True, "valign": "top"})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    link = workbook.add_format({"font_color": "#0072B2", "underline": 1, "text_wrap": True, "valign": "top"})
    lang = b.lang
    version = (
        str(b.dataset_version) if b.dataset_version is not None else t("briefing_render.xlsx.sample", lang)
    )
    rows = [
        (t("briefing_render.xlsx.title", lang), b.title),
        (t("briefing_render.xlsx.organisation", lang), b.organisation),
        (t("briefing_render.xlsx.period", lang), b.period),
        *((t("briefing_render.xlsx.filter", lang), line) for line in filter_lines(b)),
        (t("briefing_render.xlsx.link", lang), b.link),
        (t("briefing_render.xlsx.generated_at", lang), generated_at(b)),
        (t("briefing_render.xlsx.generated_by", lang), b.generated_by),
        (t("briefing_render.xlsx.dataset", lang), b.dataset),
        (t("briefing_render.xlsx.version", lang), version),
    ]
    ws.write_string(0, 0, t("briefing_render.xlsx.item", lang), bold)
    ws.write_string(0, 1, t("briefing_render.xlsx.value", lang), bold)
    link_label = t("briefing_render.xlsx.link", lang)
    for r, (name, value) in enumerate(rows, start=1):
        ws.write_string(r, 0, name, label)
        text = _safe(value)
        is_url = name == link_label and text.startswith(("http://", "https://")) and len(text) <= URL_LIMIT
        if is_url:
            ws.write_url(r, 1, text, link, string=text)
        else:
            ws.write_string(r, 1, text, wrap)
    ws.set_column(0, 0, max(len(name) for name, _ in rows) + 4)
    ws.set_column(1, 1, 90)
    ws.freeze_panes(1, 0)


def render_xlsx(b: Briefing) -> bytes:
    """The pack's tables as .xlsx bytes: the cover sheet (filters) first, then one sheet per table."""
    cover = t("briefing_render.xlsx.sheet", b.lang)
    names = sheet_names(list(b.tables), taken={cover})
    buf = io.BytesIO()
    # strings_to_formulas off as a second lock: even a cell that escaped neutralise stays text.
    options = {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True}
    with xlsxwriter.Workbook(buf, options) as workbook:
        workbook.set_properties(
            {
                "title": clean(b.title),
                "author": clean(b.generated_by),
                "subject": clean(b.period),
                "comments": "Vigie",
            }
        )
        _cover(workbook, cover, b)
        for name, frame in zip(names, b.tables.values(), strict=True):
            out = _plain(frame)
            if out.width == 0:
                workbook.add_worksheet(name).write_string(
                    0, 0, t("briefing_render.slide.empty_table", b.lang)
                )
                continue
            out.write_excel(
                workbook,
                worksheet=name,
                column_widths=_widths(out),
                freeze_panes=(1, 0),
                header_format={"bold": True, "bg_color": "#E6EEF5", "text_wrap": True},
                table_style="Table Style Light 1",
                float_precision=2,
            )
    return buf.getvalue()
