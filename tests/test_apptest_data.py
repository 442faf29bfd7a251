"""The Data page through AppTest: upload, exact report, manual mapping, save, append, history."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib.datasets import DatasetLibrary

APP = str(Path(__file__).resolve().parent.parent / "app.py")

UNMAPPED = (
    "Mois comptable;Entité;Mesure suivie;Montant réalisé;Montant prévu\n"
    "2026-01;Admissions;Dossiers;120;100\n"
    "2026-02;Admissions;Dossiers;90;100\n"
).encode()
GOOD = (
    b"period,service,kpi,actual,target\n2026-01,A,Files,10,12\n2026-02,A,Files,11,12\n2026-02,A,Files,13,12\n"
)
MORE = b"period,service,kpi,actual,target\n2026-02,A,Files,14,12\n2026-03,A,Files,15,12\n"


@pytest.fixture
def data_page(tmp_path, monkeypatch):
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path))
    from lib.ui import data

    data.settings.clear()  # the data folder is read once per process: point it at this test's folder
    data.library.clear()
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    yield at, DatasetLibrary(tmp_path)
    data.settings.clear()
    data.library.clear()


def _metrics(at) -> dict[str, str]:
    """The upload's figures (the first report on the page; the current dataset's comes after)."""
    out: dict[str, str] = {}
    for m in at.metric:
        out.setdefault(m.label, m.value)
    return out


def _upload(at, name: str, content: bytes) -> None:
    at.file_uploader[0].set_value((name, content, "text/csv"))
    at.run()
    assert not at.exception, at.exception


def test_upload_shows_the_report_and_rejected_rows(data_page):
    at, _ = data_page
    _upload(at, "files.csv", GOOD)
    metrics = _metrics(at)
    assert (metrics["Rows read"], metrics["Rows loaded"], metrics["Rows rejected"]) == ("3", "1", "2")
    assert metrics["Duplicated keys"] == "1"
    rejected = at.dataframe[0].value
    assert rejected["code"].to_list() == ["duplicate_key", "duplicate_key"]
    assert rejected["line"].to_list() == [3, 4]


def test_unrecognised_headers_are_mapped_by_hand(data_page):
    at, _ = data_page
    _upload(at, "export.csv", UNMAPPED)
    assert at.error, "missing columns must be said"
    labels = [s.label for s in at.selectbox]
    wanted = {
        "“Mois comptable” is": "period",
        "“Entité” is": "service",
        "“Mesure suivie” is": "kpi",
        "“Montant réalisé” is": "actual",
        "“Montant prévu” is": "target",
    }
    for label, column in wanted.items():
        at.selectbox[labels.index(label)].set_value(column)
    next(b for b in at.button if b.label == "Apply this mapping").click()
    at.run()
    assert not at.exception
    assert not at.error
    assert _metrics(at)["Rows loaded"] == "2"


def test_save_then_append_makes_versions(data_page):
    at, library = data_page
    _upload(at, "files.csv", GOOD.replace(b"2026-02,A,Files,13,12\n", b""))
    at.text_input[0].set_value("Test data")
    next(b for b in at.button if b.label == "Save as a new dataset").click()
    at.run()
    assert not at.exception
    assert [d.slug for d in library.list()] == ["test-data"]
    assert any("test\\-data" in s.value or "test-data" in s.value for s in at.success), [
        s.value for s in at.success
    ]

    _upload(at, "more.csv", MORE)
    at.radio(key="_save_mode").set_value("append")
    at.run()
    next(b for b in at.button if b.label == "Append").click()
    at.run()
    assert not at.exception
    versions = library.versions("test-data")
    assert [v.version for v in versions] == [2, 1]
    assert (versions[0].added, versions[0].replaced) == (1, 1)


def test_signals_as_of_a_date_use_the_version_known_then(data_page):
    from datetime import UTC, datetime

    from lib.sample import load_sample

    _, library = data_page
    sample = load_sample()
    early = sample.data.filter(sample.data["period"] <= datetime(2026, 2, 1).date())

    def at(day):
        return DatasetLibrary(library.root, clock=lambda: datetime(2026, *day, tzinfo=UTC))

    at((3, 5)).save("Versions", early, sample.catalog, sources=["early.csv"])
    at((6, 5)).replace("versions", sample.data, sample.catalog, sources=["full.csv"])
    app = AppTest.from_file(APP, default_timeout=30)
    for key, value in {"lang": "en", "dataset": "versions", "to": "2026-04"}.items():
        app.query_params[key] = value
    app.run()
    app.switch_page("pages/signals.py")
    app.run()
    assert not app.exception
    assert any("Using version 1" in i.value for i in app.info)
    app.query_params["to"] = "2026-10"
    app.run()
    assert not any("Using version" in i.value for i in app.info)
