"""What the sample organisation's database holds: its corrective action and its teams' notes.

Built from sample_data/stories.json (the stories planted in the sample data), written in French like
the organisation itself. Pure: Store.seed_sample writes these.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from lib.fmt import fmt_date, fmt_number, fmt_percent
from lib.sample import SAMPLE_DIR

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
