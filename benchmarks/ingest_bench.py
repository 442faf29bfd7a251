"""Ingestion speed: `load_extract` against a plain `polars.read_csv` of the same French CSV, same run.

    .venv/bin/python benchmarks/ingest_bench.py [--rows-parquet 10000000] [--repeat 3]

Writes (once, seeded) a 1M-row French Excel-style CSV into benchmarks/.cache/: `;` separator,
decimal comma, NBSP thousands, dd/mm/yyyy dates, Windows-1252, 1,000 services x 25 KPIs x 40 months.
Target: load_extract / read_csv <= 2.0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lib.ingest import load_extract  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
SERVICES, KPIS, MONTHS = 1_000, 25, 40
UNITS = ("€", "%", "jours", "nb", "ETP")


def french_number(values: np.ndarray) -> pl.Series:
    """1234.5 -> '1 234,5' with a no-break space (U+00A0) for thousands, one decimal."""
    tenths = np.round(np.abs(values) * 10).astype(np.int64)
    whole = pl.Series(tenths // 10).cast(pl.String)
    grouped = whole.str.replace(r"^(\d{1,3})(\d{3})$", "$1\u00a0$2").str.replace(
        r"^(\d{1,3})(\d{3})(\d{3})$", "$1\u00a0$2\u00a0$3"
    )
    sign = pl.Series(np.where(values < 0, "-", ""))
    return sign + grouped + "," + pl.Series(tenths % 10).cast(pl.String)


def write_french_csv(path: Path, seed: int = 42) -> None:
    rng = np.random.default_rng(seed)
    n = SERVICES * KPIS * MONTHS
    services = [f"Direction régionale {i:04d}" if i % 7 == 0 else f"Service {i:04d}" for i in range(SERVICES)]
    kpis = [f"Indicateur qualité {k:02d}" for k in range(KPIS)]
    months = pl.date_range(pl.date(2022, 1, 1), pl.date(2025, 4, 1), "1mo", eager=True).dt.strftime(
        "%d/%m/%Y"
    )
    m = np.repeat(np.arange(MONTHS), SERVICES * KPIS)
    s = np.tile(np.repeat(np.arange(SERVICES), KPIS), MONTHS)
    k = np.tile(np.arange(KPIS), SERVICES * MONTHS)
    actual = rng.normal(5_000, 3_000, n)
    target = actual * rng.uniform(0.8, 1.2, n)
    frame = pl.DataFrame(
        {
            "Période": months.gather(m),
            "Service": pl.Series(services).gather(s),
            "Indicateur": pl.Series(kpis).gather(k),
            "Réalisé": french_number(actual),
            "Objectif": french_number(target),
            "Unité": pl.Series(UNITS).gather(k % len(UNITS)),
            "Responsable": pl.Series([f"Hélène Dupré {i % 97}" for i in range(SERVICES)]).gather(s),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(frame.write_csv(separator=";").encode("cp1252"))
    tmp.replace(path)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def compare(reference: Callable[[], object], ours: Callable[[], object], repeat: int) -> tuple:
    """Median times of both, run in turns so that a busy machine slows both alike."""
    ref_times, our_times, ref_result, our_result = [], [], None, None
    for _ in range(repeat):
        t, ref_result = timed(reference)
        ref_times.append(t)
        t, our_result = timed(ours)
        our_times.append(t)
    return statistics.median(ref_times), ref_result, statistics.median(our_times), our_result


def write_parquet(path: Path, rows: int) -> None:
    """Sorted by period, service, kpi (as Vigie writes them), Categorical text, zstd."""
    services = rows // (KPIS * MONTHS)
    n = services * KPIS * MONTHS
    rng = np.random.default_rng(7)
    months = pl.date_range(pl.date(2022, 1, 1), pl.date(2025, 4, 1), "1mo", eager=True)
    names = pl.Series([f"Service {i:05d}" for i in range(services)], dtype=pl.Categorical)
    kpis = pl.Series([f"KPI {i:02d}" for i in range(KPIS)], dtype=pl.Categorical)
    pl.DataFrame(
        {
            "period": months.gather(np.repeat(np.arange(MONTHS), services * KPIS)),
            "service": names.gather(np.tile(np.repeat(np.arange(services), KPIS), MONTHS)),
            "kpi": kpis.gather(np.tile(np.arange(KPIS), services * MONTHS)),
            "actual": rng.normal(100, 20, n),
            "target": rng.normal(100, 5, n),
        }
    ).write_parquet(path, compression="zstd")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows-parquet", type=int, default=10_000_000, help="0 to skip the Parquet run")
    args = parser.parse_args()

    csv_path = CACHE / f"ingest_fr_{SERVICES * KPIS * MONTHS}.csv"
    if not csv_path.exists():
        start = time.perf_counter()
        write_french_csv(csv_path)
        took = time.perf_counter() - start
        print(f"wrote {csv_path.name} ({csv_path.stat().st_size / 1e6:.0f} MB) in {took:.1f} s")
    size = csv_path.stat().st_size / 1e6
    plain, frame, ours, result = compare(
        lambda: pl.read_csv(csv_path, separator=";", encoding="utf8-lossy"),
        lambda: load_extract(csv_path),
        args.repeat,
    )
    rep = result.report
    print(f"French CSV, {frame.height:,} rows, {size:.0f} MB, cp1252 (median of {args.repeat}, in turns)")
    print(f"  polars.read_csv(utf8-lossy) {plain:7.3f} s")
    print(f"  load_extract                {ours:7.3f} s   ratio {ours / plain:.2f} (target <= 2.0)")
    print(f"  loaded {rep.rows_loaded:,} rows, {rep.rows_rejected} rejected, grain {rep.grain}")

    # The same file in UTF-8: what the reading costs without the Windows-1252 transcoding.
    utf8_path = csv_path.with_name(csv_path.stem + "_utf8.csv")
    if not utf8_path.exists():
        utf8_path.write_bytes(csv_path.read_bytes().decode("cp1252").encode("utf-8"))
    plain, _, ours, _ = compare(
        lambda: pl.read_csv(utf8_path, separator=";"), lambda: load_extract(utf8_path), args.repeat
    )
    print("Same file in UTF-8")
    print(f"  polars.read_csv             {plain:7.3f} s")
    print(f"  load_extract                {ours:7.3f} s   ratio {ours / plain:.2f}")

    if args.rows_parquet:
        path = CACHE / f"ingest_{args.rows_parquet}.parquet"
        if not path.exists():
            write_parquet(path, args.rows_parquet)
        plain, frame, ours, result = compare(
            lambda: pl.read_parquet(path), lambda: load_extract(path), args.repeat
        )
        print(f"Parquet, {frame.height:,} rows, {path.stat().st_size / 1e6:.0f} MB (median of {args.repeat})")
        print(f"  polars.read_parquet {plain:7.3f} s")
        print(f"  load_extract        {ours:7.3f} s   ratio {ours / plain:.2f}")


if __name__ == "__main__":
    main()
