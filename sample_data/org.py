"""The sample organisation: a French business school's services, its KPI catalog, owners and seasons.

Everything here is data. `generate.py` turns it into monthly series; targets are given for
REFERENCE_YEAR and derived for other years with `yearly` (the relative change of the target per year).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

REFERENCE_YEAR = 2026
DEFAULT_END = "2026-10"

AXES = ("Finances", "Usagers / clients", "Processus internes", "Apprentissage et RH")

# Full-time equivalents per service: org-wide KPIs (headcount, expenses, respondents) scale with them.
SIZES = {
    "Admissions": 18,
    "Pédagogie": 85,
    "Relations entreprises": 14,
    "International": 12,
    "Finances": 16,
    "Ressources humaines": 11,
    "Communication": 9,
    "Systèmes d'information": 22,
    "Logistique": 30,
    "Qualité": 6,
    "Formation continue": 15,
}
SERVICES = tuple(SIZES)

# Head of service first: they own the org-wide KPIs; deputies own the service's own KPIs in turn.
OWNERS = {
    "Admissions": ("Claire Martin", "Julien Lefèvre", "Inès Bouchard"),
    "Pédagogie": ("Philippe Garnier", "Sophie Dubois", "Karim Benali"),
    "Relations entreprises": ("Nathalie Roux", "Thomas Girard"),
    "International": ("Émilie Fontaine", "Lucas Moreau"),
    "Finances": ("Bernard Lemoine", "Céline Petit"),
    "Ressources humaines": ("Isabelle Faure", "Mathieu Chevalier"),
    "Communication": ("Camille Rousseau", "Hugo Lambert"),
    "Systèmes d'information": ("Stéphane Mercier", "Aurélie Blanc", "Nicolas Perrin"),
    "Logistique": ("Jean-Marc Dupuis", "Sandrine Morel"),
    "Qualité": ("Hélène Marchand", "Yannick Robin"),
    "Formation continue": ("Valérie Bertin", "Rémi Caron"),
}

# Monthly profiles (January first), mean 1: targets are phased with them, so a seasonal peak is on target.
SEASONS = {
    "admissions": (1.3, 1.6, 1.8, 1.7, 1.3, 0.9, 0.5, 0.4, 0.6, 0.6, 0.6, 0.7),
    "mobility": (0.5, 1.6, 0.4, 0.3, 0.3, 0.4, 0.6, 1.0, 4.2, 1.4, 0.6, 0.7),
    "academic": (1.1, 1.15, 1.15, 1.05, 1.0, 0.7, 0.2, 0.15, 1.1, 1.2, 1.2, 1.0),
    "winter": (1.6, 1.5, 1.2, 0.9, 0.7, 0.55, 0.5, 0.5, 0.65, 0.9, 1.3, 1.7),
    "summer_low": (1.0, 1.05, 1.1, 1.05, 1.05, 1.0, 0.6, 0.45, 1.05, 1.15, 1.2, 1.3),
    "year_end": (0.9, 0.95, 1.0, 1.0, 1.0, 1.0, 0.8, 0.6, 1.0, 1.05, 1.1, 1.6),
    "apprenticeship_tax": (0.3, 0.4, 0.8, 1.5, 2.8, 2.5, 0.8, 0.3, 0.6, 0.7, 0.7, 0.6),
    "internships": (1.5, 1.6, 1.4, 1.1, 0.9, 0.8, 0.6, 0.5, 0.9, 1.0, 0.9, 0.8),
    "web": (1.25, 1.3, 1.3, 1.15, 1.0, 0.9, 0.6, 0.6, 1.0, 1.0, 0.95, 0.95),
}


@dataclass(frozen=True)
class Kpi:
    name: str
    unit: str
    direction: str  # lib.contract.DIRECTIONS
    agg_time: str  # lib.contract.AGG_TIME
    agg_services: str  # lib.contract.AGG_SERVICES
    tolerance: float  # percent of target
    axis: str
    description: str
    targets: dict[str, float]  # service -> REFERENCE_YEAR target (monthly mean for flows)
    yearly: float = 0.0  # relative change of the target per year (signed: -0.03 is 3 % lower each year)
    step: float = 0.0  # yearly targets are rounded to this step (0: to `decimals`)
    decimals: int = 1
    season: str | None = None
    respondents: dict[str, float] = field(default_factory=dict)  # wmean KPIs: mean respondents a month
    respondents_season: str | None = None  # surveys follow the activity (candidates answer in spring)
    score_weight: float = 1.0
    cap: float | None = None  # values never go above this (100 for most rates)


def _per_size(rate: float, digits: int = 1) -> dict[str, float]:
    return {s: round(rate * n, digits) for s, n in SIZES.items()}


def _all(value: float) -> dict[str, float]:
    return dict.fromkeys(SIZES, value)


FIN, USERS, PROC, HR = AXES

# A table reads best one KPI per block; the formatter would put every argument on its own line.
# fmt: off
KPIS: tuple[Kpi, ...] = (
    # --- Org-wide: every service reports these -----------------------------------------------------
    Kpi("Effectif", "ETP", "higher", "last", "sum", 5, HR,
        "Effectif présent en fin de mois, en équivalents temps plein.",
        {s: float(n) for s, n in SIZES.items()}, step=0.5),
    Kpi("Taux d'absentéisme", "%", "lower", "mean", "mean", 15, HR,
        "Part des jours d'absence (maladie, accident) dans les jours travaillés du mois.",
        {**_all(4.5), "Pédagogie": 5.0, "Logistique": 6.5, "Systèmes d'information": 4.0, "Qualité": 4.0},
        step=0.5, decimals=2),
    Kpi("Heures de formation par agent", "h", "higher", "mean", "mean", 15, HR,
        "Heures de formation suivies dans le mois, rapportées à l'effectif.",
        _all(2.0), step=0.1, decimals=2),
    Kpi("Satisfaction des collaborateurs", "/10", "higher", "wmean", "wmean", 5, HR,
        "Note moyenne du baromètre social mensuel, pondérée par le nombre de répondants.",
        {**_all(7.2), "Pédagogie": 7.0, "Logistique": 6.8, "Qualité": 7.5}, step=0.1, decimals=2,
        respondents=_per_size(0.6)),
    Kpi("Dépenses de fonctionnement", "k€", "lower", "sum", "sum", 5, FIN,
        "Dépenses de fonctionnement engagées dans le mois, hors masse salariale.",
        _per_size(1.2), yearly=0.015, season="year_end", score_weight=2),
    # --- Shared by several services ------------------------------------------------------------------
    Kpi("Délai de réponse aux demandes", "jours", "lower", "mean", "mean", 15, USERS,
        "Délai moyen entre la réception d'une demande d'usager et la première réponse utile.",
        {"Admissions": 3.0, "Pédagogie": 4.0, "Relations entreprises": 3.0, "International": 5.0,
         "Finances": 5.0, "Ressources humaines": 4.0, "Systèmes d'information": 2.0, "Logistique": 3.5,
         "Formation continue": 2.5}, step=0.5),
    Kpi("Réclamations reçues", "nb", "lower", "sum", "sum", 20, USERS,
        "Nombre de réclamations écrites reçues dans le mois.",
        {"Admissions": 25, "Pédagogie": 40, "International": 12, "Logistique": 30, "Formation continue": 15},
        yearly=-0.05, decimals=0),
    Kpi("Taux de satisfaction des usagers", "%", "higher", "wmean", "wmean", 5, USERS,
        "Part des usagers interrogés satisfaits ou très satisfaits du service rendu.",
        {"Pédagogie": 85, "International": 82, "Communication": 82, "Systèmes d'information": 80,
         "Logistique": 78, "Formation continue": 88}, yearly=0.012, step=0.5,
        respondents={"Pédagogie": 220, "International": 60, "Communication": 40,
                     "Systèmes d'information": 120, "Logistique": 90, "Formation continue": 70}, cap=100),
    # --- Admissions ----------------------------------------------------------------------------------
    Kpi("Candidatures reçues", "nb", "higher", "sum", "sum", 10, USERS,
        "Dossiers de candidature complets reçus dans le mois, tous programmes confondus.",
        {"Admissions": 1200}, yearly=0.07, decimals=0, season="admissions", score_weight=2),
    Kpi("Taux de transformation des admis", "%", "higher", "mean", "mean", 5, USERS,
        "Part des candidats admis qui confirment leur inscription.",
        {"Admissions": 62}, yearly=0.015, step=0.5, cap=100),
    Kpi("Délai de traitement des dossiers", "jours", "lower", "mean", "mean", 10, PROC,
        "Délai moyen entre la réception d'un dossier complet et la décision d'admission.",
        {"Admissions": 12}, yearly=-0.03, step=0.5),
    Kpi("Taux de satisfaction des candidats", "%", "higher", "wmean", "wmean", 6, USERS,
        "Part des candidats interrogés satisfaits du parcours d'admission.",
        {"Admissions": 80}, step=0.5, respondents={"Admissions": 70}, respondents_season="admissions",
        score_weight=2, cap=100),
    Kpi("Coût par candidature", "€", "lower", "mean", "mean", 10, FIN,
        "Dépenses de recrutement des candidats rapportées au nombre de candidatures reçues.",
        {"Admissions": 38}, step=0.5),
    # --- Pédagogie -----------------------------------------------------------------------------------
    Kpi("Heures de cours assurées", "h", "higher", "sum", "sum", 5, PROC,
        "Heures de cours effectivement dispensées dans le mois, toutes formations confondues.",
        {"Pédagogie": 9000}, decimals=0, season="academic", score_weight=2),
    Kpi("Taux de réussite aux examens", "%", "higher", "mean", "mean", 3, USERS,
        "Part des étudiants inscrits aux examens du mois qui les valident.",
        {"Pédagogie": 88}, step=0.5, score_weight=2, cap=100),
    Kpi("Coût par étudiant", "€", "lower", "mean", "mean", 5, FIN,
        "Coût complet mensuel de la formation rapporté au nombre d'étudiants inscrits.",
        {"Pédagogie": 1050}, yearly=0.015, step=5, decimals=0),
    Kpi("Taux d'assiduité", "%", "higher", "mean", "mean", 3, PROC,
        "Part des heures de présence dans les heures de cours prévues.",
        {"Pédagogie": 92}, step=0.5, cap=100),
    # --- Relations entreprises -------------------------------------------------------------------------
    Kpi("Recettes partenariats entreprises", "k€", "higher", "sum", "sum", 5, FIN,
        "Recettes des chaires, mécénats et partenariats encaissées dans le mois.",
        {"Relations entreprises": 200}, yearly=0.015, step=5, score_weight=2),
    Kpi("Taxe d'apprentissage collectée", "k€", "higher", "sum", "sum", 10, FIN,
        "Solde de la taxe d'apprentissage affecté à l'école et encaissé dans le mois.",
        {"Relations entreprises": 90}, yearly=0.02, step=5, season="apprenticeship_tax"),
    Kpi("Offres de stage publiées", "nb", "higher", "sum", "sum", 10, USERS,
        "Offres de stage et d'alternance publiées par les entreprises sur la plateforme.",
        {"Relations entreprises": 320}, decimals=0, season="internships"),
    Kpi("Taux d'insertion à 6 mois", "%", "higher", "wmean", "wmean", 3, USERS,
        "Part des diplômés en emploi six mois après leur sortie, pondérée par le nombre de répondants.",
        {"Relations entreprises": 87}, step=0.5, respondents={"Relations entreprises": 45}, score_weight=2,
        cap=100),
    Kpi("Satisfaction des entreprises partenaires", "/10", "higher", "wmean", "wmean", 5, USERS,
        "Note moyenne donnée par les entreprises partenaires interrogées dans le mois.",
        {"Relations entreprises": 7.8}, step=0.1, decimals=2, respondents={"Relations entreprises": 25}),
    # --- International -------------------------------------------------------------------------------
    Kpi("Étudiants en mobilité sortante", "nb", "higher", "sum", "sum", 10, USERS,
        "Étudiants partis dans le mois en semestre d'échange ou en double diplôme à l'étranger.",
        {"International": 60}, yearly=0.03, decimals=0, season="mobility", score_weight=2),
    Kpi("Étudiants internationaux accueillis", "nb", "higher", "sum", "sum", 10, USERS,
        "Étudiants étrangers arrivés dans le mois au titre d'un échange ou d'une inscription.",
        {"International": 45}, yearly=0.03, decimals=0, season="mobility"),
    Kpi("Accords de partenariat actifs", "nb", "higher", "last", "sum", 5, PROC,
        "Accords d'échange en vigueur avec des établissements étrangers en fin de mois.",
        {"International": 140}, yearly=0.015, decimals=0),
    # --- Finances ------------------------------------------------------------------------------------
    Kpi("Délai de paiement fournisseurs", "jours", "lower", "mean", "mean", 10, PROC,
        "Délai moyen entre la réception d'une facture et son paiement (plafond légal : 30 jours).",
        {"Finances": 30}, score_weight=2),
    Kpi("Taux de recouvrement des créances", "%", "higher", "mean", "mean", 3, FIN,
        "Part des créances échues encaissées dans le mois.",
        {"Finances": 95}, step=0.5, cap=100),
    Kpi("Délai de clôture mensuelle", "jours", "lower", "mean", "mean", 10, PROC,
        "Jours ouvrés nécessaires pour clore les comptes du mois.",
        {"Finances": 8}, yearly=-0.07, step=0.1),
    Kpi("Factures traitées", "nb", "higher", "sum", "sum", 10, PROC,
        "Factures fournisseurs saisies, validées et mises en paiement dans le mois.",
        {"Finances": 1800}, decimals=0, season="summer_low"),
    # --- Ressources humaines ---------------------------------------------------------------------------
    Kpi("Délai de recrutement", "jours", "lower", "mean", "mean", 10, HR,
        "Délai moyen entre l'ouverture d'un poste et l'acceptation de l'offre par le candidat retenu.",
        {"Ressources humaines": 45}),
    Kpi("Postes vacants", "nb", "lower", "last", "sum", 20, HR,
        "Postes budgétés et non pourvus en fin de mois, tous services confondus.",
        {"Ressources humaines": 8}, decimals=0),
    Kpi("Taux de rotation du personnel", "%", "lower", "mean", "mean", 10, HR,
        "Départs du mois rapportés à l'effectif moyen.",
        {"Ressources humaines": 1.0}, step=0.05, decimals=2),
    Kpi("Entretiens professionnels réalisés", "%", "higher", "mean", "mean", 5, HR,
        "Part des entretiens professionnels réalisés parmi ceux dus à date.",
        {"Ressources humaines": 90}, step=0.5, cap=100),
    # --- Communication -------------------------------------------------------------------------------
    Kpi("Visites du site web", "nb", "higher", "sum", "sum", 10, USERS,
        "Visites du site institutionnel dans le mois (hors robots).",
        {"Communication": 85000}, yearly=0.03, step=1000, decimals=0, season="web"),
    Kpi("Abonnés réseaux sociaux", "nb", "higher", "last", "sum", 10, USERS,
        "Abonnés cumulés des comptes institutionnels en fin de mois.",
        {"Communication": 42000}, yearly=0.07, step=500, decimals=0),
    Kpi("Retombées presse", "nb", "higher", "sum", "sum", 15, USERS,
        "Articles et reportages citant l'école publiés dans le mois.",
        {"Communication": 35}, decimals=0),
    Kpi("Taux d'ouverture des newsletters", "%", "higher", "mean", "mean", 10, USERS,
        "Part des destinataires qui ouvrent les lettres d'information du mois.",
        {"Communication": 32}, step=0.5, cap=100),
    # --- Systèmes d'information -------------------------------------------------------------------------
    Kpi("Taux de disponibilité du SI", "%", "higher", "mean", "mean", 0.5, PROC,
        "Part du temps où les applications critiques sont accessibles, hors maintenance planifiée.",
        {"Systèmes d'information": 99.5}, decimals=2, score_weight=2, cap=100),
    Kpi("Incidents informatiques", "nb", "lower", "sum", "sum", 20, PROC,
        "Incidents de sévérité 1 ou 2 ouverts dans le mois.",
        {"Systèmes d'information": 45}, yearly=-0.05, decimals=0),
    Kpi("Tickets résolus en moins de 48 h", "%", "higher", "mean", "mean", 5, PROC,
        "Part des demandes d'assistance résolues en moins de 48 heures ouvrées.",
        {"Systèmes d'information": 85}, yearly=0.035, step=0.5, cap=100),
    Kpi("Coût informatique par utilisateur", "€", "lower", "mean", "mean", 5, FIN,
        "Dépenses informatiques du mois rapportées au nombre d'utilisateurs actifs.",
        {"Systèmes d'information": 42}, step=0.5),
    # --- Logistique ----------------------------------------------------------------------------------
    Kpi("Coût énergétique", "k€", "lower", "sum", "sum", 10, FIN,
        "Dépenses d'électricité, de gaz et de chauffage urbain facturées pour le mois.",
        {"Logistique": 95}, yearly=-0.03, season="winter"),
    Kpi("Taux d'occupation des salles", "%", "higher", "mean", "mean", 5, PROC,
        "Part des créneaux de salles réservés et occupés sur les créneaux ouvrables.",
        {"Logistique": 72}, step=0.5, cap=100),
    Kpi("Interventions de maintenance en retard", "nb", "lower", "sum", "sum", 20, PROC,
        "Demandes d'intervention non traitées dans le délai contractuel.",
        {"Logistique": 18}, decimals=0),
    # --- Qualité -------------------------------------------------------------------------------------
    Kpi("Taux de conformité des audits", "%", "higher", "mean", "mean", 3, PROC,
        "Part des points de contrôle jugés conformes lors des audits du mois.",
        {"Qualité": 92}, step=0.5, cap=100),
    Kpi("Actions correctives closes dans les délais", "%", "higher", "mean", "mean", 5, PROC,
        "Part des actions correctives arrivées à échéance et closes à temps.",
        {"Qualité": 85}, step=0.5, cap=100),
    Kpi("Audits et contrôles réalisés", "nb", "higher", "sum", "sum", 15, PROC,
        "Audits internes et contrôles qualité menés dans le mois.",
        {"Qualité": 14}, decimals=0),
    Kpi("Délai de traitement des réclamations", "jours", "lower", "mean", "mean", 10, USERS,
        "Délai moyen entre la réception d'une réclamation et sa clôture.",
        {"Qualité": 10}, yearly=-0.03, step=0.5),
    Kpi("Non-conformités ouvertes", "nb", "lower", "last", "sum", 15, PROC,
        "Non-conformités relevées et non encore levées en fin de mois.",
        {"Qualité": 25}, decimals=0),
    # --- Formation continue -----------------------------------------------------------------------------
    Kpi("Chiffre d'affaires formation continue", "k€", "higher", "sum", "sum", 8, FIN,
        "Chiffre d'affaires facturé au titre des formations courtes et certifiantes.",
        {"Formation continue": 160}, yearly=0.02, step=5, season="summer_low", score_weight=2),
    Kpi("Stagiaires formés", "nb", "higher", "sum", "sum", 10, USERS,
        "Stagiaires ayant achevé une session de formation continue dans le mois.",
        {"Formation continue": 420}, yearly=0.03, decimals=0, season="summer_low"),
    Kpi("Taux de remplissage des sessions", "%", "higher", "mean", "mean", 5, PROC,
        "Places occupées rapportées aux places ouvertes dans les sessions du mois.",
        {"Formation continue": 78}, step=0.5, cap=100),
)
# fmt: on
KPI_BY_NAME = {k.name: k for k in KPIS}

# How each service stands against its targets, outside the planted stories: every series not listed is
# "ahead" (a little on the good side). "tight": just on target; "under": steadily a little under it,
# within tolerance; "edge": hovering at the tolerance edge; "catch_up": the target is raised each
# January and the team reaches it by July. The structural gaps (steadily off target) are stories.
# International (every series ahead) is the strongest, Logistique struggles (numbers in series.STANDINGS).
STANDING_OF: dict[str, dict[str, str]] = {
    "Admissions": {
        "Candidatures reçues": "catch_up",
        "Délai de traitement des dossiers": "tight",
        "Réclamations reçues": "edge",
        "Heures de formation par agent": "edge",
    },
    "Pédagogie": {
        "Taux d'absentéisme": "edge",
        "Délai de réponse aux demandes": "edge",
        "Taux de réussite aux examens": "tight",
        "Réclamations reçues": "tight",
        "Coût par étudiant": "under",
    },
    "Relations entreprises": {
        "Taxe d'apprentissage collectée": "edge",
        "Délai de réponse aux demandes": "edge",
        "Taux d'insertion à 6 mois": "tight",
        "Offres de stage publiées": "under",
    },
    "Finances": {
        "Délai de clôture mensuelle": "catch_up",
        "Taux de recouvrement des créances": "edge",
        "Factures traitées": "tight",
    },
    "Ressources humaines": {
        "Taux de rotation du personnel": "edge",
        "Entretiens professionnels réalisés": "edge",
        "Délai de réponse aux demandes": "tight",
        "Satisfaction des collaborateurs": "under",
    },
    "Communication": {
        "Abonnés réseaux sociaux": "catch_up",
        "Retombées presse": "edge",
        "Satisfaction des collaborateurs": "edge",
        "Taux de satisfaction des usagers": "tight",
    },
    "Systèmes d'information": {
        "Tickets résolus en moins de 48 h": "catch_up",
        "Taux de disponibilité du SI": "tight",
        "Délai de réponse aux demandes": "under",
    },
    "Logistique": {
        "Délai de réponse aux demandes": "edge",
        "Réclamations reçues": "edge",
        "Taux de satisfaction des usagers": "edge",
        "Satisfaction des collaborateurs": "edge",
        "Taux d'occupation des salles": "tight",
        "Dépenses de fonctionnement": "under",
    },
    "Qualité": {"Délai de traitement des réclamations": "tight", "Non-conformités ouvertes": "under"},
    "Formation continue": {
        "Taux de remplissage des sessions": "tight",
        "Stagiaires formés": "tight",
        "Délai de réponse aux demandes": "tight",
    },
}
_ORG_WIDE = {k.name for k in KPIS[:5]}


def series_keys() -> list[tuple[str, Kpi]]:
    """Every (service, KPI) the organisation reports, services in SIZES order, KPIs in catalog order."""
    return [(s, k) for s in SERVICES for k in KPIS if s in k.targets]


def owner(service: str, kpi: Kpi) -> str:
    """The head owns org-wide KPIs; deputies take the service's other KPIs in turn."""
    names = OWNERS[service]
    if kpi.name in _ORG_WIDE or len(names) == 1:
        return names[0]
    own = [k.name for s, k in series_keys() if s == service and k.name not in _ORG_WIDE]
    return names[1 + own.index(kpi.name) % (len(names) - 1)]


def parse_end(end: date | str) -> date:
    """'2026-10', '2026-10-31' or a date -> the first day of that month."""
    if isinstance(end, date):
        return date(end.year, end.month, 1)
    text = str(end).strip()
    try:
        year, month = (int(part) for part in text.split("-")[:2])
        return date(year, month, 1)
    except ValueError as exc:
        raise ValueError(f"end must look like YYYY-MM (e.g. 2026-10), got {end!r}") from exc
