"""The Briefing page and the presentation mode through AppTest, on a fresh SQLite store per test: the
slide list and filters of the view, a pack prepared (three files with their names, readable, recorded
and listed), "since the last briefing", the author asked once, and the slides walked by URL and buttons."""

from __future__ import annotations

import io
import re
from datetime import date

import polars as pl
import pytest
from pptx import Presentation
from pypdf import PdfReader
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from lib.i18n import t
from lib.ui import briefing as ui_briefing
from lib.ui.text import md_escape
from tests.apptest_harness import click_label, open_page, seeded_store

TODAY = date.today()


@pytest.fixture
def db(tmp_path, monkeypatch):
    """This test's data folder (its SQLite file), and a Store on it to check what the page recorded."""
    with seeded_store(tmp_path, monkeypatch, (ui_briefing._build,)) as store:
        yield store


class _Captured(MemoryMediaFileStorage):
    """The media storage AppTest uses, keeping every file it serves by name."""

    files: dict[str, bytes] = {}

    def load_and_get_id(self, path_or_data, mimetype, kind, filename=None):
        file_id = super().load_and_get_id(path_or_data, mimetype, kind, filename)
        _Captured.files[filename] = self.get_file(file_id).content
        return file_id


@pytest.fixture
def captured(monkeypatch):
    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", _Captured)
    _Captured.files.clear()
    return _Captured.files


def _open(page: str, lang: str = "en", *, author: str | None = "Ana", **query) -> AppTest:
    return open_page(page, lang, author=author, timeout=90, **query)


_click = click_label


def _contents(at: AppTest) -> list[str]:
    """The slide list under "What the pack will contain", one line per entry."""
    return next(m.value for m in at.markdown if m.value.startswith("- **1** · ")).splitlines()


def _slide_count(at: AppTest, lang: str) -> int:
    """The count in the heading "What the pack will contain (n slides)"."""
    pattern = re.escape(t("briefing_page.page.contents", lang, n="#")).replace("\\#", r"(\d+)")
    found = [m for h in at.subheader if (m := re.fullmatch(pattern, h.value))]
    assert found, [h.value for h in at.subheader]
    return int(found[0][1])


def _since_toggle(at: AppTest):
    (toggle,) = at.toggle
    return toggle


def _prepare(at: AppTest, lang: str) -> AppTest:
    return _click(at, t("briefing_page.prepare.button", lang))


def _index(at: AppTest) -> list[str]:
    """The slide titles of the presentation's index (sidebar links « n. title »)."""
    return [re.sub(r"^\d+\. ", "", p.proto.label) for p in at.sidebar.get("page_link")]


