"""The KPI extract contract: canonical columns, header synonyms, catalog values and rejection codes.

Everything that reads or writes extracts refers to the names here; the README documents them and
`tests/test_contract.py` checks the two agree.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# --- Columns --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    synonyms: tuple[str, ...]
    per_kpi: bool = False  # a catalog attribute: one value per KPI, whether given in the extract or a catalog


# Synonyms are compared after `normalise_header` (lower case, no accents, single underscores).
COLUMNS: tuple[Column, ...] = (
    Column("period", True, ("periode", "mois", "date", "month", "period_start", "annee_mois", "jour", "day")),
    Column("service", True, ("departement", "department", "entite", "team", "equipe", "pole")),
    Column(
        "kpi", True, ("indicateur", "indicator", "kpi_name", "nom_indicateur", "mesure", "measure", "metric")
    ),
    Column(
        "actual", True, ("realise", "valeur", "value", "reel", "actuals", "resultat", "result", "montant")
    ),
    Column("target", False, ("objectif", "cible", "target_value", "goal", "budget", "prevu")),
    Column(
        "weight", False, ("poids", "ponderation", "effectif_repondants", "repondants", "respondents", "n")
    ),
    Column("owner", False, ("responsable", "pilote", "proprietaire", "referent", "owner_name")),
    Column("unit", False, ("unite", "unite_de_mesure", "unit_of_measure", "units", "unites"), per_kpi=True),
    Column("direction", False, ("sens", "polarite", "polarity", "better", "sens_favorable"), per_kpi=True),
    Column("axis", False, ("axe", "axe_strategique", "strategic_axis", "perspective", "theme"), per_kpi=True),
    Column(
        "agg_time", False, ("agregation_temps", "aggregation_time", "time_aggregation", "cumul"), per_kpi=True
    ),
    Column(
        "agg_services",
        False,
        ("agregation_services", "aggregation_services", "service_aggregation", "consolidation"),
        per_kpi=True,
    ),
    Column(
        "tolerance", False, ("seuil_vigilance", "tolerance_pct", "marge", "watch_tolerance"), per_kpi=True
    ),
    Column("description", False, ("definition", "libelle", "commentaire_indicateur"), per_kpi=True),
    Column(
        "score_weight", False, ("poids_score", "importance", "weight_in_score", "coefficient"), per_kpi=True
    ),
)
COLUMN_BY_NAME = {c.name: c for c in COLUMNS}
REQUIRED = tuple(c.name for c in COLUMNS if c.required)
CATALOG_COLUMNS = ("kpi",) + tuple(c.name for c in COLUMNS if c.per_kpi)

# Schema of the normalised extract held in memory and saved as Parquet (catalog attributes live apart).
# service, kpi and owner are Categorical in memory and on disk.
DATA_COLUMNS = ("period", "service", "kpi", "actual", "target", "weight", "owner")


def normalise_header(text: str) -> str:
    """Lower case, no accents, non-alphanumeric runs as one underscore: 'Réalisé (€)' -> 'realise'."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    text = re.sub(r"\(.*?\)", " ", text.lower())  # "Réalisé (€)" and "Objectif (en %)" keep their name
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


_HEADER_INDEX: dict[str, str] = {}
for _col in COLUMNS:
    for _name in (_col.name, *_col.synonyms):
        _HEADER_INDEX[normalise_header(_name)] = _col.name


# "Direction" is a department in French exports and "higher/lower is better" in English ones. Such a
# header is the service column unless another column already is, or its values are direction words
# (`parse_direction` recognises them); the reader decides with the data in hand.
AMBIGUOUS_HEADERS = {"direction": ("service", "direction")}


def canonical_column(header: str) -> str | None:
    """The canonical column a source header stands for, or None when it is not recognised.

    For an ambiguous header (see AMBIGUOUS_HEADERS) this gives the first reading; the reader settles it.
    """
    key = normalise_header(header)
    if key in AMBIGUOUS_HEADERS:
        return AMBIGUOUS_HEADERS[key][0]
    return _HEADER_INDEX.get(key)


# --- Catalog values -------------------------------------------------------------------------------

