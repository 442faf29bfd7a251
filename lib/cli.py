"""Command line: `python -m lib check | convert | signals | import` (see each command's --help).

Exit codes: 0 when something was loaded (even with rejected rows), 1 when nothing is usable,
2 on usage errors (bad options, missing input, output exists without --force).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import polars as pl

from lib.config import Settings
from lib.contract import CATALOG_SCHEMA
from lib.i18n import LANGS, t
from lib.ingest import LoadResult, load_extract

EXIT_OK, EXIT_UNUSABLE, EXIT_USAGE = 0, 1, 2
TEXT_REJECTED_LIMIT = 100  # the text report lists this many rejected rows; --json and --rejected-csv list all


class UsageError(Exception):
    """A usage problem (exit 2), with a sentence for the user."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lib", description="Vigie: check and convert KPI extracts."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("file", type=Path, help="CSV, XLSX or Parquet file, or a folder of Parquet files")
        p.add_argument("--lang", choices=LANGS, default="en", help="language of messages (default en)")
        p.add_argument("--sheet", help="XLSX sheet to read (default: the first sheet that holds an extract)")
        p.add_argument("--catalog", type=Path, help="KPI catalog file (CSV, XLSX or Parquet)")
        p.add_argument(
            "--duplicates",
            choices=("reject", "first", "last"),
            default="reject",
            help="rows sharing a (period, service, KPI) key: reject them all (default), or keep one",
        )

    check = sub.add_parser("check", help="print the validation report of an extract")
    common(check)
    check.add_argument("--json", action="store_true", help="print the report as one JSON object")
    check.add_argument("--rejected-csv", type=Path, help="also write every rejected row to this CSV file")

    convert = sub.add_parser("convert", help="write the normalised extract as Parquet")
    common(convert)
    convert.add_argument("out", type=Path, help="output Parquet file")
    convert.add_argument("--force", action="store_true", help="overwrite OUT if it exists")

    signals = sub.add_parser(
        "signals", help="list the weak signals of an extract (as of a date, or replayed)"
    )
    common(signals)
    signals.add_argument("--as-of", type=_iso_date, help="as the signals would have been on YYYY-MM-DD")
    signals.add_argument("--history", action="store_true", help="replay every period: one row per firing")
    signals.add_argument("--json", action="store_true", help="print a JSON array")

    # Folders of Parquet (and files too large for a browser upload) enter the dataset library here.
    save = sub.add_parser("import", help="save an extract in the dataset library (VIGIE_DATA_DIR)")
    common(save)
    target = save.add_mutually_exclusive_group(required=True)
    target.add_argument("--name", help="save as a new dataset with this name")
    target.add_argument(
        "--append", metavar="SLUG", help="append to a dataset (upsert on period, service, KPI)"
    )
    target.add_argument("--replace", metavar="SLUG", help="replace a dataset's data with a new version")
    return parser


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from exc


def _load(args: argparse.Namespace) -> LoadResult:
    for path in (args.file, args.catalog):
        if path is not None and not path.exists():
            raise UsageError(t("cli.not_found", args.lang, path=path))
    return load_extract(
        args.file,
        sheet=args.sheet,
        catalog=args.catalog,
        duplicates=args.duplicates,
        settings=Settings.load(),
    )


def _print_text(result: LoadResult, lang: str) -> None:
    rep = result.report
    if rep.error is not None:
        print(t("cli.error", lang, message=rep.error.message(lang)))
        return
    print(
        t(
            "cli.summary",
            lang,
            files=", ".join(rep.files),
            loaded=rep.rows_loaded,
            read=rep.rows_read,
            rejected=rep.rows_rejected,
            duplicates=rep.duplicates,
            services=rep.services,
            kpis=rep.kpis,
            grain=t(f"cli.grain.{rep.grain}", lang) if rep.grain else "?",
            first=rep.first_period,
            last=rep.last_period,
        )
    )
    if rep.sheet:
        print(t("cli.sheet", lang, sheet=rep.sheet))
    for notice in rep.warnings:
        print(t("cli.warning", lang, message=notice.message(lang)))
    if rep.rejected:
        print(t("cli.rejected_header", lang, count=len(rep.rejected)))
        for r in rep.rejected[:TEXT_REJECTED_LIMIT]:
            print(
                f"  {r.file}:{r.line}"
                + (f" [{r.column}]" if r.column else "")
                + f" {r.code}: {r.reason(lang)}"
            )
        if len(rep.rejected) > TEXT_REJECTED_LIMIT:
            print(t("cli.rejected_more", lang, count=len(rep.rejected) - TEXT_REJECTED_LIMIT))


