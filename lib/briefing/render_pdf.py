"""The briefing pack as an A4 landscape PDF (fpdf2): one page per slide, the PowerPoint's layout.

DejaVu Sans is embedded (subset), so accents, the euro sign, the minus sign and the no-break spaces
of French numbers (U+00A0 before %, U+202F between thousands) print and extract as they are. The
commentary, a speaker's note in the PowerPoint, is printed under the slide's body. A table longer
than its page continues on the next ones with its header row repeated; every page's footer carries
the filters and « Page n / N ». Text from data is never read as markup.
"""

from __future__ import annotations

import io

from fpdf import FPDF
from fpdf.enums import Align, TableBordersLayout, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from lib.briefing.images import FONTS, png_size, try_chart_png
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
    chart_missing,
    chart_width_px,
    clean,
    column_weights,
    filter_lines,
    footer_filters,
    generated_line,
    page_label,
    table_cells,
)
from lib.i18n import t

PAGE_W, PAGE_H = 297.0, 210.0  # mm, A4 landscape
MARGIN = 14.0
FOOTER_TOP = PAGE_H - 17.0  # the rule above the footer
FONT = "DejaVu"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))


class _Pack(FPDF):
    def __init__(self, b: Briefing) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.b = b
        self.continued: str | None = None  # the title repeated on a table's continuation pages
        self.add_font(FONT, "", fname=FONTS / "DejaVuSans.ttf")
        self.add_font(FONT, "B", fname=FONTS / "DejaVuSans-Bold.ttf")
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=PAGE_H - FOOTER_TOP + 3)
        self.set_title(clean(b.title))
        self.set_author(clean(b.generated_by))
        self.set_subject(clean(f"{b.organisation} — {b.period}"))
        self.set_lang(b.lang)
        self.set_creator("Vigie")
        self.set_keywords("Vigie")
        self.set_creation_date(b.generated_at)
        self.set_display_mode("fullpage")

    def style(self, size: float, colour: str = INK, bold: bool = False) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*_rgb(colour))

    def header(self) -> None:
        if self.continued is not None:
            _accent_bar(self)
            _page_title(self, t("briefing_render.slide.continued", self.b.lang, title=self.continued))
            self.set_y(30)

    def footer(self) -> None:
        self.set_draw_color(*_rgb(RULE))
        self.set_line_width(0.25)
        self.line(MARGIN, FOOTER_TOP, PAGE_W - MARGIN, FOOTER_TOP)
        self.style(7.5, MUTED)
        self.set_xy(MARGIN, FOOTER_TOP + 1.5)
        # The page label's total is fpdf's alias, replaced by the page count when the file is written.
        self.multi_cell(
            PAGE_W - 2 * MARGIN - 32, 3.6, _fit_lines(self, footer_filters(self.b), 3), align=Align.L
        )
        self.set_xy(PAGE_W - MARGIN - 30, FOOTER_TOP + 1.5)
        self.cell(30, 3.6, page_label(self.page_no(), self.alias_nb_pages_text(), self.b.lang), align=Align.R)

    def alias_nb_pages_text(self) -> str:
        return self.str_alias_nb_pages


def _fit_lines(pdf: FPDF, text: str, lines: int) -> str:
    """`text` cut with an ellipsis to what `lines` lines of the footer hold (filters rarely need it)."""
    width = (PAGE_W - 2 * MARGIN - 32) * lines * 0.95
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[: max(len(text) - 8, 0)]
    return text.rstrip() + "…"


def _accent_bar(pdf: _Pack) -> None:
    pdf.set_fill_color(*_rgb(ACCENT))
    pdf.rect(0, 0, PAGE_W, 2.5, style="F")


