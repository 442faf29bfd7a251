"""Large daily extracts for benchmarks: the sample's KPI catalog spread over many services, vectorised.

10M rows ~ 500 services x 50 KPIs x 400 days; 1M rows ~ 100 services x 25 KPIs x 400 days.
"""

from __future__ import annotations

import calendar
import math
from datetime import date

import numpy as np
import polars as pl

from sample_data.org import DEFAULT_END, KPIS, OWNERS, SERVICES, parse_end

DAYS = 400
_CITIES = (
    "Paris", "Lyon", "Marseille", "Toulouse", "Nice", "Nantes", "Montpellier", "Strasbourg", "Bordeaux",
    "Lille", "Rennes", "Reims", "Toulon", "Saint-Étienne", "Le Havre", "Grenoble", "Dijon", "Angers",
    "Nîmes", "Clermont-Ferrand", "Aix-en-Provence", "Brest", "Tours", "Amiens", "Limoges", "Annecy",
    "Perpignan", "Metz", "Besançon", "Orléans", "Rouen", "Mulhouse", "Caen", "Nancy", "Avignon",
    "Poitiers", "La Rochelle", "Pau", "Calais", "Béziers", "Colmar", "Ajaccio", "Valence", "Quimper",
    "Troyes", "Chambéry", "Niort", "Lorient", "Vannes", "Bayonne",
)  # fmt: skip
_NAMES = tuple(name for names in OWNERS.values() for name in names)
# Flows are lower at weekends; the mean over a week stays 1 so daily targets add up like monthly ones.
_WEEKDAY = np.array([1.25, 1.25, 1.25, 1.25, 1.25, 0.375, 0.375])


def shape(rows: int) -> tuple[int, int, int]:
    """(services, KPIs, days) for an extract of `rows` rows."""
    if rows < 1:
        raise ValueError(f"rows must be at least 1, got {rows}")
    days = min(DAYS, rows)
    series = math.ceil(rows / days)
    kpis = min(len(KPIS), 50, series, max(5, round(25 * math.sqrt(rows / 1_000_000))))
    return math.ceil(series / kpis), kpis, days


def service_names(n: int) -> list[str]:
    """'Admissions Lyon', 'Pédagogie Lyon', ... then numbered rounds once every city is used."""
    names = [f"{s} {c}" for c in _CITIES for s in SERVICES]
    return [names[i % len(names)] + ("" if i < len(names) else f" {i // len(names) + 1}") for i in range(n)]


def _last_day(end: date) -> date:
    return date(end.year, end.month, calendar.monthrange(end.year, end.month)[1])


def large_extract(rows: int, seed: int = 7, end: date | str = DEFAULT_END) -> pl.DataFrame:
    """Exactly `rows` rows of daily KPI values sorted by period; service, kpi and owner Categorical.

    Series are (service, KPI) pairs filled service by service; the last one may start late (a KPI
    introduced recently) so that the row count is exact.
    """
    n_services, n_kpis, days = shape(rows)
    n_series = math.ceil(rows / days)
    partial = rows - (n_series - 1) * days  # days of the last series, the most recent ones
    rng = np.random.default_rng(seed)

    picked = [KPIS[i] for i in np.round(np.linspace(0, len(KPIS) - 1, n_kpis)).astype(int)]
    sgn = np.array([1.0 if k.direction == "higher" else -1.0 for k in picked])
    tol = np.array([k.tolerance / 100 for k in picked])
    flow = np.array([k.agg_time == "sum" for k in picked])
    cap = np.array([k.cap if k.cap is not None else np.inf for k in picked])
    base = np.array([np.mean(list(k.targets.values())) for k in picked]) / np.where(flow, 30.4, 1.0)
    resp = np.array([np.mean(list(k.respondents.values())) if k.respondents else np.nan for k in picked])

    # Per series: a target level (services differ in size for amounts and counts, a little for rates).
    s_kpi = np.arange(n_series) % n_kpis
    rate = np.isfinite(cap[s_kpi])
    level = base[s_kpi] * np.where(rate, rng.uniform(0.96, 1.02, n_series), rng.lognormal(0, 0.35, n_series))
    level = np.where(rate, np.minimum(level, cap[s_kpi] * (1 - tol[s_kpi])), level)

    # Rows day by day (sorted by period), every series each day except the late starter's early days.
    day = np.repeat(np.arange(days, dtype=np.int32), n_series)
    sid = np.tile(np.arange(n_series, dtype=np.int32), days)
    if partial < days:
        keep = (sid != n_series - 1) | (day >= days - partial)
        day, sid = day[keep], sid[keep]
    kpi = sid % n_kpis

    last = np.datetime64(_last_day(parse_end(end)), "D")
    periods = last - np.arange(days - 1, -1, -1)
    weekday = (periods.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    target = level[sid] * np.where(flow[kpi], _WEEKDAY[weekday[day]], 1.0)
    sigma = 0.3 * tol[kpi]
    z = np.clip(rng.standard_normal(len(sid)), -2.5, 2.5)
    actual = np.minimum(target * (1 + sgn[kpi] * sigma * (1.5 + z)), cap[kpi])
    weight = np.round(resp[kpi] * (1 + 0.15 * np.clip(rng.standard_normal(len(sid)), -2, 2)))

    cat = pl.Categorical
    services = pl.Series(service_names(n_services), dtype=cat)
    kpi_names = pl.Series([k.name for k in picked], dtype=cat)
    owner = (sid // n_kpis * 3 + kpi) % len(_NAMES)
    return pl.DataFrame(
        {
            "period": pl.Series(periods[day]).set_sorted(),
            "service": services.gather(sid // n_kpis),
            "kpi": kpi_names.gather(kpi),
            "actual": np.round(actual, 2),
            "target": np.round(target, 2),
            "unit": pl.Series([k.unit for k in picked], dtype=cat).gather(kpi),
            "direction": pl.Series([k.direction for k in picked], dtype=cat).gather(kpi),
            "axis": pl.Series([k.axis for k in picked], dtype=cat).gather(kpi),
            "owner": pl.Series(_NAMES, dtype=cat).gather(owner),
            "weight": pl.Series(weight).fill_nan(None),
        }
    )
