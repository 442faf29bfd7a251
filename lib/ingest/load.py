"""`load_extract` and `load_files`: read, map, validate and normalise extracts; never raise on bad input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Literal

import polars as pl

from lib import catalog as catalogs
from lib.config import Settings
from lib.contract import DATA_COLUMNS
from lib.ingest import LoadResult
from lib.ingest.columns import catalog_score
from lib.ingest.normalise import (
    ATTRIBUTE_COLUMNS,
    align,
    normalise_table,
    off_grain_rejections,
    period_counts,
    with_periods,
)
from lib.ingest.report import Notice, Rejection, ValidationReport
from lib.ingest.sources import read_source
from lib.ingest.table import RawTable, ReadError
from lib.ingest.validate import (
    choose_grain,
    completeness,
    duplicates,
    rejection_sort_key,
    series_summary,
    sort_rows,
)

Duplicates = Literal["reject", "first", "last"]
CATALOG_EXTENSIONS = (".csv", ".xlsx", ".parquet", ".tsv", ".txt")


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
    parts = [normalise_table(table, fidx, mapping, report, settings) for fidx, table in enumerate(tables)]
    for part in parts:
        rejected += part.rejected

    counts: dict[tuple[date, str], int] = {}
    for part in parts:
        for key, n in period_counts(part).items():
            counts[key] = counts.get(key, 0) + n
    queries = []
    if counts:
        report.grain, _ = choose_grain(counts, ysm)
        for part, table in zip(parts, tables, strict=True):
            rows, off = with_periods(part, report.grain, ysm)
            queries.append(rows)
            if off.height:
                rejected += off_grain_rejections(off, part, report.grain, table.cp1252)
    positions: dict[str | None, int] = {}
    for t in tables:
        for i, h in enumerate(t.headers):
            positions.setdefault(h, i)
    categories = {
        c: pl.concat([p.values[c] for p in parts if c in p.values]).unique().sort()
        for c in ("service", "kpi")
    }
    present = {"period"} | {name for p in parts for name in p.frame.columns}
    rows = align(queries, present) if queries else None
    if rows is not None and "owner" in present:
        # Categorical in the data anyway: cast before the sort, which then moves integers, not text.
        rows = rows.with_columns(pl.col("owner").cast(pl.Categorical))
    frame = sort_rows(rows, categories) if rows is not None else pl.DataFrame()
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
    )
    kpi_query = rows.group_by("kpi").agg(
        (pl.col("weight").is_not_null().any() if has_weight else pl.lit(False)).alias("weighted")
    )
    queries = [data_query, stats_query, kpi_query, series_summary(rows, report.grain or "month", ysm)]
    if attrs:
        queries.append(rows.group_by("kpi", *attrs).agg(pl.len().alias("__n")))
    data, stats, kpi_frame, series, *attr_counts = pl.collect_all(queries)

    # Counted on the series (one row per service and KPI) rather than on every row.
    future = stats.item(0, "future")
    report.services = series.get_column("service").n_unique()
    report.first_period, report.last_period = series.get_column("start").min(), series.get_column("end").max()
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