def _with_catalog(result: LoadResult) -> pl.DataFrame:
    """The normalised rows with their KPI's catalog attributes, so the Parquet file describes itself."""
    assert result.data is not None and result.catalog is not None
    catalog = result.catalog.with_columns(
        pl.col(c).cast(pl.Categorical)
        for c, dtype in CATALOG_SCHEMA.items()
        if dtype == "String" and c != "kpi"
    ).with_columns(pl.col("kpi").cast(pl.Categorical))
    data = result.data.join(catalog, on="kpi", how="left", maintain_order="left")
    return data.sort("period", "service", "kpi")


def write_parquet_atomic(frame: pl.DataFrame, out: Path) -> None:
    """Write to a temporary file beside OUT, then rename: a failure leaves OUT as it was."""
    fd, tmp = tempfile.mkstemp(dir=out.parent or Path("."), prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        frame.write_parquet(tmp, compression="zstd", statistics=True, row_group_size=1_000_000)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "convert":
            if args.out.exists() and not args.force:
                raise UsageError(t("cli.out_exists", args.lang, path=args.out))
            if not args.out.parent.is_dir():
                raise UsageError(t("cli.out_dir_missing", args.lang, path=args.out.parent))
        result = _load(args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    rep = result.report
    code = EXIT_OK if rep.ok else EXIT_UNUSABLE
    if args.command == "check":
        if args.rejected_csv:
            rep.rejected_frame(args.lang).write_csv(args.rejected_csv)
        if args.json:
            print(json.dumps(rep.to_dict(args.lang), ensure_ascii=False, indent=2))
        else:
            _print_text(result, args.lang)
        return code
    if not rep.ok:
        _print_text(result, args.lang)
        return code
    if args.command == "signals":
        return _signals(args, result)
    if args.command == "convert":
        write_parquet_atomic(_with_catalog(result), args.out)
        print(t("cli.converted", args.lang, path=args.out, rows=rep.rows_loaded, rejected=rep.rows_rejected))
        return code
    return _import(args, result)


def _signals(args: argparse.Namespace, result: LoadResult) -> int:
    from lib import model
    from lib.filters import default_grain
    from lib.signals import detect, message, replay

    assert result.data is not None and result.catalog is not None
    settings = Settings.load()
    data_grain = result.report.grain or "month"
    grain = default_grain(data_grain)
    data = result.data
    if args.as_of is not None:  # no look-ahead: periods starting after the date do not exist yet
        data = data.filter(pl.col("period") <= args.as_of)
    rolled = model.rollup_time(data.lazy(), result.catalog, grain, data_grain, settings.year_start_month)
    history = model.with_gap(rolled, result.catalog).collect()
    if history.is_empty():
        found = pl.DataFrame()
    elif args.history:
        found = replay(history, result.catalog, year_start_month=settings.year_start_month)
    else:
        found = detect(history, result.catalog, year_start_month=settings.year_start_month)
    units = dict(result.catalog.select("kpi", "unit").iter_rows())
    rows = [
        {
            "service": row["service"],
            "kpi": row["kpi"],
            "kind": row["kind"],
            "polarity": row["polarity"],
            "severity": round(row["severity"], 4),
            "period": row["period"].isoformat(),
            "message": message(row, args.lang, units.get(row["kpi"]) or ""),
        }
        for row in found.iter_rows(named=True)
    ]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            print(f"{row['period']}  {row['severity']:.2f}  {row['kind']:<20} {row['message']}")
        print(t("cli.signals_count", args.lang, count=len(rows)))
    return EXIT_OK


def _import(args: argparse.Namespace, result: LoadResult) -> int:
    from lib.datasets import DatasetError, DatasetLibrary, catalog_for_append

    assert result.data is not None and result.catalog is not None
    library = DatasetLibrary(Settings.load().data_dir)
    sources = [args.file.name]
    grain = result.report.grain
    try:
        if args.append:
            catalog = catalog_for_append(library.read_catalog(args.append), result.catalog)
            out = library.append(args.append, result.data, catalog, sources=sources, grain=grain)
            print(out.summary(args.lang))
        else:
            if args.name:
                info = library.save(args.name, result.data, result.catalog, sources=sources, grain=grain)
            else:
                info = library.replace(
                    args.replace, result.data, result.catalog, sources=sources, grain=grain
                )
            print(
                t(
                    "cli.imported",
                    args.lang,
                    name=info.name,
                    slug=info.slug,
                    version=info.version,
                    rows=info.rows,
                )
            )
    except DatasetError as exc:
        print(exc.message(args.lang), file=sys.stderr)
        return EXIT_USAGE
    if result.report.rows_rejected:
        print(t("cli.rejected_left_out", args.lang, rejected=result.report.rows_rejected))
    return EXIT_OK