def _stem(period: str = "2026-10") -> str:
    return f"vigie-briefing_sample_{period}_{TODAY.isoformat()}"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_briefing_page_lists_the_slides_and_the_filters_of_the_view(db, lang):
    at = _open(
        "pages/briefing.py", lang, service=["Qualité", "Finances"], **{"from": "2026-01", "to": "2026-09"}
    )
    lines = _contents(at)
    name = t("common.dataset.sample", lang)
    assert lines[0] == f"- **1** · {md_escape(t('briefing.title', lang, name=name))}"
    assert lines[1] == f"- **2** · {md_escape(t('briefing.summary.title', lang))}"
    # One slide per service of the view (no "since": nothing was recorded yet), in name order.
    assert lines[2:4] == ["- **3** · Finances", "- **4** · Qualité"]
    assert md_escape(t("briefing.since.title", lang)) not in "\n".join(lines)
    # The filters in effect: the services and the period asked for, as printed in the files.
    filters = next(m.value for m in at.markdown if m.value.startswith("- ") and "Finances" in m.value)
    assert "Finances" in filters and "Qualité" in filters
    month = {"fr": "septembre 2026", "en": "September 2026"}[lang]
    subtitle = t("briefing_page.page.subtitle", lang, name=name, period=month)
    assert md_escape(subtitle) in [c.value for c in at.caption]
    # Nothing recorded yet: the toggle is off and disabled, and the page says why.
    toggle = _since_toggle(at)
    assert toggle.value is False and toggle.disabled
    assert t("briefing_page.since.none", lang) in [c.value for c in at.caption]
    assert t("briefing_page.past.none", lang) in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_prepare_yields_three_named_files_recorded_and_listed(db, captured, lang):
    at = _open("pages/briefing.py", lang)
    n = _slide_count(at, lang)
    _prepare(at, lang)
    names = {f"{_stem()}.{ext}" for ext in ("pptx", "pdf", "xlsx")}
    assert names <= set(captured), sorted(captured)
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == [
        t(f"briefing_page.files.{e}", lang) for e in ("pptx", "pdf", "xlsx")
    ]
    pptx = Presentation(io.BytesIO(captured[f"{_stem()}.pptx"]))
    assert len(pptx.slides) == n
    texts = "\n".join(sh.text_frame.text for sl in pptx.slides for sh in sl.shapes if sh.has_text_frame)
    assert t("briefing.title", lang, name=t("common.dataset.sample", lang)) in texts
    pdf = PdfReader(io.BytesIO(captured[f"{_stem()}.pdf"]))
    assert len(pdf.pages) >= n  # a long slide may flow onto a second page
    assert "Candidatures reçues" in "\n".join(p.extract_text() for p in pdf.pages)
    sheets = pl.read_excel(io.BytesIO(captured[f"{_stem()}.xlsx"]), sheet_id=0)
    results = sheets[t("briefing.sheet.results", lang)]
    assert any("Candidatures reçues" in row for row in results.rows())
    assert not sheets[t("briefing_render.xlsx.sheet", lang)].is_empty()
    # Recorded: who, which dataset version, the view's link and period; listed under "Past packs".
    (record,) = db.briefings("sample")
    assert record["created_by"] == "Ana" and record["version"] is None and record["lang"] == lang
    assert record["period"] == date(2026, 10, 1)
    assert (
        record["link"].startswith("/?")
        and "dataset=sample" in record["link"]
        and "from=2025-11" in record["link"]
    )
    past = at.dataframe[-1].value
    assert past["author"].to_list() == ["Ana"]
    assert past["period"].to_list() == [{"fr": "octobre 2026", "en": "October 2026"}[lang]]
    assert past["version"].to_list() == [t("briefing_page.past.sample", lang)]
    assert past["link"].to_list() == [record["link"]]
    # The generation time is shown, in the page's number format.
    prefix = t("briefing_page.files.generated", lang, date="#", seconds="#").split("#")[0]
    done = [c.value for c in at.caption if c.value.startswith(prefix)]
    assert done and re.search(r"\d+[,.]\d s", done[0]), [c.value for c in at.caption]


def test_since_the_last_briefing_compares_with_the_pack_of_an_earlier_period(db, captured):
    at = _open("pages/briefing.py", "en", to="2026-09")
    first = _slide_count(at, "en")
    _prepare(at, "en")
    # The same period again (a pack prepared on Monday, presented on Tuesday): nothing to compare with.
    at.run()
    assert _since_toggle(at).disabled and _slide_count(at, "en") == first
    at.switch_page("pages/present.py").run()
    assert "Since the last briefing" not in _index(at)
    # The next month's pack: "since" is on, with the September pack's date, author and period.
    at.query_params["to"] = "2026-10"
    at.switch_page("pages/briefing.py").run()
    toggle = _since_toggle(at)
    assert toggle.value is True and not toggle.disabled
    assert "- **3** · Since the last briefing" in _contents(at)
    compared = [c.value for c in at.caption if c.value.startswith("Compared with the pack of")]
    assert compared and "by Ana" in compared[0] and "September 2026" in compared[0]
    with_since = _slide_count(at, "en")
    # Turned off: the slide goes, and the presentation mode follows the choice.
    toggle.set_value(False).run()
    assert _slide_count(at, "en") == with_since - 1
    at.switch_page("pages/present.py").run()
    assert at.query_params["slide"] == "1"
    assert "Since the last briefing" not in _index(at)
    assert f"Slide 1 / {with_since - 1}" in [m.value for m in at.markdown]
    # Recorded with the periods briefed.
    assert [r["period"] for r in db.briefings("sample")] == [date(2026, 9, 1)]


