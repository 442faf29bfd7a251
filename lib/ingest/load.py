"""`load_extract` and `load_files`: read, map, validate and normalise extracts; never raise on bad input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import polars as pl

from lib import catalog as catalogs
from lib.config import Settings
from lib.contract import CATALOG_COLUMNS, DATA_COLUMNS, GRAINS
from lib.ingest import LoadResult
from lib.ingest.columns import ColumnMap, catalog_score, map_headers
from lib.ingest.dates import DATE_FORM, parse_periods
from lib.ingest.numbers import number_values, plan_numbers, retry_numbers
from lib.ingest.report import Notice, Rejection, ValidationReport
from lib.ingest.sources import read_source
from lib.ingest.table import FILE, LINE, RawTable, ReadError
from lib.ingest.text import fix_cp1252, fix_cp1252_expr
from lib.ingest.validate import (
    FIDX,
    choose_grain,
    completeness,
    duplicates,
    file_names,
    rejection_sort_key,
    rejections_from,
    series_summary,
    sort_rows,
)
from lib.ingest.words import translated
from lib.periods import grain_rank, truncate, truncate_date

Duplicates = Literal["reject", "first", "last"]
TEXT_COLUMNS = ("service", "kpi", "owner")
NUMBER_COLUMNS = ("actual", "target", "weight")
ATTRIBUTE_COLUMNS = tuple(c for c in CATALOG_COLUMNS if c != "kpi")
CATALOG_EXTENSIONS = (".csv", ".xlsx", ".parquet", ".tsv", ".txt")
DISTINCT_PROBE = 1000  # distinct values looked at to settle an ambiguous header


def _label(source: Path | bytes, name: str | None) -> str:
    if name:
        return name
    return "upload" if isinstance(source, (bytes, bytearray, memoryview)) else Path(source).name


def _catalog_beside(path: Path) -> Path | None:
    """`<stem>_catalog.<ext>` or `catalog.<ext>` next to an extract file."""
    for stem in (f"{path.stem}_catalog", f"{path.stem}_catalogue", "catalog", "catalogue"):
        for ext in CATALOG_EXTENSIONS:
            candidate = path.with_name(stem + ext)
            if candidate.is_file() and candidate != path:
                return candidate
    return None


def _failed(report: ValidationReport, error: Notice) -> LoadResult:
    report.error = error
    return LoadResult(None, None, report)


def _unexpected(label: str, exc: Exception) -> Notice:
    return Notice("unexpected", {"file": label, "detail": f"{type(exc).__name__}: {exc}"[:300]}, kind="error")


def load_extract(
    source: Path | bytes,
    *,
    name: str | None = None,
    sheet: str | None = None,
    catalog: Path | bytes | None = None,
    catalog_name: str | None = None,
    duplicates: Duplicates = "reject",
    mapping: dict[str, str] | None = None,
    settings: Settings | None = None,
) -> LoadResult:
    """Load one extract (CSV/TSV/TXT, XLSX, Parquet file or folder, or bytes with `name`)."""
    settings = settings or Settings()
    label = _label(source, name)
    report = ValidationReport(files=[label])
    try:
        table = read_source(source, name, sheet=sheet, settings=settings, mapping=mapping)
        catalog_frame, notices = None, []
        if catalog is not None:
            catalog_frame, notices = catalogs.read_catalog(catalog, catalog_name, settings=settings)
        elif not isinstance(source, (bytes, bytearray, memoryview)) and Path(source).is_file():
            beside = _catalog_beside(Path(source))
            if beside is not None:
                catalog_frame, notices = catalogs.read_catalog(beside, settings=settings)
                if catalog_frame is not None:
                    notices.append(Notice("catalog_found", {"file": beside.name}))
        if catalog_frame is None and catalog is None and table.catalog_sheet is not None:
            sheet_table = table.catalog_sheet
            catalog_frame = catalogs.catalog_frame(sheet_table.headers, sheet_table.frame)
            if catalog_frame is not None:
                notices.append(Notice("catalog_found", {"file": f"{label} [{sheet_table.sheet}]"}))
        return _build([table], catalog_frame, notices, report, duplicates, mapping, settings)
    except ReadError as exc:
        return _failed(report, exc.notice())
    except Exception as exc:  # noqa: BLE001  (the promise is a report, never a traceback)
        return _failed(report, _unexpected(label, exc))


def load_files(
    files: Sequence[tuple[str, bytes]],
    *,
    duplicates: Duplicates = "reject",
    mapping: dict[str, str] | None = None,
    settings: Settings | None = None,
    sheet: str | None = None,
) -> LoadResult:
    """Load several uploaded files at once: KPI catalogs among them are used as the catalog, the
    extracts are concatenated (duplicate keys across files are duplicates too)."""
    settings = settings or Settings()
    report = ValidationReport(files=[name for name, _ in files])
    tables: list[RawTable] = []
    catalog_parts: list[pl.DataFrame] = []
    notices: list[Notice] = []
    current = ", ".join(report.files)
    try:
        for name, data in files:
            current = name
            table = read_source(data, name, sheet=sheet, settings=settings, mapping=mapping)
            if catalog_score(table.headers) > 0:
                frame = catalogs.catalog_frame(table.headers, table.frame)
                if frame is not None:
                    catalog_parts.append(frame)
                    notices.append(Notice("catalog_found", {"file": name}))
                    continue
            tables.append(table)
        if not tables:
            raise ReadError("no_extract", files=", ".join(report.files))
        if not catalog_parts:  # a catalog sheet in one of the workbooks
            for table in tables:
                sheet = table.catalog_sheet
                frame = catalogs.catalog_frame(sheet.headers, sheet.frame) if sheet is not None else None
                if frame is not None:
                    catalog_parts.append(frame)
                    notices.append(Notice("catalog_found", {"file": f"{table.file} [{sheet.sheet}]"}))
        catalog_frame = pl.concat(catalog_parts, how="diagonal_relaxed") if catalog_parts else None
        return _build(tables, catalog_frame, notices, report, duplicates, mapping, settings)
    except ReadError as exc:
        return _failed(report, exc.notice())
    except Exception as exc:  # noqa: BLE001
        return _failed(report, _unexpected(current, exc))


# --- One table -> normalised rows -----------------------------------------------------------------


def _distinct_values(frame: pl.DataFrame, column: str) -> list[str]:
    values = frame.get_column(column).drop_nulls().cast(pl.String).unique().head(DISTINCT_PROBE)
    return [v.strip() for v in values.to_list() if v.strip()]


def _map(table: RawTable, mapping: Mapping[str, str] | None, report: ValidationReport) -> ColumnMap:
    colmap = map_headers(table.headers, mapping, lambda i: _distinct_values(table.frame, f"c{i}"))
    report.columns.update({h: c for h, c in colmap.columns.items() if h not in report.columns})
    report.unmapped.extend(h for h in colmap.unmapped if h not in report.unmapped)
    if colmap.missing:
        found = ", ".join(h for h in table.headers if h) or "-"
        raise ReadError(
            "missing_columns",
            file=table.file,
            missing=", ".join(colmap.missing),
            found=found,
            **translated("missing", "column", colmap.missing),
        )
    return colmap


def _as_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Text columns as String, except Categoricals (from Parquet), which stay as they are: cheaper."""
    return (
        expr if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)) else expr.cast(pl.String)
    )


