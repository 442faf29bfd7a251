"""Weak signals: catch a KPI turning before it misses its target, explain it in one sentence, and
replay what was visible at any past date. Pure Python, Polars and numpy (no Streamlit).

API (the Signals page, the CLI and Explore's overlay are built on exactly this):

    DETECTORS: tuple[Detector, ...]   the registry, in display order; Detector(kind, polarity, params,
                                      doc_key) with `label_key` (signals.kind.<kind>) and Param(name,
                                      default, minimum, maximum, step) with `label_key(kind)`
                                      (signals.param.<kind>.<name>)
    KINDS: tuple[str, ...]            stable codes: off_target_streak, silent_drift, anomaly,
                                      level_shift, projected_miss, volatility_jump (polarity "bad"),
                                      win_back_on_target, win_record, win_streak, win_most_improved
                                      (polarity "good": the wins of lib.wins, one definition)

    detect(history, catalog, *, as_of=None, params=None, year_start_month=1) -> pl.DataFrame
        history: a lib.model frame at ONE grain (period, service, kpi, actual, target, gap, gap_pct,
        status, weight), any number of series; rows after `as_of` are ignored (no look-ahead).
        params: {kind: {param name: value}} overriding the defaults (unknown names raise ValueError).
        One row per signal active at `as_of` (default: the last period), sorted by severity
        (descending), then service, KPI, kind. Columns (engine.SCHEMA):
          service, kpi, kind, polarity, severity (0..1), period (Date: when the signal first fired in
          its current run, each period judged with the data known then), as_of (the period judged),
          grain, value, target, gap_pct (at as_of), and the numbers sentences need, null when not
          relevant: n_periods, slope_per_period, expected, low, high, since (Date: the change point
          or the start of the decline), before, after, deadline, projected, projected_low,
          projected_high (80 % interval), year_target, p_miss, agg_time, miss_period, miss_low,
          miss_high (Dates: when a trend crosses the target, with its interval), z (the test
          statistic).
    replay(history, catalog, *, params=None, year_start_month=1) -> pl.DataFrame
        Every period judged in turn; one row per firing (a signal active at p and not at the period
        before), `period` = `as_of` = p. Same columns, sorted by period then severity.
    message(row, lang, unit="") -> str
        The row's sentence in French or English, numbers formatted with babel, e.g. « Taux de
        satisfaction des candidats — Admissions : baisse depuis 5 mois (−0,7 pt/mois) ; au rythme
        actuel, l'objectif de 80,0 % sera manqué en janv. 2027 (intervalle : ...). »
    projection(history, catalog, *, as_of=None, year_start_month=1, services=None, kpis=None)
        -> period, service, kpi, mean, low, high: each series' forecast from the period after
        `as_of` to the deadline (the end of the year holding that period), for a dashed
        continuation with its 80 % band.

Severity, comparable across kinds: 1 − 2^(−x), x = the deterioration at stake in tolerance bands of
the target (tolerance % × target; 3 noise σ when the KPI has no target or tolerance): one band 0.5,
two 0.75. Good news takes the win's strength from lib.wins.

How the detectors read the data (lib/signals/panel.py, detectors.py, projection.py): every series
as a row of a (series × period) array, values oriented so that down is worse, deseasonalised as
known at each period (from a phased target, else from the data), noise σ from trimmed successive
changes with a floor (a quarter of a tolerance band, half a unit for whole counts). Each detector is
evaluated for all series and all periods at once (a loop over periods where state carries over),
so detect() and replay() share one computation. Defaults are tuned on benchmarks/signals_eval.py.
"""

from lib.signals.engine import SCHEMA, detect, projection, replay
from lib.signals.registry import BY_KIND, DETECTORS, KINDS, Detector, Param, resolve
from lib.signals.text import message

__all__ = [
    "BY_KIND",
    "DETECTORS",
    "KINDS",
    "SCHEMA",
    "Detector",
    "Param",
    "detect",
    "message",
    "projection",
    "replay",
    "resolve",
]
