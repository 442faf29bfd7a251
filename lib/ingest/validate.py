"""Row rules (rejections), the period grain, duplicate keys and completeness of a normalised extract.

Everything here is vectorised; Python objects are only built for the rows that are rejected and
for the few series and services a warning names.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import polars as pl

from lib.contract import REJECTION_CODES
from lib.ingest.dates import DATE_FORM
from lib.ingest.report import Notice, Rejection
from lib.ingest.table import FILE, LINE, select
from lib.ingest.text import fix_cp1252
from lib.periods import grain_rank, infer_grain, period_range

FIDX = "__fidx"  # position of the file in the load (rows keep file order, then line order)
MAX_SERIES_WARNINGS = 50
LISTED_NAMES = 20
LISTED_LINES = 10
LISTED_PERIODS = 6


def listing(values: list[str], limit: int = LISTED_NAMES) -> str:
    shown = ", ".join(values[:limit])
    return shown if len(values) <= limit else f"{shown} … (+{len(values) - limit})"


def file_names(frame: pl.DataFrame, files: list[str]) -> list[str]:
    """The file of each row: the FILE column when a source has several (a Parquet folder), else the
    name of the table the row comes from (FIDX) -- a per-row name column would cost a string per row."""
    if FILE in frame.columns:
        return frame.get_column(FILE).to_list()
    return [files[i] for i in frame.get_column(FIDX).to_list()]


def rejections_from(
    frame: pl.DataFrame, files: list[str], code: str, column: str | None, value: str | None, fix: bool = False
) -> list[Rejection]:
    """One Rejection per row of `frame` (columns LINE, FIDX and, if given, `value`); `fix` restores
    Windows-1252 characters (see lib.ingest.text.fix_cp1252)."""
    values = frame[value].to_list() if value else [None] * frame.height
    out = []
    for file, line, v in zip(file_names(frame, files), frame[LINE].to_list(), values, strict=True):
        text = None if v is None else (fix_cp1252(str(v)) if fix else str(v)).strip()
        out.append(Rejection(file, line, column, text, code, {}))
    return out


def rejection_sort_key(files: list[str], positions: dict[str | None, int]):
    """Rejections in file order, then line, then rule, then column position."""
    order = {f: i for i, f in enumerate(files)}

    def key(r: Rejection) -> tuple:
        return (
            order.get(r.file, order.get(r.file.split("/")[0], 0)),
            r.file,
            r.line,
            REJECTION_CODES.index(r.code),
            positions.get(r.column, -1),
        )

    return key


# --- Grain ----------------------------------------------------------------------------------------


def choose_grain(counts: dict[tuple[date, str], int], year_start_month: int) -> tuple[str, str | None]:
    """(grain of the extract, grain of its full dates) from rows per (period start, form): the grain
    most rows are written at, ties to the finer; full dates count at the grain their spacing shows
    (lib.periods.infer_grain)."""
    dated = [start for (start, form) in counts if form == DATE_FORM]
    date_grain = infer_grain(dated, year_start_month) if dated else None
    rows: dict[str, int] = defaultdict(int)
    for (_, form), n in counts.items():
        rows[date_grain if form == DATE_FORM else form] += n
    grain = max(rows, key=lambda g: (rows[g], -grain_rank(g)))
    return grain, date_grain


# --- Duplicates -----------------------------------------------------------------------------------


KEY = "__key"  # one integer per (period, service, kpi), in sort order


def sort_rows(rows: pl.LazyFrame, categories: dict[str, pl.Series]) -> pl.DataFrame:
    """By period, service, kpi; rows of one key keep file then line order.

    service and kpi become Enums over their sorted distinct `categories` (a superset of the values is
    fine), so their codes follow the alphabet; with the period they make one integer KEY per row,
    and sorting one integer column is several times faster than a three-column sort. Rows that
    come sorted (written by Vigie or a database) are left as they are. Cast the Enums to
    Categorical when done.
    """
    sizes = [len(categories["service"]), len(categories["kpi"])]
    days = pl.col("period").cast(pl.Int32).cast(pl.Int64)
    key = (days - days.min()) * (sizes[0] * sizes[1]) + pl.col("service").to_physical().cast(
        pl.Int64
    ) * sizes[1]
    key = key + pl.col("kpi").to_physical().cast(pl.Int64)
    casts = [pl.col(c).cast(pl.Enum(values)) for c, values in categories.items()]
    frame = rows.with_columns(casts).with_columns(key.alias(KEY)).collect()
    keys = frame.get_column(KEY)
    if keys.is_sorted():
        return frame
    frame = frame.sort(KEY, maintain_order=True)  # one arg-sort, columns gathered in parallel
    if (frame.get_column(KEY).diff() == 0).any():  # ties: put them back in file and line order
        frame = frame.sort(KEY, FIDX, LINE)
    return frame


def duplicates(
    frame: pl.DataFrame, mode: str, files: list[str]
) -> tuple[pl.DataFrame, list[Rejection], int, list[Notice]]:
    """Settle rows sharing (period, service, kpi) in a frame sorted by `sort_rows`.

    mode "reject": every row of a duplicated key is rejected (params name the other lines);
    "first"/"last": the first/last row in file order is kept, with a warning counting the others.
    Returns (rows kept, rejections, number of duplicated keys, notices).
    """
    same = (pl.col(KEY) == pl.col(KEY).shift(1)).fill_null(False)
    flags = select(frame, same.alias("prev"), same.shift(-1).fill_null(False).alias("next"))
    dup = flags["prev"] | flags["next"]
    if not dup.any():
        return frame, [], 0, []
    rows = frame.filter(dup)
    groups: dict[tuple, list[tuple[str, int]]] = defaultdict(list)
    keys_of = rows.select(
        LINE, "period", pl.col("service").cast(pl.String), pl.col("kpi").cast(pl.String)
    ).rows()
    for file, (line, period, service, kpi) in zip(file_names(rows, files), keys_of, strict=True):
        groups[(period, service, kpi)].append((file, line))
    keys = len(groups)
    if mode == "reject":
        rejected = []
        for (period, service, kpi), places in groups.items():
            for file, line in places:
                others = [str(n) if f == file else f"{f}:{n}" for f, n in places if (f, n) != (file, line)]
                rejected.append(
                    Rejection(
                        file,
                        line,
                        None,
                        None,
                        "duplicate_key",
                        {
                            "period": period.isoformat(),
                            "service": str(service),
                            "kpi": str(kpi),
                            "lines": listing(others, LISTED_LINES),
                        },
                    )
                )
        return frame.filter(~dup), rejected, keys, []
    keep = ~flags["prev"] if mode == "first" else ~flags["next"]
    dropped = frame.height - int(keep.sum())
    notice = Notice(f"duplicates_{mode}", {"keys": keys, "rows": dropped})
    return frame.filter(keep), [], keys, [notice]


# --- Completeness ---------------------------------------------------------------------------------


def _period_index(grain: str, year_start_month: int, p: pl.Expr) -> pl.Expr:
    """Consecutive periods -> consecutive integers (periods are already truncated to the grain)."""
    if grain == "day":
        return p.cast(pl.Int32).cast(pl.Int64)
    if grain == "week":
        return p.cast(pl.Int32).cast(pl.Int64) // 7
    months = p.dt.year().cast(pl.Int64) * 12 + p.dt.month().cast(pl.Int64) - 1
    step = {"month": 1, "quarter": 3, "year": 12}[grain]
    return (months - (year_start_month - 1)) // step


def period_text(value: date, grain: str) -> str:
    """A language-neutral period name for messages: 2025-03, 2025-W12, 2025-03-14."""
    if grain == "week":
        year, week, _ = value.isocalendar()
        return f"{year}-W{week:02d}"
    if grain in ("month", "quarter"):
        return value.strftime("%Y-%m")
    if grain == "year":
        return value.strftime("%Y-%m") if value.month != 1 else str(value.year)
    return value.isoformat()


def series_summary(rows: pl.LazyFrame, grain: str, year_start_month: int) -> pl.LazyFrame:
    """One row per (service, kpi): first and last period (as dates and as consecutive integers) and
    periods reported (keys are unique here, so rows = periods)."""
    # The index only grows with the period: worked out on the first and last period of each series
    # rather than on every row (twice as fast at 1M rows).
    return (
        rows.group_by("service", "kpi")
        .agg(pl.len().alias("n"), pl.col("period").min().alias("start"), pl.col("period").max().alias("end"))
        .select(
            "service",
            "kpi",
            _period_index(grain, year_start_month, pl.col("start")).alias("first"),
            _period_index(grain, year_start_month, pl.col("end")).alias("last_idx"),
            "n",
            "start",
            "end",
        )
    )


def completeness(
    frame: pl.DataFrame, series: pl.DataFrame, grain: str, year_start_month: int
) -> list[Notice]:
    """Series with holes between their first period and the dataset's last one; services that have
    not reported the last period. `series` is `series_summary` of `frame`."""
    notices: list[Notice] = []
    last_idx = series["last_idx"].max()
    last = series["end"].max()
    holes_frame = (
        series.with_columns((pl.lit(last_idx) - pl.col("first") + 1 - pl.col("n")).alias("missing"))
        .filter(pl.col("missing") > 0)
        .with_columns(pl.col("service").cast(pl.String).alias("s"), pl.col("kpi").cast(pl.String).alias("k"))
        .sort("s", "k")
    )
    shown = holes_frame.head(MAX_SERIES_WARNINGS)
    present: dict[tuple[str, str], set[date]] = defaultdict(set)
    if shown.height:
        keys = shown.select(pl.col("s").alias("service"), pl.col("k").alias("kpi"))
        periods = frame.with_columns(pl.col("service").cast(pl.String), pl.col("kpi").cast(pl.String)).join(
            keys, on=["service", "kpi"], how="semi"
        )
        for service, kpi, period in periods.select("service", "kpi", "period").iter_rows():
            present[(service, kpi)].add(period)
    for service, kpi, start, missing in shown.select("s", "k", "start", "missing").iter_rows():
        holes = [
            period_text(p, grain)
            for p in period_range(start, last, grain, year_start_month)
            if p not in present[(service, kpi)]
        ]
        notices.append(
            Notice(
                "missing_periods",
                {"service": service, "kpi": kpi, "count": missing, "periods": listing(holes, LISTED_PERIODS)},
            )
        )
    if holes_frame.height > MAX_SERIES_WARNINGS:
        more = {"shown": MAX_SERIES_WARNINGS, "total": holes_frame.height}
        notices.append(Notice("missing_periods_more", more))
    late = (
        series.group_by("service")
        .agg(pl.col("end").max())
        .filter(pl.col("end") < last)
        .select(pl.col("service").cast(pl.String))
        .sort("service")
    )
    if late.height:
        names = late["service"].to_list()
        notices.append(
            Notice(
                "late_services",
                {"period": period_text(last, grain), "count": len(names), "services": listing(names)},
            )
        )
    return notices