def _text_changes(uniques: dict[str, pl.Series], cp1252: bool) -> tuple[list[pl.Expr], dict[str, pl.Series]]:
    """Values are data: kept as written, only surrounding whitespace removed ("" -> null).

    Worked out on the distinct values of each column (services, KPIs and owners repeat): returns the
    expressions that map the values that change, and the distinct non-null values once cleaned.
    """
    changes, values = [], {}
    for c, distinct in uniques.items():
        pair = pl.DataFrame({"before": distinct.cast(pl.String)})
        # Restore Windows-1252 characters before stripping: "…" read as Latin-1 is NEL, a space.
        cleaned = (fix_cp1252_expr(pl.col("before")) if cp1252 else pl.col("before")).str.strip_chars()
        pair = pair.with_columns(pl.when(cleaned == "").then(None).otherwise(cleaned).alias("after"))
        values[c] = pair.get_column("after").drop_nulls().unique()
        moved = pair.filter(~pl.col("after").eq_missing(pl.col("before")))
        if moved.height:
            changes.append(pl.col(c).cast(pl.String).replace(moved["before"], moved["after"]))
    return changes, values


@dataclass
class _Part:
    """One table after the row rules: its rows, its rejections and what its period texts mean."""

    frame: pl.DataFrame  # FILE, LINE, FIDX, period_raw (String, or Date for typed sources), values
    rejected: list[Rejection]
    header: dict[str, str]  # canonical column -> source header
    parsed: dict[str, tuple[date | None, str | None]]  # period text -> (start, form); {} when typed
    values: dict[str, pl.Series]  # distinct values of the text columns
    file: str  # the table's file name (rows of a Parquet folder also carry their part file)


