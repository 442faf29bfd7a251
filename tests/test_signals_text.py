"""Signal sentences: exact wording and numbers in both languages, one sentence for every kind."""

from __future__ import annotations

from datetime import date

import pytest

from lib.signals import KINDS, message

NB = "\u00a0"
DRIFT = {
    "kind": "silent_drift",
    "kpi": "Taux de satisfaction",
    "service": "Admissions",
    "grain": "month",
    "slope_per_period": -0.8,
    "n_periods": 5,
    "target": 85.0,
    "miss_period": date(2027, 3, 1),
    "miss_low": date(2027, 2, 1),
    "miss_high": date(2027, 6, 1),
}


@pytest.mark.parametrize(
    ("row", "unit", "fr", "en"),
    [
        (
            DRIFT,
            "%",
            f"Taux de satisfaction — Admissions : baisse depuis 5{NB}mois (−0,8{NB}pt/mois) ; au rythme "
            "actuel, "
            f"l'objectif de 85,0{NB}% sera manqué en mars 2027 (intervalle : févr.–juin 2027).",
            f"Taux de satisfaction — Admissions: falling for 5{NB}months (−0.8{NB}pt/month); at this "
            "pace, the "
            "target of 85.0% will be missed in March 2027 (range: Feb–Jun 2027).",
        ),
        (
            DRIFT | {"miss_high": None, "miss_low": date(2026, 12, 1)},
            "%",
            f"Taux de satisfaction — Admissions : baisse depuis 5{NB}mois (−0,8{NB}pt/mois) ; au rythme "
            "actuel, "
            f"l'objectif de 85,0{NB}% sera manqué en mars 2027 (intervalle : à partir de déc. 2026).",
            f"Taux de satisfaction — Admissions: falling for 5{NB}months (−0.8{NB}pt/month); at this "
            "pace, the "
            "target of 85.0% will be missed in March 2027 (range: from Dec 2026).",
        ),
        (
            DRIFT | {"miss_low": date(2027, 3, 1), "miss_high": date(2027, 3, 1)},
            "%",
            f"Taux de satisfaction — Admissions : baisse depuis 5{NB}mois (−0,8{NB}pt/mois) ; au rythme "
            f"actuel, l'objectif de 85,0{NB}% sera manqué en mars 2027 (intervalle : mars 2027).",
            f"Taux de satisfaction — Admissions: falling for 5{NB}months (−0.8{NB}pt/month); at this "
            "pace, the target of 85.0% will be missed in March 2027 (range: Mar 2027).",
        ),
        (
            DRIFT | {"slope_per_period": 1.25, "target": None, "grain": "quarter", "n_periods": 1},
            "jours",
            f"Taux de satisfaction — Admissions : hausse depuis 1{NB}trimestre (+1,2{NB}jours/trimestre).",
            f"Taux de satisfaction — Admissions: rising for 1{NB}quarter (+1.2{NB}jours/quarter).",
        ),
        (
            {
                "kind": "off_target_streak",
                "kpi": "Délai",
                "service": "Finances",
                "grain": "month",
                "n_periods": 4,
                "value": 41.8,
                "target": 30.0,
            },
            "jours",
            f"Délai — Finances : hors objectif 4{NB}mois de suite (41,8{NB}jours pour un objectif de "
            f"30,0{NB}jours).",
            f"Délai — Finances: off target for 4{NB}months in a row (41.8{NB}jours against a target of "
            f"30.0{NB}jours).",
        ),
        (
            {
                "kind": "anomaly",
                "kpi": "Heures",
                "service": "Pédagogie",
                "grain": "month",
                "as_of": date(2025, 12, 1),
                "value": 5480.0,
                "low": 9000.0,
                "high": 10600.0,
            },
            "h",
            f"Heures — Pédagogie : valeur inhabituelle en décembre 2025 : 5\u202f480{NB}h, attendu entre "
            f"9\u202f000{NB}h et 10\u202f600{NB}h.",
            f"Heures — Pédagogie: unusual value in December 2025: 5,480{NB}h, expected between "
            f"9,000{NB}h and "
            f"10,600{NB}h.",
        ),
        (
            {
                "kind": "level_shift",
                "kpi": "Visites",
                "service": "Communication",
                "grain": "month",
                "since": date(2026, 4, 1),
                "before": 87000.0,
                "after": 61000.0,
            },
            "",
            "Visites — Communication : rupture à la baisse depuis avril 2026 : 61\u202f000 contre "
            "87\u202f000 "
            "auparavant.",
            "Visites — Communication: level down since April 2026: 61,000 against 87,000 before.",
        ),
        (
            {
                "kind": "projected_miss",
                "kpi": "Recettes",
                "service": "RE",
                "grain": "month",
                "agg_time": "sum",
                "projected": 2302.2,
                "projected_low": 2280.0,
                "projected_high": 2325.0,
                "year_target": 2400.0,
                "deadline": date(2026, 12, 1),
            },
            "k€",
            f"Recettes — RE : au rythme actuel, le total de l'année atteindrait 2\u202f302{NB}k€ fin "
            "décembre 2026 "
            f"pour un objectif de 2\u202f400{NB}k€ (intervalle : 2\u202f280{NB}k€ à 2\u202f325{NB}k€).",
            f"Recettes — RE: at the current pace, the year's total would be 2,302{NB}k€ at the end of "
            "December "
            f"2026 against a target of 2,400{NB}k€ (range: 2,280{NB}k€ to 2,325{NB}k€).",
        ),
        (
            {
                "kind": "projected_miss",
                "kpi": "Taux",
                "service": "RE",
                "grain": "month",
                "agg_time": "wmean",
                "projected": 91.8,
                "projected_low": 91.81,
                "projected_high": 91.79,
                "year_target": 95.0,
                "deadline": date(2026, 12, 1),
            },
            "%",
            f"Taux — RE : au rythme actuel, la moyenne de l'année atteindrait 91,8{NB}% fin décembre "
            "2026 pour un "
            f"objectif de 95,0{NB}%.",
            "Taux — RE: at the current pace, the year's average would be 91.8% at the end of December "
            "2026 against "
            "a target of 95.0%.",
        ),
        (
            {
                "kind": "win_most_improved",
                "kpi": "K",
                "service": "S",
                "grain": "month",
                "before": -3.2,
                "gap_pct": 4.5,
            },
            "",
            f"K — S : écart à l'objectif passé de −3,2{NB}% à +4,5{NB}%.",
            "K — S: gap to target improved from −3.2% to +4.5%.",
        ),
    ],
)
def test_exact_sentences(row, unit, fr, en):
    assert message(row, "fr", unit) == fr
    assert message(row, "en", unit) == en


BASE = {
    "kpi": "KPI",
    "service": "Service",
    "grain": "week",
    "value": 12.0,
    "target": 10.0,
    "gap_pct": 20.0,
    "n_periods": 3,
    "slope_per_period": -0.25,
    "before": 8.0,
    "after": 12.0,
    "low": 9.0,
    "high": 11.0,
    "since": date(2026, 3, 2),
    "as_of": date(2026, 3, 9),
    "projected": 100.0,
    "projected_low": 90.0,
    "projected_high": 110.0,
    "year_target": 120.0,
    "deadline": date(2026, 12, 28),
    "agg_time": "last",
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_kind_has_a_sentence(kind, lang):
    text = message(BASE | {"kind": kind}, lang, "nb")
    assert text.startswith("KPI — Service") and text.endswith(".")
    assert "{" not in text and "None" not in text and "nan" not in text


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown signal kind"):
        message(BASE | {"kind": "nope"}, "fr")
