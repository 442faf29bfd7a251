"""Renderers of the briefing pack (PowerPoint, PDF, Excel) on Briefings built by hand: FR and EN, real
charts from lib.charts, accents, no-break spaces, formula-looking and markup-looking text.

The files are read back as a user's tools would: python-pptx, pypdf (text), pypdfium2 (pixels),
polars/fastexcel (cells) and the raw XML of the workbook (no formula anywhere).
"""

from __future__ import annotations

import io
import logging
import random
import re
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime

import altair as alt
import numpy as np
import polars as pl
import pypdfium2 as pdfium
import pytest
from pptx import Presentation
from pptx.util import Emu
from pypdf import PdfReader

from lib.briefing.images import ChartImageError, chart_png, png_size
from lib.briefing.model import Briefing, Metric, Slide, stem
from lib.briefing.render_common import clean, fit_widths, footer_filters, numeric_columns
from lib.briefing.render_pdf import render_pdf
from lib.briefing.render_pptx import render_pptx
from lib.briefing.render_xlsx import render_xlsx, sheet_names
from lib.charts import gap_bars, status_bar, time_series
from lib.fmt import fmt_percent, fmt_signed

NASTY = "=cmd|' /C calc'!A0"
MARKUP = "<b>markup</b> & **not bold**"
SERVICES = ["Accueil des usagers", "Ressources humaines", "Système d'information", "Finances"]
KPIS = ["Délai de réponse", "Taux de satisfaction", "Absentéisme", "Coût par dossier", "Disponibilité"]

WORDS = {
    "fr": {
        "title": "Revue de performance — Organisation exemple",
        "period": "octobre 2026",
        "filters": ("Période : octobre 2026 (mois)", "Comparaison : année précédente", "Services : tous"),
        "summary": "Synthèse",
        "score": "Score",
        "on": "Atteints",
        "group": "Service",
        "actions": "Actions en retard et à échéance",
        "appendix": "Annexe",
        "kpi": "Indicateur",
        "value": "Réalisé",
        "status": "Statut",
        "owner": "Responsable",
    },
    "en": {
        "title": "Performance review — Sample organisation",
        "period": "October 2026",
        "filters": ("Period: October 2026 (month)", "Comparison: previous year", "Services: all"),
        "summary": "Summary",
        "score": "Score",
        "on": "On target",
        "group": "Service",
        "actions": "Actions overdue and due soon",
        "appendix": "Appendix",
        "kpi": "KPI",
        "value": "Actual",
        "status": "Status",
        "owner": "Owner",
    },
}


def gap_chart(lang: str, seed: int, title: str) -> alt.TopLevelMixin:
    rng = random.Random(seed)
    frame = pl.DataFrame(
        {
            "label": KPIS,
            "gap_pct": [round(rng.uniform(-20, 15), 1) for _ in KPIS],
            "status": [rng.choice(["on", "watch", "off"]) for _ in KPIS],
        }
    )
    return gap_bars(frame, lang, title=title)


def series_chart(lang: str, seed: int) -> alt.TopLevelMixin:
    rng = random.Random(seed)
    periods = [date(2025, m, 1) for m in range(11, 13)] + [date(2026, m, 1) for m in range(1, 11)]
    frame = pl.DataFrame(
        {
            "period": periods,
            "series": ["Délai de réponse"] * len(periods),
            "actual": [round(70 + rng.gauss(0, 4), 1) for _ in periods],
            "target": [72.0] * len(periods),
        }
    )
    return time_series(frame, lang, grain="month", unit="%")


