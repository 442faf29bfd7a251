"""`python -m lib check / convert / import`: exit codes, the JSON contract, overwrite protection."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from lib.cli import main

ROOT = Path(__file__).resolve().parent.parent
GOOD = (
    "Période;Service;Indicateur;Réalisé;Objectif;Unité\n"
    "01/01/2026;Admissions;Dossiers;120;100;nb\n"
    "01/02/2026;Admissions;Dossiers;90;100;nb\n"
    "01/02/2026;Admissions;Dossiers;95;100;nb\n"  # duplicate of line 3
    "01/03/2026;Admissions;Dossiers;abc;100;nb\n"
    "01/03/2026;Finances;Budget;1 234,5;1 200;k€\n"
).encode("cp1252")
JSON_KEYS = {
    "ok",
    "rows_loaded",
    "rows_rejected",
    "rejected",
    "duplicates",
    "services",
    "kpis",
    "first_period",
    "last_period",
    "warnings",
    "error",
}


@pytest.fixture
def extract(tmp_path) -> Path:
    path = tmp_path / "export.csv"
    path.write_bytes(GOOD)
    return path


def run_json(capsys, *argv: str) -> tuple[int, dict]:
    code = main([*argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_check_json_contract(extract, capsys):
    code, out = run_json(capsys, "check", str(extract))
    assert code == 0 and out["ok"] is True
    assert JSON_KEYS <= set(out)
    assert out["rows_loaded"] == 2 and out["rows_rejected"] == 3 and out["duplicates"] == 1
    assert (out["services"], out["kpis"]) == (2, 2)
    assert (out["first_period"], out["last_period"]) == ("2026-01-01", "2026-03-01")
    rejected = sorted((r["line"], r["code"]) for r in out["rejected"])
    assert rejected == [(3, "duplicate_key"), (4, "duplicate_key"), (5, "not_a_number")]
    bad = next(r for r in out["rejected"] if r["code"] == "not_a_number")
    assert (bad["column"], bad["value"]) == ("Réalisé", "abc")
    assert all(set(r) == {"file", "line", "column", "value", "code", "reason"} for r in out["rejected"])
    assert all(r["file"] == "export.csv" for r in out["rejected"])
    assert out["error"] is None


def test_messages_follow_lang(extract, capsys):
    _, en = run_json(capsys, "check", str(extract))
    _, fr = run_json(capsys, "check", str(extract), "--lang", "fr")
    reason = {r["code"]: r["reason"] for r in en["rejected"]}["not_a_number"]
    reason_fr = {r["code"]: r["reason"] for r in fr["rejected"]}["not_a_number"]
    assert reason != reason_fr and "abc" in reason and "abc" in reason_fr


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\xff" * 50, b"period,service,kpi,actual,target\n"])
def test_nothing_usable_exits_1_with_one_sentence(tmp_path, capsys, content):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    code, out = run_json(capsys, "check", str(path))
    assert code == 1 and out["ok"] is False
    assert isinstance(out["error"], str) and out["error"].endswith(".")


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["check", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["check"])
    assert exc.value.code == 2


def test_convert_writes_sorted_categorical_zstd_and_refuses_overwrite(extract, tmp_path, capsys):
    out = tmp_path / "out.parquet"
    assert main(["convert", str(extract), str(out)]) == 0
    frame = pl.read_parquet(out)
    assert frame.height == 2
    assert frame.schema["service"] == pl.Categorical and frame.schema["kpi"] == pl.Categorical
    assert frame["period"].is_sorted()
    import pyarrow.parquet as pq

    assert pq.ParquetFile(out).metadata.row_group(0).column(0).compression == "ZSTD"
    before = out.read_bytes()
    assert main(["convert", str(extract), str(out)]) == 2
    assert out.read_bytes() == before
    assert main(["convert", str(extract), str(out), "--force"]) == 0
    # The converted file is itself an extract `check` accepts, with its catalog inside.
    capsys.readouterr()
    code, again = run_json(capsys, "check", str(out))
    assert code == 0 and again["rows_loaded"] == 2 and again["rejected"] == []


def test_import_saves_in_the_library(extract, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path / "data"))
    assert main(["import", str(extract), "--name", "Export test"]) == 0
    assert "dataset=export-test" in capsys.readouterr().out
    from lib.datasets import DatasetLibrary

    assert [d.slug for d in DatasetLibrary(tmp_path / "data").list()] == ["export-test"]


def test_module_entry_point(extract):
    proc = subprocess.run(
        [sys.executable, "-m", "lib", "check", str(extract), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ok"] is True


def test_append_keeps_the_curated_catalog_and_describes_new_kpis(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("VIGIE_DATA_DIR", str(tmp_path / "data"))
    first = tmp_path / "first.csv"
    first.write_text("period,service,kpi,actual,target,agg_time,unit\n2026-01,A,Stock,10,10,last,ETP\n")
    assert main(["import", str(first), "--name", "Curated"]) == 0
    # A monthly extract without catalog columns: its defaults must not replace "last" by a guess.
    more = tmp_path / "more.csv"
    more.write_text("period,service,kpi,actual,target\n2026-02,A,Stock,11,10\n2026-02,A,New,5,4\n")
    assert main(["import", str(more), "--append", "curated"]) == 0
    from lib.datasets import DatasetLibrary

    catalog = DatasetLibrary(tmp_path / "data").read_catalog("curated")
    rules = dict(catalog.select("kpi", "agg_time").iter_rows())
    assert rules["Stock"] == "last" and "New" in rules
    assert dict(catalog.select("kpi", "unit").iter_rows())["Stock"] == "ETP"


SIGNAL_KEYS = {"service", "kpi", "kind", "polarity", "severity", "period", "message"}


def test_signals_json_as_of_and_history(capsys):
    sample = ROOT / "sample_data" / "sample.csv"
    assert main(["signals", str(sample), "--json", "--as-of", "2026-03-15"]) == 0
    at_march = json.loads(capsys.readouterr().out)
    assert at_march and all(set(r) == SIGNAL_KEYS for r in at_march)
    assert all(r["period"] <= "2026-03-01" for r in at_march)  # nothing seen after the as-of date
    assert {r["polarity"] for r in at_march} <= {"bad", "good"}
    assert all(0 <= r["severity"] <= 1 for r in at_march)
    assert main(["signals", str(sample), "--json", "--history", "--lang", "fr"]) == 0
    history = json.loads(capsys.readouterr().out)
    # The replay lists every firing month after month: more rows, spread over many periods.
    assert len(history) > len(at_march) and len({r["period"] for r in history}) > 12
    assert any("objectif" in r["message"] for r in history)


def test_signals_exit_codes(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["signals", str(empty), "--json"]) == 1
    with pytest.raises(SystemExit) as exc:
        main(["signals", str(empty), "--as-of", "31/03/2026"])
    assert exc.value.code == 2