def _normalise(
    table: RawTable,
    fidx: int,
    mapping: Mapping[str, str] | None,
    report: ValidationReport,
    settings: Settings,
) -> _Part:
    """Typed rows of one table with the rows that break a row rule taken out, and their rejections."""
    colmap = _map(table, mapping, report)
    report.warnings.extend(table.notices + colmap.notices)
    src = {name: f"c{i}" for name, i in colmap.by_name.items()}
    header = {name: table.headers[i] for name, i in colmap.by_name.items()}
    frame = table.frame
    numbers = [c for c in NUMBER_COLUMNS if c in src]
    texts = [c for c in (*TEXT_COLUMNS, *ATTRIBUTE_COLUMNS) if c in src]
    period_type = frame.schema[src["period"]]
    typed = period_type == pl.Date or isinstance(period_type, pl.Datetime)
    period = pl.col(src["period"])
    if typed:
        period = period.cast(pl.Date) if period_type == pl.Date else period.dt.date()
    elif period_type != pl.String:
        period = period.cast(pl.String)
    base = frame.lazy().select(
        *([pl.col(FILE).cast(pl.String)] if FILE in frame.columns else []),
        pl.col(LINE),
        pl.lit(fidx, dtype=pl.Int32).alias(FIDX),
        period.alias("period_raw"),
        *(_as_text(pl.col(src[c]), frame.schema[src[c]]).alias(c) for c in texts),
        *(pl.col(src[c]).alias(c) for c in numbers),
        *(pl.col(src[c]).cast(pl.String).alias(f"{c}__raw") for c in numbers),
    )
    plan = plan_numbers(
        frame.select(pl.col(src[c]).alias(c) for c in numbers),
        numbers,
        hint=table.decimal_hint,
        excel=table.kind == "xlsx",
    )
    # One pass for the number parsing and the distinct values: Polars runs them side by side.
    distinct = base.select(pl.col(c).drop_nulls().unique().implode() for c in (*texts, "period_raw"))
    frame, uniques = pl.collect_all([base.with_columns(plan.exprs), distinct])
    frame = retry_numbers(frame, plan)
    changes, values = _text_changes({c: uniques[c][0] for c in texts}, table.cp1252)

    parsed: dict[str, tuple[date | None, str | None]] = {}
    if typed:
        period_blank, bad_date = pl.col("period_raw").is_null(), pl.lit(False)
    else:
        periods = uniques["period_raw"][0].to_list()
        texts_of = {v: (fix_cp1252(v) if table.cp1252 else v) for v in periods}
        meaning = parse_periods(
            set(texts_of.values()), excel=table.kind == "xlsx", year_start_month=settings.year_start_month
        )
        parsed = {v: meaning[t] for v, t in texts_of.items()}
        blanks = [v for v in periods if not v.strip()]
        bad = [v for v in periods if v.strip() and parsed[v][0] is None]
        period_blank = pl.col("period_raw").is_null()
        if blanks:
            period_blank = period_blank | pl.col("period_raw").is_in(blanks)
        bad_date = pl.col("period_raw").is_in(bad) if bad else pl.lit(False)
    blank = {c: pl.col(f"{c}__blank") for c in numbers}
    no_value = blank["actual"] & blank["target"] if "target" in blank else blank["actual"]
    # (code, canonical column, condition, column holding the value to show)
    checks: list[tuple[str, str | None, pl.Expr, str | None]] = [
        ("empty_period", "period", period_blank, None),
        ("bad_date", "period", bad_date, "period_raw"),
        ("empty_service", "service", pl.col("service").is_null(), None),
        ("empty_kpi", "kpi", pl.col("kpi").is_null(), None),
        *(("not_a_number", c, pl.col(f"{c}__bad"), f"{c}__raw") for c in numbers),
        ("no_value", "actual", no_value, None),
    ]
    if "weight" in numbers:
        checks.append(("negative_weight", "weight", pl.col("weight") < 0, "weight__raw"))
    # One pass: number values, cleaned text and one flag for rows that break any rule.
    frame = (
        frame.lazy()
        .with_columns(number_values(plan))
        .with_columns(changes)
        .with_columns(pl.any_horizontal(cond.fill_null(False) for _, _, cond, _ in checks).alias("__reject"))
        .collect()
    )
    rejected: list[Rejection] = []
    if frame.get_column("__reject").any():
        bad_rows = frame.filter("__reject")  # usually few: the rules are worked out again on them alone
        names = [table.file] * (fidx + 1)
        for code, column, cond, value in checks:
            hit = bad_rows.filter(cond.fill_null(False))
            if hit.height:
                rejected += rejections_from(hit, names, code, header.get(column), value, fix=table.cp1252)
        frame = frame.filter(~pl.col("__reject"))
    helpers = [f"{c}__{s}" for c in numbers for s in ("raw", "bad", "blank", "num")]
    frame = frame.drop(["__reject", *helpers], strict=False)
    return _Part(frame, rejected, header, parsed, values, table.file)


