"""The benchmark scripts run end to end on tiny extracts and print valid JSON; the engine check catches
wrong results. No timing is asserted: only that the numbers are there and consistent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest

from benchmarks import bench
from benchmarks.browser_latency import percentile

ROOT = Path(__file__).resolve().parent.parent
TINY = 20_000  # 10 services x 5 KPIs x 400 days


def _run(script: str, *args: str, cache: Path, timeout: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "VIGIE_BENCH_CACHE": str(cache)}
    return subprocess.run(
        [sys.executable, f"benchmarks/{script}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> bench.Bench:
    """A tiny generated extract saved and read back like the app does, in a temporary cache."""
    cache = tmp_path_factory.mktemp("bench-cache")
    old, bench.CACHE = bench.CACHE, cache
    try:
        data, catalog = bench.saved_dataset(TINY)
    finally:
        bench.CACHE = old
    return bench.make_bench(TINY, data, catalog, services=5, months=12)


def test_bench_prints_one_json_object_per_work_and_engine(tmp_path):
    done = _run("bench.py", "--rows", str(TINY), "--json", "--repeat", "2", cache=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    expected = {(w, e) for w in bench.WORKS for e in bench.ENGINES}
    expected |= {("slice", "app_raw"), ("status", "app_cached")}
    assert {(r["work"], r["engine"]) for r in lines} == expected
    assert len(lines) == len(expected)
    for r in lines:
        assert set(r) >= {"rows", "work", "engine", "median_ms", "ratio_to_polars"}
        assert r["rows"] == TINY and r["repeat"] == 2 and 0 < r["min_ms"] <= r["median_ms"]
    assert all(r["cpu_ms"] >= 0 for r in lines)
    polars = {r["work"]: r["median_ms"] for r in lines if r["engine"] == "polars"}
    for r in lines:
        assert r["ratio_to_polars"] == pytest.approx(r["median_ms"] / polars[r["work"]], rel=1e-2, abs=2e-3)
    # The extract and its saved dataset went to the cache folder given, not into the repository.
    assert (tmp_path / f"extract_{TINY}.parquet").exists() and (tmp_path / "datasets").is_dir()
    assert "slice at 20,000 rows: app / duckdb" in done.stderr


def test_bench_table_names_every_engine(tmp_path):
    args = ("--rows", str(TINY), "--work", "slice", "--engines", "app", "polars", "--repeat", "1")
    done = _run("bench.py", *args, cache=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [cells for line in done.stdout.splitlines() if (cells := line.split())[1:2] == ["slice"]]
    assert [(r[1], r[2]) for r in rows] == [("slice", "app"), ("slice", "polars"), ("slice", "app_raw")]
    assert rows[1][6] == "1.00"  # polars against itself
    assert "app / polars" in done.stdout and "app / duckdb" not in done.stdout


@pytest.mark.parametrize("work", bench.WORKS)
def test_every_engine_agrees_with_the_app(tiny, work):
    reference = bench.app_slice(tiny) if work == "slice" else bench.app_status(tiny)
    columns = bench.SLICE_COLS if work == "slice" else bench.STATUS_COLS
    others = {
        "polars": bench.polars_query(tiny, work),
        "duckdb": bench.duckdb_engine(tiny)(work),
        "pandas": bench.pandas_engine(tiny)(work),
    }
    expected_rows = 5 * 5 * 12 if work == "slice" else 10 * 5  # services x KPIs (x months)
    assert reference.height == expected_rows
    for engine, frame in others.items():
        bench.check(reference, frame, columns, engine)


def test_the_frame_with_holes_has_the_hard_cases(tiny):
    data, catalog = bench.with_holes(tiny.data, tiny.catalog)
    assert data["actual"].null_count() > 0 and data["target"].null_count() > 0
    assert (data["target"] == 0).sum() > 0 and (data["actual"] == data["target"]).sum() > 0
    assert catalog["tolerance"].null_count() == 1
    small = bench.make_bench(TINY, data, catalog, 5, 12)
    statuses = set(bench.app_slice(small)["status"].cast(pl.String).to_list())
    assert {"on", "watch", "off", "none"} <= statuses
    bench.check_holes(tiny, bench.ENGINES)  # raises Mismatch if any engine disagrees


def _spoil(frame: pl.DataFrame, how: str) -> pl.DataFrame:
    first = pl.int_range(pl.len()) == 0
    if how == "drop a row":
        return frame.slice(1)
    if how == "flip a status":
        flipped = (
            pl.when(pl.col("status").cast(pl.String) == "on").then(pl.lit("off")).otherwise(pl.lit("on"))
        )
        status = pl.when(first).then(flipped).otherwise(pl.col("status").cast(pl.String))
        return frame.with_columns(status.alias("status"))
    if how == "value off by 1e-6":
        return frame.with_columns(pl.when(first).then(pl.col("actual") * (1 + 1e-6)).otherwise("actual"))
    if how == "null a gap":
        return frame.with_columns(pl.when(first).then(None).otherwise(pl.col("gap_pct")).alias("gap_pct"))
    if how == "another service":
        return frame.with_columns(
            pl.when(first)
            .then(pl.lit("Elsewhere"))
            .otherwise(pl.col("service").cast(pl.String))
            .alias("service")
        )
    raise ValueError(how)


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("drop a row", "rows, app"),
        ("flip a status", "differ in status"),
        ("value off by 1e-6", "differ in actual"),
        ("null a gap", "differ in gap_pct"),
        ("another service", "extra"),
    ],
)
@pytest.mark.parametrize("with_catalog", [False, True])
def test_check_fails_loudly_on_a_wrong_result(tiny, how, message, with_catalog):
    reference = bench.app_slice(tiny)
    catalog = tiny.catalog if with_catalog else None
    with pytest.raises(bench.Mismatch, match=message):
        bench.check(reference, _spoil(reference, how), bench.SLICE_COLS, "spoiled", catalog)


def test_a_status_on_a_boundary_up_to_float_noise_is_a_tie(tiny):
    """2.18 summed in one order, 2.1799999999999997 in another: gap -4.4e-16, on or watch."""
    reference = bench.app_slice(tiny)
    first = pl.int_range(pl.len()) == 0
    status = pl.col("status").cast(pl.String)
    app = reference.with_columns(
        pl.when(first).then(pl.col("target") - 4.4e-16).otherwise("actual").alias("actual"),
        pl.when(first).then(-4.4e-16).otherwise("gap").alias("gap"),
        pl.when(first).then(-2e-14).otherwise("gap_pct").alias("gap_pct"),
        pl.when(first).then(pl.lit("watch")).otherwise(status).alias("status"),
    )
    other = app.with_columns(pl.when(first).then(pl.lit("on")).otherwise(pl.col("status")).alias("status"))
    ties = bench.check(app, other, bench.SLICE_COLS, "other", tiny.catalog)
    assert [(t["app"], t["other"]) for t in ties] == [("watch", "on")]
    with pytest.raises(bench.Mismatch, match="differ in status"):
        bench.check(app, other, bench.SLICE_COLS, "other")


def test_check_accepts_rounding_noise(tiny):
    reference = bench.app_slice(tiny)
    noisy = reference.with_columns(pl.col("actual", "target") * (1 + 1e-12))
    bench.check(reference, noisy, bench.SLICE_COLS[:6], "noisy")  # up to weight: gaps are recomputed


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 0.95, 5.0),
        ([3.0, 1.0, 2.0], 0.5, 2.0),
        ([float(v) for v in range(1, 21)], 0.95, 19.0),
        ([float(v) for v in range(1, 14)], 0.95, 13.0),  # 13 changes: p95 is the slowest
        ([4.0, 4.0, 1.0, 9.0], 0.75, 4.0),
    ],
)
def test_percentile_is_the_nearest_rank(values, q, expected):
    assert percentile(values, q) == expected


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_browser_latency_runs_end_to_end(tmp_path):
    before = set(Path(tempfile.gettempdir()).glob("vigie-latency-*"))
    done = _run("browser_latency.py", "--rows", str(TINY), "--json", cache=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["rows"] == TINY and result["changes"] >= 10
    assert len(result["per_change"]) == result["changes"]
    assert 0 < result["median_ms"] <= result["p95_ms"] == max(result["per_change"].values())
    assert result["first_load_ms"] > 0
    assert set(result["phases_median_ms"]) == {"to_run", "run", "draw"}
    # Its temporary data folder (and the server's log in it) is gone: the server was stopped first.
    assert set(Path(tempfile.gettempdir()).glob("vigie-latency-*")) <= before
