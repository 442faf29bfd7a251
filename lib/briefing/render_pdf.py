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
from fpdf.enums import Align

from lib.briefing.images import FONTS, png_size, prefetch, try_chart_png
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

PAGE_W, PAGE_H = 297.0, 210.0  # mm, A4 landscape
MARGIN = 14.0
FOOTER_TOP = PAGE_H - 17.0  # the rule above the footer
FONT = "DejaVu"
CONTINUED_TOP = 24.0  # where a continuation page starts, under its title


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
        # Pages are laid out by hand (tables break where they must): no automatic page break.
        self.set_auto_page_break(False)
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
            end = _page_title(self, t("briefing_render.slide.continued", self.b.lang, title=self.continued))
            self.set_y(max(end + 3, CONTINUED_TOP))

    def footer(self) -> None:
        self.set_draw_color(*_rgb(RULE))
        self.set_line_width(0.25)
        self.line(MARGIN, FOOTER_TOP, PAGE_W - MARGIN, FOOTER_TOP)
        self.style(7.5, MUTED)
        para(self, footer_filters(self.b), MARGIN, FOOTER_TOP + 1.5, PAGE_W - 2 * MARGIN - 32, 3.6, 3)
        # The page label's total is fpdf's alias, replaced by the page count when the file is written.
        self.set_xy(PAGE_W - MARGIN - 30, FOOTER_TOP + 1.5)
        self.cell(30, 3.6, page_label(self.page_no(), self.alias_nb_pages_text(), self.b.lang), align=Align.R)

    def alias_nb_pages_text(self) -> str:
        return self.str_alias_nb_pages


def wrap(pdf: FPDF, text: str, width: float, max_lines: int | None = None) -> list[str]:
    """`text` in lines at most `width` wide in the current font, broken at ordinary spaces only.

    fpdf2's multi_cell honours no-break spaces but writes them as ordinary ones; printing our own
    lines with cell() keeps U+00A0 and U+202F in the file, so the PDF's text is the pack's text.
    """
    lines: list[str] = []
    for paragraph in clean(text).split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if pdf.get_string_width(candidate) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = word
            while len(line) > 1 and pdf.get_string_width(line) > width:  # a word wider than the box
                cut = len(line) - 1
                while cut > 1 and pdf.get_string_width(line[:cut]) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    if max_lines is not None and len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and pdf.get_string_width(last + "…") > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last.rstrip() + "…"]
    return lines


def para(
    pdf: FPDF,
    text: str,
    x: float,
    y: float,
    width: float,
    line_h: float,
    max_lines: int | None = None,
    align: Align = Align.L,
) -> float:
    """Print `text` wrapped in the box starting at (x, y); returns the y under it."""
    for line in wrap(pdf, text, width, max_lines):
        pdf.set_xy(x, y)
        pdf.cell(width, line_h, line, align=align)
        y += line_h
    return y


def _accent_bar(pdf: _Pack) -> None:
    pdf.set_fill_color(*_rgb(ACCENT))
    pdf.rect(0, 0, PAGE_W, 2.5, style="F")


def _page_title(pdf: _Pack, title: str) -> float:
    pdf.style(20, bold=True)
    return para(pdf, title, MARGIN, 8, PAGE_W - 2 * MARGIN, 9, max_lines=2)


