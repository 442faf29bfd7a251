"""Planted stories: each rewrites one calm series so a weak-signal detector has something true to find.

Every story is placed relative to the last period (so `--end` moves them along) and reports its exact
parameters, which land in stories.json and which the tests check against the numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np

from sample_data.org import KPI_BY_NAME
from sample_data.series import Standing, structural_gap


@dataclass
class Series:
    """One (service, KPI) series being generated; `actual` is the calm series, rewritten in place."""

    months: list[date]
    target: np.ndarray
    actual: np.ndarray
    rng: np.random.Generator
    year_targets: Callable[[int], np.ndarray]  # the 12 monthly targets of a calendar year
    finish: Callable[[np.ndarray], np.ndarray]  # caps and rounds values as the extract will show them


@dataclass(frozen=True)
class Story:
    kind: str
    service: str
    kpi: str
    plant: Callable[[Series], tuple[int, int, dict, str]]  # -> (first index, last index, params, text)
    standing: Standing | None = None  # how the calm series under the story stands (default: ahead)


def _ym(d: date) -> str:
    return d.strftime("%Y-%m")


def _clipped(rng: np.random.Generator, n: int, bound: float) -> np.ndarray:
    return np.clip(rng.standard_normal(n), -bound, bound)


def _silent_drift(s: Series) -> tuple[int, int, dict, str]:
    gap, step, months = 4.0, 0.6, 6
    n = len(s.months)
    start = n - months
    # Comfortably above target before (but within one tolerance, so not an over-performer) ...
    s.actual[:start] = s.target[:start] + gap + 0.4 * _clipped(s.rng, start, 2.0)
    # ... then a steady slide of `step` points a month; the jitter is too small to break the order.
    k = np.arange(1, months + 1)
    s.actual[start:] = s.target[-1] + gap - step * k + s.rng.uniform(-0.2, 0.2, months)
    params = {
        "gap_before_pts": gap,
        "decline_per_month_pts": step,
        "months": months,
        "total_decline_pts": round(step * months, 1),
        "target": float(s.target[-1]),
    }
    text = (
        f"Candidate satisfaction, steady about {gap:g} points above its {s.target[-1]:g} % target, "
        f"slides {step:g} points a month over the last {months} months "
        f"({step * months:.1f} points in all) and still ends on target."
    )
    return start, n - 1, params, text


def _anomaly(back: int, factor: float, cause: str) -> Callable[[Series], tuple[int, int, dict, str]]:
    def plant(s: Series) -> tuple[int, int, dict, str]:
        i = len(s.months) - 1 - back
        # Against the series' usual level, not that month's noise, so the size of the jolt is exact.
        s.actual[i] = s.target[i] * float(np.median(s.actual / s.target)) * factor
        change = f"{(factor - 1) * 100:+.0f} %"
        text = f"{cause} in {_ym(s.months[i])}: {change} against the usual level, for that month only."
        return i, i, {"factor": factor, "months_before_end": back}, text

    return plant


def _projected_miss(s: Series) -> tuple[int, int, dict, str]:
    pace = 0.96
    n = len(s.months)
    last = s.months[-1]
    start = next(i for i, d in enumerate(s.months) if d.year == last.year)
    # Every month stays within the 5 % tolerance: only the year-to-date view shows the miss.
    s.actual[start:] = s.finish(s.target[start:] * (pace + s.rng.uniform(-0.006, 0.006, n - start)))
    year = s.year_targets(last.year)
    ytd_actual, ytd_target = float(s.actual[start:].sum()), float(s.target[start:].sum())
    # Projection at the year-to-date pace over the months still to come.
    projected = ytd_actual + ytd_actual / ytd_target * float(year[last.month :].sum())
    params = {
        "pace": pace,
        "year": last.year,
        "ytd_actual": round(ytd_actual, 1),
        "ytd_target": round(ytd_target, 1),
        "annual_target": round(float(year.sum()), 1),
        "projected": round(projected, 1),
        "shortfall": round(float(year.sum()) - projected, 1),
    }
    text = (
        f"Partnership revenue runs about {(1 - pace) * 100:.0f} % under its monthly targets since "
        f"{_ym(s.months[start])}, within tolerance each month; at that pace {last.year} closes near "
        f"{projected:,.0f} k€ against an annual target of {params['annual_target']:,.0f} k€."
    )
    return start, n - 1, params, text


def _over_performer(s: Series) -> tuple[int, int, dict, str]:
    ratio = 1.22
    n = len(s.months)
    s.actual[:] = s.finish(s.target * (ratio + 0.02 * _clipped(s.rng, n, 2.0)))
    seen = s.actual / s.target  # after rounding to whole students
    params = {
        "ratio": ratio,
        "min_ratio": round(float(seen.min()), 3),
        "max_ratio": round(float(seen.max()), 3),
    }
    text = (
        f"Outgoing mobility beats its monthly target all along, by about {(ratio - 1) * 100:.0f} % "
        f"({(seen.min() - 1) * 100:.0f} to {(seen.max() - 1) * 100:.0f} % every month), twice the tolerance."
    )
    return 0, n - 1, params, text


def _corrective_action(s: Series) -> tuple[int, int, dict, str]:
    off_months, action_back = 6, 7
    n = len(s.months)
    action = n - 1 - action_back
    off = action - off_months
    s.actual[off:action] = s.target[off:action] * s.rng.uniform(1.30, 1.42, off_months)
    s.actual[action:] = s.target[action:] * (0.90 + 0.02 * _clipped(s.rng, n - action, 1.5))
    params = {
        "action_period": s.months[action].isoformat(),
        "off_since": s.months[off].isoformat(),
        "ratio_before": [1.30, 1.42],
        "ratio_after": [0.87, 0.93],
        "target": float(s.target[-1]),
    }
    text = (
        f"Supplier payment times slip to 39-43 days from {_ym(s.months[off])} (target "
        f"{s.target[-1]:g} days, off target); a corrective action (paperless invoice approval) starts "
        f"in {_ym(s.months[action])} and from that month they hold at 26-28 days."
    )
    return off, n - 1, params, text


def _level_shift(s: Series) -> tuple[int, int, dict, str]:
    factor, back = 0.70, 6
    n = len(s.months)
    start = n - 1 - back
    s.actual[start:] = s.actual[start:] * factor
    text = (
        f"The new website goes live in {_ym(s.months[start])} and visits drop by "
        f"{(1 - factor) * 100:.0f} % from that month on (lost search rankings): a sudden, lasting step."
    )
    return start, n - 1, {"factor": factor, "months_before_end": back}, text


def _off_target_streak(s: Series) -> tuple[int, int, dict, str]:
    months = 5
    n = len(s.months)
    start = n - months
    s.actual[start:] = s.target[start:] * s.rng.uniform(1.16, 1.30, months)
    text = (
        f"Recruitment lead time runs 16 to 30 % above its {s.target[-1]:g}-day target (tolerance 10 %) "
        f"for the last {months} months in a row: a recruiter's post left vacant."
    )
    return start, n - 1, {"months": months, "ratio": [1.16, 1.30], "target": float(s.target[-1])}, text


def _gap_story(service: str, kpi: str, centre: float, what: str, cause: str) -> Story:
    """A known structural gap: off target by a steady margin every month, no trend, no spike. The calm
    generator already made the series (standing `structural_gap(centre)`); this only describes it."""
    info = KPI_BY_NAME[kpi]

    def plant(s: Series) -> tuple[int, int, dict, str]:
        n = len(s.months)
        ratio = s.actual / s.target
        params = {
            "months": n,
            "gap_tolerances": centre,
            "tolerance": float(info.tolerance),
            "ratio": [round(float(ratio.min()), 3), round(float(ratio.max()), 3)],
            "target": float(s.target[-1]),
        }
        worse = "above" if info.direction == "lower" else "below"
        text = (
            f"{cause[0].upper()}{cause[1:]}: {what} {abs(ratio.mean() - 1) * 100:.0f} % {worse} target "
            f"(tolerance {info.tolerance:g} %) every month since {_ym(s.months[0])}, a known, steady gap "
            "with no trend."
        )
        return 0, n - 1, params, text

    return Story("off_target_streak", service, kpi, plant, structural_gap(centre))


STORIES: tuple[Story, ...] = (
    Story("silent_drift", "Admissions", "Taux de satisfaction des candidats", _silent_drift),
    Story(
        "anomaly", "Pédagogie", "Heures de cours assurées", _anomaly(10, 0.55, "A strike by teaching staff")
    ),
    Story(
        "anomaly",
        "Systèmes d'information",
        "Incidents informatiques",
        _anomaly(4, 2.5, "A phishing campaign against staff mailboxes"),
    ),
    Story("projected_miss", "Relations entreprises", "Recettes partenariats entreprises", _projected_miss),
    Story("over_performer", "International", "Étudiants en mobilité sortante", _over_performer),
    Story("corrective_action", "Finances", "Délai de paiement fournisseurs", _corrective_action),
    Story("level_shift", "Communication", "Visites du site web", _level_shift),
    Story("off_target_streak", "Ressources humaines", "Délai de recrutement", _off_target_streak),
    _gap_story(
        "Admissions",
        "Coût par candidature",
        -1.5,
        "cost per application",
        "paid search has grown dearer than budgeted",
    ),
    _gap_story(
        "Ressources humaines",
        "Postes vacants",
        -1.8,
        "vacant posts",
        "technicians are hard to hire",
    ),
    _gap_story(
        "Communication",
        "Taux d'ouverture des newsletters",
        -1.6,
        "the newsletter open rate",
        "mailbox filters and reader fatigue",
    ),
    _gap_story(
        "Systèmes d'information",
        "Coût informatique par utilisateur",
        -1.4,
        "IT cost per user",
        "software licences moved to per-user subscriptions",
    ),
    _gap_story(
        "Logistique",
        "Coût énergétique",
        -1.5,
        "the energy bill",
        "energy contracts are priced above the budget",
    ),
    _gap_story(
        "Logistique",
        "Interventions de maintenance en retard",
        -1.7,
        "late maintenance jobs",
        "the maintenance contract is under-sized",
    ),
)

STORY_BY_SERIES = {(st.service, st.kpi): st for st in STORIES}
