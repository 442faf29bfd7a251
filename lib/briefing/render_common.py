"""What the three renderers share: text made safe for XML and PDF, the footer and title lines, the
layout of a slide's body, table cells and column weights."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

import polars as pl
from babel.dates import format_datetime

from lib.briefing.model import Briefing, Slide
from lib.fmt import LOCALES
from lib.i18n import t

# Control characters break XML (PowerPoint) and draw as missing glyphs (PDF); tabs become spaces.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# Colours (the charts' theme, with darker status inks so text keeps a 4.5:1 contrast on white).
INK = "1F2933"
MUTED = "5F6B76"
ACCENT = "0072B2"
RULE = "C3CBD3"
TILE = "F4F6F8"
HEADER_FILL = "E6EEF5"
STRIPE = "F7F9FA"
GOOD = "00795A"
BAD = "B34700"


def clean(text: object) -> str:
    """Plain text safe in XML and PDF: no control characters, newlines kept, tabs as spaces."""
    if text is None:
        return ""
    out = str(text).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return unicodedata.normalize("NFC", _CONTROL.sub("", out))


def generated_at(b: Briefing) -> str:
    """« 26 novembre 2026 10:05 UTC » in the pack's language."""
    when = b.generated_at if b.generated_at.tzinfo else b.generated_at.replace(tzinfo=UTC)
    return format_datetime(
        when.astimezone(UTC), "d MMMM y HH:mm 'UTC'", tzinfo=UTC, locale=LOCALES.get(b.lang, "fr_FR")
    )


def generated_line(b: Briefing) -> str:
    return t("briefing_render.title.generated", b.lang, date=generated_at(b), author=clean(b.generated_by))


def filter_lines(b: Briefing) -> list[str]:
    lines = [clean(f) for f in b.filters if clean(f).strip()]
    return lines or [t("briefing_render.title.no_filters", b.lang)]


def title_bullets(s: Slide, b: Briefing) -> tuple[str, ...]:
    """The title slide's bullets less the filters, which the renderers print under their own heading."""
    shown = set(filter_lines(b))
    return tuple(x for x in s.bullets if clean(x) not in shown)


def numeric_columns(rows: list[list[str]]) -> list[bool]:
    """Columns whose every filled cell starts with a number (« 44,2 € », « −16,3 % »): right-aligned."""
    if not rows:
        return []
    number = re.compile(r"^[+\-\u2212]?\d")
    return [
        any(r[i] for r in rows) and all(not r[i] or number.match(r[i]) for r in rows)
        for i in range(len(rows[0]))
    ]


def footer_filters(b: Briefing) -> str:
    """Every filter on one line, for the footer of every page and slide."""
    return "  ·  ".join(line.replace("\n", " ") for line in filter_lines(b))


def page_label(n: int, total: int, lang: str) -> str:
    return t("briefing_render.footer.page", lang, n=n, total=total)


def chart_missing(slide: Slide, lang: str) -> str:
    what = clean(slide.chart_alt).strip()
    if what:
        return t("briefing_render.slide.chart_missing", lang, what=what)
    return t("briefing_render.slide.chart_missing_plain", lang)


def table_cells(frame: pl.DataFrame) -> tuple[list[str], list[list[str]]]:
    """Headers and rows as plain text (None as an empty cell)."""
    headers = [clean(c) for c in frame.columns]
    rows = [["" if v is None else clean(v) for v in row] for row in frame.iter_rows()]
    return headers, rows


def fit_widths(natural: list[float], total: float) -> list[float]:
    """Column widths summing to `total`: each column's natural width (its longest cell on one line)
    when all fit, spread out proportionally; else narrow columns keep theirs and the widest ones
    share the rest equally (one cap for all), so numbers never wrap to make room for long text."""
    if not natural:
        return []
    if sum(natural) <= total:
        return [n * total / sum(natural) for n in natural]
    low, high = 0.0, max(natural)
    for _ in range(60):
        cap = (low + high) / 2
        low, high = (cap, high) if sum(min(n, cap) for n in natural) < total else (low, cap)
    return [min(n, low) for n in natural]


def table_widths(
    headers: list[str], rows: list[list[str]], total: float, measure: Callable[[str, bool], float]
) -> list[float]:
    """fit_widths of the cells' widths as `measure(text, is_header)` gives them (padding included)."""
    natural = [
        max([measure(head, True), *(measure(r[i], False) for r in rows)]) for i, head in enumerate(headers)
    ]
    return fit_widths(natural, total)


@dataclass(frozen=True)
class Body:
    """Where a slide's parts go, as fractions of the body box (x, y, width, height)."""

    chart: tuple[float, float, float, float] | None
    bullets: tuple[float, float, float, float] | None
    table: tuple[float, float, float, float] | None


def body_layout(slide: Slide) -> Body:
    """Chart left and bullets right when both; a table takes the full width under the bullets."""
    has_chart, has_bullets, has_table = slide.chart is not None, bool(slide.bullets), slide.table is not None
    if has_table:
        if has_chart:
            chart = (0, 0, 0.5, 0.62 if has_bullets else 1)
            return Body(chart, (0, 0.65, 0.5, 0.35) if has_bullets else None, (0.52, 0, 0.48, 1))
        if has_bullets:
            share = min(0.12 * len(slide.bullets), 0.36)
            return Body(None, (0, 0, 1, share), (0, share + 0.03, 1, 1 - share - 0.03))
        return Body(None, None, (0, 0, 1, 1))
    if has_chart and has_bullets:
        return Body((0, 0, 0.6, 1), (0.63, 0, 0.37, 1), None)
    if has_chart:
        return Body((0, 0, 1, 1), None, None)
    return Body(None, (0, 0, 1, 1) if has_bullets else None, None)


def chart_width_px(part: tuple[float, float, float, float]) -> int:
    """The chart's drawn width in CSS pixels, by its share of the body: the same in every format,
    so one rendering serves the PowerPoint and the PDF, with 12 px chart text near 10 pt on a slide."""
    return 640 if part[2] < 0.7 else 1000


def chart_jobs(b: Briefing) -> list[tuple[object, int, str]]:
    """Every chart of the pack with the width it is drawn at: (chart, width_px, slide title)."""
    jobs = []
    for s in b.slides:
        part = body_layout(s).chart
        if s.chart is not None and part is not None and s.kind != "title":
            jobs.append((s.chart, chart_width_px(part), s.title))
    return jobs
