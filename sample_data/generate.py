"""Seeded generator of Vigie's sample organisation (and of large extracts for benchmarks).

    python sample_data/generate.py                      # the committed sample files (same bytes each run)
    python sample_data/generate.py --end 2027-03 --out /tmp/s.csv
    python sample_data/generate.py --rows 10000000      # benchmarks/.cache/extract_10000000.parquet
    python sample_data/generate.py --rows 100000 --out x.csv --french

Series outside the planted stories are calm by construction: each stands steadily where its service's
profile puts it (ahead of target, just on it, a little under, at the tolerance edge, catching up with a
raised target), noise is bounded and stable, and a repair pass removes accidental streaks, trends,
shifts and spikes (the criteria are in `series.calm_violation` and in sample_data/README.md). A last
pass (`mix.balance`) keeps every month's share of series on target, on watch and off target in range.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lib.contract import CATALOG_SCHEMA  # noqa: E402
from sample_data.large import large_extract, shape  # noqa: E402
from sample_data.mix import Line, balance  # noqa: E402
from sample_data.org import (  # noqa: E402
    DEFAULT_END,
    KPIS,
    SERVICES,
    STANDING_OF,
    Kpi,
    owner,
    parse_end,
    series_keys,
)
from sample_data.series import (  # noqa: E402
    CLIP,
    FLAT,
    PROFILES,
    STANDINGS,
    calm_actual,
    finisher,
    month_starts,
    monthly_targets,
)
from sample_data.stories import STORIES, STORY_BY_SERIES, Series  # noqa: E402

__all__ = ["large_extract", "render_sample", "sample_extract"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_SEED = 2026

COLUMNS = ("period", "service", "kpi", "actual", "target", "unit", "direction", "axis", "owner", "weight")
CATALOG_COLUMNS = tuple(CATALOG_SCHEMA)  # the catalog file's columns, as lib.contract orders them
FRENCH_COLUMNS = (
    "Période",
    "Service",
    "Indicateur",
    "Réalisé",
    "Objectif",
    "Unité",
    "Sens",
    "Axe",
    "Responsable",
    "Poids",
)
# "Unité de mesure" rather than "Unité": in lib/contract.py the bare word is also a synonym of service.
FRENCH_CATALOG_COLUMNS = (
    "Indicateur",
    "Unité de mesure",
    "Sens",
    "Agrégation temps",
    "Agrégation services",
    "Tolérance (%)",
    "Axe",
    "Définition",
    "Poids score",
)
FRENCH_DIRECTIONS = {"higher": "Hausse", "lower": "Baisse"}
FRENCH_AGG = {
    "sum": "Somme",
    "mean": "Moyenne",
    "wmean": "Moyenne pondérée",
    "last": "Dernière valeur",
    "first": "Premier",
    "min": "Minimum",
    "max": "Maximum",
}


# --- The sample ---------------------------------------------------------------------------------------


def sample_extract(
    end: date | str = DEFAULT_END, seed: int = DEFAULT_SEED
) -> tuple[pl.DataFrame, pl.DataFrame, list[dict]]:
    """(extract, catalog, stories): 36 monthly periods ending with `end`, deterministic for a seed."""
    months = month_starts(end)
    keys, lines, weights, stories = [], [], [], []
    for service, kpi in series_keys():
        rng = np.random.default_rng([seed, SERVICES.index(service), KPIS.index(kpi)])
        target = monthly_targets(kpi, service, months)
        z = np.clip(rng.standard_normal(len(months)), -CLIP, CLIP)
        weights.append(_weights(kpi, service, months, rng))
        story = STORY_BY_SERIES.get((service, kpi.name))
        standing = STANDINGS[STANDING_OF.get(service, {}).get(kpi.name, "ahead")]
        if story is not None and story.standing is not None:
            standing = story.standing
        actual = calm_actual(kpi, service, months, target, z, standing)
        if story is not None:
            series = Series(months, target, actual.copy(), rng, _year_targets(kpi, service), finisher(kpi))
            first, last, params, text = story.plant(series)
            actual = finisher(kpi)(series.actual)
            stories.append(
                {
                    "kind": story.kind,
                    "service": service,
                    "kpi": kpi.name,
                    "start": months[first].isoformat(),
                    "end": months[last].isoformat(),
                    "description": text,
                    "params": params,
                }
            )
        keys.append((service, kpi))
        role = "story" if story is not None else standing.name
        lines.append(Line(kpi, months, target, actual, role, standing.always_off))
    balance(lines)
    frames = [
        pl.DataFrame(
            {
                "period": months,
                "service": service,
                "kpi": kpi.name,
                "actual": line.actual,
                "target": line.target,
                "unit": kpi.unit,
                "direction": kpi.direction,
                "axis": kpi.axis,
                "owner": owner(service, kpi),
                "weight": pl.Series(weight, dtype=pl.Float64),
            }
        )
        for (service, kpi), line, weight in zip(keys, lines, weights, strict=True)
    ]
    order = [(st.service, st.kpi) for st in STORIES]
    stories.sort(key=lambda st: order.index((st["service"], st["kpi"])))
    extract = pl.concat(frames).with_columns(
        pl.col("service").cast(pl.Enum(SERVICES)), pl.col("kpi").cast(pl.Enum([k.name for k in KPIS]))
    )
    # Period, then services and KPIs in catalog order (an export grouped the way the organisation is).
    extract = extract.sort("period", "service", "kpi").with_columns(pl.col("service", "kpi").cast(pl.String))
    return extract.select(COLUMNS), catalog_frame(), stories


def _year_targets(kpi: Kpi, service: str):
    return lambda year: monthly_targets(kpi, service, [date(year, m, 1) for m in range(1, 13)])


def _weights(kpi: Kpi, service: str, months: list[date], rng: np.random.Generator) -> list[float | None]:
    if not kpi.respondents:
        return [None] * len(months)
    profile = PROFILES[kpi.respondents_season] if kpi.respondents_season else FLAT
    mean = kpi.respondents[service] * profile[[d.month - 1 for d in months]]
    values = np.maximum(np.round(mean * (1 + 0.12 * np.clip(rng.standard_normal(len(months)), -2, 2))), 3)
    return [float(v) for v in values]


def catalog_frame() -> pl.DataFrame:
    """One row per KPI with the codes of lib/contract.py."""
    columns = {c: [getattr(k, "name" if c == "kpi" else c) for k in KPIS] for c in CATALOG_COLUMNS}
    floats = dict.fromkeys(("tolerance", "score_weight"), pl.Float64)
    return pl.DataFrame(columns, schema_overrides=floats, strict=False)


# --- Writing ----------------------------------------------------------------------------------------


def csv_bytes(df: pl.DataFrame, french: bool = False, header: bool = True) -> bytes:
    """UTF-8 CSV with ISO dates, or with `french` the Excel-style export (`;`, decimal comma, dd/mm/yyyy,
    French headers and words, CRLF line ends, Windows-1252)."""
    if not french:
        return df.write_csv(include_header=header).encode("utf-8")
    catalog = "agg_time" in df.columns
    cols = (
        dict(zip(CATALOG_COLUMNS, FRENCH_CATALOG_COLUMNS, strict=True))
        if catalog
        else dict(zip(COLUMNS, FRENCH_COLUMNS, strict=True))
    )
    words = [pl.col("direction").cast(pl.String).replace_strict(FRENCH_DIRECTIONS)]
    if catalog:
        words += [pl.col(c).replace_strict(FRENCH_AGG) for c in ("agg_time", "agg_services")]
    text = (
        df.with_columns(words)
        .rename(cols)
        .write_csv(
            separator=";",
            line_terminator="\r\n",
            decimal_comma=True,
            date_format="%d/%m/%Y",
            include_header=header,
        )
    )
    return text.encode("cp1252")


SAMPLE_FILES = ("sample.csv", "sample_catalog.csv", "sample_fr.csv", "sample_fr_catalog.csv", "stories.json")


def render_sample(end: date | str = DEFAULT_END, seed: int = DEFAULT_SEED) -> dict[str, bytes]:
    """The committed sample files (SAMPLE_FILES), name -> bytes; the tests compare them with the disk."""
    extract, catalog, stories = sample_extract(end, seed)
    return {
        "sample.csv": csv_bytes(extract),
        "sample_catalog.csv": csv_bytes(catalog),
        "sample_fr.csv": csv_bytes(extract, french=True),
        "sample_fr_catalog.csv": csv_bytes(catalog, french=True),
        "stories.json": (json.dumps(stories, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
    }


def _write_atomic(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.chmod(tmp, 0o644)  # mkstemp makes private files; these are ordinary outputs
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_frame(df: pl.DataFrame, path: Path, french: bool = False) -> None:
    """Parquet (zstd) or CSV by extension; French CSV is written in slices to bound memory."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        if french:
            raise ValueError("--french writes CSV: give an --out ending in .csv")
        _write_atomic(path, lambda p: df.write_parquet(p, compression="zstd", statistics=True))
    elif suffix == ".csv":

        def write(p: Path) -> None:
            with p.open("wb") as fh:
                for start in range(0, max(df.height, 1), 500_000):
                    fh.write(csv_bytes(df.slice(start, 500_000), french, header=start == 0))

        _write_atomic(path, write)
    else:
        raise ValueError(f"--out must end in .csv or .parquet, got {path.name}")


