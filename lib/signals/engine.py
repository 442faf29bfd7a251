"""detect() and replay(): every detector evaluated at every period for every series, then either the
signals active at the last period or every firing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from lib import i18n
from lib.periods import infer_grain
from lib.signals import detectors as det
from lib.signals import drift, shift
from lib.signals.panel import Panel, build
from lib.signals.projection import Z80, Calendar, _line, forecast, projected_miss
from lib.signals.registry import BY_KIND, WIN_KINDS, resolve
from lib.signals.text import message
from lib.wins import WinRules, wins_each_period

SCHEMA: dict[str, pl.DataType] = {
    "service": pl.String(),
    "kpi": pl.String(),
    "kind": pl.String(),
    "polarity": pl.String(),
    "severity": pl.Float64(),
    "period": pl.Date(),
    "as_of": pl.Date(),
    "grain": pl.String(),
    "value": pl.Float64(),
    "target": pl.Float64(),
    "gap_pct": pl.Float64(),
    "n_periods": pl.Int64(),
    "slope_per_period": pl.Float64(),
    "expected": pl.Float64(),
    "low": pl.Float64(),
    "high": pl.Float64(),
    "since": pl.Date(),
    "before": pl.Float64(),
    "after": pl.Float64(),
    "deadline": pl.Date(),
    "projected": pl.Float64(),
    "projected_low": pl.Float64(),
    "projected_high": pl.Float64(),
    "year_target": pl.Float64(),
    "p_miss": pl.Float64(),
    "agg_time": pl.String(),
    "miss_period": pl.Date(),
    "miss_low": pl.Date(),
    "miss_high": pl.Date(),
    "z": pl.Float64(),
}
THREADS = max(1, min(4, os.cpu_count() or 1))  # detectors evaluated at once
PARALLEL_CELLS = 100_000  # series × periods below which threads cost more than they save
DATE_NUMBERS = {name for name, dtype in SCHEMA.items() if dtype == pl.Date()} - {"period", "as_of"}
WIN_COLUMNS = ["period", "service", "kpi", "actual", "target", "gap_pct", "status"]


@dataclass
class Evaluation:
    panel: Panel
    calendar: Calendar
    fired: dict[str, det.Fired]
    params: dict[str, dict[str, float]]


def _sizes(p: dict[str, dict[str, float]]) -> tuple[int, int]:
    """(window length every detector can read, periods the data's seasonal profile leaves out)."""
    ls, an, dr, vj, pm = (
        p[k] for k in ("level_shift", "anomaly", "silent_drift", "volatility_jump", "projected_miss")
    )
    w = max(
        ls["window"] + ls["reference"],
        an["baseline"] + 1,
        dr["window"] + dr["reference"],
        vj["window"] + vj["reference"],
        pm["window"],
        det.SIGMA_WINDOW + 1,
    )
    return int(w), int(ls["window"])


def evaluate(
    history: pl.DataFrame,
    catalog: pl.DataFrame,
    as_of: date | None = None,
    params: Mapping[str, Mapping[str, float]] | None = None,
    year_start_month: int = 1,
) -> Evaluation:
    """Every statistical detector at every period up to `as_of` (good news apart: see _wins_at)."""
    p = resolve(params)
    panel = build(history, catalog, as_of, year_start_month)
    w, lag = _sizes(p)
    cal = Calendar.of(panel.periods, panel.grain, panel.season, year_start_month) if panel.periods else None
    if not panel.periods or not panel.service:
        return Evaluation(panel, cal, {}, p)  # type: ignore[arg-type]
    ctx = det.context(panel, w, lag)
    rules = {
        "off_target_streak": lambda: det.off_target_streak(ctx, p["off_target_streak"]),
        "silent_drift": lambda: drift.silent_drift(ctx, p["silent_drift"]),
        "anomaly": lambda: det.anomaly(ctx, p["anomaly"]),
        "level_shift": lambda: shift.level_shift(ctx, p["level_shift"]),
        "projected_miss": lambda: projected_miss(ctx, p["projected_miss"], cal),
        "volatility_jump": lambda: det.volatility_jump(ctx, p["volatility_jump"]),
    }
    # The detectors only read the shared context: they run side by side, numpy releasing the GIL in
    # its array work (a 2-core machine runs the 10,000-series benchmark in about 0.7 × the time).
    if THREADS == 1 or panel.actual.size < PARALLEL_CELLS:
        return Evaluation(panel, cal, {kind: rule() for kind, rule in rules.items()}, p)
    with ThreadPoolExecutor(max_workers=THREADS) as executor:
        futures = {kind: executor.submit(rule) for kind, rule in rules.items()}
        fired = {kind: future.result() for kind, future in futures.items()}
    return Evaluation(panel, cal, fired, p)


def _period_dates(cal: Calendar, grain: str, idx: np.ndarray) -> list[date | None]:
    from lib.signals.projection import extend_periods

    periods = cal.periods
    top = int(np.nanmax(idx)) if idx.size and not np.isnan(idx).all() else 0
    if top >= len(periods):
        periods = extend_periods(periods, grain, top - len(periods) + 1)
    return [None if np.isnan(i) or i < 0 else periods[int(i)] for i in idx]


def _frame(
    ev: Evaluation, kind: str, s: np.ndarray, t: np.ndarray, start: np.ndarray, as_of_t: np.ndarray
) -> pl.DataFrame:
    panel, fired = ev.panel, ev.fired[kind]
    cols: dict[str, object] = {
        "service": [panel.service[i] for i in s],
        "kpi": [panel.kpi[i] for i in s],
        "kind": [kind] * len(s),
        "polarity": [BY_KIND[kind].polarity] * len(s),
        "severity": fired.severity[s, t],
        "period": [panel.periods[i] for i in start],
        "as_of": [panel.periods[i] for i in as_of_t],
        "grain": [panel.grain] * len(s),
        "value": panel.actual[s, t],
        "target": panel.target[s, t],
        "gap_pct": panel.gap_pct[s, t],
        "agg_time": [str(panel.agg_time[i]) for i in s],
    }
    for name, values in fired.numbers.items():
        if name not in SCHEMA:
            continue
        picked = values[s, t]
        if name in DATE_NUMBERS:
            cols[name] = _period_dates(ev.calendar, panel.grain, picked)
        elif name == "n_periods":
            cols[name] = [None if np.isnan(v) else int(v) for v in picked]
        else:
            cols[name] = picked
    frame = pl.DataFrame(cols, nan_to_null=True)
    return _conform(frame)


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    missing = [pl.lit(None, dtype).alias(n) for n, dtype in SCHEMA.items() if n not in frame.columns]
    return frame.with_columns(missing).select([pl.col(n).cast(d) for n, d in SCHEMA.items()])


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def _runs_at(active: np.ndarray, t: int) -> np.ndarray:
    """Length of the run of True ending at t, per series."""
    run = np.zeros(active.shape[0], dtype=np.int64)
    alive = np.ones(active.shape[0], bool)
    for i in range(t, -1, -1):
        alive &= active[:, i]
        if not alive.any():
            break
        run += alive
    return run


# --- Good news: lib.wins at every period, in one pass ---------------------------------------------


def _win_rules(p: dict[str, dict[str, float]]) -> WinRules:
    return WinRules(
        streak_min=int(p["win_streak"]["periods"]),
        record_min_history=int(p["win_record"]["min_history"]),
        improved_min_points=float(p["win_most_improved"]["min_points"]),
    )


def _all_wins(
    history: pl.DataFrame, catalog: pl.DataFrame, panel: Panel, rules: WinRules, as_of: date | None
) -> pl.DataFrame:
    """Every win at every period up to `as_of` as signal kinds, with `_i` (the period's index in the
    panel) and `_start` (the index where the win's current run began: present at every period since)."""
    h = history.select([c for c in WIN_COLUMNS if c in history.columns])
    h = h.with_columns(pl.col("service", "kpi").cast(pl.Categorical))  # lib.wins joins on Categorical
    if as_of is not None:
        h = h.filter(pl.col("period") <= as_of)
    index = pl.DataFrame(
        {"period": panel.periods, "_i": np.arange(len(panel.periods))},
        schema={"period": pl.Date, "_i": pl.Int64},
    )
    key = ["service", "kpi", "kind"]
    found = (
        wins_each_period(h, catalog, rules)
        .with_columns(
            pl.col("service", "kpi").cast(pl.String),
            pl.col("kind").replace_strict(WIN_KINDS, return_dtype=pl.String),
            pl.col("period").cast(pl.Date),
        )
        .join(index, on="period", how="inner", maintain_order="left")
    )
    # A win is in the same run as the period before when it was there at the panel's previous period
    # (rows come by period, and windows keep that order within each win).
    new_run = (pl.col("_i") - pl.col("_i").shift(1)).fill_null(0) != 1
    start = pl.when(new_run).then(pl.col("_i")).otherwise(None).forward_fill()
    return found.with_columns(start.over(key).alias("_start"))


def _win_frame(found: pl.DataFrame, panel: Panel) -> pl.DataFrame:
    """Signal rows from wins with `_start` and `_i` (panel indices of the first firing and of as_of)."""
    dates = pl.Series(panel.periods, dtype=pl.Date)
    frame = found.select(
        "service",
        "kpi",
        "kind",
        pl.lit("good").alias("polarity"),
        pl.col("strength").alias("severity"),
        dates.gather(found.get_column("_start")).alias("period"),
        dates.gather(found.get_column("_i")).alias("as_of"),
        pl.lit(panel.grain).alias("grain"),
        pl.col("actual").alias("value"),
        "target",
        "gap_pct",
        pl.when(pl.col("kind") == "win_streak").then(pl.col("before")).cast(pl.Int64).alias("n_periods"),
        pl.when(pl.col("kind") != "win_streak").then(pl.col("before")).alias("before"),
    )
    return _conform(frame)


def _streak_starts(found: pl.DataFrame, panel: Panel, t: int, rules: WinRules) -> pl.DataFrame:
    """`found` (wins at period t) with a streak's `_start` taken from its length: the period it reached
    `streak_min` periods on target, counting the series' own periods (a missing month does not break
    a streak in lib.wins)."""
    streaks = found.filter(pl.col("kind") == "win_streak")
    if not streaks.height:
        return found
    index = {key: i for i, key in enumerate(zip(panel.service, panel.kpi, strict=True))}
    s = np.array([index[k] for k in streaks.select("service", "kpi").iter_rows()], dtype=np.int64)
    seen = np.cumsum(panel.status[s, : t + 1] >= 0, axis=1)  # rows of the series so far
    back = streaks.get_column("before").cast(pl.Int64).to_numpy() - rules.streak_min
    row = np.maximum(seen[:, -1] - back, 1)  # the row (1-based) where the streak reached streak_min
    start = np.argmax(seen >= row[:, None], axis=1)
    starts = streaks.select("service", "kpi", "kind", pl.Series("_streak_start", start, dtype=pl.Int64))
    return (
        found.join(starts, on=["service", "kpi", "kind"], how="left", maintain_order="left")
        .with_columns(pl.coalesce("_streak_start", "_start").alias("_start"))
        .drop("_streak_start")
    )


def _sort(frame: pl.DataFrame, by_period: bool) -> pl.DataFrame:
    keys = ["severity", "service", "kpi", "kind"]
    desc = [True, False, False, False]
    if by_period:
        keys, desc = ["period", *keys], [False, *desc]
    return frame.sort(keys, descending=desc)


def by_cadence(history: pl.DataFrame, year_start_month: int = 1) -> list[pl.DataFrame]:
    """The history split by the cadence its KPIs are reported at (a quarterly survey among monthly
    KPIs), each part judged on its own periods: on the others' calendar it would be a monthly series
    missing two values in three, its season 12 periods long. One part when every KPI shares one."""
    per_kpi = (
        history.select(pl.col("kpi").cast(pl.String), "period")
        .unique()
        .group_by("kpi")
        .agg(pl.col("period"))
        .sort("kpi")
    )
    groups: dict[str, list[str]] = {}
    for kpi, periods in per_kpi.iter_rows():
        groups.setdefault(infer_grain(periods, year_start_month), []).append(kpi)
    if len(groups) <= 1:
        return [history]
    return [history.filter(pl.col("kpi").cast(pl.String).is_in(kpis)) for _, kpis in sorted(groups.items())]


def detect(
    history: pl.DataFrame,
    catalog: pl.DataFrame,
    *,
    as_of: date | None = None,
    params: Mapping[str, Mapping[str, float]] | None = None,
    year_start_month: int = 1,
) -> pl.DataFrame:
    """Signals active at the last period (of each cadence's own calendar; see by_cadence)."""
    known = history if as_of is None else history.filter(pl.col("period") <= as_of)
    parts = by_cadence(known, year_start_month)
    if len(parts) > 1:
        found = [detect(part, catalog, params=params, year_start_month=year_start_month) for part in parts]
        return _sort(pl.concat(found, how="vertical"), by_period=False)
    ev = evaluate(history, catalog, as_of, params, year_start_month)
    panel = ev.panel
    if not ev.fired:
        return empty()
    t = len(panel.periods) - 1
    parts = []
    for kind, fired in ev.fired.items():
        s = np.flatnonzero(fired.active[:, t])
        if not s.size:
            continue
        run = _runs_at(fired.active[s], t)
        tt = np.full(s.size, t)
        parts.append(_frame(ev, kind, s, tt, t - run + 1, tt))
    rules = _win_rules(ev.params)
    found = _all_wins(history, catalog, panel, rules, panel.periods[t]).filter(pl.col("_i") == t)
    if found.height:
        parts.append(_win_frame(_streak_starts(found, panel, t, rules), panel))
    out = pl.concat(parts, how="vertical") if parts else empty()
    return _sort(out, by_period=False)


def replay(
    history: pl.DataFrame,
    catalog: pl.DataFrame,
    *,
    params: Mapping[str, Mapping[str, float]] | None = None,
    year_start_month: int = 1,
) -> pl.DataFrame:
    """Every firing, at the period it fired (each cadence on its own calendar; see by_cadence)."""
    parts = by_cadence(history, year_start_month)
    if len(parts) > 1:
        found = [replay(part, catalog, params=params, year_start_month=year_start_month) for part in parts]
        return _sort(pl.concat(found, how="vertical"), by_period=True)
    ev = evaluate(history, catalog, None, params, year_start_month)
    panel = ev.panel
    if not ev.fired:
        return empty()
    parts = []
    for kind, fired in ev.fired.items():
        prev = np.zeros_like(fired.active)
        prev[:, 1:] = fired.active[:, :-1]
        s, t = np.nonzero(fired.active & ~prev)
        if s.size:
            parts.append(_frame(ev, kind, s, t, t, t))
    # A win fires at a period when it was not there at the period before (its run starts there).
    rules = _win_rules(ev.params)
    found = _all_wins(history, catalog, panel, rules, None).filter(pl.col("_start") == pl.col("_i"))
    if found.height:
        parts.append(_win_frame(found, panel))
    out = pl.concat(parts, how="vertical") if parts else empty()
    return _sort(out, by_period=True)


def projection(
    history: pl.DataFrame,
    catalog: pl.DataFrame,
    *,
    as_of: date | None = None,
    year_start_month: int = 1,
    services: list[str] | None = None,
    kpis: list[str] | None = None,
) -> pl.DataFrame:
    """Each series' forecast from the period after `as_of` to the deadline (the end of the year that
    period falls in): period, service, kpi, mean, low, high (80 % prediction interval), in actual
    units, as the projected-miss detector sees it (default parameters)."""
    h = history
    if services is not None:
        h = h.filter(pl.col("service").cast(pl.String).is_in(list(services)))
    if kpis is not None:
        h = h.filter(pl.col("kpi").cast(pl.String).is_in(list(kpis)))
    schema = {
        "period": pl.Date(),
        "service": pl.String(),
        "kpi": pl.String(),
        "mean": pl.Float64(),
        "low": pl.Float64(),
        "high": pl.Float64(),
    }
    p = resolve(None)
    panel = build(h, catalog, as_of, year_start_month)
    if not panel.periods or not panel.service:
        return pl.DataFrame(schema=schema)
    w, lag = _sizes(p)
    ctx = det.context(panel, w, lag)
    cal = Calendar.of(panel.periods, panel.grain, panel.season, year_start_month)
    t = len(panel.periods) - 1
    pm = p["projected_miss"]
    line = _line(ctx, int(pm["window"]), pm["trend_z"])
    first, last = cal.year_span(t)
    future = np.arange(max(t + 1, first), last + 1)
    fc = forecast(ctx, t, future, line)
    sd = np.sqrt(fc.var_each())
    rows = np.flatnonzero(ctx.valid[:, t] & ~np.isnan(fc.mean).all(axis=1))
    n_f = len(future)
    out = pl.DataFrame(
        {
            "period": [cal.periods[i] for i in future] * len(rows),
            "service": np.repeat(np.array(panel.service, dtype=object)[rows], n_f).tolist(),
            "kpi": np.repeat(np.array(panel.kpi, dtype=object)[rows], n_f).tolist(),
            "mean": fc.mean[rows].ravel(),
            "low": (fc.mean - Z80 * sd)[rows].ravel(),
            "high": (fc.mean + Z80 * sd)[rows].ravel(),
        },
        schema=schema,
    )
    return out.sort("service", "kpi", "period")


# --- A replay drawn on a chart -------------------------------------------------------------------------

CHART_FIRINGS = 400  # marks on one chart at most: the browser gets every one


def chart_firings(
    trail: pl.DataFrame,
    lang: str,
    *,
    kpi: str,
    services: list[str],
    start: date | None = None,
    end: date | None = None,
    unit: str = "",
    limit: int = CHART_FIRINGS,
) -> pl.DataFrame:
    """A replay's firings on one KPI's time series: period, series (the service), polarity, kind (its
    label in `lang`), message (its sentence), severity. Those from `start` to `end` (included) only:
    a replay never looks ahead, so cutting it at `end` is replaying as of `end`. Warnings first, then
    the most severe, at most `limit` (sentences are written for those only)."""
    picked = trail.filter(
        (pl.col("kpi") == kpi) & pl.col("service").is_in(list(services)) & pl.col("period").is_not_null()
    )
    if start is not None:
        picked = picked.filter(pl.col("period") >= start)
    if end is not None:
        picked = picked.filter(pl.col("period") <= end)
    picked = picked.sort(
        ["polarity", "severity", "period", "service", "kind"], descending=[False, True, False, False, False]
    ).head(limit)
    labels = {k: i18n.t(BY_KIND[k].label_key, lang) for k in picked.get_column("kind").unique().to_list()}
    return picked.select(
        "period",
        pl.col("service").alias("series"),
        "polarity",
        pl.col("kind").replace_strict(labels, return_dtype=pl.String),
        pl.Series("message", [message(r, lang, unit) for r in picked.iter_rows(named=True)], dtype=pl.String),
        "severity",
    )
