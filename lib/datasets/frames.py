"""Frame work of the dataset library: check and normalise what is saved, upsert, merge catalogs.

All of it is vectorised Polars: a 10M-row extract must save and append in seconds. Sorting and joining
on (Date, Categorical, Categorical) is slow (6 s to sort 10M shuffled rows, 4 s to join 10M x 10M);
packing the key into one UInt64 whose order is the lexical order brings that to ~1 s and ~2 s.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from lib.contract import CATALOG_SCHEMA, DATA_COLUMNS
from lib.datasets.errors import InvalidData

KEY = ("period", "service", "kpi")
VALUES = tuple(c for c in DATA_COLUMNS if c not in KEY)  # actual, target, weight, owner
_CATEGORICAL = ("service", "kpi", "owner")
_FLOATS = ("actual", "target", "weight")
_OPTIONAL = ("target", "weight", "owner")
_EXAMPLES = 5  # how many offending values an error message names
PACK_BITS = 64  # a key needing more bits (centuries of days x a million services...) uses three columns


def _cast_column(frame: pl.DataFrame, name: str) -> pl.Expr:
    dtype = frame.schema[name]
    col = pl.col(name)
    if name == "period":
        if dtype == pl.Date:
            return col
        if isinstance(dtype, pl.Datetime):
            return col.dt.date()
    elif name in _CATEGORICAL:
        if dtype == pl.Categorical():
            return col
        # Enums and categoricals with their own category set join the default one, like every frame read.
        if isinstance(dtype, pl.Categorical | pl.Enum) or dtype in (pl.String, pl.Null):
            return col.cast(pl.String).cast(pl.Categorical)
    elif dtype == pl.Null or (dtype.is_numeric() and dtype != pl.Boolean):
        return col.cast(pl.Float64)
    expected = {"period": "Date"}.get(name, "Categorical" if name in _CATEGORICAL else "Float64")
    raise InvalidData("datasets.error.bad_type", column=name, dtype=str(dtype), expected=expected)


def prepare_data(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows as saved: exactly DATA_COLUMNS with their dtypes, sorted by key, keys unique and set."""
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    missing = [c for c in DATA_COLUMNS if c not in frame.columns and c not in _OPTIONAL]
    if missing:
        raise InvalidData("datasets.error.columns_missing", columns=", ".join(missing))
    if frame.height == 0:
        raise InvalidData("datasets.error.empty")
    frame = frame.with_columns(pl.lit(None).alias(c) for c in _OPTIONAL if c not in frame.columns)
    frame = frame.select(_cast_column(frame, c).alias(c) for c in DATA_COLUMNS)
    null_keys = frame.select(pl.any_horizontal(pl.col(KEY).is_null()).sum()).item()
    if null_keys:
        raise InvalidData("datasets.error.null_keys", count=null_keys)
    (frame,), key = with_sort_key(frame)
    if not _is_sorted(frame, key):  # extracts from lib.ingest come sorted: skip the work then
        frame = frame.sort(key)
    # Once sorted, a duplicated key sits next to its twin: cheaper than is_duplicated on a struct.
    same = pl.all_horizontal(pl.col(c) == pl.col(c).shift(1) for c in key)
    dups = frame.filter(same)
    if dups.height:
        first = dups.row(0, named=True)
        raise InvalidData(
            "datasets.error.duplicate_keys",
            count=dups.height,
            period=first["period"].isoformat(),
            service=first["service"],
            kpi=first["kpi"],
        )
    return frame.drop(key)


def with_sort_key(*frames: pl.DataFrame) -> tuple[list[pl.DataFrame], list[str]]:
    """The frames with columns ordering rows like (period, service, kpi) lexically, comparable across
    the frames: one packed UInt64 `__key` when it fits, else three integer columns. -> (frames, names)
    """
    enums = {
        c: pl.Enum(pl.concat([f.get_column(c).unique().cast(pl.String) for f in frames]).unique().sort())
        for c in ("service", "kpi")
    }
    lo = min(f.get_column("period").min() for f in frames).toordinal()  # type: ignore[union-attr]
    hi = max(f.get_column("period").max() for f in frames).toordinal()  # type: ignore[union-attr]
    bits = [(hi - lo).bit_length(), *((len(e.categories) - 1).bit_length() for e in enums.values())]
    epoch = 719163  # date(1970, 1, 1).toordinal(): a Date's physical value counts days from there
    parts = [
        (pl.col("period").to_physical() - (lo - epoch)).cast(pl.UInt64),
        *(pl.col(c).cast(e).to_physical().cast(pl.UInt64) for c, e in enums.items()),
    ]
    if sum(bits) <= PACK_BITS:
        packed = parts[0] * (1 << (bits[1] + bits[2])) + parts[1] * (1 << bits[2]) + parts[2]
        return [f.with_columns(packed.alias("__key")) for f in frames], ["__key"]
    names = ["__period", "__service", "__kpi"]
    return [f.with_columns(p.alias(n) for p, n in zip(parts, names, strict=True)) for f in frames], names


def _is_sorted(frame: pl.DataFrame, key: list[str]) -> bool:
    return len(key) == 1 and frame.get_column(key[0]).is_sorted()


