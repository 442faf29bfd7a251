"""Shared plumbing of the chart builders: input checks, status labels, tooltip text expressions."""

from __future__ import annotations

import json
import string
import unicodedata
from collections.abc import Iterable, Sequence

import polars as pl

from lib.charts.locale import EXACT, SIGNED_PERCENT, lang_or_default
from lib.i18n import catalog, t
from lib.model import STATUSES

MAX_ROWS = 5000


def check_frame(
    frame: pl.DataFrame, chart: str, required: Iterable[str], *, hint: str = "group by the chart's keys"
) -> None:
    """Raise ValueError, saying how to fix it, when `frame` is not a small DataFrame with `required`."""
    if isinstance(frame, pl.LazyFrame):
        raise ValueError(f"{chart}: got a LazyFrame; aggregate it and .collect() it first")
    if not isinstance(frame, pl.DataFrame):
        raise ValueError(f"{chart}: expected a polars DataFrame, got {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{chart}: missing column(s) {missing}; the frame has {frame.columns}")
    if frame.height > MAX_ROWS:
        raise ValueError(
            f"{chart}: {frame.height:,} rows is more than MAX_ROWS = {MAX_ROWS:,}: the browser would "
            f"receive every row. Aggregate first ({hint}) and pass the small result."
        )


def check_unique(frame: pl.DataFrame, chart: str, keys: list[str]) -> None:
    """Raise ValueError when two rows share `keys`: they would be drawn on top of each other."""
    dupes = frame.filter(pl.struct(keys).is_duplicated()).select(keys).unique(maintain_order=True)
    if dupes.height:
        example = dict(zip(keys, dupes.row(0), strict=True))
        raise ValueError(
            f"{chart}: {dupes.height} duplicated {' × '.join(keys)} (e.g. {example}); "
            f"aggregate to one row per {' × '.join(keys)} first"
        )


def clean_floats(frame: pl.DataFrame, columns: Iterable[str]) -> pl.DataFrame:
    """Cast `columns` to Float64 with NaN and ±inf as null: JSON has no NaN and Vega would choke."""
    present = [c for c in columns if c in frame.columns]
    return frame.with_columns(
        pl.when(pl.col(c).cast(pl.Float64).is_finite()).then(pl.col(c).cast(pl.Float64)).alias(c)
        for c in present
    )


def status_codes(frame: pl.DataFrame, column: str = "status") -> pl.DataFrame:
    """`column` as plain strings in STATUSES (null reads as 'none'); anything else is a caller bug."""
    codes = frame.get_column(column).cast(pl.String).fill_null("none")
    unknown = sorted(set(codes.unique().to_list()) - set(STATUSES))
    if unknown:
        raise ValueError(f"unknown status value(s) {unknown}; expected one of {STATUSES}")
    return frame.with_columns(codes.alias(column))


def status_label(status: str, lang: str) -> str:
    return t(f"common.status.{status}", lang)


def status_labels(lang: str) -> list[str]:
    return [status_label(s, lang) for s in STATUSES]


def with_status_label(frame: pl.DataFrame, lang: str, column: str = "status") -> pl.DataFrame:
    mapping = {s: status_label(s, lang) for s in STATUSES}
    return frame.with_columns(pl.col(column).replace_strict(mapping, return_dtype=pl.String).alias("_status"))


def field_title(name: str, lang: str) -> str:
    """The translated title of a column known to the charts (`service` -> 'Service'), else the name."""
    return catalog(lang_or_default(lang)).get(f"charts.field.{name}", name)


def natural_key(text: object) -> str:
    """Sort key that ignores case and accents, as a reader expects ('Étudiants' next to 'Etat')."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def ordered(frame: pl.DataFrame, column: str, order_column: str | None) -> list[str]:
    """The distinct values of `column` in the order given by `order_column` (smallest first) when the
    frame has it, else alphabetically, accents and case ignored."""
    if order_column and order_column in frame.columns:
        firsts = frame.group_by(column).agg(pl.col(order_column).min()).sort(order_column, column)
        return [str(v) for v in firsts.get_column(column).to_list()]
    values = [str(v) for v in frame.get_column(column).drop_nulls().unique().to_list()]
    return sorted(values, key=lambda v: (natural_key(v), v))


def literal(text: str) -> str:
    """A Vega expression string literal."""
    return json.dumps(text, ensure_ascii=False)


def value_text(field: str, suffix: str | None = None, suffix_field: str | None = None) -> str:
    """Vega expression: the exact value of `field` for a tooltip, with its unit, or '–' when missing."""
    tail = (
        f" + datum[{literal(suffix_field)}]" if suffix_field else (f" + {literal(suffix)}" if suffix else "")
    )
    ref = f"datum[{literal(field)}]"
    return f"isValid({ref}) ? format({ref}, '{EXACT}'){tail} : '–'"


def signed_percent_text(field: str) -> str:
    """Vega expression: a ratio as a signed percentage (+3,2 %), or '–' when missing."""
    ref = f"datum[{literal(field)}]"
    return f"isValid({ref}) ? format({ref}, '{SIGNED_PERCENT}') : '–'"


def pick(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Only the columns the chart draws: the browser gets nothing it does not need."""
    return frame.select([c for c in dict.fromkeys(columns) if c in frame.columns])


def template_text(template: str, **exprs: str) -> str:
    """Vega expression filling a translated template ('de {start} à {end}') with expressions."""
    parts = []
    for text, name, _, _ in string.Formatter().parse(template):
        if text:
            parts.append(literal(text))
        if name is not None:
            parts.append(f"({exprs[name]})")
    return " + ".join(parts) or "''"
