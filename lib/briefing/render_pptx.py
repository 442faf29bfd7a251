"""The briefing pack as a 16:9 PowerPoint (python-pptx): one slide per Slide of the Briefing.

Every slide has a real title placeholder (what screen readers and the outline read), its metric
tiles, bullets, chart picture (with its alt text), table, the commentary as speaker notes, and a
footer with the filters and « Page n / N ». A table too long for one slide continues on the next.
Text from data is set as plain runs: nothing in it is interpreted.
"""

from __future__ import annotations

import io
import math

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.oxml.ns import qn
from pptx.util import Emu, Inches, Pt

from lib.briefing.images import png_size, prefetch, try_chart_png
from lib.briefing.model import Briefing, Metric, Slide
from lib.briefing.render_common import (
    ACCENT,
    BAD,
    GOOD,
    HEADER_FILL,
    INK,
    MUTED,
    RULE,
    STRIPE,
    TILE,
    body_layout,
    chart_jobs,
    chart_missing,
    chart_width_px,
    clean,
    filter_lines,
    footer_filters,
    generated_line,
    numeric_columns,
    page_label,
    table_cells,
    table_widths,
    title_bullets,
)
from lib.i18n import t

W, H = 13.333, 7.5  # inches, 16:9
MARGIN = 0.5
BODY_BOTTOM = 6.6
TITLE_ONLY = 5  # the default template's "Title Only" layout
# Table rows by font size: (points, row height in inches); the largest that fits is used.
TABLE_SIZES = ((12, 0.34), (11, 0.31), (10, 0.28), (9, 0.25))


def _rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour)


def _text(frame, text: str, *, size: float, colour: str = INK, bold: bool = False, align=None) -> None:
    """Replace a text frame's content by one paragraph per line of `text`."""
    frame.word_wrap = True
    lines = clean(text).split("\n") or [""]
    for i, line in enumerate(lines):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        if align is not None:
            para.alignment = align
        run = para.add_run()
        run.text = line
        run.font.size = Pt(size)
        run.font.bold = bold
        run.font.color.rgb = _rgb(colour)


def _box(slide, x: float, y: float, w: float, h: float):
    box = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    tf = box.text_frame
    tf.margin_left = tf.margin_right = Inches(0.05)
    tf.margin_top = tf.margin_bottom = Inches(0.03)
    return box


def _rect(slide, x: float, y: float, w: float, h: float, fill: str, shape=MSO_SHAPE.RECTANGLE):
    rect = slide.shapes.add_shape(shape, Inches(x), Inches(y), Inches(w), Inches(h))
    rect.fill.solid()
    rect.fill.fore_color.rgb = _rgb(fill)
    rect.line.fill.background()
    rect.shadow.inherit = False
    return rect


def _title(slide, text: str, *, y: float, h: float, size: float) -> None:
    shape = slide.shapes.title
    shape.left, shape.top, shape.width, shape.height = (
        Inches(MARGIN),
        Inches(y),
        Inches(W - 2 * MARGIN),
        Inches(h),
    )
    tf = shape.text_frame
    tf.clear()
    tf.vertical_anchor = MSO_ANCHOR.BOTTOM
    _text(tf, text, size=size, bold=True, align=PP_ALIGN.LEFT)


def _footer(slide, b: Briefing, n: int, total: int) -> None:
    line = slide.shapes.add_connector(1, Inches(MARGIN), Inches(6.78), Inches(W - MARGIN), Inches(6.78))
    line.line.color.rgb = _rgb(RULE)
    line.line.width = Pt(0.75)
    filters = _box(slide, MARGIN, 6.82, W - 2 * MARGIN - 1.6, 0.55)
    filters.name = "Footer filters"
    _text(filters.text_frame, footer_filters(b), size=9, colour=MUTED)
    page = _box(slide, W - MARGIN - 1.5, 6.82, 1.5, 0.3)
    page.name = "Footer page"
    _text(page.text_frame, page_label(n, total, b.lang), size=9, colour=MUTED, align=PP_ALIGN.RIGHT)