def _tiles(pdf: _Pack, metrics: tuple[Metric, ...], y: float) -> float:
    per_row, gap = min(len(metrics), 6), 4.0
    width = min((PAGE_W - 2 * MARGIN - gap * (per_row - 1)) / per_row, 62.0)
    for i, metric in enumerate(metrics):
        row, col = divmod(i, per_row)
        x, top = MARGIN + col * (width + gap), y + row * 25
        pdf.set_fill_color(*_rgb(TILE))
        pdf.rect(x, top, width, 22, style="F", round_corners=True, corner_radius=2)
        pdf.style(9, MUTED)
        para(pdf, metric.label.replace("\n", " "), x + 3, top + 2.5, width - 6, 5, max_lines=1)
        pdf.style(18, bold=True)
        value = wrap(pdf, metric.value.replace("\n", " "), width - 6, max_lines=1)[0]
        pdf.set_xy(x + 3, top + 9)
        pdf.cell(pdf.get_string_width(value) + 1, 9, value)
        if metric.delta:
            colour = MUTED if metric.good is None else GOOD if metric.good else BAD
            pdf.style(10, colour, bold=True)
            room = width - 7 - pdf.get_string_width(value)
            if room > 5:
                pdf.cell(room, 9, wrap(pdf, " " + clean(metric.delta), room, max_lines=1)[0])
    return y + ((len(metrics) + per_row - 1) // per_row) * 25


BULLET_SIZES = (13, 12, 11, 10, 9)


def _bullets(pdf: _Pack, items: tuple[str, ...], x: float, y: float, w: float, bottom: float) -> float:
    """The bullets in the largest size (13 pt down to 9 pt) that fits above `bottom`; at 9 pt what
    still does not fit is cut with an ellipsis rather than printed over the footer."""
    texts = [clean(item).replace("\n", " ") for item in items]
    for size in BULLET_SIZES:
        pdf.style(size)
        line_h = size * 0.5
        lines = [wrap(pdf, text, w - 5) for text in texts]
        if y + sum(len(ls) * line_h + size * 0.22 for ls in lines) <= bottom:
            break
    for text_lines in lines:
        room = int((bottom - y) // line_h)
        if room < 1:
            break
        pdf.style(size, ACCENT, bold=True)
        pdf.set_xy(x, y)
        pdf.cell(5, line_h, "•")
        pdf.style(size)
        shown = text_lines if len(text_lines) <= room else wrap(pdf, " ".join(text_lines), w - 5, room)
        y = para(pdf, "\n".join(shown), x + 5, y, w - 5, line_h) + size * 0.22
    return y


def _chart(pdf: _Pack, s: Slide, part, box: tuple[float, float, float, float]) -> None:
    x, y, w, h = box
    png = try_chart_png(s.chart, width_px=chart_width_px(part), what=s.title)
    if png is None:
        pdf.set_fill_color(*_rgb(TILE))
        pdf.rect(x, y, w, 24, style="F")
        pdf.style(12, MUTED)
        para(pdf, chart_missing(s, pdf.b.lang), x + 4, y + 4, w - 8, 6, max_lines=3)
        return
    pw, ph = png_size(png)
    scale = min(w / pw, h / ph)
    dw, dh = pw * scale, ph * scale
    pdf.image(
        io.BytesIO(png), x=x + (w - dw) / 2, y=y, w=dw, h=dh, alt_text=clean(s.chart_alt) or clean(s.title)
    )


def _row(
    pdf: _Pack,
    values: list[str],
    x: float,
    y: float,
    widths: list[float],
    size: float,
    header: bool,
    fill: str | None,
    right: list[bool],
) -> float:
    """One table row (cells wrapped, 8 lines at most); returns its height. Drawn only when y >= 0."""
    pdf.style(size, bold=header)
    line_h = size * 0.5
    cells = [wrap(pdf, v, wd - 3, max_lines=8) for v, wd in zip(values, widths, strict=True)]
    height = max(len(c) for c in cells) * line_h + 2.4
    if y < 0:
        return height
    if fill:
        pdf.set_fill_color(*_rgb(fill))
        pdf.rect(x, y, sum(widths), height, style="F")
    for lines, wd, r in zip(cells, widths, right, strict=True):
        para(pdf, "\n".join(lines), x + 1.5, y + 1.2, wd - 3, line_h, align=Align.R if r else Align.L)
        x += wd
    pdf.set_draw_color(*_rgb(RULE))
    pdf.set_line_width(0.2)
    pdf.line(x - sum(widths), y + height, x, y + height)
    return height


def _table(pdf: _Pack, s: Slide, box: tuple[float, float, float, float]) -> float:
    """The slide's table from the top of `box`, continued on new pages (title and header row
    repeated) when it is longer than the page; returns the y under it."""
    x, y, w, _ = box
    headers, rows = table_cells(s.table)
    if not rows:
        pdf.style(12, MUTED)
        return para(pdf, t("briefing_render.slide.empty_table", pdf.b.lang), x, y, w, 8)
    size = 10 if len(rows) <= 15 else 9

    def measure(text: str, header: bool) -> float:
        pdf.style(size, bold=header)
        return pdf.get_string_width(text) + 3.6

    widths = table_widths(headers, rows, w, measure)
    bottom = FOOTER_TOP - 3
    right = numeric_columns(rows)
    y += _row(pdf, headers, x, y, widths, size, True, HEADER_FILL, right)
    for i, values in enumerate(rows):
        height = _row(pdf, values, x, -1, widths, size, False, None, right)
        if y + height > bottom:
            pdf.continued = clean(s.title)
            pdf.add_page()
            pdf.continued = None
            y = pdf.get_y()
            y += _row(pdf, headers, x, y, widths, size, True, HEADER_FILL, right)
        y += _row(pdf, values, x, y, widths, size, False, STRIPE if i % 2 else None, right)
    return y


def _commentary(pdf: _Pack, text: str, top: float | None = None) -> float:
    """Print the commentary above the footer, or at `top` (after a table, where the flow ended; on a
    new page when it does not fit); returns its top."""
    pdf.style(9.5, INK)
    width = PAGE_W - 2 * MARGIN - 6
    lines = wrap(pdf, text, width, max_lines=12)
    height = 7 + len(lines) * 4.6 + 3
    if top is None:
        top = FOOTER_TOP - 3 - height
    elif top + height > FOOTER_TOP - 3:
        pdf.add_page()
        top = CONTINUED_TOP
    pdf.set_fill_color(*_rgb(TILE))
    pdf.rect(MARGIN, top, PAGE_W - 2 * MARGIN, height, style="F")
    pdf.style(9, MUTED, bold=True)
    pdf.set_xy(MARGIN + 3, top + 2)
    pdf.cell(width, 4.5, t("briefing_render.slide.commentary", pdf.b.lang))
    pdf.style(9.5, INK)
    para(pdf, "\n".join(lines), MARGIN + 3, top + 7, width, 4.6)
    return top


def _title_page(pdf: _Pack, s: Slide, b: Briefing) -> None:
    pdf.set_fill_color(*_rgb(ACCENT))
    pdf.rect(0, 0, 8, PAGE_H, style="F")
    x, w = MARGIN + 4, PAGE_W - 2 * MARGIN - 4
    pdf.style(28, bold=True)
    y = para(pdf, s.title or b.title, x, 30, w, 12, max_lines=3)
    pdf.style(15, MUTED)
    # The content's subtitle says when and by whom; without one, say it here.
    y = para(pdf, s.subtitle or generated_line(b), x, y + 2, w, 8, max_lines=2)
    extra = title_bullets(s, b)
    if extra:
        y = _bullets(pdf, extra, x, y + 5, w, FOOTER_TOP - 60)
    pdf.style(12, bold=True)
    y = para(pdf, t("briefing_render.title.filters", b.lang), x, y + 8, w, 7)
    pdf.style(11)
    for line in filter_lines(b):
        y = para(pdf, line, x, y, w, 6, max_lines=3)
    if b.link:
        pdf.style(8, ACCENT)
        link = clean(b.link)
        top = FOOTER_TOP - 3 - 4 * len(wrap(pdf, link, w, max_lines=3))
        para(pdf, link, x, top, w, 4, max_lines=3)
        if link.startswith(("http://", "https://")):
            pdf.link(x, top, w, FOOTER_TOP - 3 - top, link)


def _content_page(pdf: _Pack, s: Slide) -> None:
    _accent_bar(pdf)
    y = _page_title(pdf, s.title)
    if s.subtitle:
        pdf.style(12, MUTED)
        y = para(pdf, s.subtitle, MARGIN, y, PAGE_W - 2 * MARGIN, 6, max_lines=2)
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
        bx, by, bw, bh = at(layout.bullets)
        _bullets(pdf, s.bullets, bx, by, bw, by + bh)
    if layout.table:
        end = _table(pdf, s, at(layout.table))
        if commentary:
            _commentary(pdf, commentary, top=end + 6)


def render_pdf(b: Briefing) -> bytes:
    """The pack as PDF bytes."""
    prefetch(chart_jobs(b))
    pdf = _Pack(b)
    for s in b.slides:
        pdf.add_page()
        if s.kind == "title":
            _title_page(pdf, s, b)
        else:
            _content_page(pdf, s)
    return bytes(pdf.output())
