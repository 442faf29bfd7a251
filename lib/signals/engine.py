"""detect() and replay(): every detector evaluated at every period for every series, then either the
signals active at the last period or every firing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from lib.signals import detectors as det
from lib.signals import shift
from lib.signals.panel import Panel, build
from lib.signals.projection import Z80, Calendar, _line, forecast, projected_miss
from lib.signals.registry import BY_KIND, WIN_KINDS, resolve
from lib.wins import WinRules, wins

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
    fired = {
        "off_target_streak": det.off_target_streak(ctx, p["off_target_streak"]),
        "silent_drift": det.silent_drift(ctx, p["silent_drift"]),
        "anomaly": det.anomaly(ctx, p["anomaly"]),
        "level_shift": shift.level_shift(ctx, p["level_shift"]),
        "projected_miss": projected_miss(ctx, p["projected_miss"], cal),
        "volatility_jump": det.volatility_jump(ctx, p["volatility_jump"]),
    }
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


# --- Good news: lib.wins at a period --------------------------------------------------------------


def _win_rules(p: dict[str, dict[str, float]]) -> WinRules:
    return WinRules(
        streak_min=int(p["win_streak"]["periods"]),
        record_min_history=int(p["win_record"]["min_history"]),
        improved_min_points=float(p["win_most_improved"]["min_points"]),
    )


def _win_history(history: pl.DataFrame, as_of: date | None) -> pl.DataFrame:
    h = history.select([c for c in WIN_COLUMNS if c in history.columns])
    h = h.with_columns(pl.col("service", "kpi").cast(pl.Categorical))  # lib.wins joins on Categorical
    if as_of is not None:
        h = h.filter(pl.col("period") <= as_of)
    # Sorted as lib.wins sorts: its own sort is then nearly free.
    return h.sort("service", "kpi", "period")


def _wins_at(h: pl.DataFrame, catalog: pl.DataFrame, at: date, rules: WinRules) -> pl.DataFrame:
    out = wins(h, catalog, at, rules)
    return out.with_columns(
        pl.col("service", "kpi").cast(pl.String),
        pl.col("kind").replace_strict(WIN_KINDS, return_dtype=pl.String),
    )


def _win_frame(found: pl.DataFrame, panel: Panel, start: list[date], at: date) -> pl.DataFrame:
    frame = found.select(
        "service",
        "kpi",
        "kind",
        pl.lit("good").alias("polarity"),
        pl.col("strength").alias("severity"),
        pl.Series("period", start, dtype=pl.Date),
        pl.lit(at).alias("as_of"),
        pl.lit(panel.grain).alias("grain"),
        pl.col("actual").alias("value"),
        "target",
        "gap_pct",
        pl.when(pl.col("kind") == "win_streak").then(pl.col("before")).cast(pl.Int64).alias("n_periods"),
        pl.when(pl.col("kind") != "win_streak").then(pl.col("before")).alias("before"),
    )
    return _conform(frame)


def _win_starts(
    h: pl.DataFrame, catalog, found: pl.DataFrame, panel: Panel, t: int, rules: WinRules
) -> list[date]:
    """When each win found at period t first fired in its current run: a streak from its length, the
    others by looking at the periods before (only the series concerned)."""
    start = {(r["service"], r["kpi"], r["kind"]): t for r in found.iter_rows(named=True)}
    index = {key: i for i, key in enumerate(zip(panel.service, panel.kpi, strict=True))}
    for r in found.filter(pl.col("kind") == "win_streak").iter_rows(named=True):
        s = index[(r["service"], r["kpi"])]
        rows = np.flatnonzero(panel.status[s, : t + 1] >= 0)
        back = int(r["before"]) - rules.streak_min
        start[(r["service"], r["kpi"], r["kind"])] = int(rows[max(len(rows) - 1 - back, 0)])
    open_ = {k for k in start if k[2] != "win_streak"}
    i = t - 1
    while open_ and i >= 0:
        names = {f"{k[0]}\x1f{k[1]}" for k in open_}
        key = pl.concat_str(pl.col("service").cast(pl.String), pl.lit("\x1f"), pl.col("kpi").cast(pl.String))
        prev = _wins_at(h.filter(key.is_in(list(names))), catalog, panel.periods[i], rules)
        still = {(a, b, c) for a, b, c in prev.select("service", "kpi", "kind").iter_rows()}
        open_ &= still
        for k in open_:
            start[k] = i
        i -= 1
    return [panel.periods[start[(a, b, c)]] for a, b, c in found.select("service", "kpi", "kind").iter_rows()]


def _sort(frame: pl.DataFrame, by_period: bool) -> pl.DataFrame:
    keys = ["severity", "service", "kpi", "kind"]
    desc = [True, False, False, False]
    if by_period:
        keys, desc = ["period", *keys], [False, *desc]
    return frame.sort(keys, descending=desc)


def detect(
    history: pl.DataFrame,
    catalog: pl.DataFrame,
    *,
    as_of: date | None = None,
    params: Mapping[str, Mapping[str, float]] | None = None,
    year_start_month: int = 1,
) -> pl.DataFrame:
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
    h = _win_history(history, panel.periods[t])
    found = _wins_at(h, catalog, panel.periods[t], rules)
    if found.height:
        parts.append(
            _win_frame(found, panel, _win_starts(h, catalog, found, panel, t, rules), panel.periods[t])
        )
    out = pl.concat(parts, how="vertical") if parts else empty()
    return _sort(out, by_period=False)


def replay(
    history: pl.DataFrame,
    catalog: pl.DataFrame,
    *,
    params: Mapping[str, Mapping[str, float]] | None = None,
    year_start_month: int = 1,
) -> pl.DataFrame:
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
    rules = _win_rules(ev.params)
    h = _win_history(history, None)
    before: set[tuple[str, str, str]] = set()
    for at in panel.periods:
        found = _wins_at(h, catalog, at, rules)
        keys = list(found.select("service", "kpi", "kind").iter_rows())
        new = [k not in before for k in keys]
        before = set(keys)
        found = found.filter(pl.Series(new, dtype=pl.Boolean))
        if found.height:
            parts.append(_win_frame(found, panel, [at] * found.height, at))
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
