"""One table, read and mapped, to typed rows: numbers, periods, cleaned text, the row rules.

`normalise_table` does one table; `period_counts`, `with_periods` and `align` then put the tables of
a load on one grain and in one frame (lib.ingest.load).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import polars as pl

from lib.config import Settings
from lib.contract import CATALOG_COLUMNS, GRAINS
from lib.ingest.columns import ColumnMap, map_headers
from lib.ingest.dates import DATE_FORM, parse_periods
from lib.ingest.numbers import number_values, plan_numbers, retry_numbers
from lib.ingest.report import Rejection, ValidationReport
from lib.ingest.table import FILE, LINE, RawTable, ReadError
from lib.ingest.text import fix_cp1252, fix_cp1252_expr
from lib.ingest.validate import FIDX, file_names, rejections_from
from lib.periods import grain_rank, truncate, truncate_date

TEXT_COLUMNS = ("service", "kpi", "owner")
NUMBER_COLUMNS = ("actual", "target", "weight")
ATTRIBUTE_COLUMNS = tuple(c for c in CATALOG_COLUMNS if c != "kpi")
DISTINCT_PROBE = 1000  # distinct values looked at to settle an ambiguous header


def _distinct_values(frame: pl.DataFrame, column: str) -> list[str]:
    values = frame.get_column(column).drop_nulls().cast(pl.String).unique().head(DISTINCT_PROBE)
    return [v.strip() for v in values.to_list() if v.strip()]


def map_columns(table: RawTable, mapping: Mapping[str, str] | None, report: ValidationReport) -> ColumnMap:
    colmap = map_headers(table.headers, mapping, lambda i: _distinct_values(table.frame, f"c{i}"))
    report.columns.update({h: c for h, c in colmap.columns.items() if h not in report.columns})
    report.unmapped.extend(h for h in colmap.unmapped if h not in report.unmapped)
    report.warnings.extend(table.notices + colmap.notices)  # kept with the error too: they explain it
    if colmap.missing:
        found = ", ".join(h for h in table.headers if h) or "-"
        raise ReadError(
            "missing_columns",
            file=table.file,
            missing=", ".join(colmap.missing),
            found=found,
        )
    return colmap


def _as_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Text columns as String, except Categoricals (from Parquet), which stay as they are: cheaper."""
    return (
        expr if dtype == pl.String or isinstance(dtype, (pl.Categorical, pl.Enum)) else expr.cast(pl.String)
    )


def _raw_number(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    return expr if dtype.is_numeric() or dtype == pl.String else expr.cast(pl.String)


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
class Part:
    """One table after the row rules: its rows, its rejections and what its period texts mean."""

    frame: pl.DataFrame  # FILE, LINE, FIDX, period_raw (String, or Date for typed sources), values
    rejected: list[Rejection]
    header: dict[str, str]  # canonical column -> source header
    parsed: dict[str, tuple[date | None, str | None]]  # period text -> (start, form); {} when typed
    values: dict[str, pl.Series]  # distinct values of the text columns
    file: str  # the table's file name (rows of a Parquet folder also carry their part file)
    period_rows: dict  # rows per raw period value, rejected rows included (enough to settle the grain)


def normalise_table(
    table: RawTable,
    fidx: int,
    mapping: Mapping[str, str] | None,
    report: ValidationReport,
    settings: Settings,
) -> Part:
    """Typed rows of one table with the rows that break a row rule taken out, and their rejections."""
    colmap = map_columns(table, mapping, report)
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
        # The value as written, shown when the row is rejected (typed numbers need no text copy).
        *(_raw_number(pl.col(src[c]), frame.schema[src[c]]).alias(f"{c}__raw") for c in numbers),
    )
    plan = plan_numbers(
        frame.select(pl.col(src[c]).alias(c) for c in numbers),
        numbers,
        hint=table.decimal_hint,
        excel=table.kind == "xlsx",
    )
    # One pass for the number parsing and the distinct values: Polars runs them side by side.
    distinct = base.select(pl.col(c).drop_nulls().unique().implode() for c in texts)
    per_period = base.group_by("period_raw").len()  # the distinct periods and their rows, for the grain
    frame, uniques, period_rows = pl.collect_all([base.with_columns(plan.exprs), distinct, per_period])
    frame = retry_numbers(frame, plan)
    changes, values = _text_changes({c: uniques[c][0] for c in texts}, table.cp1252)

    parsed: dict[str, tuple[date | None, str | None]] = {}
    if typed:
        period_blank, bad_date = pl.col("period_raw").is_null(), pl.lit(False)
    else:
        periods = period_rows.get_column("period_raw").drop_nulls().to_list()
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
    rows = {raw: n for raw, n in period_rows.iter_rows() if raw is not None}
    return Part(frame, rejected, header, parsed, values, table.file, rows)


def period_counts(part: Part) -> dict[tuple[date, str], int]:
    """Rows per (period start, form) of one part, for the grain (counted before the row rules: a row
    rejected for another reason still tells how the file writes its periods)."""
    counts: dict[tuple[date, str], int] = {}
    for raw, n in part.period_rows.items():
        start, form = (raw, DATE_FORM) if not part.parsed else part.parsed[raw]
        if start is not None and form is not None:
            counts[(start, form)] = counts.get((start, form), 0) + n
    return counts


def with_periods(part: Part, grain: str, year_start_month: int) -> tuple[pl.LazyFrame, pl.DataFrame]:
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


def align(parts: list[pl.LazyFrame], present: set[str]) -> pl.LazyFrame:
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


def off_grain_rejections(off: pl.DataFrame, part: Part, grain: str, cp1252: bool) -> list[Rejection]:
    words = {"grain": grain}
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
