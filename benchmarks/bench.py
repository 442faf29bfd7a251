"""Speed of Vigie's slicing against hand-written Polars, DuckDB and pandas: same data, same run.

    .venv/bin/python benchmarks/bench.py                        # 1M and 10M rows, a readable table
    .venv/bin/python benchmarks/bench.py --rows 1000000 --json  # one JSON object per line
    .venv/bin/python benchmarks/bench.py --rows 10000000 --work slice --repeat 15

Works (see benchmarks/README.md):
  slice   an Explore filter change: 5 services, 12 months, month × service × KPI on daily data, with
          gap, status and the previous-period comparison (app: lib.slicing.performance on the month
          history cached per dataset version, as lib.ui.compute runs it; app_raw: from raw rows).
  status  the latest status of every service × KPI at month grain (app: the whole-history rollup that
          lib.ui.compute.history caches per dataset version; `app_cached` is its second access).
Each engine's result is checked against the app's (same rows, values within 1e-9 relative, same
statuses), first on a small frame full of holes (null actuals and targets, zero targets, missing
weights), then on the benchmark data; any difference stops the run with exit code 1 (a status on a
boundary up to float noise is reported as a tie instead).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import logging
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lib import model  # noqa: E402
from lib.datasets import DatasetLibrary, DatasetNotFound  # noqa: E402
from lib.filters import ViewState, resolve  # noqa: E402
from lib.periods import truncate_date  # noqa: E402
from lib.slicing import domain_of, performance  # noqa: E402

# Generated extracts and their saved datasets (git-ignored); tests point it at a temporary folder.
CACHE = Path(os.environ.get("VIGIE_BENCH_CACHE") or ROOT / "benchmarks" / ".cache")
DEFAULT_ROWS = (1_000_000, 10_000_000)
ENGINES = ("app", "polars", "duckdb", "pandas")
WORKS = ("slice", "status")
RULES = ("sum", "mean", "wmean", "last")  # the time rules the hand-written queries implement
REL_TOL = 1e-9
SLOW_S = 1.0  # an engine whose warm-up takes longer than this runs at most SLOW_REPEAT times
SLOW_REPEAT = 3
TARGETS = {"polars": 1.2, "duckdb": 0.5}  # slice at 10M rows: app <= 1.2 x hand Polars, <= 0.5 x DuckDB

KEYS = ["period", "service", "kpi"]
STATUS_COLS = [*KEYS, "actual", "target", "weight", "gap", "gap_pct", "status"]
SLICE_COLS = [*STATUS_COLS, "cmp_actual", "cmp_gap_pct", "cmp_status", "change", "change_pct", "gap_change"]


class Mismatch(Exception):
    """An engine disagrees with the app."""


# --- Data -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bench:
    """A dataset as the app holds it, and the work's parameters."""

    rows: int
    data: pl.DataFrame  # lib.contract.DATA_COLUMNS, sorted by period, service, kpi (the library's form)
    catalog: pl.DataFrame
    data_grain: str
    view: ViewState  # the slice, resolved like the app does
    lookback: date  # first day the slice reads (the month before the first one shown)
    history: pl.DataFrame  # the month-grain history the app caches per dataset version (app_history)


def extract_path(rows: int) -> Path:
    """benchmarks/.cache/extract_<rows>.parquet, generated (seeded) by sample_data/generate.py if missing."""
    path = CACHE / f"extract_{rows}.parquet"
    if not path.exists() or not path.with_name(f"{path.stem}_catalog.parquet").exists():
        from sample_data.generate import main as generate

        with contextlib.redirect_stdout(sys.stderr):  # keep stdout for the results
            generate(["--rows", str(rows), "--out", str(path)])
    return path