def _report(path: Path, rows: int, started: float) -> None:
    size, seconds = path.stat().st_size / 1e6, time.perf_counter() - started
    print(f"wrote {path} ({rows:,} rows, {size:.2f} MB) in {seconds:.2f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python sample_data/generate.py", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--end", default=DEFAULT_END, help=f"last month, YYYY-MM (default {DEFAULT_END})")
    parser.add_argument(
        "--rows", type=int, help="write a large daily extract of N rows instead of the sample"
    )
    parser.add_argument("--out", type=Path, help="output .csv or .parquet (catalog and stories go beside it)")
    parser.add_argument(
        "--french", action="store_true", help="French Excel-style CSV (; , dd/mm/yyyy cp1252)"
    )
    parser.add_argument("--seed", type=int, help=f"random seed (default {DEFAULT_SEED}, 7 with --rows)")
    args = parser.parse_args(argv)
    try:
        parse_end(args.end)
        if args.rows is not None:
            return _main_large(args)
        return _main_sample(args)
    except ValueError as exc:
        parser.error(str(exc))
    return 2


def _main_large(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    name = f"extract_{args.rows}" + ("_fr.csv" if args.french else ".parquet")
    out = args.out or ROOT / "benchmarks" / ".cache" / name
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ValueError(f"--out must end in .csv or .parquet, got {out.name}")
    services, kpis, days = shape(args.rows)
    df = large_extract(args.rows, seed=7 if args.seed is None else args.seed, end=args.end)
    built = time.perf_counter()
    write_frame(df, out, args.french)
    # The catalog beside it (`<stem>_catalog.<ext>`, where lib/ingest looks) keeps aggregations right.
    names = df["kpi"].cast(pl.String).unique().to_list()
    catalog = catalog_frame().filter(pl.col("kpi").is_in(names))
    write_frame(catalog, out.with_name(f"{out.stem}_catalog{out.suffix}"), args.french)
    grid = f"{services} services x {kpis} KPIs x {days} days"
    print(f"built {df.height:,} rows ({grid}) in {built - started:.2f} s")
    _report(out, df.height, started)
    return 0


def _main_sample(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    seed = DEFAULT_SEED if args.seed is None else args.seed
    if args.out is None and not args.french:  # the committed set
        for name, data in render_sample(args.end, seed).items():
            _write_atomic(HERE / name, lambda p, data=data: p.write_bytes(data))
            print(f"wrote {HERE / name} ({len(data) / 1e6:.2f} MB)")
        print(f"in {time.perf_counter() - started:.2f} s")
        return 0
    out = args.out or HERE / "sample_fr.csv"
    extract, catalog, stories = sample_extract(args.end, seed)
    write_frame(extract, out, args.french)
    write_frame(catalog, out.with_name(f"{out.stem}_catalog{out.suffix}"), args.french)
    text = json.dumps(stories, ensure_ascii=False, indent=2) + "\n"
    _write_atomic(out.with_name("stories.json"), lambda p: p.write_text(text, encoding="utf-8"))
    _report(out, extract.height, started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
