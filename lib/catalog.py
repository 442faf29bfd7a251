"""The KPI catalog: unit, direction, aggregation rules, tolerance and weight of every KPI.

Sources, strongest first: a separate catalog file, the catalog columns of the extract (the most
frequent value per KPI), then defaults (lib.contract) with a visible warning saying which KPIs got
which defaults. Bad values are warnings naming the KPI and the value, never row rejections.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from pathlib import Path

import polars as pl

from lib.config import Settings
from lib.contract import (
    AGG_TIME,
    CATALOG_SCHEMA,
    DEFAULT_TOLERANCE_PCT,
    default_aggregation,
    normalise_header,
    parse_aggregation,
    parse_direction,
)
from lib.ingest.report import Notice

ATTRIBUTES = tuple(CATALOG_SCHEMA)[1:]  # every attribute of a KPI, in the catalog's column order
DEFAULTED = ("direction", "agg_time", "agg_services", "tolerance", "score_weight")  # named in the warning
DEFAULT_DIRECTION = "higher"
DEFAULT_SCORE_WEIGHT = 1.0
LISTED = 20  # KPI names listed in one warning; the rest are counted


def _names(values: Sequence[str]) -> str:
    shown = ", ".join(values[:LISTED])
    return shown if len(values) <= LISTED else f"{shown} … (+{len(values) - LISTED})"


def parse_percent(value: str | None) -> float | None:
    """'5', '5 %', '5,0', '0.5%' -> a non-negative float; None when it is not one."""
    if value is None:
        return None
    text = re.sub(r"[\s\u00a0\u202f]", "", str(value)).removesuffix("%").replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number >= 0 and number == number and number != float("inf") else None


def _parse(attribute: str, raw: str) -> object | None:
    """A catalog value in its resolved form, None when not recognised."""
    if attribute == "direction":
        return parse_direction(raw)
    if attribute == "agg_time":
        code = parse_aggregation(raw)
        return code if code in AGG_TIME else None
    if attribute == "agg_services":
        return parse_aggregation(raw)  # first/last are refused later, with their own warning
    if attribute in ("tolerance", "score_weight"):
        return parse_percent(raw)
    return raw


def _extract_counts(extract: pl.DataFrame | None) -> dict[str, dict[str, Counter]]:
    """attribute -> kpi -> Counter of raw values (how many rows give each)."""
    out: dict[str, dict[str, Counter]] = {}
    if extract is None or "kpi" not in extract.columns:
        return out
    weight = pl.col("__n").sum() if "__n" in extract.columns else pl.len()
    attrs = [a for a in ATTRIBUTES if a in extract.columns]
    lazy = extract.lazy().with_columns(
        pl.col(a).cast(pl.String).str.strip_chars().replace("", None) for a in attrs
    )
    frames = pl.collect_all(
        [lazy.filter(pl.col(a).is_not_null()).group_by("kpi", a).agg(weight.alias("n")) for a in attrs]
    )
    for a, frame in zip(attrs, frames, strict=True):
        per_kpi: dict[str, Counter] = defaultdict(Counter)
        for kpi, value, n in frame.iter_rows():
            if kpi is not None:
                per_kpi[str(kpi)][value] += n
        out[a] = per_kpi
    return out


def _separate_values(separate: pl.DataFrame | None) -> dict[str, dict[str, Counter]]:
    """The same shape from a catalog file (one row per KPI normally; repeated rows are counted)."""
    out: dict[str, dict[str, Counter]] = {}
    if separate is None or "kpi" not in separate.columns:
        return out
    for a in ATTRIBUTES:
        if a not in separate.columns:
            continue
        per_kpi: dict[str, Counter] = defaultdict(Counter)
        for kpi, value in separate.select("kpi", pl.col(a).cast(pl.String)).iter_rows():
            if kpi is not None and value is not None and str(value).strip():
                per_kpi[str(kpi).strip()][str(value).strip()] += 1
        out[a] = per_kpi
    return out


def _choose(attribute: str, kpi: str, counts: Counter, notices: list[Notice]) -> object | None:
    """The most frequent recognised value; warns on unrecognised and conflicting values."""
    parsed: Counter = Counter()
    for raw, n in counts.items():
        value = _parse(attribute, raw)
        if value is None:
            notices.append(
                Notice(
                    "catalog_bad_value",
                    {
                        "kpi": kpi,
                        "attribute": attribute,
                        "value": raw,
                    },
                )
            )
        else:
            parsed[value] += n
    if not parsed:
        return None
    ranked = sorted(parsed.items(), key=lambda item: (-item[1], str(item[0])))
    if len(ranked) > 1:
        values = ", ".join(f"{v} ({n})" for v, n in ranked)
        notices.append(
            Notice(
                "catalog_conflict",
                {
                    "kpi": kpi,
                    "attribute": attribute,
                    "values": values,
                    "kept": ranked[0][0],
                },
            )
        )
    return ranked[0][0]


def build_catalog(
    extract: pl.DataFrame | None,
    separate: pl.DataFrame | None,
    kpis: Sequence[str],
    has_weight: bool | Collection[str] = False,
) -> tuple[pl.DataFrame, list[Notice]]:
    """One row per KPI of `kpis` (schema lib.contract.CATALOG_SCHEMA, every rule filled) and notices.

    `extract`: the extract's catalog columns (kpi + any of ATTRIBUTES, optionally a `__n` row count);
    `separate`: a catalog file read by `read_catalog`; `has_weight`: whether rows carry a weight
    (True/False, or the KPIs that do), which makes rates default to a weighted mean.
    """
    notices: list[Notice] = []
    from_file = _separate_values(separate)
    from_extract = _extract_counts(extract)
    kpis = sorted({str(k) for k in kpis})
    weighted = (lambda k: has_weight) if isinstance(has_weight, bool) else (lambda k: k in has_weight)

    if separate is not None and "kpi" in separate.columns:
        listed = {
            str(k).strip() for k in separate["kpi"].drop_nulls().cast(pl.String).to_list() if str(k).strip()
        }
        unused = sorted(listed - set(kpis))
        absent = [k for k in kpis if k not in listed]
        if unused:
            notices.append(Notice("catalog_unused", {"count": len(unused), "kpis": _names(unused)}))
        if absent:
            notices.append(Notice("catalog_missing_kpis", {"count": len(absent), "kpis": _names(absent)}))

    rows = []
    defaulted: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for kpi in kpis:
        resolved: dict[str, object | None] = {}
        for a in ATTRIBUTES:
            value = None
            for source in (from_file, from_extract):
                counts = source.get(a, {}).get(kpi)
                if counts:
                    value = _choose(a, kpi, counts, notices)
                    if value is not None:
                        break
            resolved[a] = value
        unit = resolved["unit"] or ""
        agg_time_default, agg_services_default = default_aggregation(str(unit), weighted(kpi))
        if resolved["agg_services"] in ("first", "last"):
            notices.append(
                Notice(
                    "catalog_agg_services",
                    {"kpi": kpi, "value": resolved["agg_services"], "fallback": agg_services_default},
                )
            )
            resolved["agg_services"] = None
        missing = tuple(a for a in DEFAULTED if resolved[a] is None)
        if missing:
            defaulted[missing].append(kpi)
        rows.append(
            {
                "kpi": kpi,
                "unit": str(unit),
                "direction": resolved["direction"] or DEFAULT_DIRECTION,
                "agg_time": resolved["agg_time"] or agg_time_default,
                "agg_services": resolved["agg_services"] or agg_services_default,
                "tolerance": DEFAULT_TOLERANCE_PCT
                if resolved["tolerance"] is None
                else resolved["tolerance"],
                "axis": resolved["axis"],
                "description": resolved["description"],
                "score_weight": DEFAULT_SCORE_WEIGHT
                if resolved["score_weight"] is None
                else resolved["score_weight"],
            }
        )
    for missing, names in defaulted.items():
        notices.append(
            Notice(
                "catalog_defaults",
                {
                    "count": len(names),
                    "kpis": _names(names),
                    "attributes": ", ".join(missing),
                },
            )
        )
    schema = {name: getattr(pl, dtype) for name, dtype in CATALOG_SCHEMA.items()}
    return pl.DataFrame(rows, schema=schema, orient="row"), notices


def catalog_frame(headers: Sequence[str], frame: pl.DataFrame) -> pl.DataFrame | None:
    """Catalog columns of a table read from a file (columns c0.. named by `headers`), None without kpi."""
    from lib.contract import canonical_column

    chosen: dict[str, str] = {}
    for i, header in enumerate(headers):
        target = canonical_column(header)
        if normalise_header(header) == "direction":
            target = "direction"  # a catalog has no service column: "Direction" is the polarity
        if target in ("kpi", *ATTRIBUTES) and target not in chosen:
            chosen[target] = f"c{i}"
    if "kpi" not in chosen:
        return None
    out = frame.select(pl.col(c).cast(pl.String).str.strip_chars().alias(name) for name, c in chosen.items())
    return out.filter(pl.col("kpi").is_not_null() & (pl.col("kpi") != ""))


def read_catalog(
    source: Path | bytes, name: str | None = None, *, settings: Settings | None = None
) -> tuple[pl.DataFrame | None, list[Notice]]:
    """Read a catalog file (CSV, XLSX or Parquet, same tolerant reader as extracts).

    Returns (frame with kpi + the catalog columns found, as strings; notices). A file that cannot be
    read or has no kpi column gives (None, [catalog_unreadable]): the load goes on with defaults.
    """
    from lib.ingest.sources import read_bytes, read_xlsx, sniff
    from lib.ingest.table import ReadError

    settings = settings or Settings()
    label = name or (Path(source).name if not isinstance(source, (bytes, bytearray)) else "catalog")
    try:
        data = bytes(source) if isinstance(source, (bytes, bytearray)) else Path(source).read_bytes()
        if data and sniff(data, label) == "xlsx":
            table = read_xlsx(data, label, sheet=None, settings=settings, want="catalog")
        else:
            table = read_bytes(data, label, sheet=None, settings=settings)
    except (ReadError, OSError):
        return None, [Notice("catalog_unreadable", {"file": label})]
    frame = catalog_frame(table.headers, table.frame)
    if frame is None:
        return None, [Notice("catalog_unreadable", {"file": label})]
    return frame, []