def _period_counts(part: _Part) -> dict[tuple[date, str], int]:
    """Rows per (period start, form) of one part, for the grain."""
    counts: dict[tuple[date, str], int] = {}
    stats = part.frame.group_by("period_raw").len()
    for raw, n in stats.iter_rows():
        start, form = (raw, DATE_FORM) if not part.parsed else part.parsed[raw]
        if start is not None and form is not None:
            counts[(start, form)] = counts.get((start, form), 0) + n
    return counts


def _with_periods(part: _Part, grain: str, year_start_month: int) -> tuple[pl.LazyFrame, pl.DataFrame]:
    """(rows with `period` = start of their period at `grain`, as a query; rows written at a
    coarser grain)."""
    rows = part.frame.lazy()
    if not part.parsed:
        return rows.with_columns(
            truncate(pl.col("period_raw"), grain, year_start_month).alias("period")
        ), part.frame.clear()
    coarse_forms = {g for g in GRAINS if grain_rank(g) > grain_rank(grain)}
    coarse = [raw for raw, (_, form) in part.parsed.items() if form in coarse_forms]
    off = part.frame.clear()
    if coarse:
        off = part.frame.filter(pl.col("period_raw").is_in(coarse))
        rows = rows.filter(~pl.col("period_raw").is_in(coarse))
    keys = [raw for raw, (start, _) in part.parsed.items() if start is not None]
    starts = [truncate_date(part.parsed[raw][0], grain, year_start_month) for raw in keys]
    period = pl.col("period_raw").replace_strict(keys, starts, default=None, return_dtype=pl.Date)
    return rows.with_columns(period.alias("period")), off


def _align(parts: list[pl.LazyFrame], present: set[str]) -> pl.LazyFrame:
    """Concatenate tables whose optional columns differ (a column one file lacks is null)."""
    wanted = {FILE: pl.String, LINE: pl.Int64, FIDX: pl.Int32, "period": pl.Date}
    wanted |= dict.fromkeys((*TEXT_COLUMNS, *ATTRIBUTE_COLUMNS), pl.String)
    wanted |= dict.fromkeys(NUMBER_COLUMNS, pl.Float64)
    columns = [c for c in wanted if c in present]
    out = []
    for lazy in parts:
        names = lazy.collect_schema()
        exprs = []
        for c in columns:
            if c not in names:
                exprs.append(pl.lit(None, dtype=wanted[c]).alias(c))
            elif isinstance(names[c], (pl.Categorical, pl.Enum)) and wanted[c] == pl.String:
                exprs.append(pl.col(c))  # the sort turns text into Categorical/Enum anyway
            else:
                exprs.append(pl.col(c).cast(wanted[c]))
        out.append(lazy.select(exprs))
    return out[0] if len(out) == 1 else pl.concat(out, how="vertical_relaxed")


# --- Whole load -----------------------------------------------------------------------------------