BULLET_SIZES = (18, 16, 14, 12, 11, 10)


def _bullet_size(items: list[str], w: float, h: float) -> int:
    """The largest size whose bullets fit in w × h inches, from an average glyph width of half an em
    (PowerPoint files carry no layout: the text is measured here, roughly, or it would overflow)."""
    for size in BULLET_SIZES:
        per_line = max(int((w - 0.4) * 72 / (size * 0.5)), 8)
        lines = sum(math.ceil(max(len(text), 1) / per_line) for text in items)
        if lines * size * 1.2 / 72 + len(items) * 8 / 72 <= h:
            return size
    return BULLET_SIZES[-1]


def _bullets(slide, items: tuple[str, ...], x: float, y: float, w: float, h: float) -> None:
    box = _box(slide, x, y, w, h)
    box.name = "Bullets"
    tf = box.text_frame
    tf.word_wrap = True
    texts = [clean(item).replace("\n", " ") for item in items]
    size = _bullet_size(texts, w, h)
    for i, text in enumerate(texts):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        ppr = para._p.get_or_add_pPr()
        ppr.set("marL", str(Emu(Inches(0.28))))
        ppr.set("indent", str(-Emu(Inches(0.28))))
        ppr.append(ppr.makeelement(qn("a:buChar"), {"char": "•"}))
        para.space_after = Pt(8)
        run = para.add_run()
        run.text = text
        run.font.size = Pt(size)
        run.font.color.rgb = _rgb(INK)


def _tiles(slide, metrics: tuple[Metric, ...], y: float) -> float:
    """Metric tiles in rows of up to six; returns the y under them."""
    per_row = min(len(metrics), 6)
    gap = 0.2
    width = min((W - 2 * MARGIN - gap * (per_row - 1)) / per_row, 3.0)
    for i, metric in enumerate(metrics):
        row, col = divmod(i, per_row)
        x, top = MARGIN + col * (width + gap), y + row * 1.2
        tile = _rect(slide, x, top, width, 1.05, TILE, MSO_SHAPE.ROUNDED_RECTANGLE)
        tile.adjustments[0] = 0.08
        tile.name = "Metric"
        tf = tile.text_frame
        tf.clear()
        tf.vertical_anchor = MSO_ANCHOR.MIDDLE
        tf.margin_left = tf.margin_right = Inches(0.12)
        tf.word_wrap = True
        _text(tf, metric.label, size=12, colour=MUTED, align=PP_ALIGN.LEFT)
        para = tf.add_paragraph()
        run = para.add_run()
        run.text = clean(metric.value)
        run.font.size, run.font.bold, run.font.color.rgb = Pt(24), True, _rgb(INK)
        if metric.delta:
            run = para.add_run()
            run.text = "  " + clean(metric.delta)
            colour = MUTED if metric.good is None else GOOD if metric.good else BAD
            run.font.size, run.font.bold, run.font.color.rgb = Pt(14), True, _rgb(colour)
    return y + math.ceil(len(metrics) / per_row) * 1.2


def _picture(slide, s: Slide, lang: str, part, box: tuple[float, float, float, float]) -> None:
    x, y, w, h = box
    png = try_chart_png(s.chart, width_px=chart_width_px(part), what=s.title)
    if png is None:
        frame = _rect(slide, x, y, w, min(h, 1.2), TILE)
        frame.name = "Chart unavailable"
        frame.text_frame.word_wrap = True
        _text(frame.text_frame, chart_missing(s, lang), size=14, colour=MUTED)
        return
    pw, ph = png_size(png)
    scale = min(w / pw, h / ph)
    dw, dh = pw * scale, ph * scale
    pic = slide.shapes.add_picture(
        io.BytesIO(png), Inches(x + (w - dw) / 2), Inches(y), Inches(dw), Inches(dh)
    )
    pic.name = "Chart"
    pic._element.nvPicPr.cNvPr.set("descr", clean(s.chart_alt) or clean(s.title))