def _page_title(pdf: _Pack, title: str) -> None:
    pdf.style(20, bold=True)
    pdf.set_xy(MARGIN, 8)
    pdf.multi_cell(PAGE_W - 2 * MARGIN, 9, clean(title), align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _tiles(pdf: _Pack, metrics: tuple[Metric, ...], y: float) -> float:
    per_row, gap = min(len(metrics), 6), 4.0
    width = min((PAGE_W - 2 * MARGIN - gap * (per_row - 1)) / per_row, 62.0)
    for i, metric in enumerate(metrics):
        row, col = divmod(i, per_row)
        x, top = MARGIN + col * (width + gap), y + row * 25
        pdf.set_fill_color(*_rgb(TILE))
        pdf.rect(x, top, width, 22, style="F", round_corners=True, corner_radius=2)
        pdf.style(9, MUTED)
        pdf.set_xy(x + 3, top + 2.5)
        pdf.cell(width - 6, 5, clean(metric.label).replace("\n", " "))
        pdf.style(18, bold=True)
        pdf.set_xy(x + 3, top + 9)
        value = clean(metric.value)
        pdf.cell(pdf.get_string_width(value) + 1, 9, value)
        if metric.delta:
            colour = MUTED if metric.good is None else GOOD if metric.good else BAD
            pdf.style(10, colour, bold=True)
            pdf.cell(width - 6 - pdf.get_string_width(value), 9, " " + clean(metric.delta))
    return y + ((len(metrics) + per_row - 1) // per_row) * 25


def _bullets(pdf: _Pack, items: tuple[str, ...], x: float, y: float, w: float) -> None:
    size = 13 if len(items) <= 5 else 11
    if w < 150:
        size -= 1
    pdf.set_y(y)
    for item in items:
        pdf.style(size, ACCENT, bold=True)
        pdf.set_x(x)
        pdf.cell(5, size * 0.5, "•")
        pdf.style(size)
        pdf.multi_cell(w - 5, size * 0.5, clean(item).replace("\n", " "), align=Align.L, new_x=XPos.LEFT)
        pdf.set_y(pdf.get_y() + size * 0.22)


def _chart(pdf: _Pack, s: Slide, part, box: tuple[float, float, float, float]) -> None:
    x, y, w, h = box
    png = try_chart_png(s.chart, width_px=chart_width_px(part), what=s.title)
    if png is None:
        pdf.set_fill_color(*_rgb(TILE))
        pdf.rect(x, y, w, 24, style="F")
        pdf.style(12, MUTED)
        pdf.set_xy(x + 4, y + 4)
        pdf.multi_cell(w - 8, 6, chart_missing(s, pdf.b.lang), align=Align.L)
        return
    pw, ph = png_size(png)
    scale = min(w / pw, h / ph)
    dw, dh = pw * scale, ph * scale
    pdf.image(
        io.BytesIO(png), x=x + (w - dw) / 2, y=y, w=dw, h=dh, alt_text=clean(s.chart_alt) or clean(s.title)
    )


def _table(pdf: _Pack, s: Slide, box: tuple[float, float, float, float]) -> None:
    x, y, w, _ = box
    headers, rows = table_cells(s.table)
    if not rows:
        pdf.style(12, MUTED)
        pdf.set_xy(x, y)
        pdf.cell(w, 8, t("briefing_render.slide.empty_table", pdf.b.lang))
        return
    size = 10 if len(rows) <= 15 else 9
    pdf.style(size)
    pdf.set_xy(x, y)
    left = pdf.l_margin
    pdf.set_left_margin(x)  # fpdf2 aligns a left table on the left margin
    pdf.continued = clean(s.title)
    pdf.set_draw_color(*_rgb(RULE))
    pdf.set_fill_color(255, 255, 255)  # fpdf2 fills the rows between stripes with the current colour
    with pdf.table(
        col_widths=column_weights(headers, rows),
        width=w,
        align=Align.L,
        text_align=Align.L,
        line_height=size * 0.55,
        padding=(1.2, 1.5),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=FontFace(emphasis="BOLD", color=_rgb(INK), fill_color=_rgb(HEADER_FILL)),
        cell_fill_color=_rgb(STRIPE),
        cell_fill_mode=TableCellFillMode.EVEN_ROWS,
        repeat_headings=1,
        markdown=False,
    ) as table:
        for values in [headers, *rows]:
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.continued = None
    pdf.set_left_margin(left)


def _commentary(pdf: _Pack, text: str, top: float | None = None) -> float:
    """Print the commentary above the footer, or at `top` (after a table, where the flow ended; on a
    new page when it does not fit); returns its top."""
    pdf.style(9.5, INK)
    width = PAGE_W - 2 * MARGIN - 6
    lines = pdf.multi_cell(width, 4.6, text, dry_run=True, output="LINES")
    height = 7 + len(lines) * 4.6 + 3
    if top is None:
        top = FOOTER_TOP - 3 - height
    elif top + height > FOOTER_TOP - 3:
        pdf.add_page()
        top = 30
    pdf.set_fill_color(*_rgb(TILE))
    pdf.rect(MARGIN, top, PAGE_W - 2 * MARGIN, height, style="F")
    pdf.style(9, MUTED, bold=True)
    pdf.set_xy(MARGIN + 3, top + 2)
    pdf.cell(width, 4.5, t("briefing_render.slide.commentary", pdf.b.lang))
    pdf.style(9.5, INK)
    pdf.set_xy(MARGIN + 3, top + 7)
    pdf.multi_cell(width, 4.6, text, align=Align.L)
    return top


def _title_page(pdf: _Pack, s: Slide, b: Briefing) -> None:
    pdf.set_fill_color(*_rgb(ACCENT))
    pdf.rect(0, 0, 8, PAGE_H, style="F")
    pdf.style(28, bold=True)
    pdf.set_xy(MARGIN + 4, 34)
    pdf.multi_cell(PAGE_W - 2 * MARGIN - 4, 12, clean(s.title or b.title), align=Align.L, new_x=XPos.LMARGIN)
    pdf.style(16, MUTED)
    pdf.set_x(MARGIN + 4)
    sub = clean(s.subtitle) or clean(f"{b.organisation} — {b.period}")
    pdf.multi_cell(PAGE_W - 2 * MARGIN - 4, 8, sub, align=Align.L, new_x=XPos.LMARGIN)
    pdf.style(11, MUTED)
    pdf.set_xy(MARGIN + 4, pdf.get_y() + 2)
    pdf.cell(0, 6, generated_line(b), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if s.bullets:
        _bullets(pdf, s.bullets, MARGIN + 4, pdf.get_y() + 4, PAGE_W - 2 * MARGIN - 4)
    pdf.style(12, bold=True)
    pdf.set_xy(MARGIN + 4, pdf.get_y() + 8)
    pdf.cell(0, 7, t("briefing_render.title.filters", b.lang), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.style(11)
    for line in filter_lines(b):
        pdf.set_x(MARGIN + 4)
        pdf.multi_cell(PAGE_W - 2 * MARGIN - 4, 6, line, align=Align.L, new_x=XPos.LMARGIN)
    if b.link:
        pdf.style(8, ACCENT)
        pdf.set_xy(MARGIN + 4, FOOTER_TOP - 10)
        link = b.link if b.link.startswith(("http://", "https://")) else ""
        pdf.multi_cell(PAGE_W - 2 * MARGIN - 4, 4, clean(b.link), link=link, align=Align.L)


def _content_page(pdf: _Pack, s: Slide) -> None:
    _accent_bar(pdf)
    _page_title(pdf, s.title)
    y = pdf.get_y()
    if s.subtitle:
        pdf.style(12, MUTED)
        pdf.set_x(MARGIN)
        pdf.multi_cell(PAGE_W - 2 * MARGIN, 6, clean(s.subtitle), align=Align.L, new_x=XPos.LMARGIN)
        y = pdf.get_y()
    y += 3
    if s.metrics:
        y = _tiles(pdf, s.metrics, y) + 3
    bottom = FOOTER_TOP - 4
    commentary = clean(s.commentary).strip()
    if commentary and s.table is None:
        bottom = _commentary(pdf, commentary) - 4
    x, w, h = MARGIN, PAGE_W - 2 * MARGIN, max(bottom - y, 20)
    layout = body_layout(s)

    def at(p):
        return x + p[0] * w, y + p[1] * h, p[2] * w, p[3] * h

    if layout.chart and s.chart is not None:
        _chart(pdf, s, layout.chart, at(layout.chart))
    if layout.bullets:
        bx, by, bw, _ = at(layout.bullets)
        _bullets(pdf, s.bullets, bx, by, bw)
    if layout.table:
        _table(pdf, s, at(layout.table))
        if commentary:
            _commentary(pdf, commentary, top=pdf.get_y() + 6)


def render_pdf(b: Briefing) -> bytes:
    """The pack as PDF bytes."""
    pdf = _Pack(b)
    for s in b.slides:
        pdf.add_page()
        if s.kind == "title":
            _title_page(pdf, s, b)
        else:
            _content_page(pdf, s)
    return bytes(pdf.output())
