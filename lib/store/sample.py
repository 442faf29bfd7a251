"""What the sample organisation's database holds: its corrective actions and its teams' notes.

Built from sample_data/stories.json (the stories planted in the sample data), written in French like
the organisation itself. Pure: Store.seed_sample writes these.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from lib.fmt import fmt_date, fmt_number, fmt_percent
from lib.sample import SAMPLE_DIR
from lib.store.model import SignalRef

STORIES = SAMPLE_DIR / "stories.json"
OWNER = "Céline Petit"  # the sample's owner of the Finances KPIs


@dataclass(frozen=True)
class SampleAction:
    service: str
    kpi: str
    title: str
    description: str
    owner: str
    start: date
    due: date
    status: str
    priority: str
    expected_effect: str
    signal: SignalRef | None = None


@dataclass(frozen=True)
class SampleNote:
    service: str
    kpi: str
    period: date
    text: str


def _month(value: date) -> str:
    return fmt_date(value, "fr", "MMMM y")


def _days(ratio: float, target: float) -> str:
    return fmt_number(ratio * target, "fr", 0)


def load_stories(path: Path = STORIES) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def sample_action(stories: list[dict]) -> SampleAction:
    story = next(s for s in stories if s["kind"] == "corrective_action")
    p = story["params"]
    start = date.fromisoformat(p["action_period"])
    off_since = date.fromisoformat(p["off_since"])
    low, high = (_days(r, p["target"]) for r in p["ratio_before"])
    target = fmt_number(p["target"], "fr", 0)
    return SampleAction(
        service=story["service"],
        kpi=story["kpi"],
        title="Dématérialiser le circuit de validation des factures fournisseurs",
        description=(
            f"Depuis {_month(off_since)}, le délai de paiement des fournisseurs dérive à {low}–{high} jours "
            f"pour un objectif de {target} jours\u00a0: les factures papier attendent la signature des "
            "services ordonnateurs. Mise en place de la validation en ligne dans le logiciel financier, "
            "avec relance automatique au bout de 5 jours et tableau de suivi hebdomadaire des factures "
            "en attente."
        ),
        owner=OWNER,
        start=start,
        due=start + timedelta(days=91),
        status="done",
        priority="high",
        expected_effect=(
            f"Revenir sous l'objectif de {target} jours dès le premier mois de la validation en ligne, "
            "et s'y maintenir."
        ),
    )


def _months_after(value: date, months: int) -> date:
    index = value.year * 12 + value.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month_end(today: date) -> date:
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


def _story(stories: list[dict], kind: str, kpi: str) -> dict:
    return next(s for s in stories if s["kind"] == kind and s["kpi"] == kpi)


def _signal(story: dict, kind: str, severity: float, message: str, *, lag: int = 2) -> SignalRef:
    """The weak signal the action answers, as lib.signals finds it on the default sample.

    Running the detectors at seed time costs over a second (loading the sample alone takes 0.3 s), so
    the period is the story's start plus the months the detector needs to fire (`lag`; negative:
    the story's last month) and the severity is the one measured on the default sample, rounded.
    """
    period = _months_after(date.fromisoformat(story["start"]), lag) if lag >= 0 else story["end"]
    return SignalRef(kind, date.fromisoformat(str(period)), severity, message)


def sample_open_actions(stories: list[dict], today: date) -> list[SampleAction]:
    """The open actions answering the sample's weak signals, dated from `today` so that a demo always
    shows one overdue action, one due this month and two due later (started in the past)."""
    hiring = _story(stories, "off_target_streak", "Délai de recrutement")
    web = _story(stories, "level_shift", "Visites du site web")
    revenue = _story(stories, "projected_miss", "Recettes partenariats entreprises")
    drift = _story(stories, "silent_drift", "Taux de satisfaction des candidats")
    h_target = fmt_number(hiring["params"]["target"], "fr", 0)
    h_low, h_high = (fmt_percent(r - 1, "fr", 0) for r in hiring["params"]["ratio"])
    w_drop = fmt_percent(1 - web["params"]["factor"], "fr", 0)
    r = revenue["params"]
    r_projected, r_annual = (fmt_number(r[k], "fr", 0) for k in ("projected", "annual_target"))
    d_target = fmt_number(drift["params"]["target"], "fr", 0)
    return [
        SampleAction(
            service=hiring["service"],
            kpi=hiring["kpi"],
            title="Confier les recrutements en attente à un cabinet et pourvoir le poste de chargé "
            "de recrutement",
            description=(
                f"Depuis {_month(date.fromisoformat(hiring['start']))}, le délai de recrutement dépasse "
                f"l'objectif de {h_target} jours de {h_low} à {h_high} : le poste de chargé de "
                "recrutement est vacant. Les recrutements en cours sont confiés à un cabinet le temps de "
                "pourvoir le poste."
            ),
            owner="Mathieu Chevalier",
            start=today - timedelta(days=75),
            due=today - timedelta(days=20),
            status="in_progress",
            priority="high",
            expected_effect=f"Revenir sous {h_target} jours en trois mois.",
            signal=_signal(
                hiring,
                "off_target_streak",
                0.74,
                f"Délai de recrutement hors objectif plusieurs mois de suite (objectif {h_target} jours).",
            ),
        ),
        SampleAction(
            service=web["service"],
            kpi=web["kpi"],
            title="Audit de référencement du nouveau site et redirection des anciennes pages",
            description=(
                f"Depuis la mise en ligne du nouveau site en {_month(date.fromisoformat(web['start']))}, "
                f"les visites ont baissé de {w_drop} : les anciennes adresses ne sont plus "
                "redirigées et le site a perdu son classement dans les moteurs de recherche. Audit par "
                "l'agence web, redirections permanentes et nouveau plan du site."
            ),
            owner="Hugo Lambert",
            start=today - timedelta(days=45),
            due=_month_end(today),
            status="in_progress",
            priority="high",
            expected_effect="Retrouver le niveau de visites d'avant la refonte d'ici six mois.",
            signal=_signal(
                web, "level_shift", 0.91, f"Visites du site web en rupture à la baisse ({w_drop})."
            ),
        ),
        SampleAction(
            service=revenue["service"],
            kpi=revenue["kpi"],
            title="Relancer les entreprises partenaires dont la convention arrive à échéance",
            description=(
                "Les recettes de partenariats restent un peu sous l'objectif chaque mois : à ce "
                f"rythme l'année finirait vers {r_projected} k€ pour un objectif de {r_annual} k€. "
                "Rendez-vous avec chaque partenaire dont la convention s'achève cette année et offre de "
                "parrainage de promotion."
            ),
            owner="Thomas Girard",
            start=today - timedelta(days=10),
            due=today + timedelta(days=50),
            status="planned",
            priority="medium",
            expected_effect=f"Atteindre l'objectif annuel de {r_annual} k€.",
            signal=_signal(
                revenue,
                "projected_miss",
                0.43,
                f"Recettes partenariats : objectif annuel de {r_annual} k€ manqué au rythme actuel.",
            ),
        ),
        SampleAction(
            service=drift["service"],
            kpi=drift["kpi"],
            title="Enquête auprès des candidats sur le parcours d'admission",
            description=(
                "La satisfaction des candidats baisse un peu chaque mois depuis "
                f"{_month(date.fromisoformat(drift['start']))}, encore au-dessus de l'objectif de "
                f"{d_target} %. Entretiens avec une vingtaine de candidats et revue des délais de "
                "réponse pour trouver la cause avant que l'objectif ne soit manqué."
            ),
            owner="Inès Bouchard",
            start=today - timedelta(days=3),
            due=today + timedelta(days=90),
            status="planned",
            priority="medium",
            expected_effect=f"Enrayer la baisse et rester au-dessus de {d_target} %.",
            signal=_signal(
                drift,
                "silent_drift",
                0.35,
                "Taux de satisfaction des candidats en baisse lente, encore dans l'objectif.",
                lag=-1,
            ),
        ),
    ]


# Which anomaly story is which: a word of its (English) description -> the French note.
_ANOMALY_NOTES = {
    "strike": "Grève des enseignants en {month}\u00a0: heures de cours assurées en {change} par rapport "
    "au niveau habituel, sur ce seul mois.",
    "phishing": "Campagne d'hameçonnage visant les messageries du personnel en {month}\u00a0: incidents "
    "informatiques en {change} par rapport au niveau habituel, sur ce seul mois.",
}


def sample_notes(stories: list[dict]) -> list[SampleNote]:
    out = []
    for word, template in _ANOMALY_NOTES.items():
        story = next(s for s in stories if s["kind"] == "anomaly" and word in s["description"].lower())
        period = date.fromisoformat(story["start"])
        change = story["params"]["factor"] - 1
        trend = "hausse" if change > 0 else "baisse"
        text = template.format(month=_month(period), change=f"{trend} de {fmt_percent(abs(change), 'fr', 0)}")
        out.append(SampleNote(story["service"], story["kpi"], period, text))
    return out