def _table_size(headers, rows, widths, height: float) -> tuple[int, float, int]:
    """(font size, row height, rows that fit) for the largest font whose rows fit in `height`."""
    for size, row_h in TABLE_SIZES:
        chars = [max(int(wd * 72 / (size * 0.52)), 4) for wd in widths]
        lines = [max(math.ceil(max(len(c), 1) / n) for c, n in zip(r, chars, strict=True)) for r in rows]
        head = max(math.ceil(max(len(c), 1) / n) for c, n in zip(headers, chars, strict=True))
        used, fit = head * row_h, 0
        for count in lines:
            if used + count * row_h > height:
                break
            used, fit = used + count * row_h, fit + 1
        if fit == len(rows) or size == TABLE_SIZES[-1][0]:
            return size, row_h, max(fit, 1)
    raise AssertionError("unreachable")


def _widths(headers: list[str], rows: list[list[str]], w: float) -> list[float]:
    """Column widths in inches, from the cells' lengths at the largest table size (an estimate: half
    an em per character, 0.55 in bold, plus the cell margins)."""
    size = TABLE_SIZES[0][0]
    return table_widths(
        headers, rows, w, lambda text, bold: len(text) * size * (0.55 if bold else 0.5) / 72 + 0.16
    )


def _table(slide, headers, rows, widths, box, size: float, row_h: float, lang: str) -> None:
    x, y, w, h = box
    if not rows:
        empty = _box(slide, x, y, w, 0.5)
        _text(empty.text_frame, t("briefing_render.slide.empty_table", lang), size=14, colour=MUTED)
        return
    shape = slide.shapes.add_table(
        len(rows) + 1, len(headers), Inches(x), Inches(y), Inches(w), Inches(row_h)
    )
    shape.name = "Table"
    table = shape.table
    table.first_row = True
    table.horz_banding = False
    for i, width in enumerate(widths):
        table.columns[i].width = Inches(width)
    right = numeric_columns(rows)
    for r, values in enumerate([headers, *rows]):
        table.rows[r].height = Inches(row_h)
        for c, value in enumerate(values):
            cell = table.cell(r, c)
            cell.margin_left = cell.margin_right = Inches(0.06)
            cell.margin_top = cell.margin_bottom = Inches(0.02)
            cell.vertical_anchor = MSO_ANCHOR.MIDDLE
            cell.fill.solid()
            cell.fill.fore_color.rgb = _rgb(HEADER_FILL if r == 0 else STRIPE if r % 2 == 0 else "FFFFFF")
            tf = cell.text_frame
            tf.clear()
            _text(tf, value, size=size, bold=r == 0, align=PP_ALIGN.RIGHT if right[c] else PP_ALIGN.LEFT)


def _pages(s: Slide, box: tuple[float, float, float, float], table_part) -> list[tuple[list, float, int]]:
    """The table's rows split into the slides they need: [(rows, font size, row height, widths)]."""
    headers, rows = table_cells(s.table)
    w, h = box[2] * table_part[2], box[3] * table_part[3]
    widths = _widths(headers, rows, w)
    pages, rest = [], rows
    while True:
        size, row_h, fit = _table_size(headers, rest, widths, h) if rest else (*TABLE_SIZES[0], 0)
        pages.append((rest[:fit], size, row_h, widths))
        rest = rest[fit:]
        if not rest:
            return pages


def _plan(b: Briefing) -> list[tuple[Slide, int, tuple | None]]:
    """Each slide once, or once per part of a table too long for one slide: (slide, part, table page)."""
    planned = []
    for s in b.slides:
        if s.kind == "title" or s.table is None:
            planned.append((s, 0, None))
            continue
        for i, page in enumerate(_pages(s, _body_box(s), body_layout(s).table)):
            planned.append((s, i, page))
    return planned


def _body_box(s: Slide) -> tuple[float, float, float, float]:
    top = 1.55 if s.subtitle else 1.3
    if s.metrics:
        top += math.ceil(len(s.metrics) / min(len(s.metrics), 6)) * 1.2 + 0.1
    return MARGIN, top, W - 2 * MARGIN, BODY_BOTTOM - top