def saved_dataset(rows: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(data, catalog) read back from a DatasetLibrary, as the app reads them (saved once, reused)."""
    path = extract_path(rows)
    stat = path.stat()
    source = f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}"
    library, slug = DatasetLibrary(CACHE / "datasets"), f"bench-{rows}"
    try:
        saved: tuple[str, ...] | None = library.get(slug).sources
    except DatasetNotFound:
        saved = None
    if saved != (source,):  # first run, or the extract was regenerated since
        extract = pl.read_parquet(path)
        catalog = pl.read_parquet(path.with_name(f"{path.stem}_catalog.parquet"))
        if saved is None:
            library.save(f"bench {rows}", extract, catalog, sources=[source])
        else:
            library.replace(slug, extract, catalog, sources=[source])
    data, catalog, _ = library.read(slug)
    return data, catalog


def make_bench(rows: int, data: pl.DataFrame, catalog: pl.DataFrame, services: int, months: int) -> Bench:
    domain, _ = domain_of(data, catalog)
    names = sorted(domain.services)
    picked = tuple(names[i * len(names) // services] for i in range(min(services, len(names))))
    last = truncate_date(domain.last, "month")
    first = last.year * 12 + last.month - 1 - (months - 1)  # months since year 0
    start, lookback = (date(m // 12, m % 12 + 1, 1) for m in (first, first - 1))
    raw = ViewState(dataset="bench", services=picked, grain="month", compare="previous", start=start)
    view, dropped = resolve(raw, domain)  # fills the end (the last period's last day) like the app
    assert not dropped, dropped
    return Bench(rows, data, catalog, domain.grain, view, lookback, app_history(data, catalog, domain.grain))


def with_holes(
    data: pl.DataFrame, catalog: pl.DataFrame, seed: int = 11
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A few services of `data` with the cases that break careless queries: null actuals and targets,
    zero targets, actual equal to target, missing weights, a series with no weight at all, a series
    with no target at all, and a KPI without tolerance."""
    keep = sorted(data["service"].unique().cast(pl.String).to_list())[:6]
    part = data.filter(pl.col("service").is_in(keep))
    rng = np.random.default_rng(seed)
    u = [pl.Series(rng.random(part.height)) for _ in range(3)]

    def series(rule: str, service: str) -> pl.Expr:
        kpis = catalog.filter(pl.col("agg_time") == rule)["kpi"].to_list()
        return (pl.col("service") == service) & pl.col("kpi").cast(pl.String).is_in(kpis[:1])

    no_weight = series("wmean", keep[0])
    no_target = series("sum", keep[-1]) | series("last", keep[-1])
    part = part.with_columns(
        pl.when(u[0] < 0.04).then(None).otherwise(pl.col("actual")).alias("actual"),
        pl.when((u[1] < 0.06) | no_target)
        .then(None)
        .when(u[1] < 0.08)
        .then(0.0)
        .when(u[1] < 0.10)
        .then(pl.col("actual"))
        .otherwise(pl.col("target"))
        .alias("target"),
        pl.when((u[2] < 0.2) | no_weight).then(None).otherwise(pl.col("weight")).alias("weight"),
    )
    catalog = catalog.with_columns(
        pl.when(pl.col("kpi") == catalog["kpi"][0])
        .then(None)
        .otherwise(pl.col("tolerance"))
        .alias("tolerance")
    )
    return part, catalog


# --- The app ----------------------------------------------------------------------------------------


def app_history(data: pl.DataFrame, catalog: pl.DataFrame, data_grain: str) -> pl.DataFrame:
    """lib.ui.compute._history at month grain: the whole dataset rolled up, with gaps, by period."""
    rollup = model.rollup_time(data.lazy(), catalog, "month", data_grain)
    return model.with_gap(rollup, catalog).collect().sort("period", "service", "kpi")


def app_slice(b: Bench) -> pl.DataFrame:
    """A filter change as lib.ui.compute._performance runs it: the cached history, filtered."""
    return performance(b.data, b.catalog, b.view, b.data_grain, history=b.history)


def app_raw(b: Bench) -> pl.DataFrame:
    """The same view from the raw rows (the path without a history: the data's own grain, lazy scans)."""
    return performance(b.data, b.catalog, b.view, b.data_grain)


def app_status(b: Bench) -> pl.DataFrame:
    """The history's first computation (once per dataset version), then its last period."""
    history = app_history(b.data, b.catalog, b.data_grain)
    return history.filter(pl.col("period") == pl.col("period").max())


def app_cached(b: Bench) -> Callable[[], pl.DataFrame]:
    """The same through lib.ui.compute.history (st.cache_resource): first call computes, then hits."""
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # "no runtime found": expected outside a server
    from lib.ui import compute
    from lib.ui.data import Loaded

    loaded = Loaded(f"bench-{b.rows}", "bench", b.data, b.catalog, 1, f"{b.rows}:{id(b.data)}")

    def run() -> pl.DataFrame:
        history = compute.history(loaded, "month", b.data_grain)
        return history.filter(pl.col("period") == pl.col("period").max())

    return run


def proposed_status(b: Bench) -> pl.DataFrame:
    """A prototype of a change to lib (--proposed), not the app: app_status with the month bucket
    computed from the date's day number instead of dt.month_start(), and the history sorted by period
    only (all lib.slicing._window needs) instead of by period, service, kpi (a lexical sort of two
    categoricals). Uses lib.model's private _by_rule, like rollup_time does."""
    p = pl.col("period")
    month = (p.to_physical() - p.dt.day().cast(pl.Int32) + 1).cast(pl.Date)
    rows = b.data.lazy().filter(pl.col("actual").is_not_null()).select(*model.KEYS, *model.VALUES)
    rows = rows.with_columns(month.alias("bucket"))
    out = model._by_rule(rows, b.catalog, "agg_time", ["bucket", "service", "kpi"], [pl.col("weight").sum()])
    out = out.rename({"bucket": "period"}).select(*model.KEYS, *model.VALUES)
    history = model.with_gap(out, b.catalog).collect().sort("period")
    return history.filter(pl.col("period") == pl.col("period").max())


# --- Hand-written Polars ----------------------------------------------------------------------------


def _rules(catalog: pl.DataFrame) -> pl.DataFrame:
    unknown = set(catalog["agg_time"].to_list()) - set(RULES)
    if unknown:
        raise SystemExit(f"the hand-written queries implement {RULES}, not {sorted(unknown)}")
    return catalog.select(
        pl.col("kpi").cast(pl.Categorical),
        "agg_time",
        pl.when(pl.col("direction") == "lower").then(-1.0).otherwise(1.0).alias("sign"),
        pl.col("tolerance").fill_null(0.0).alias("tol"),
    )


def _pl_rules(col: str) -> list[pl.Expr]:
    """Every rule's value of `col` in the group (rows with an actual); the KPI's is picked after."""
    c = pl.col(col)
    w = pl.when(c.is_not_null()).then(pl.col("weight"))
    return [
        pl.when(c.count() > 0).then(c.sum()).alias(f"{col}_sum"),
        c.mean().alias(f"{col}_mean"),
        pl.when(w.sum() > 0).then((c * w).sum() / w.sum()).otherwise(c.mean()).alias(f"{col}_wmean"),
        c.sort_by("period").last().alias(f"{col}_last"),
    ]


def _pl_pick(col: str) -> pl.Expr:
    rule = pl.col("agg_time")
    return (
        pl.when(rule == "sum")
        .then(pl.col(f"{col}_sum"))
        .when(rule == "mean")
        .then(pl.col(f"{col}_mean"))
        .when(rule == "wmean")
        .then(pl.col(f"{col}_wmean"))
        .otherwise(pl.col(f"{col}_last"))
        .alias(col)
    )


def polars_query(b: Bench, work: str) -> pl.DataFrame:
    """One lazy query: filter, month buckets with each KPI's rule, gap and status, previous month."""
    rows = b.data.lazy().filter(pl.col("actual").is_not_null())
    if work == "slice":
        rows = rows.filter(
            pl.col("period").is_between(b.lookback, b.view.end),
            pl.col("service").is_in(list(b.view.services)),
        )
    monthly = (
        rows.group_by(pl.col("period").dt.month_start(), "service", "kpi")
        .agg(*_pl_rules("actual"), *_pl_rules("target"), pl.col("weight").sum())
        .join(_rules(b.catalog).lazy(), on="kpi")
        .with_columns(_pl_pick("actual"), _pl_pick("target"))
        .with_columns(gap=(pl.col("actual") - pl.col("target")) * pl.col("sign"))
        .with_columns(
            gap_pct=pl.when(pl.col("target") != 0).then(pl.col("gap") / pl.col("target").abs() * 100)
        )
        .with_columns(
            status=pl.when(pl.col("actual").is_null() | pl.col("target").is_null())
            .then(pl.lit("none"))
            .when(pl.col("gap") >= 0)
            .then(pl.lit("on"))
            .when(pl.col("gap_pct") >= -pl.col("tol"))
            .then(pl.lit("watch"))
            .otherwise(pl.lit("off"))
        )
        .select(STATUS_COLS)
    )
    if work == "status":
        return monthly.filter(pl.col("period") == pl.col("period").max()).sort(KEYS).collect()
    previous = monthly.select(
        pl.col("period").dt.offset_by("1mo"),
        "service",
        "kpi",
        cmp_actual="actual",
        cmp_gap_pct="gap_pct",
        cmp_status="status",
    )
    return (
        monthly.filter(pl.col("period") >= b.view.start)
        .join(previous, on=KEYS, how="left")
        .with_columns(
            change=pl.col("actual") - pl.col("cmp_actual"),
            change_pct=pl.when(pl.col("cmp_actual") != 0).then(
                (pl.col("actual") - pl.col("cmp_actual")) / pl.col("cmp_actual").abs() * 100
            ),
            gap_change=pl.col("gap_pct") - pl.col("cmp_gap_pct"),
        )
        .sort(KEYS)
        .collect()
    )


# --- DuckDB -----------------------------------------------------------------------------------------

_SQL_AGG = """CASE any_value(c.agg_time)
      WHEN 'sum' THEN sum(r.{c})
      WHEN 'mean' THEN avg(r.{c})
      WHEN 'wmean' THEN CASE WHEN sum(r.weight) FILTER (r.{c} IS NOT NULL) > 0
        THEN sum(r.{c} * r.weight) / sum(r.weight) FILTER (r.{c} IS NOT NULL) ELSE avg(r.{c}) END
      ELSE arg_max_null(r.{c}, r.day) END AS {c}"""

SQL = """
WITH rules AS (
  SELECT kpi, agg_time, CASE WHEN direction = 'lower' THEN -1.0 ELSE 1.0 END AS sign,
         coalesce(tolerance, 0.0) AS tol
  FROM catalog
), monthly AS (
  SELECT CAST(date_trunc('month', r.period) AS DATE) AS period, r.service, r.kpi,
    {actual},
    {target},
    coalesce(sum(r.weight), 0.0) AS weight, any_value(c.sign) AS sign, any_value(c.tol) AS tol
  FROM (SELECT *, period AS day FROM data WHERE actual IS NOT NULL {where}) r
  JOIN rules c ON c.kpi = r.kpi
  GROUP BY ALL
), gaps AS (
  SELECT *, (actual - target) * sign AS gap,
    CASE WHEN target <> 0 THEN (actual - target) * sign / abs(target) * 100 END AS gap_pct
  FROM monthly
), status AS (
  SELECT period, service, kpi, actual, target, weight, gap, gap_pct,
    CASE WHEN actual IS NULL OR target IS NULL THEN 'none' WHEN gap >= 0 THEN 'on'
         WHEN gap_pct >= -tol THEN 'watch' ELSE 'off' END AS status
  FROM gaps
)
""".format(actual=_SQL_AGG.format(c="actual"), target=_SQL_AGG.format(c="target"), where="{where}")

SQL_SLICE = (
    SQL.format(where="AND period BETWEEN $lo AND $end AND service IN (SELECT unnest($services))")
    + """
SELECT s.*, p.actual AS cmp_actual, p.gap_pct AS cmp_gap_pct, p.status AS cmp_status,
  s.actual - p.actual AS change,
  CASE WHEN p.actual <> 0 THEN (s.actual - p.actual) / abs(p.actual) * 100 END AS change_pct,
  s.gap_pct - p.gap_pct AS gap_change
FROM status s LEFT JOIN status p
  ON p.service = s.service AND p.kpi = s.kpi AND p.period = CAST(s.period - INTERVAL 1 MONTH AS DATE)
WHERE s.period >= $first
ORDER BY s.period, s.service, s.kpi
"""
)

SQL_STATUS = (
    SQL.format(where="")
    + """
SELECT * FROM status WHERE period = (SELECT max(period) FROM status) ORDER BY period, service, kpi
"""
)


def duckdb_engine(b: Bench) -> Callable[[str], pl.DataFrame]:
    """Registers the frame (Arrow, zero-copy) and the catalog once; returns the query runner."""
    _rules(b.catalog)
    con = duckdb.connect()
    con.register("data", b.data.to_arrow())
    con.register("catalog", b.catalog.to_arrow())

    def run(work: str) -> pl.DataFrame:
        if work == "status":
            return con.sql(SQL_STATUS).pl()
        params = {
            "lo": b.lookback,
            "end": b.view.end,
            "first": b.view.start,
            "services": list(b.view.services),
        }
        return con.sql(SQL_SLICE, params=params).pl()

    return run


# --- pandas -----------------------------------------------------------------------------------------


def pandas_engine(b: Bench) -> Callable[[str], pd.DataFrame]:
    """Converts the frame once (categories stay categories); returns the query runner."""
    rules = _rules(b.catalog)
    df = b.data.to_pandas()
    rule_of = dict(zip(rules["kpi"].cast(pl.String), rules["agg_time"], strict=True))
    sign_of = dict(zip(rules["kpi"].cast(pl.String), rules["sign"], strict=True))
    tol_of = dict(zip(rules["kpi"].cast(pl.String), rules["tol"], strict=True))
    lookback, end, first = (pd.Timestamp(d) for d in (b.lookback, b.view.end, b.view.start))

    def run(work: str) -> pd.DataFrame:
        mask = df["actual"].notna()
        if work == "slice":
            mask &= df["period"].between(lookback, end) & df["service"].isin(b.view.services)
        rows = df.loc[mask, ["period", "service", "kpi", "actual", "target", "weight"]]
        w_t = rows["weight"].where(rows["target"].notna())
        rows = rows.assign(
            month=rows["period"].values.astype("datetime64[M]"),
            aw=rows["actual"] * rows["weight"],
            tw=rows["target"] * w_t,
            w_t=w_t,
        )
        g = rows.groupby(["month", "service", "kpi"], observed=True, sort=False)
        out = g.agg(
            last_row=("period", "idxmax"),  # the row of the latest day: the `last` rule
            a_sum=("actual", "sum"),
            a_mean=("actual", "mean"),
            aw=("aw", "sum"),
            weight=("weight", "sum"),
            t_mean=("target", "mean"),
            t_n=("target", "count"),
            t_sum=("target", "sum"),
            tw=("tw", "sum"),
            w_t=("w_t", "sum"),
        )
        out = out.reset_index()
        last = rows.loc[out["last_row"], ["actual", "target"]].to_numpy()
        kpi = out["kpi"].astype(str)
        rule = kpi.map(rule_of).to_numpy()
        out["actual"] = np.select(
            [rule == "sum", rule == "mean", rule == "wmean"],
            [
                out["a_sum"],
                out["a_mean"],
                np.where(out["weight"] > 0, out["aw"] / out["weight"], out["a_mean"]),
            ],
            last[:, 0],
        )
        out["target"] = np.select(
            [rule == "sum", rule == "mean", rule == "wmean"],
            [
                np.where(out["t_n"] > 0, out["t_sum"], np.nan),
                out["t_mean"],
                np.where(out["w_t"] > 0, out["tw"] / out["w_t"], out["t_mean"]),
            ],
            last[:, 1],
        )
        out["gap"] = (out["actual"] - out["target"]) * kpi.map(sign_of).to_numpy()
        out["gap_pct"] = np.where(out["target"] != 0, out["gap"] / out["target"].abs() * 100, np.nan)
        out["status"] = np.select(
            [
                out["actual"].isna() | out["target"].isna(),
                out["gap"] >= 0,
                out["gap_pct"] >= -kpi.map(tol_of),
            ],
            ["none", "on", "watch"],
            "off",
        )
        out = out.rename(columns={"month": "period"})[STATUS_COLS]
        if work == "status":
            return out[out["period"] == out["period"].max()].sort_values(KEYS)
        previous = out[["period", "service", "kpi", "actual", "gap_pct", "status"]].rename(
            columns={"actual": "cmp_actual", "gap_pct": "cmp_gap_pct", "status": "cmp_status"}
        )
        previous["period"] = (previous["period"].values.astype("datetime64[M]") + 1).astype(
            out["period"].dtype
        )
        out = out[out["period"] >= first].merge(previous, on=KEYS, how="left")
        out["change"] = out["actual"] - out["cmp_actual"]
        out["change_pct"] = np.where(
            out["cmp_actual"] != 0, out["change"] / out["cmp_actual"].abs() * 100, np.nan
        )
        out["gap_change"] = out["gap_pct"] - out["cmp_gap_pct"]
        return out.sort_values(KEYS)

    return run


# --- Checks -----------------------------------------------------------------------------------------


def canonical(frame: pl.DataFrame | pd.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The columns in one form (strings, dates, floats), sorted by key, whatever the engine."""
    if isinstance(frame, pd.DataFrame):
        frame = pl.from_pandas(frame.reset_index(drop=True))
    casts = []
    for name in columns:
        col = pl.col(name)
        if name == "period":
            casts.append(col.cast(pl.Date))
        elif name in ("service", "kpi", "status", "cmp_status"):
            casts.append(col.cast(pl.String))
        else:
            casts.append(col.cast(pl.Float64))
    return frame.select(casts).sort(KEYS)


def _at_threshold(frame: pl.DataFrame, catalog: pl.DataFrame, status: str) -> pl.Expr:
    """Rows whose status sits on a boundary up to float noise: a gap of ~0 (on / watch) or a gap_pct
    of ~-tolerance (watch / off). Sums in another order move such a status (2.18 - 2.1799999999999997)."""
    gap_pct = pl.col("cmp_gap_pct" if status == "cmp_status" else "gap_pct")
    tol = pl.col("_tol")
    near_zero = gap_pct.abs() <= 1e-7
    if status == "status":
        scale = pl.max_horizontal(pl.col("actual").abs(), pl.col("target").abs())
        near_zero = near_zero | (pl.col("gap").abs() <= scale * REL_TOL)
    near_tol = (gap_pct + tol).abs() <= pl.max_horizontal(gap_pct.abs(), pl.lit(1.0)) * REL_TOL
    return (near_zero | near_tol).fill_null(False)


def check(
    app: pl.DataFrame,
    other: pl.DataFrame,
    columns: list[str],
    engine: str,
    catalog: pl.DataFrame | None = None,
) -> list[dict]:
    """Same rows, floats within REL_TOL relative (or 1e-9 absolute near zero), same statuses; raises
    Mismatch otherwise. With the catalog, a status that differs only where it sits on a boundary up
    to float noise is a tie, not a mismatch: the ties are returned, to be reported."""
    a, o = canonical(app, columns), canonical(other, columns)
    if a.height != o.height or not a.select(KEYS).equals(o.select(KEYS)):
        extra = o.select(KEYS).join(a.select(KEYS), on=KEYS, how="anti").head(3).to_dicts()
        missing = a.select(KEYS).join(o.select(KEYS), on=KEYS, how="anti").head(3).to_dicts()
        raise Mismatch(f"{engine}: {o.height} rows, app {a.height}; extra {extra}, missing {missing}")
    if catalog is not None:
        tol = catalog.select(pl.col("kpi").cast(pl.String), pl.col("tolerance").fill_null(0.0).alias("_tol"))
        a = a.join(tol, on="kpi", how="left", maintain_order="left")
    ties: list[dict] = []
    for name in columns[3:]:
        x, y = pl.col("app"), pl.col(engine)
        pair = pl.DataFrame({"app": a[name], engine: o[name]}).hstack(a)
        if a[name].dtype == pl.String:
            bad = x.ne_missing(y)
            if catalog is not None and name in ("status", "cmp_status"):
                tie = bad & _at_threshold(a, catalog, name)
                ties += pair.filter(tie).select(*KEYS, "app", engine).to_dicts()
                bad = bad & ~tie
        else:
            scale = pl.max_horizontal(x.abs(), y.abs())
            close = ((x - y).abs() <= scale * REL_TOL + 1e-9).fill_null(False)
            bad = x.is_null().ne(y.is_null()) | (x.is_not_null() & y.is_not_null() & ~close)
        wrong = pair.filter(bad).select(*KEYS, "app", engine)
        if wrong.height:
            raise Mismatch(f"{engine}: {wrong.height} rows differ in {name}, e.g. {wrong.head(3).to_dicts()}")
    return ties


# --- Timing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    rows: int
    work: str
    engine: str
    median_ms: float
    min_ms: float
    cpu_ms: float  # median CPU time of the process (all threads): steadier than wall time under load
    repeat: int
    ratio_to_polars: float | None = None


def _once(fn: Callable[[], object]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one call, garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
    finally:
        gc.enable()


def time_engines(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, list[tuple[float, float]]]:
    """A warm-up run each, then rounds in which every engine runs once in turn: load from other
    processes on this shared machine then falls on all engines alike."""
    counts = {
        name: repeat if _once(fn)[0] < SLOW_S * 1000 else min(repeat, SLOW_REPEAT) for name, fn in fns.items()
    }
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in fns}
    for i in range(repeat):
        for name, fn in fns.items():
            if i < counts[name]:
                samples[name].append(_once(fn))
    return samples


def run_work(
    b: Bench, work: str, engines: tuple[str, ...], runners: dict, repeat: int, proposed: bool = False
) -> list[Result]:
    columns = SLICE_COLS if work == "slice" else STATUS_COLS
    app_fn = {"slice": app_slice, "status": app_status}[work]
    fns: dict[str, Callable[[], object]] = {}
    for engine in engines:
        if engine == "app":
            fns[engine] = lambda: app_fn(b)
        elif engine == "polars":
            fns[engine] = lambda: polars_query(b, work)
        else:
            fns[engine] = lambda run=runners[engine]: run(work)
    if work == "slice" and "app" in engines:
        fns["app_raw"] = lambda: app_raw(b)
    if work == "status" and "app" in engines:
        fns["app_cached"] = app_cached(b)
    if work == "status" and proposed:
        fns["proposed"] = lambda: proposed_status(b)
    reference = app_fn(b)
    for engine, fn in fns.items():
        if engine != "app":  # also fills the cache app_cached then reads
            note_ties(check(reference, fn(), columns, engine, b.catalog), engine, b.rows, work)
    samples = time_engines(fns, repeat)
    polars_ms = statistics.median(w for w, _ in samples["polars"]) if "polars" in samples else None
    out = []
    for engine, pairs in samples.items():
        wall, cpu = [w for w, _ in pairs], [c for _, c in pairs]
        median = statistics.median(wall)
        ratio = round(median / polars_ms, 3) if polars_ms else None
        values = (round(median, 3), round(min(wall), 3), round(statistics.median(cpu), 1))
        out.append(Result(b.rows, work, engine, *values, len(wall), ratio))
    return out


def note_ties(ties: list[dict], engine: str, rows: int, work: str) -> None:
    if ties:
        print(
            f"note: {rows:,} rows, {work}, {engine}: {len(ties)} status ties at float noise, e.g. {ties[0]}",
            file=sys.stderr,
        )


def check_holes(b: Bench, engines: tuple[str, ...]) -> None:
    """Every engine against the app on a frame with holes, for both works (not timed)."""
    data, catalog = with_holes(b.data, b.catalog)
    small = make_bench(b.rows, data, catalog, len(b.view.services), 12)
    runners = {"duckdb": duckdb_engine(small), "pandas": pandas_engine(small)}
    for work, columns in (("slice", SLICE_COLS), ("status", STATUS_COLS)):
        reference = app_slice(small) if work == "slice" else app_status(small)
        others = {"app_raw": lambda: app_raw(small)} if work == "slice" else {}
        others["polars"] = lambda work=work: polars_query(small, work)
        others.update({e: lambda run=run, work=work: run(work) for e, run in runners.items()})
        for engine, run in others.items():
            if engine in engines or engine == "app_raw":
                ties = check(reference, run(), columns, f"{engine} (holes)", small.catalog)
                note_ties(ties, f"{engine} (holes)", b.rows, work)


# --- Output -----------------------------------------------------------------------------------------


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{date.today().isoformat()} · {platform.machine()} · {os.cpu_count()} cores · load {load} · "
        f"Python {platform.python_version()} · polars {pl.__version__} · duckdb {duckdb.__version__} · "
        f"pandas {pd.__version__}"
    )


def table(results: list[Result]) -> str:
    head = ("rows", "work", "engine", "median ms", "min ms", "cpu ms", "x polars", "runs")
    row = "{:>12}  {:<7} {:<11} {:>10} {:>9} {:>9} {:>9} {:>5}"
    lines = [row.format(*head)]
    for r in results:
        ratio = "" if r.ratio_to_polars is None else f"{r.ratio_to_polars:.2f}"
        cells = (f"{r.median_ms:.1f}", f"{r.min_ms:.1f}", f"{r.cpu_ms:.0f}", ratio, r.repeat)
        lines.append(row.format(f"{r.rows:,}", r.work, r.engine, *cells))
    return "\n".join(lines)


def verdicts(results: list[Result]) -> list[str]:
    """The slice targets, for every row count measured, for the app's path and the raw path."""
    out = []
    by = {(r.rows, r.work, r.engine): r for r in results}
    for rows in sorted({r.rows for r in results}):
        for app in ("app", "app_raw"):
            mine = by.get((rows, "slice", app))
            for engine, limit in TARGETS.items():
                other = by.get((rows, "slice", engine))
                if mine and other:
                    ratio = mine.median_ms / other.median_ms
                    ok = "met" if ratio <= limit else "MISSED"
                    out.append(
                        f"slice at {rows:,} rows: {app} / {engine} = {ratio:.2f} (target <= {limit}): {ok}"
                    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=list(DEFAULT_ROWS), help="extract sizes")
    parser.add_argument("--work", nargs="+", choices=WORKS, default=list(WORKS))
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per engine (median reported)")
    parser.add_argument("--services", type=int, default=5, help="services in the slice")
    parser.add_argument("--months", type=int, default=12, help="months shown in the slice")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--proposed", action="store_true", help="also time the prototype of a lib change (status work)"
    )
    args = parser.parse_args(argv)
    engines = tuple(e for e in ENGINES if e in args.engines)
    say = (lambda *a: print(*a, file=sys.stderr)) if args.json else print
    say(machine())
    results: list[Result] = []
    try:
        for rows in args.rows:
            started = time.perf_counter()
            data, catalog = saved_dataset(rows)
            b = make_bench(rows, data, catalog, args.services, args.months)
            check_holes(b, engines)
            runners = {}
            if "duckdb" in engines:
                runners["duckdb"] = duckdb_engine(b)
            if "pandas" in engines:
                runners["pandas"] = pandas_engine(b)
            for work in args.work:
                done = run_work(b, work, engines, runners, args.repeat, args.proposed)
                results += done
                for r in done:
                    if args.json:
                        print(json.dumps(vars(r)), flush=True)
            say(f"{rows:,} rows: checked and timed in {time.perf_counter() - started:.1f} s")
    except Mismatch as exc:
        print(f"MISMATCH {exc}", file=sys.stderr)
        return 1
    if not args.json:
        print(table(results))
    for line in verdicts(results):
        say(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