def test_the_author_is_asked_once_then_the_pack_is_prepared(db, captured):
    at = _open("pages/briefing.py", "en", author=None)
    _prepare(at, "en")
    assert not captured and not db.briefings("sample")
    at.text_input(key="_author_input_briefing").set_value("Chloé Martin")
    submit = [b for b in at.get("button") if b.proto.label == t("actions_page.author.save", "en")]
    assert submit, "the name prompt is not shown"
    submit[0].click().run()
    assert not at.exception, at.exception
    assert [r["created_by"] for r in db.briefings("sample")] == ["Chloé Martin"]
    assert f"{_stem()}.pptx" in captured


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_present_walks_the_slides_with_the_number_in_the_url(db, lang):
    at = _open("pages/present.py", lang, slide="2")
    titles = _index(at)
    counter = t("briefing_page.present.counter", lang, n=2, total=len(titles))
    assert counter in [m.value for m in at.markdown]
    assert titles[:2] == [t("briefing.title", lang, name=t("common.dataset.sample", lang)), at.title[0].value]
    assert at.title[0].value == md_escape(t("briefing.summary.title", lang))
    assert at.get("metric"), "the summary's figures are drawn as metrics"
    _click(at, t("briefing_page.present.next", lang))
    assert at.query_params["slide"] == "3"
    assert at.title[0].value == md_escape(titles[2]) == "Admissions"
    assert at.get("vega_lite_chart"), "a service slide shows its chart"
    _click(at, t("briefing_page.present.previous", lang))
    _click(at, t("briefing_page.present.previous", lang))
    assert at.query_params["slide"] == "1"
    assert at.title[0].value == md_escape(titles[0])
    previous = next(b for b in at.button if b.label == t("briefing_page.present.previous", lang))
    assert previous.disabled
    # The same slides as the pack the Briefing page prepares.
    at.switch_page("pages/briefing.py").run()
    assert _slide_count(at, lang) == len(titles)


def test_present_clamps_a_slide_past_the_end_and_draws_no_menu(db):
    at = _open("pages/present.py", "en", slide="999")
    total = int(re.search(r"/ (\d+)$", next(m.value for m in at.markdown if m.value.startswith("Slide")))[1])
    assert at.query_params["slide"] == str(total)
    assert next(b for b in at.button if b.label == "Next").disabled
    # The sidebar holds only the slide index: links to the presentation itself, no menu, no filters.
    links = at.sidebar.get("page_link")
    assert len(links) == total and {link.proto.page for link in links} == {"present"}
    assert not at.sidebar.get("multiselect") and not at.sidebar.get("radio")
    # A link back to Explore keeps the filters (without the slide).
    explore = [p for p in at.main.get("page_link") if p.proto.page == "explore"]
    assert explore and "slide" not in explore[0].proto.query_string


def test_text_from_data_is_shown_as_text(db):
    db.add_note(
        "sample",
        service="Qualité",
        kpi="Non-conformités ouvertes",
        period=date(2026, 10, 1),
        text="**Urgent** <b>revoir</b> [lien](http://x)",
        author="Ana",
    )
    at = _open("pages/present.py", "fr", slide="1")
    # Find the Qualité slide through the index and open it.
    link = next(p for p in at.sidebar.get("page_link") if p.proto.label.endswith(". Qualité"))
    slide = re.search(r"slide=(\d+)", link.proto.query_string)[1]
    at.query_params["slide"] = slide
    at.run()
    notes = [m.value for m in at.markdown if "Urgent" in m.value]
    assert notes, "the team note is in the slide's commentary"
    assert all("\\*\\*Urgent\\*\\*" in v and "\\<b\\>" in v for v in notes)


def test_an_empty_view_still_yields_a_pack(db, captured):
    at = _open("pages/briefing.py", "en", gap_min="1000")
    assert _slide_count(at, "en") == 3  # title, summary, actions: no service has data
    _prepare(at, "en")
    assert {f"{_stem()}.{ext}" for ext in ("pptx", "pdf", "xlsx")} <= set(captured)
    at.switch_page("pages/present.py").run()
    assert not at.exception, at.exception
    # No period in the view: nothing to compare with, even though a pack was just recorded.
    assert "Slide 1 / 3" in [m.value for m in at.markdown]


def test_room_chart_enlarges_text_on_a_copy_and_keeps_the_locale():
    import altair as alt

    from lib.charts.locale import configure_locale

    chart = configure_locale(
        alt.Chart(pl.DataFrame({"x": [1.5], "y": [2]})).mark_bar().encode(x="x:Q", y="y:Q"), "fr"
    )
    before = chart.to_dict()
    big = ui_briefing.room_chart(chart)
    spec = big.to_dict()
    assert spec["config"]["axis"]["labelFontSize"] == 15 and spec["config"]["legend"]["titleFontSize"] == 15
    assert spec["config"]["title"]["fontSize"] == 19 and spec["config"]["text"]["fontSize"] == 14
    assert spec["config"]["locale"] == before["config"]["locale"]  # French numbers kept
    assert chart.to_dict() == before  # the cached pack's chart is untouched