DIRECTIONS = ("higher", "lower")
DIRECTION_SYNONYMS = {
    "higher": (
        "higher",
        "high",
        "up",
        "+",
        "max",
        "hausse",
        "haut",
        "plus",
        "croissant",
        "higher_is_better",
        "plus_c_est_mieux",
        "positif",
        "1",
    ),
    "lower": (
        "lower",
        "low",
        "down",
        "-",
        "min",
        "baisse",
        "bas",
        "moins",
        "decroissant",
        "lower_is_better",
        "moins_c_est_mieux",
        "negatif",
        "-1",
    ),
}
# Over time: a flow sums, a stock takes the last value, a rate takes the (weighted) mean.
AGG_TIME = ("sum", "mean", "wmean", "last", "first", "min", "max")
# Across services: the same except first/last, which have no meaning across services.
AGG_SERVICES = ("sum", "mean", "wmean", "min", "max")
AGG_SYNONYMS = {
    "sum": ("sum", "somme", "total", "cumul", "additif"),
    "mean": ("mean", "moyenne", "avg", "average"),
    "wmean": ("wmean", "weighted_mean", "moyenne_ponderee", "weighted_average"),
    "last": ("last", "dernier", "derniere", "derniere_valeur", "stock", "fin_de_periode", "end_of_period"),
    "first": ("first", "premier", "premiere", "debut_de_periode"),
    "min": ("min", "minimum"),
    "max": ("max", "maximum"),
}
DEFAULT_TOLERANCE_PCT = 5.0


def _lookup(synonyms: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {normalise_header(s) or s: key for key, values in synonyms.items() for s in values}


_DIRECTION_INDEX = _lookup(DIRECTION_SYNONYMS)
_AGG_INDEX = _lookup(AGG_SYNONYMS)


def parse_direction(value: str | None) -> str | None:
    """'Hausse', 'lower is better', '-' ... -> 'higher' / 'lower'; None when not recognised."""
    if value is None:
        return None
    text = str(value).strip()
    return _DIRECTION_INDEX.get(normalise_header(text) or text)


def parse_aggregation(value: str | None) -> str | None:
    """'Somme', 'dernière valeur', 'wmean' ... -> a code of AGG_TIME; None when not recognised."""
    if value is None:
        return None
    return _AGG_INDEX.get(normalise_header(str(value)))


# Units decide the default aggregation when the catalog is silent (with a visible warning).
_RATE_UNITS = {
    "%",
    "pct",
    "pourcent",
    "percent",
    "pts",
    "pt",
    "points",
    "note",
    "score",
    "ratio",
    "/5",
    "/10",
    "/20",
    "/100",
    "taux",
    "rate",
    "jours",
    "days",
    "j",
    "h",
    "heures",
    "hours",
    "min",
    "minutes",
}
_STOCK_UNITS = {"etp", "fte", "effectif", "headcount", "postes", "stock", "agents", "salaries"}


def default_aggregation(unit: str | None, has_weight: bool) -> tuple[str, str]:
    """(agg_time, agg_services) a KPI gets when the catalog does not say: rates average, stocks take
    the last value over time, everything else (amounts, counts) sums."""
    key = (unit or "").strip().lower()
    plain = normalise_header(key)
    if key in _RATE_UNITS or plain in _RATE_UNITS or key.startswith("/"):
        mean = "wmean" if has_weight else "mean"
        return mean, mean
    if plain in _STOCK_UNITS:
        return "last", "sum"
    if not key:
        # No unit at all: averaging is the harmless choice (summing a rate would be badly wrong).
        return "mean", "mean"
    return "sum", "sum"


# --- Periods --------------------------------------------------------------------------------------

GRAINS = ("day", "week", "month", "quarter", "year")  # finest first

# --- Rejection and warning codes (stable identifiers, listed in the README) -----------------------

REJECTION_CODES = (
    "field_count",  # the line has more or fewer fields than the header
    "bad_date",  # the period is not a date Vigie understands
    "empty_period",
    "empty_service",
    "empty_kpi",
    "not_a_number",  # actual, target or weight is not a number
    "no_value",  # neither actual nor target
    "negative_weight",
    "duplicate_key",  # several rows for one (period, service, KPI)
    "off_grain",  # a period coarser than the extract's grain (a quarter in a monthly file)
)

# Schema of the KPI catalog once resolved (one row per KPI, every attribute filled, defaults applied).
CATALOG_SCHEMA = {
    "kpi": "String",
    "unit": "String",  # "" when unknown
    "direction": "String",  # "higher" | "lower"
    "agg_time": "String",  # one of AGG_TIME
    "agg_services": "String",  # one of AGG_SERVICES
    "tolerance": "Float64",  # percent of target for the "watch" status
    "axis": "String",  # null when unknown
    "description": "String",  # null when unknown
    "score_weight": "Float64",  # weight of the KPI in a service's score, default 1
}
