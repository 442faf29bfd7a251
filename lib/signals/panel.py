"""A history frame as numpy arrays shaped (series, time), and its seasonal adjustment as seen at each
period: what every detector reads.

Values are *oriented*: multiplied by −1 for lower-is-better KPIs, so that down is always worse.

Seasonality, as known at period t (never later data):
- from the target, when the target is phased by period (a monthly budget that follows the season):
  the target's profile, median over the last years of target ÷ that year's mean, used when it moves by
  at least `TARGET_SEASON_MIN` (10 %) — a yearly step of a few percent is not a season;
- otherwise from the data, before the periods being tested: with three whole years, each year's
  deviations from its mean (less the trend between years), median over years, kept when an F test
  says the profile is more than noise (F ≥ `SEASON_F_MIN`); else, from a year of data, sine waves a
  year (one, two from two years) fitted with a level and a trend, kept when their F test passes.
  (A profile by month from two years overfits: each month is the mean of two noisy values.)
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from lib.periods import infer_grain
from lib.signals.robust import count, nanmedian, trailing

SEASON_LENGTH = {"day": 7, "week": 52, "month": 12, "quarter": 4, "year": 0}
TARGET_SEASON_MIN = 0.10
SEASON_F_MIN = 4.5
SEASON_YEARS = 3  # years of history a seasonal profile looks back over
STATUS_CODES = {"on": 0, "watch": 1, "off": 2, "none": 3}


@dataclass(frozen=True)
class Panel:
    periods: list[date]  # T sorted periods
    service: list[str]  # S series, sorted by service then KPI
    kpi: list[str]
    actual: np.ndarray  # (S, T), NaN when the series has no value
    target: np.ndarray
    gap_pct: np.ndarray
    status: np.ndarray  # (S, T) int8: STATUS_CODES, -1 when there is no row
    sign: np.ndarray  # (S,) +1 higher is better, -1 lower
    tolerance: np.ndarray  # (S,) percent of target
    agg_time: np.ndarray  # (S,) str
    grain: str
    season: int  # periods per year (0: none)

    @property
    def y(self) -> np.ndarray:
        return self.actual * self.sign[:, None]

    @property
    def shape(self) -> tuple[int, int]:
        return self.actual.shape


def _nanmean(a: np.ndarray) -> np.ndarray:
    n = count(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, np.nansum(a, axis=-1) / n, np.nan)


def build(
    history: pl.DataFrame, catalog: pl.DataFrame, as_of: date | None = None, year_start_month: int = 1
) -> Panel:
    """The panel of every series in `history` up to `as_of` (included)."""
    h = history if as_of is None else history.filter(pl.col("period") <= as_of)
    h = h.with_columns(pl.col("service", "kpi").cast(pl.String))
    periods = h.get_column("period").unique().sort()
    keys = h.select("service", "kpi").unique().sort("service", "kpi").with_row_index("_s")
    rows = h.join(keys, on=["service", "kpi"], how="inner")
    s_idx = rows.get_column("_s").to_numpy()
    t_idx = periods.search_sorted(rows.get_column("period")).to_numpy()
    n_s, n_t = keys.height, periods.len()

    def grid(col: str, fill: float = np.nan, dtype=float) -> np.ndarray:
        out = np.full((n_s, n_t), fill, dtype=dtype)
        if col in rows.columns:
            out[s_idx, t_idx] = rows.get_column(col).cast(pl.Float64).fill_null(np.nan).to_numpy()
        return out

    status = np.full((n_s, n_t), -1, dtype=np.int8)
    if "status" in rows.columns:
        codes = rows.get_column("status").cast(pl.String).replace_strict(STATUS_CODES, default=3)
        status[s_idx, t_idx] = codes.cast(pl.Int8).to_numpy()
    cat = catalog.select(
        pl.col("kpi").cast(pl.String),
        pl.when(pl.col("direction") == "lower").then(-1.0).otherwise(1.0).alias("_sign"),
        pl.col("tolerance").cast(pl.Float64).fill_null(0.0).alias("_tol")
        if "tolerance" in catalog.columns
        else pl.lit(0.0).alias("_tol"),
        pl.col("agg_time").cast(pl.String).alias("_agg")
        if "agg_time" in catalog.columns
        else pl.lit("mean").alias("_agg"),
    ).unique("kpi")
    info = keys.join(cat, on="kpi", how="left").sort("_s")
    period_list = periods.to_list()
    grain = infer_grain(period_list, year_start_month) if period_list else "month"
    return Panel(
        periods=period_list,
        service=keys.get_column("service").to_list(),
        kpi=keys.get_column("kpi").to_list(),
        actual=grid("actual"),
        target=grid("target"),
        gap_pct=grid("gap_pct"),
        status=status,
        sign=info.get_column("_sign").fill_null(1.0).to_numpy(),
        tolerance=info.get_column("_tol").fill_null(0.0).to_numpy(),
        agg_time=np.array(info.get_column("_agg").fill_null("mean").to_list(), dtype=object),
        grain=grain,
        season=SEASON_LENGTH.get(grain, 0),
    )


@dataclass(frozen=True)
class Season:
    """Seasonal profile as known at each period, by phase (period index mod m): `mult` for a profile
    taken from the target (values divide by it), `add` for one from the data (values subtract it)."""

    m: int
    mult: np.ndarray  # (S, T, m), 1 where not used
    add: np.ndarray  # (S, T, m), 0 where not used
    source: np.ndarray  # (S, T) int8: 0 none, 1 target, 2 data

    def adjust(self, values: np.ndarray, t0: int = 0) -> np.ndarray:
        """Deseasonalise windows (S, T, W) whose last element is period t, with the profile at t."""
        if self.m == 0:
            return values
        out = np.array(values, dtype=float)
        rows = np.flatnonzero((self.source > 0).any(axis=1))  # the others have no season to remove
        if rows.size:
            phase = self.phases(values.shape[1], values.shape[2], t0)[None]
            mult = np.take_along_axis(self.mult[rows], phase, axis=-1)
            add = np.take_along_axis(self.add[rows], phase, axis=-1)
            out[rows] = out[rows] / mult - add
        return out

    def phases(self, n_t: int, w: int, t0: int = 0) -> np.ndarray:
        """(T, W) phase of window element j at period t: (t - W + 1 + j) mod m."""
        t = np.arange(t0, t0 + n_t)[:, None]
        j = np.arange(w)[None, :]
        return (t - w + 1 + j) % self.m

    def factor_at(self, s_idx: np.ndarray, t_idx: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, ...]:
        """(mult, add) of period index `tau` as seen at period `t_idx` for series `s_idx`."""
        if self.m == 0:
            return np.ones(np.shape(tau)), np.zeros(np.shape(tau))
        ph = np.asarray(tau) % self.m
        return self.mult[s_idx, t_idx, ph], self.add[s_idx, t_idx, ph]


def _by_phase(profile_q: np.ndarray, end: np.ndarray, m: int) -> np.ndarray:
    """Reindex a profile by position in a block ending at period `end` (T,) to absolute phase."""
    ph = np.arange(m)[None, :]
    q = (ph - end[:, None] - 1) % m  # block position holding phase ph
    return np.take_along_axis(profile_q, np.broadcast_to(q, profile_q.shape), axis=-1)


def _target_profile(target: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    s_n, t_n = target.shape
    blocks = trailing(target, SEASON_YEARS * m).reshape(s_n, t_n, SEASON_YEARS, m)
    full = (count(blocks) == m) & (np.nanmin(np.where(np.isnan(blocks), np.inf, blocks), axis=-1) > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ratio = blocks / _nanmean(blocks)[..., None]
    ratio = np.where(full[..., None], ratio, np.nan)
    prof = nanmedian(np.swapaxes(ratio, -1, -2))  # (S, T, m) median over years
    prof = prof / _nanmean(prof)[..., None]
    ok = (full.sum(-1) >= 1) & (
        np.nanmax(np.abs(np.nan_to_num(prof, nan=1.0) - 1), axis=-1) >= TARGET_SEASON_MIN
    )
    return np.nan_to_num(prof, nan=1.0), ok


def _data_profile(y: np.ndarray, m: int, lag: int) -> tuple[np.ndarray, np.ndarray]:
    s_n, t_n = y.shape
    k = SEASON_YEARS
    blocks = trailing(y, k * m, lag=lag).reshape(s_n, t_n, k, m)
    full = count(blocks) == m
    mu = np.where(full, _nanmean(blocks), np.nan)
    beta = nanmedian((mu[..., 1:] - mu[..., :-1]) / m)
    beta = np.nan_to_num(beta)
    pos = np.arange(m) - (m - 1) / 2
    dev = blocks - mu[..., None] - beta[..., None, None] * pos
    dev = np.where(full[..., None], dev, np.nan)
    dev_q = np.swapaxes(dev, -1, -2)  # (S, T, m, years)
    prof = nanmedian(dev_q)
    prof = prof - _nanmean(prof)[..., None]
    years = full.sum(-1)
    mean_q = _nanmean(dev_q)
    grand = _nanmean(mean_q)
    between = years * np.nansum((mean_q - grand[..., None]) ** 2, axis=-1) / (m - 1)
    df = years * m - years - (m - 1) - 1
    within = np.nansum((dev_q - mean_q[..., None]) ** 2, axis=(-1, -2))
    with np.errstate(invalid="ignore", divide="ignore"):
        f_stat = between / (within / np.maximum(df, 1))
    ok = (years >= SEASON_YEARS) & (df > 0) & (f_stat >= SEASON_F_MIN)
    return np.nan_to_num(prof), ok


HARMONIC_F_MIN = 5.0
HARMONIC_WINDOW = 36
HARMONIC_EVERY = 3


def _fit(design: np.ndarray, y: np.ndarray, valid: np.ndarray, pinv: np.ndarray) -> tuple[np.ndarray, ...]:
    """Least squares of every row of y on `design` (n, p): (coefficients, RSS). Rows without a gap
    share one pseudo-inverse (a matrix product); rows with gaps solve their own normal equations."""
    yv = np.nan_to_num(y)
    common = valid.any(axis=0)
    full = (valid == common).all(axis=1)
    beta = yv @ pinv.T
    if not full.all():
        part = ~full
        wt = valid[part].astype(float)
        outer = design[:, :, None] * design[:, None, :]
        a = np.tensordot(wt, outer, axes=(1, 0)) + 1e-9 * np.eye(design.shape[1])
        b = (wt * yv[part]) @ design
        beta[part] = np.linalg.solve(a, b[..., None])[..., 0]
    resid = np.where(valid, yv - beta @ design.T, 0.0)
    return beta, (resid**2).sum(axis=1)


def _harmonic_profile(y: np.ndarray, m: int, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Sine waves a year (one from a year of data, two from two years), fitted by least squares with
    a level and a trend to the last `HARMONIC_WINDOW` periods before the tested ones (batched over
    series); kept when an F test against level and trend alone finds them (F ≥ HARMONIC_F_MIN).
    Needs a year where a profile by month needs three. Refitted every HARMONIC_EVERY periods; in
    between, the last fit (on older data only) holds."""
    s_n, t_n = y.shape
    prof = np.zeros((s_n, t_n, m))
    ok = np.zeros((s_n, t_n), bool)
    n_fit = HARMONIC_WINDOW
    win = trailing(y, n_fit, lag=lag)
    ph = 2 * np.pi * np.arange(m) / m
    waves = np.stack([np.cos(ph), np.sin(ph), np.cos(2 * ph), np.sin(2 * ph)], axis=1)  # (m, 4)
    for t in range(t_n):
        e = t - lag
        if e + 1 < m:
            continue
        if (e + 1 - m) % HARMONIC_EVERY:
            prof[:, t], ok[:, t] = prof[:, t - 1], ok[:, t - 1]
            continue
        tau = np.arange(e - n_fit + 1, e + 1)
        ang = 2 * np.pi * tau / m
        design = np.stack(
            [np.ones(n_fit), (tau - e) / m, np.cos(ang), np.sin(ang), np.cos(2 * ang), np.sin(2 * ang)],
            axis=1,
        )
        yw = win[:, t, :]
        valid = ~np.isnan(yw)
        n = valid.sum(axis=1)
        fits = {}
        for cols in (2, 4, 6):
            d = design[:, :cols]
            # Periods before the series' start are gaps: a design restricted to valid periods.
            fits[cols] = _fit(d, yw, valid, np.linalg.pinv(np.where(valid.any(axis=0)[:, None], d, 0.0)))
        (_, rss0), (beta1, rss1), (beta2, rss2) = fits[2], fits[4], fits[6]
        two = n >= 2 * m
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = ((rss0 - rss1) / 2) / (rss1 / np.maximum(n - 4, 1))
            f2 = ((rss0 - rss2) / 4) / (rss2 / np.maximum(n - 6, 1))
        ok[:, t] = (n >= m) & (np.where(two, f2, f1) >= HARMONIC_F_MIN)
        coef = np.where(
            two[:, None], beta2[:, 2:], np.concatenate([beta1[:, 2:], np.zeros((s_n, 2))], axis=1)
        )
        prof[:, t, :] = coef @ waves.T
    return prof, ok


