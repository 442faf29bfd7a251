"""Parquet files and folders (hive partitions): typed columns, 1-based rows, per-file rejections."""

from __future__ import annotations

import io
import math
from datetime import date, datetime

import polars as pl

from lib.config import Settings
from lib.ingest import load_extract


def parquet(frame: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.write_parquet(buf)
    return buf.getvalue()


def test_typed_parquet_file():
    frame = pl.DataFrame(
        {
            "period": [date(2025, 1, 1), date(2025, 2, 1), None, date(2025, 3, 1)],
            "service": pl.Series(["A", "A", "A", "B"], dtype=pl.Categorical),
            "kpi": ["K", "K", "K", "K"],
            "actual": [1.0, math.nan, 3.0, math.inf],
            "target": [1, 2, 3, 4],
        }
    )
    result = load_extract(parquet(frame), name="x.parquet")
    assert [(r.line, r.column, r.code) for r in result.report.rejected] == [
        (3, "period", "empty_period"),
        (4, "actual", "not_a_number"),
    ]
    # NaN is "no value": with a target, the row is a future target.
    assert result.data.select("period", "actual", "target").rows() == [
        (date(2025, 1, 1), 1.0, 1.0),
        (date(2025, 2, 1), None, 2.0),
    ]
    assert "future_targets" in [w.code for w in result.report.warnings]


def test_datetime_and_string_columns():
    frame = pl.DataFrame(
        {
            "Date": [datetime(2025, 1, 31, 23, 0), datetime(2025, 2, 28, 8, 30)],
            "Département": ["A", "A"],
            "Indicateur": ["K", "K"],
            "Valeur": ["1 234,5", "12"],
        }
    )
    result = load_extract(parquet(frame), name="x.parquet")
    assert result.data.select("period", "actual").rows() == [
        (date(2025, 1, 1), 1234.5),
        (date(2025, 2, 1), 12.0),
    ]


def test_hive_folder_numbers_rows_per_part_file(tmp_path):
    root = tmp_path / "extract"
    for year in (2024, 2025):
        part = root / f"year={year}"
        part.mkdir(parents=True)
        pl.DataFrame(
            {
                "period": [f"{year}-01", f"{year}-02", "bad"],
                "service": ["A", "A", "A"],
                "kpi": ["K", "K", "K"],
                "actual": ["1", "x", "3"],
            }
        ).write_parquet(part / "part-0.parquet")
    result = load_extract(root)
    assert result.report.files == ["extract"]
    assert [(r.file, r.line, r.code) for r in result.report.rejected] == [
        ("extract/year=2024/part-0.parquet", 2, "not_a_number"),
        ("extract/year=2024/part-0.parquet", 3, "bad_date"),
        ("extract/year=2025/part-0.parquet", 2, "not_a_number"),
        ("extract/year=2025/part-0.parquet", 3, "bad_date"),
    ]
    assert result.data["period"].to_list() == [date(2024, 1, 1), date(2025, 1, 1)]
    assert result.report.unmapped == ["year"]  # the partition column is not part of the contract


def test_folder_errors(tmp_path):
    (tmp_path / "empty").mkdir()
    assert load_extract(tmp_path / "empty").report.error.code == "empty_folder"
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "part.parquet").write_bytes(b"PAR1 not really")
    assert load_extract(broken).report.error.code == "unreadable_parquet"
    big = tmp_path / "big"
    big.mkdir()
    pl.DataFrame({"period": ["2025-01"] * 1000, "service": ["A"] * 1000}).write_parquet(big / "p.parquet")
    assert load_extract(big, settings=Settings(max_file_mb=0.0001)).report.error.code == "too_big"


def test_parquet_too_many_columns():
    frame = pl.DataFrame({f"c{i}": [1] for i in range(30)})
    result = load_extract(parquet(frame), name="w.parquet", settings=Settings(max_columns=20))
    assert result.report.error.params == {"file": "w.parquet", "count": 30, "limit": 20}


def test_header_only_parquet():
    frame = pl.DataFrame(
        schema={"period": pl.Date, "service": pl.String, "kpi": pl.String, "actual": pl.Float64}
    )
    assert load_extract(parquet(frame), name="h.parquet").report.error.code == "header_only"


def test_parquet_path_and_bytes_agree(tmp_path):
    frame = pl.DataFrame(
        {"period": ["2025-01", "2025-02", "x"], "service": ["A"] * 3, "kpi": ["K"] * 3, "actual": [1, 2, 3]}
    )
    path = tmp_path / "e.parquet"
    frame.write_parquet(path)
    by_path, by_bytes = load_extract(path), load_extract(path.read_bytes(), name="e.parquet")
    assert by_path.data.equals(by_bytes.data)
    assert by_path.report.to_dict("en") == by_bytes.report.to_dict("en")
    assert [(r.file, r.line, r.code) for r in by_path.report.rejected] == [("e.parquet", 3, "bad_date")]
    path.write_bytes(b"PAR1 broken")
    assert load_extract(path).report.error.code == "unreadable_parquet"