def prepare_catalog(frame: pl.DataFrame, kpis: pl.Series) -> pl.DataFrame:
    """The catalog as saved: CATALOG_SCHEMA, one row per KPI, sorted; every KPI of `kpis` described."""
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    if "kpi" not in frame.columns:
        raise InvalidData("datasets.error.catalog_columns", columns="kpi")
    exprs = []
    for name, dtype_name in CATALOG_SCHEMA.items():
        dtype = getattr(pl, dtype_name)
        if name not in frame.columns:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
        elif dtype == pl.Float64 and not (frame.schema[name].is_numeric() or frame.schema[name] == pl.Null):
            raise InvalidData(
                "datasets.error.bad_type", column=name, dtype=str(frame.schema[name]), expected="Float64"
            )
        else:
            exprs.append(pl.col(name).cast(dtype))
    # A catalog row without a KPI describes nothing (a blank spreadsheet line): it is dropped.
    catalog = frame.select(exprs).filter(pl.col("kpi").is_not_null()).sort("kpi")
    dup = catalog.filter(pl.col("kpi").is_duplicated())["kpi"].unique().sort()
    if len(dup):
        raise InvalidData("datasets.error.catalog_duplicate", kpis=_names(dup))
    present = kpis.cast(pl.String).unique()
    absent = present.filter(~present.is_in(catalog["kpi"].implode()))
    if len(absent):
        raise InvalidData("datasets.error.catalog_missing", count=len(absent), kpis=_names(absent.sort()))
    return catalog


def _names(values: pl.Series) -> str:
    shown = [str(v) for v in values.head(_EXAMPLES).to_list()]
    return ", ".join(shown) + (", …" if len(values) > _EXAMPLES else "")


def describe(data: pl.DataFrame) -> dict[str, Any]:
    """Counts and period span (ISO dates) of saved rows, as meta.json holds them."""
    row = data.select(
        pl.col("service").n_unique().alias("services"),
        pl.col("kpi").n_unique().alias("kpis"),
        pl.col("period").min().alias("first_period"),
        pl.col("period").max().alias("last_period"),
    ).row(0, named=True)
    for key in ("first_period", "last_period"):
        row[key] = row[key].isoformat() if row[key] is not None else None
    return {"rows": data.height, **row}


# Minimum spacing between consecutive period starts for each grain, coarsest first. Quarters can be
# 89 days apart (Feb-Apr) and months 28 (Feb): these are the shortest gaps, not the usual ones.
_GAPS = (("year", 365), ("quarter", 89), ("month", 28), ("week", 7), ("day", 1))


def infer_grain(periods: pl.Series) -> str | None:
    """The grain of period starts from the smallest gap between distinct periods; None for one period."""
    distinct = periods.unique().sort()
    if len(distinct) < 2:
        return None
    gap = distinct.diff().dt.total_days().min()
    return next(grain for grain, days in _GAPS if gap >= days)


def upsert(old: pl.DataFrame, new: pl.DataFrame) -> tuple[pl.DataFrame, int, int, int]:
    """`new` rows replace `old` rows of the same key: (merged, added, replaced, unchanged).

    Both frames come from prepare_data (unique keys). A row is unchanged when every value is equal,
    nulls and NaN included (so re-appending the same file changes nothing).
    """
    (old, new), key = with_sort_key(old, new)
    if len(key) == 1:  # filters keep the order a join would not
        hit = pl.col(key[0]).is_in(new.get_column(key[0]).implode())
        old_hit, kept = old.filter(hit), old.filter(~hit)
    else:
        old_hit, kept = (
            old.join(new.select(key), on=key, how="semi"),
            old.join(new.select(key), on=key, how="anti"),
        )
    # Only the old rows that new rows hit are joined: appending a month to 10M rows joins a month.
    matched = new.join(
        old_hit.select(*key, *(pl.col(c).alias(f"{c}__old") for c in VALUES), pl.lit(True).alias("__found")),
        on=key,
        how="left",
    )
    same = pl.all_horizontal(pl.col(c).eq_missing(pl.col(f"{c}__old")) for c in VALUES)
    counts = matched.select(
        pl.col("__found").is_null().sum().alias("added"),
        (pl.col("__found").is_not_null() & same).sum().alias("unchanged"),
    ).row(0, named=True)
    added, unchanged = counts["added"], counts["unchanged"]
    replaced = new.height - added - unchanged
    if added == 0 and replaced == 0:
        return old.drop(key), 0, 0, unchanged
    if _is_sorted(kept, key) and _is_sorted(new, key):  # merge_sorted trusts its inputs: check them
        merged = kept.merge_sorted(new, key=key[0])
    else:
        merged = pl.concat([kept, new]).sort(key)
    return merged.drop(key), added, replaced, unchanged


def merge_catalog(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """KPIs of `new` added; for KPIs in both, every attribute `new` gives (not null) wins."""
    attrs = [c for c in CATALOG_SCHEMA if c != "kpi"]
    both = old.join(new, on="kpi", how="full", coalesce=True, suffix="__new")
    return both.select("kpi", *(pl.coalesce(pl.col(f"{c}__new"), pl.col(c)).alias(c) for c in attrs)).sort(
        "kpi"
    )


def catalog_for_append(saved: pl.DataFrame, upload: pl.DataFrame) -> pl.DataFrame:
    """What an appended extract may add to a dataset's catalog: its new KPIs only. A monthly extract
    carries defaults (or an export's own columns) for KPIs the dataset already describes; those must
    not overwrite the curated catalog (replace the dataset, or load a catalog file, to change it)."""
    return upload.filter(~pl.col("kpi").is_in(saved.get_column("kpi").implode()))