def make_briefing(lang: str, *, groups: int = 3, appendix_rows: int = 12, seed: int = 7) -> Briefing:
    """A pack with every slide kind: title, summary (tiles, bullets, status chart), since, one group
    slide per service (gap chart and bullets), actions (table), appendix (tables of 15 rows)."""
    w = WORDS[lang]
    rng = random.Random(seed)
    score = fmt_percent(0.724, lang)  # FR « 72,4 % » with a no-break space
    slides = [
        # As the content builder makes it: the filters as bullets (printed once, under their heading).
        Slide(
            kind="title", title=w["title"], subtitle=f"{w['period']} · Élodie Martin", bullets=w["filters"]
        ),
        Slide(
            kind="summary",
            title=w["summary"],
            subtitle=w["period"],
            metrics=(
                Metric(w["score"], score, fmt_signed(1.8, lang) + " pt", True),
                Metric(w["on"], "12", "+2", True),
                Metric("À surveiller" if lang == "fr" else "Watch", "5", "\u22121", None),
                Metric("Non atteints" if lang == "fr" else "Off target", "3", "+1", False),
            ),
            bullets=(
                f"Délai de réponse : {fmt_percent(0.651, lang)} pour un objectif de {fmt_percent(0.7, lang)}",
                f"Coût par dossier : 1\u202f234,5 € ({NASTY})",
                MARKUP,
            ),
            chart=status_bar(pl.DataFrame({"status": ["on", "watch", "off"], "count": [12, 5, 3]}), lang),
            chart_alt="12 indicateurs atteints, 5 à surveiller, 3 non atteints",
            commentary=f"Le score progresse de 1,8 point ; {MARKUP}.",
        ),
        Slide(
            kind="since",
            title="Depuis le dernier dossier" if lang == "fr" else "Since the last briefing",
            bullets=("Absentéisme : passé de « atteint » à « non atteint »", "2 nouveaux signaux"),
        ),
    ]
    for i, service in enumerate(SERVICES[:groups]):
        chart = (
            series_chart(lang, seed + i) if i == 1 else gap_chart(lang, seed + i, f"{w['group']} {service}")
        )
        slides.append(
            Slide(
                kind="group",
                title=service,
                subtitle=f"{w['group']} — {w['period']}",
                metrics=(Metric(w["score"], fmt_percent(0.6 + i / 20, lang), None, None),),
                bullets=tuple(f"{k} : {fmt_percent(rng.uniform(0.5, 1), lang)}" for k in KPIS[:4]),
                chart=chart,
                chart_alt=f"Écart à l'objectif des indicateurs du service {service}",
                commentary=f"Commentaire généré pour {service} : note d'équipe « {NASTY} ».",
            )
        )
    actions = pl.DataFrame(
        {
            "Action": [f"Action n°{i} — réorganiser l'accueil" for i in range(1, 7)] + [NASTY],
            w["owner"]: ["Élodie Martin"] * 6 + [MARKUP],
            "Échéance": [f"{d} oct. 2026" for d in range(1, 8)],
        }
    )
    slides.append(Slide(kind="actions", title=w["actions"], table=actions))
    rows = [
        {
            w["kpi"]: f"{KPIS[r % 5]} {r}",
            w["value"]: fmt_percent(rng.random(), lang),
            w["status"]: "✓ atteint",
        }
        for r in range(appendix_rows)
    ]
    appendix = pl.DataFrame(rows)
    for start in range(0, appendix_rows, 15):
        slides.append(Slide(kind="appendix", title=w["appendix"], table=appendix.slice(start, 15)))
    tables = {
        "Indicateurs": pl.DataFrame(
            {
                w["kpi"]: KPIS,
                "Service": [NASTY, "Finances", "+33 1 23", "@SUM(A1)", "RH"],
                "Valeur": [72.4, 1.5, 3.0, 4.0, 5.0],
            }
        ),
        "Actions": actions,
    }
    return Briefing(
        lang=lang,
        title=w["title"],
        organisation="Organisation exemple",
        period=w["period"],
        generated_at=datetime(2026, 11, 26, 10, 5, tzinfo=UTC),
        generated_by="Élodie Martin",
        filters=w["filters"],
        link="http://localhost:8501/explore?dataset=sample&lang=" + lang + "&start=2026-10",
        dataset="sample",
        dataset_version=None,
        slides=tuple(slides),
        tables=tables,
        file_stem=stem("sample", date(2026, 10, 1), date(2026, 11, 26)),
    )


# --- rendered once per language -------------------------------------------------------------------

CHART_SLIDES = 4  # summary + three group slides


@pytest.fixture(scope="module", params=["fr", "en"])
def pack(request):
    b = make_briefing(request.param)
    return b, render_pptx(b), render_pdf(b), render_xlsx(b)


def _pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def _shape_texts(slide) -> dict[str, str]:
    return {shape.name: shape.text_frame.text for shape in slide.shapes if shape.has_text_frame}


# --- PowerPoint -----------------------------------------------------------------------------------


def test_pptx_one_slide_per_slide_with_titles_in_title_placeholders(pack):
    b, pptx, _, _ = pack
    prs = Presentation(io.BytesIO(pptx))
    assert len(prs.slides) == len(b.slides) == 8
    assert [s.shapes.title.text_frame.text for s in prs.slides] == [s.title for s in b.slides]
    assert (prs.slide_width, prs.slide_height) == (Emu(12191695), Emu(6858000))  # 13.333 × 7.5 in
    assert prs.core_properties.title == b.title
    assert prs.core_properties.language == b.lang
    assert prs.core_properties.author == "Élodie Martin"