def _title_slide(slide, s: Slide, b: Briefing) -> None:
    _rect(slide, 0, 0, 0.35, H, ACCENT).name = "Accent"
    _title(slide, s.title or b.title, y=0.8, h=1.4, size=36)
    sub = _box(slide, MARGIN, 2.3, W - 2 * MARGIN, 0.5)
    sub.name = "Subtitle"
    # The content's subtitle says when and by whom; without one, say it here.
    _text(sub.text_frame, s.subtitle or generated_line(b), size=20, colour=MUTED)
    y = 3.0
    extra = title_bullets(s, b)
    if extra:
        _bullets(slide, extra, MARGIN, y, W - 2 * MARGIN, 0.4 * len(extra))
        y += 0.4 * len(extra) + 0.1
    head = _box(slide, MARGIN, y, W - 2 * MARGIN, 0.4)
    _text(head.text_frame, t("briefing_render.title.filters", b.lang), size=14, bold=True)
    listing = _box(slide, MARGIN, y + 0.45, W - 2 * MARGIN, max(6.3 - y - 0.45, 0.4))
    listing.name = "Filters"
    _text(listing.text_frame, "\n".join(filter_lines(b)), size=14 if len(filter_lines(b)) <= 7 else 12)
    if b.link:
        link = _box(slide, MARGIN, 6.35, W - 2 * MARGIN, 0.35)
        link.name = "Link"
        _text(link.text_frame, clean(b.link), size=9, colour=ACCENT)
        run = link.text_frame.paragraphs[0].runs[0]
        if b.link.startswith(("http://", "https://")):
            run.hyperlink.address = clean(b.link)


def _content_slide(slide, s: Slide, part: int, table_page, b: Briefing) -> None:
    _rect(slide, 0, 0, W, 0.12, ACCENT).name = "Accent"
    title = (
        clean(s.title) if part == 0 else t("briefing_render.slide.continued", b.lang, title=clean(s.title))
    )
    # Long titles (an appendix part with its period) step down rather than wrap into the accent band.
    _title(slide, title, y=0.3, h=0.75, size=28 if len(title) <= 48 else 24 if len(title) <= 58 else 20)
    if s.subtitle:
        sub = _box(slide, MARGIN, 1.05, W - 2 * MARGIN, 0.4)
        _text(sub.text_frame, s.subtitle, size=16, colour=MUTED)
    x, y, w, h = _body_box(s)
    if s.metrics and part == 0:
        _tiles(slide, s.metrics, y - math.ceil(len(s.metrics) / min(len(s.metrics), 6)) * 1.2 - 0.1)
    layout = body_layout(s)

    def at(p):
        return x + p[0] * w, y + p[1] * h, p[2] * w, p[3] * h

    if layout.chart and s.chart is not None and part == 0:
        _picture(slide, s, b.lang, layout.chart, at(layout.chart))
    if layout.bullets and part == 0:
        _bullets(slide, s.bullets, *at(layout.bullets))
    if layout.table and table_page is not None:
        rows, size, row_h, widths = table_page
        _table(slide, table_cells(s.table)[0], rows, widths, at(layout.table), size, row_h, b.lang)


def render_pptx(b: Briefing) -> bytes:
    """The pack as .pptx bytes."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(W), Inches(H)
    props = prs.core_properties
    props.title, props.author, props.language = clean(b.title)[:255], clean(b.generated_by)[:255], b.lang
    props.subject = clean(f"{b.organisation} — {b.period}")[:255]
    props.keywords = "Vigie"
    prefetch(chart_jobs(b))
    planned = _plan(b)
    for n, (s, part, table_page) in enumerate(planned, start=1):
        slide = prs.slides.add_slide(prs.slide_layouts[TITLE_ONLY])
        if s.kind == "title":
            _title_slide(slide, s, b)
        else:
            _content_slide(slide, s, part, table_page, b)
        _footer(slide, b, n, len(planned))
        notes = clean(s.commentary)
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()