def season(panel: Panel, lag: int) -> Season:
    """Seasonal profiles at every period; the data's profile ignores the last `lag` periods (those a
    detector tests), so a recent shift or spike does not bend the profile it is measured against."""
    m = panel.season
    s_n, t_n = panel.shape
    if m == 0 or t_n < m:
        return Season(0, np.ones((s_n, t_n, 1)), np.zeros((s_n, t_n, 1)), np.zeros((s_n, t_n), np.int8))
    t_idx = np.arange(t_n)
    mult = np.ones((s_n, t_n, m))
    add = np.zeros((s_n, t_n, m))
    t_ok = np.zeros((s_n, t_n), bool)
    d_ok = np.zeros((s_n, t_n), bool)
    # Each profile is computed only for the series that may use it: a phased target must move.
    tg = panel.target
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        moves = (np.nanmax(tg, axis=1) - np.nanmin(tg, axis=1)) / np.abs(np.nanmean(tg, axis=1))
    rows = np.flatnonzero(np.nan_to_num(moves) >= TARGET_SEASON_MIN)
    if rows.size:
        tprof, ok = _target_profile(tg[rows], m)
        mult[rows] = np.where(ok[..., None], _by_phase(tprof, t_idx, m), 1.0)
        t_ok[rows] = ok
    rows = np.flatnonzero(~t_ok.any(axis=1))
    if rows.size:
        y = panel.y[rows]
        prof, ok = _harmonic_profile(y, m, lag)
        if t_n >= SEASON_YEARS * m + lag:
            dprof, dok = _data_profile(y, m, lag)
            prof = np.where(dok[..., None], _by_phase(dprof, t_idx - lag, m), prof)
            ok |= dok
        add[rows] = np.where(ok[..., None], prof, 0.0)
        d_ok[rows] = ok
    source = np.where(t_ok, 1, np.where(d_ok, 2, 0)).astype(np.int8)
    return Season(m, mult, add, source)
