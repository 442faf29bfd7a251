"""Downloadable templates of the extract contract (CSV and XLSX), in the user's language."""

from __future__ import annotations

import io

import polars as pl

# Header names per language: what a French analyst's export would say. Both are recognised on upload.
_HEADERS = {
    "fr": {
        "period": "Période",
        "service": "Service",
        "kpi": "Indicateur",
        "actual": "Réalisé",
        "target": "Objectif",
        "unit": "Unité",
        "direction": "Sens",
        "axis": "Axe",
        "owner": "Responsable",
        "weight": "Poids",
    },
    "en": {
        c: c
        for c in (
            "period",
            "service",
            "kpi",
            "actual",
            "target",
            "unit",
            "direction",
            "axis",
            "owner",
            "weight",
        )
    },
}
_ROWS = [
    # period, service, kpi, actual, target, unit, direction, axis, owner, weight
    (
        "2026-01-01",
        "Admissions",
        "Taux de satisfaction",
        86.5,
        85.0,
        "%",
        "higher",
        "Usagers / clients",
        "Claire Martin",
        412,
    ),
    (
        "2026-01-01",
        "Admissions",
        "Délai de réponse",
        4.2,
        5.0,
        "jours",
        "lower",
        "Processus internes",
        "Claire Martin",
        None,
    ),
    (
        "2026-01-01",
        "Finances",
        "Chiffre d'affaires",
        1250300.0,
        1200000.0,
        "€",
        "higher",
        "Finances",
        "Paul Durand",
        None,
    ),
    (
        "2026-02-01",
        "Admissions",
        "Taux de satisfaction",
        84.1,
        85.0,
        "%",
        "higher",
        "Usagers / clients",
        "Claire Martin",
        388,
    ),
    (
        "2026-02-01",
        "Admissions",
        "Délai de réponse",
        5.6,
        5.0,
        "jours",
        "lower",
        "Processus internes",
        "Claire Martin",
        None,
    ),
    (
        "2026-02-01",
        "Finances",
        "Chiffre d'affaires",
        1198000.0,
        1200000.0,
        "€",
        "higher",
        "Finances",
        "Paul Durand",
        None,
    ),
]
_DIRECTION_WORDS = {"fr": {"higher": "hausse", "lower": "baisse"}}
_CATALOG_HEADERS = {
    "fr": [
        "Indicateur",
        "Unité",
        "Sens",
        "Agrégation temps",
        "Agrégation services",
        "Tolérance (%)",
        "Axe",
        "Description",
    ],
    "en": ["kpi", "unit", "direction", "agg_time", "agg_services", "tolerance", "axis", "description"],
}
_DESCRIPTIONS = {
    "fr": [
        "Part des répondants satisfaits, pondérée par le nombre de répondants",
        "Nombre moyen de jours entre une demande et sa réponse",
        "Chiffre d'affaires facturé sur la période",
    ],
}
_CATALOG = [
    # kpi, unit, direction, agg_time, agg_services, tolerance, axis, description
    (
        "Taux de satisfaction",
        "%",
        "higher",
        "wmean",
        "wmean",
        3.0,
        "Usagers / clients",
        "Share of satisfied respondents, weighted by the number of respondents",
    ),
    (
        "Délai de réponse",
        "jours",
        "lower",
        "mean",
        "mean",
        10.0,
        "Processus internes",
        "Average days between a request and its answer",
    ),
    ("Chiffre d'affaires", "€", "higher", "sum", "sum", 5.0, "Finances", "Revenue invoiced in the period"),
]


def template_frames(lang: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(extract, catalog) examples with headers in `lang`."""
    lang = lang if lang in _HEADERS else "en"
    words = _DIRECTION_WORDS.get(lang, {})
    rows = [(*r[:6], words.get(r[6], r[6]), *r[7:]) for r in _ROWS]
    extract = pl.DataFrame(rows, schema=list(_HEADERS[lang].values()), orient="row")
    descriptions = _DESCRIPTIONS.get(lang, [c[-1] for c in _CATALOG])
    catalog_rows = [
        (c[0], c[1], words.get(c[2], c[2]), *c[3:7], d) for c, d in zip(_CATALOG, descriptions, strict=True)
    ]
    catalog = pl.DataFrame(catalog_rows, schema=_CATALOG_HEADERS[lang], orient="row")
    return extract, catalog


def template_csv(lang: str) -> bytes:
    """French: `;`, decimal comma, dd/mm/yyyy, as Excel writes it in France. English: plain CSV."""
    extract, _ = template_frames(lang)
    if lang != "fr":
        return extract.write_csv().encode()
    period = extract.columns[0]
    extract = extract.with_columns(pl.col(period).str.to_date("%Y-%m-%d").dt.strftime("%d/%m/%Y"))
    return extract.write_csv(separator=";", decimal_comma=True).encode("utf-8-sig")


def template_xlsx(lang: str) -> bytes:
    """Two sheets: the extract (first, so it is read by default) and its KPI catalog."""
    import xlsxwriter  # only needed here

    extract, catalog = template_frames(lang)
    buf = io.BytesIO()
    with xlsxwriter.Workbook(buf) as wb:
        extract.with_columns(pl.col(extract.columns[0]).str.to_date("%Y-%m-%d")).write_excel(
            wb,
            worksheet="extract" if lang != "fr" else "extrait",
            dtype_formats={pl.Date: "dd/mm/yyyy"},
            autofit=True,
        )
        catalog.write_excel(wb, worksheet="catalog" if lang != "fr" else "catalogue", autofit=True)
    return buf.getvalue()