def test_pptx_pictures_carry_the_alt_text_and_notes_the_commentary(pack):
    b, pptx, _, _ = pack
    prs = Presentation(io.BytesIO(pptx))
    pictures = []
    for slide, source in zip(prs.slides, b.slides, strict=True):
        pics = [sh for sh in slide.shapes if sh.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        assert len(pics) == (source.chart is not None), source.title
        for pic in pics:
            assert pic._element.nvPicPr.cNvPr.get("descr") == source.chart_alt
            assert pic.image.content_type == "image/png"
            assert png_size(pic.image.blob)[0] in (1280, 2000)  # drawn at 2×
            pictures.append(pic)
        notes = slide.notes_slide.notes_text_frame.text if slide.has_notes_slide else ""
        assert notes == source.commentary
    assert len(pictures) == CHART_SLIDES


def test_pptx_footer_on_every_slide_and_filters_on_the_title_slide(pack):
    b, pptx, _, _ = pack
    prs = Presentation(io.BytesIO(pptx))
    word = "Page"
    for n, slide in enumerate(prs.slides, start=1):
        texts = _shape_texts(slide)
        assert texts["Footer page"] == f"{word} {n} / 8"
        assert texts["Footer filters"] == footer_filters(b)
        for line in b.filters:
            assert line in texts["Footer filters"]
    title = _shape_texts(prs.slides[0])
    assert title["Filters"].split("\n") == list(b.filters)
    assert "Bullets" not in title  # the filters are not printed twice
    assert title["Subtitle"] == b.slides[0].subtitle


GENERATED = {
    "fr": "Généré le 26 novembre 2026 10:05 UTC par Élodie Martin",
    "en": "Generated on 26 November 2026 10:05 UTC by Élodie Martin",
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_title_without_subtitle_says_when_and_by_whom(lang):
    b = make_briefing(lang)
    extra = "Ordre du jour : point 1" if lang == "fr" else "Agenda: item 1"
    cover = replace(b.slides[0], subtitle="", bullets=(*b.filters, extra))
    b = replace(b, slides=(cover, b.slides[2]))
    title = _shape_texts(Presentation(io.BytesIO(render_pptx(b))).slides[0])
    assert title["Subtitle"] == GENERATED[lang]
    assert title["Bullets"] == extra  # bullets other than the filters are kept
    page = _pdf_pages(render_pdf(b))[0].replace("\n", " ")
    assert GENERATED[lang] in page
    assert extra in page
    assert page.count(b.filters[0]) == 2  # under « Filters » and in the footer


def test_pptx_text_from_data_is_plain_text(pack):
    b, pptx, _, _ = pack
    prs = Presentation(io.BytesIO(pptx))
    bullets = _shape_texts(prs.slides[1])["Bullets"].split("\n")
    assert bullets == list(b.slides[1].bullets)
    assert MARKUP in bullets and any(NASTY in x for x in bullets)
    metrics = [sh.text_frame.text for sh in prs.slides[1].shapes if sh.name == "Metric"]
    score = "72,4\u00a0%" if b.lang == "fr" else "72.4%"
    assert metrics[0] == f"Score\n{score}  {b.slides[1].metrics[0].delta}"
    table = next(sh for sh in prs.slides[6].shapes if sh.has_table).table
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == list(b.slides[6].table.columns)
    assert cells[-1] == [NASTY, MARKUP, "7 oct. 2026"]


# --- PDF --------------------------------------------------------------------------------------------


def test_pdf_one_page_per_slide_with_filters_and_page_numbers_on_every_page(pack):
    b, _, pdf, _ = pack
    pages = _pdf_pages(pdf)
    assert len(pages) == 8
    for n, text in enumerate(pages, start=1):
        for line in b.filters:
            assert line in text, (n, line)
        assert f"Page {n} / 8" in text
    for page, slide in zip(pages, b.slides, strict=True):
        assert page.startswith(slide.title) or slide.kind == "title"


def test_pdf_text_keeps_accents_and_the_no_break_spaces_of_numbers(pack):
    b, _, pdf, _ = pack
    text = " ".join(_pdf_pages(pdf)).replace("\n", " ")  # lines wrap where the page needs
    for kpi in KPIS:
        assert kpi in text
    for service in SERVICES[:3]:
        assert service in text
    if b.lang == "fr":
        assert "72,4\u00a0%" in text  # no-break space before %
        assert "1\u202f234,5 €" in text  # narrow no-break space between thousands
        assert "Revue de performance — Organisation exemple" in text
        assert "Commentaire" in text
    else:
        assert "72.4%" in text
    assert MARKUP in text  # printed, never interpreted
    assert "\u22121" in text  # a true minus sign


def test_pdf_metadata(pack):
    b, _, pdf, _ = pack
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata.title == b.title
    assert reader.metadata.author == "Élodie Martin"
    assert reader.trailer["/Root"]["/Lang"] == b.lang
    fonts = [f.get_object() for p in reader.pages for f in p["/Resources"]["/Font"].values()]
    assert {f["/BaseFont"].split("+")[-1] for f in fonts} == {"DejaVuSansBook", "DejaVuSansBold"}
    for font in fonts:  # embedded (a subset), not left to the reader's system
        assert "/FontFile2" in font["/DescendantFonts"][0].get_object()["/FontDescriptor"]


def _pixels(pdf: bytes, index: int) -> np.ndarray:
    page = pdfium.PdfDocument(pdf)[index]
    return np.asarray(page.render(scale=1).to_pil().convert("RGB"), dtype=int)


def _share_near(image: np.ndarray, colour: tuple[int, int, int], tolerance: int = 10) -> float:
    return float((np.abs(image - np.array(colour)).max(axis=2) < tolerance).mean())


def test_pdf_first_page_is_drawn_and_charts_are_pixels(pack):
    _, _, pdf, _ = pack
    cover = _pixels(pdf, 0)
    assert 0.02 < 1 - _share_near(cover, (255, 255, 255), 1) < 0.5  # neither blank nor a smear
    assert _share_near(cover, (0x00, 0x72, 0xB2)) > 0.01  # the accent band
    summary = _pixels(pdf, 1)  # the status bar: green, orange and vermillion segments
    for colour in ((0x00, 0x9E, 0x73), (0xE6, 0x9F, 0x00), (0xD5, 0x5E, 0x00)):
        assert _share_near(summary, colour) > 0.003, colour


# --- Excel ------------------------------------------------------------------------------------------


def test_xlsx_sheets_values_and_neutralised_cells(pack):
    b, _, _, xlsx = pack
    sheets = pl.read_excel(io.BytesIO(xlsx), sheet_id=0)
    cover = "Filtres" if b.lang == "fr" else "Filters"
    assert list(sheets) == [cover, "Indicateurs", "Actions"]
    kpis = sheets["Indicateurs"]
    assert kpis.get_column("Service").to_list() == ["'" + NASTY, "Finances", "'+33 1 23", "'@SUM(A1)", "RH"]
    assert kpis.get_column("Valeur").to_list() == [72.4, 1.5, 3.0, 4.0, 5.0]
    assert kpis.get_column(WORDS[b.lang]["kpi"]).to_list() == KPIS
    actions = sheets["Actions"]
    assert actions.row(-1) == ("'" + NASTY, MARKUP, "7 oct. 2026")
    values = dict(zip(*sheets[cover].to_dict(as_series=False).values(), strict=False))
    filters = sheets[cover].filter(
        pl.col(sheets[cover].columns[0]) == ("Filtre" if b.lang == "fr" else "Filter")
    )
    assert filters.get_column(sheets[cover].columns[1]).to_list() == list(b.filters)
    link, when = ("Lien", "Généré le") if b.lang == "fr" else ("Link", "Generated on")
    assert values[link] == b.link
    assert values[when] == ("26 novembre 2026 10:05 UTC" if b.lang == "fr" else "26 November 2026 10:05 UTC")
    version = "Version du jeu de données" if b.lang == "fr" else "Dataset version"
    assert values[version].startswith("échantillon" if b.lang == "fr" else "bundled sample")


def test_xlsx_has_no_formula_and_frozen_headers(pack):
    _, _, _, xlsx = pack
    with zipfile.ZipFile(io.BytesIO(xlsx)) as zf:
        sheets = sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet"))
        assert len(sheets) == 3
        for name in sheets:
            xml = zf.read(name).decode()
            assert "<f>" not in xml and "<f " not in xml, name
            assert re.search(
                r'<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"', xml
            ), name
            widths = [float(w) for w in re.findall(r'<col [^>]*width="([\d.]+)"', xml)]
            assert widths and all(8 <= w <= 95 for w in widths), (name, widths)


# --- long tables, broken charts, nasty names ---------------------------------------------------------


def _long_table(rows: int, seed: int = 3) -> pl.DataFrame:
    rng = random.Random(seed)
    return pl.DataFrame(
        {
            "Indicateur": [f"Indicateur n°{i:03d} — {rng.choice(KPIS)}" for i in range(rows)],
            "Réalisé": [fmt_percent(rng.random(), "fr") for _ in range(rows)],
            "Note": [("très " * rng.randint(0, 30)) + "long" for _ in range(rows)],
        }
    )


@pytest.mark.parametrize("rows", [0, 1, 16, 45])
def test_a_long_table_continues_on_the_next_pages_with_every_row_once(rows):
    b = make_briefing("fr")
    table = _long_table(rows)
    b = replace(b, slides=(b.slides[0], Slide("appendix", "Annexe détaillée", table=table)))
    prs = Presentation(io.BytesIO(render_pptx(b)))
    shown = []
    for i, slide in enumerate(list(prs.slides)[1:]):
        assert slide.shapes.title.text_frame.text == ("Annexe détaillée" + (" (suite)" if i else ""))
        grids = [sh.table for sh in slide.shapes if sh.has_table]
        if rows == 0:
            assert grids == [] and _shape_texts(slide)["TextBox 3"] == "Rien à signaler."
            continue
        cells = [[c.text for c in row.cells] for row in grids[0].rows]
        assert cells[0] == table.columns  # the header row on every part
        shown += cells[1:]
    assert shown == [list(r) for r in table.iter_rows()]
    n = len(prs.slides)
    assert n == 2 if rows <= 1 else n >= 3  # 16 rows with long wrapped notes do not fit one slide
    assert _shape_texts(list(prs.slides)[-1])["Footer page"] == f"Page {n} / {n}"

    pages = _pdf_pages(render_pdf(b))
    text = " ".join(p.replace("\n", " ") for p in pages)
    for name in table.get_column("Indicateur"):
        assert text.count(name + " ") == 1, name
    assert (len(pages) > 2) == (rows >= 45)
    for k, page in enumerate(pages[1:], start=2):
        assert f"Page {k} / {len(pages)}" in page
        assert b.filters[0] in page
        if rows:
            assert "Indicateur Réalisé Note" in page  # header repeated
        if k > 2:
            assert page.startswith("Annexe détaillée (suite)")


def _invalid_chart():
    return alt.Chart(alt.Data(values=[{"a": 1}])).mark_point(size="big").encode(x="a:Q")


class _Exploding:
    def to_dict(self, *args, **kwargs):
        raise RuntimeError("boom")


@pytest.mark.parametrize("build", [_invalid_chart, _Exploding], ids=["invalid-spec", "to_dict-raises"])
def test_a_chart_that_cannot_be_drawn_leaves_a_placeholder_and_a_warning(build, caplog):
    try:
        chart = build()
    except Exception:  # debug mode may refuse the spec at construction: build it unchecked
        with alt.utils.schemapi.debug_mode(False):
            chart = build()
    b = make_briefing("en")
    broken = replace(b.slides[3], chart=chart, chart_alt="Gap to target of Human resources")
    b = replace(b, slides=(b.slides[0], broken, b.slides[4]))
    with caplog.at_level(logging.WARNING, logger="lib.briefing.images"):
        pptx, pdf = render_pptx(b), render_pdf(b)
    assert any("not drawn" in r.getMessage() for r in caplog.records)
    expected = "Chart unavailable: Gap to target of Human resources"
    prs = Presentation(io.BytesIO(pptx))
    assert _shape_texts(prs.slides[1])["Chart unavailable"] == expected
    assert [sh for sh in prs.slides[1].shapes if sh.shape_type == 13] == []
    assert [sh.shape_type for sh in prs.slides[2].shapes].count(13) == 1  # the next chart is drawn
    assert expected in _pdf_pages(pdf)[1]
    with pytest.raises(ChartImageError):
        chart_png(chart, width_px=400)


@pytest.mark.parametrize(("width", "scale"), [(300, 1.0), (640, 2.0), (1000, 2.0), (500, 1.5)])
def test_chart_png_is_exactly_as_wide_as_asked(width, scale):
    chart = gap_chart("fr", 5, "Écart à l'objectif")
    png = chart_png(chart, width_px=width, scale=scale)
    w, h = png_size(png)
    assert w == round(width * scale)
    assert 50 * scale < h < 600 * scale
    assert chart_png(chart, width_px=width, scale=scale) is png  # cached for the other format
    with pytest.raises(ChartImageError):
        chart_png(chart, width_px=10)


@pytest.mark.parametrize(
    ("names", "taken", "expected"),
    [
        (["Indicateurs"], {"Filtres"}, ["Indicateurs"]),
        (["Filtres", "filtres"], {"Filtres"}, ["Filtres (2)", "filtres (3)"]),
        (["a/b:c*d?e[f]g\\h"], set(), ["a-b-c-d-e-f-g-h"]),
        (["x" * 40, "x" * 40], set(), ["x" * 31, "x" * 27 + " (2)"]),
        (["", "'quoted'", "History"], set(), ["Sheet", "quoted", "History (2)"]),
        (["=cmd", "Ligne\nsuite"], set(), ["=cmd", "Ligne suite"]),
    ],
)
def test_sheet_names_are_valid_and_distinct(names, taken, expected):
    assert sheet_names(names, taken) == expected


def test_xlsx_with_awkward_sheets_and_cells():
    b = make_briefing("en")
    tables = {
        "Filters": pl.DataFrame({"a": ["=1+1"]}),
        "Nested": pl.DataFrame({"v": [[1, 2], [3]], "t": ["ok\x00\x07", "-5"], "d": [date(2026, 10, 1)] * 2}),
        "Empty": pl.DataFrame(),
        "No rows": pl.DataFrame({"x": pl.Series([], dtype=pl.String)}),
    }
    sheets = pl.read_excel(io.BytesIO(render_xlsx(replace(b, tables=tables))), sheet_id=0)
    assert list(sheets) == ["Filters", "Filters (2)", "Nested", "Empty", "No rows"]
    assert sheets["Filters (2)"].get_column("a").to_list() == ["'=1+1"]
    nested = sheets["Nested"]
    assert nested.get_column("v").to_list() == ["[1, 2]", "[3]"]
    assert nested.get_column("t").to_list() == ["ok", "'-5"]
    assert nested.get_column("d").to_list() == [date(2026, 10, 1)] * 2


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\x00b\x07c", "abc"),
        ("line\r\nnext\rthird", "line\nnext\nthird"),
        ("tab\there", "tab here"),
        ("72,4\u00a0% · 1\u202f234", "72,4\u00a0% · 1\u202f234"),
        ("e\u0301te\u0301", "été"),
        (None, ""),
        (12.5, "12.5"),
    ],
)
def test_clean_keeps_text_and_drops_control_characters(raw, expected):
    assert clean(raw) == expected


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["Admissions", "44,2 €", "−16,3 %", ""]], [False, True, True, False]),
        ([["a", "+5"], ["b", "x"]], [False, False]),
        ([["1 oct. 2026", ""], ["", "-3"]], [True, True]),
        ([], []),
    ],
)
def test_numeric_columns_are_right_aligned(rows, expected):
    assert numeric_columns(rows) == expected


def test_pptx_shapes_stay_on_the_slide_and_above_the_footer(pack):
    _, pptx, _, _ = pack
    prs = Presentation(io.BytesIO(pptx))
    footer = Emu(int(6.78 * 914400))
    for n, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            height = sum(r.height for r in shape.table.rows) if shape.has_table else shape.height
            assert shape.left >= 0 and shape.top >= 0, (n, shape.name)
            assert shape.left + shape.width <= prs.slide_width + 10, (n, shape.name)
            assert shape.top + height <= prs.slide_height, (n, shape.name)
            if shape.name in ("Chart", "Table", "Bullets", "Metric"):
                assert shape.top + height <= footer, (n, shape.name)


@pytest.mark.parametrize(
    ("natural", "total", "expected"),
    [
        ([10, 20, 30], 120, [20, 40, 60]),  # room to spare: spread out
        ([10, 10, 200, 100], 120, [10, 10, 50, 50]),  # narrow columns keep their width, wide ones share
        ([10, 300], 100, [10, 90]),
        ([50, 50], 60, [30, 30]),
        ([], 100, []),
    ],
)
def test_fit_widths(natural, total, expected):
    assert fit_widths(natural, total) == pytest.approx(expected, abs=1e-6)