def _build(
    tables: list[RawTable],
    catalog_frame: pl.DataFrame | None,
    catalog_notices: list[Notice],
    report: ValidationReport,
    mode: Duplicates,
    mapping: Mapping[str, str] | None,
    settings: Settings,
) -> LoadResult:
    ysm = settings.year_start_month
    report.sheet = next((t.sheet for t in tables if t.sheet), None)
    report.rows_read = sum(t.rows_read for t in tables)
    rejected: list[Rejection] = [r for t in tables for r in t.rejected]
    parts = [_normalise(table, fidx, mapping, report, settings) for fidx, table in enumerate(tables)]
    for part in parts:
        rejected += part.rejected

    counts: dict[tuple[date, str], int] = {}
    for part in parts:
        for key, n in _period_counts(part).items():
            counts[key] = counts.get(key, 0) + n
    queries = []
    if counts:
        report.grain, _ = choose_grain(counts, ysm)
        for part, table in zip(parts, tables, strict=True):
            rows, off = _with_periods(part, report.grain, ysm)
            queries.append(rows)
            if off.height:
                rejected += _off_grain_rejections(off, part, report.grain, table.cp1252)
    positions: dict[str | None, int] = {}
    for t in tables:
        for i, h in enumerate(t.headers):
            positions.setdefault(h, i)
    categories = {
        c: pl.concat([p.values[c] for p in parts if c in p.values]).unique().sort()
        for c in ("service", "kpi")
    }
    present = {"period"} | {name for p in parts for name in p.frame.columns}
    frame = sort_rows(_align(queries, present), categories) if queries else pl.DataFrame()
    if frame.is_empty():
        report.rejected = sorted(rejected, key=rejection_sort_key([t.file for t in tables], positions))
        raise ReadError("nothing_loaded", file=", ".join(t.file for t in tables), count=report.rows_read)
    frame, dup_rejected, report.duplicates, data_notices = duplicates(frame, mode, [t.file for t in tables])
    rejected += dup_rejected
    report.rejected = sorted(rejected, key=rejection_sort_key([t.file for t in tables], positions))
    if frame.is_empty():
        raise ReadError("nothing_loaded", file=", ".join(t.file for t in tables), count=report.rows_read)

    # The normalised rows and everything summarised from them, in one parallel pass.
    rows = frame.lazy()
    attrs = [c for c in ATTRIBUTE_COLUMNS if c in frame.columns]
    has_target, has_weight = "target" in frame.columns, "weight" in frame.columns
    data_query = rows.select(
        pl.col(c).cast(dtype) if c in frame.columns else pl.lit(None, dtype=dtype).alias(c)
        for c, dtype in _DATA_DTYPES.items()
    )
    stats_query = rows.select(
        (pl.col("actual").is_null() & pl.col("target").is_not_null()).sum().alias("future")
        if has_target
        else pl.lit(0).alias("future"),
        pl.col("service").n_unique().alias("services"),
        pl.col("period").min().alias("first"),
        pl.col("period").max().alias("last"),
    )
    kpi_query = rows.group_by("kpi").agg(
        (pl.col("weight").is_not_null().any() if has_weight else pl.lit(False)).alias("weighted")
    )
    queries = [data_query, stats_query, kpi_query, series_summary(rows, report.grain or "month", ysm)]
    if attrs:
        queries.append(rows.group_by("kpi", *attrs).agg(pl.len().alias("__n")))
    data, stats, kpi_frame, series, *attr_counts = pl.collect_all(queries)

    future, report.services, report.first_period, report.last_period = stats.row(0)
    if future:
        data_notices.append(Notice("future_targets", {"count": future}))
    kpi_frame = kpi_frame.with_columns(pl.col("kpi").cast(pl.String)).sort("kpi")
    kpis = kpi_frame.get_column("kpi").to_list()
    weighted = set(kpi_frame.filter("weighted").get_column("kpi").to_list())
    extract_attrs = attr_counts[0].with_columns(pl.col("kpi").cast(pl.String)) if attr_counts else None
    catalog, notices = catalogs.build_catalog(extract_attrs, catalog_frame, kpis, weighted)
    data_notices += completeness(data, series, report.grain or "month", ysm)

    report.warnings.extend(catalog_notices + notices + data_notices)
    report.rows_loaded = data.height
    report.kpis = len(kpis)
    return LoadResult(data, catalog, report)


_DATA_DTYPES = {
    "period": pl.Date,
    "service": pl.Categorical,
    "kpi": pl.Categorical,
    "actual": pl.Float64,
    "target": pl.Float64,
    "weight": pl.Float64,
    "owner": pl.Categorical,
}
assert tuple(_DATA_DTYPES) == DATA_COLUMNS


def _off_grain_rejections(off: pl.DataFrame, part: _Part, grain: str, cp1252: bool) -> list[Rejection]:
    words = {"grain": grain, **translated("grain", "grain", [grain])}
    out = []
    files = file_names(off, [part.file] * (int(off[FIDX].max()) + 1))
    for file, (line, raw) in zip(files, off.select(LINE, "period_raw").rows(), strict=True):
        value = (fix_cp1252(raw) if cp1252 else raw).strip()
        out.append(
            Rejection(
                file,
                line,
                part.header.get("period"),
                value,
                "off_grain",
                {**words, "found": part.parsed[raw][1]},
            )
        )
    return out
