"""The dataset library: slugs, versions, upsert counts, restore, atomic failures, concurrent writers."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import multiprocessing
import os
import pickle
import re
import signal
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from lib.contract import CATALOG_SCHEMA, DATA_COLUMNS
from lib.datasets import (
    MAX_NAME_LENGTH,
    SAMPLE_SLUG,
    AppendResult,
    DatasetBusy,
    DatasetCorrupt,
    DatasetError,
    DatasetLibrary,
    DatasetNotFound,
    DatasetWriteError,
    InvalidData,
    InvalidName,
    ReservedSlug,
    VersionNotFound,
    frames,
    library,
    slugify,
    store,
)
from lib.i18n import catalog as i18n_catalog

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
ISO0 = "2026-03-01T08:00:00.000000+00:00"
# Text is data: markup, accents and quotes must come back exactly as saved.
SERVICES = ("Finances", "Équipe Île-de-France", "<script>alert(1)</script>", "**RH**", "Achats « Sud »")
KPIS = ("Satisfaction (%)", "Délai moyen", "CA", "Effectif ETP")


# --- Frames built in code ---------------------------------------------------------------------------


def make_data(seed: int = 1, months: int = 12, services=SERVICES, kpis=KPIS, start: date = date(2025, 1, 1)):
    """A full grid period x service x KPI with nulls, NaN and owners, in shuffled order."""
    rng = np.random.default_rng(seed)
    periods = pl.date_range(start, start + timedelta(days=31 * (months - 1)), "1mo", eager=True)[:months]
    grid = (
        pl.DataFrame({"period": periods})
        .join(pl.DataFrame({"service": list(services)}), how="cross")
        .join(pl.DataFrame({"kpi": list(kpis)}), how="cross")
    )
    n = grid.height
    actual = rng.normal(100, 20, n).round(2)
    actual[rng.random(n) < 0.05] = np.nan
    frame = grid.with_columns(
        actual=pl.Series(actual),
        target=pl.Series(rng.normal(100, 5, n).round(1)),
        weight=pl.Series(rng.integers(1, 50, n).astype(float)),
        owner=pl.Series(rng.choice(["Ana", "Bo", "Zoé"], n)),
    ).with_columns(
        pl.when(pl.Series(rng.random(n) < 0.1)).then(None).otherwise(pl.col("actual")).alias("actual"),
        pl.when(pl.Series(rng.random(n) < 0.2)).then(None).otherwise(pl.col("owner")).alias("owner"),
    )
    frame = frame.sample(fraction=1.0, shuffle=True, seed=seed)
    return frame.with_columns(pl.col("service", "kpi", "owner").cast(pl.Categorical))


def make_catalog(kpis=KPIS, **overrides) -> pl.DataFrame:
    rows = {
        "kpi": list(kpis),
        "unit": ["%"] * len(kpis),
        "direction": ["higher"] * len(kpis),
        "agg_time": ["mean"] * len(kpis),
        "agg_services": ["mean"] * len(kpis),
        "tolerance": [5.0] * len(kpis),
        "axis": [None] * len(kpis),
        "description": [None] * len(kpis),
        "score_weight": [1.0] * len(kpis),
    }
    rows.update(overrides)
    return pl.DataFrame(rows, schema={k: getattr(pl, v) for k, v in CATALOG_SCHEMA.items()})


def sorted_rows(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort("period", "service", "kpi")


class Clock:
    """A clock that moves one minute per reading (or wherever the test sets it)."""

    def __init__(self, start: datetime = T0, step: timedelta = timedelta(minutes=1)) -> None:
        self.now, self.step = start, step

    def __call__(self) -> datetime:
        value = self.now
        self.now += self.step
        return value


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def lib(tmp_path, clock):
    return DatasetLibrary(tmp_path / "data", clock=clock)


@pytest.fixture
def saved(lib):
    data, cat = make_data(), make_catalog()
    info = lib.save("Budget 2026", data, cat, sources=["budget.csv"], author="Ana")
    return info, data, cat


def leftovers(root: Path) -> list[str]:
    """Temp or trash folders anywhere under root: a finished operation must leave none."""
    return sorted(str(p.relative_to(root)) for p in root.rglob(".t*") if p.name != ".lock")


# --- Slugs and names ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Budget 2026 — Région Sud", "budget-2026-region-sud"),
        ("  Cœur de métier  ", "coeur-de-metier"),
        ("Straße & Co.", "strasse-co"),
        ("L'Économie / Île-de-France", "l-economie-ile-de-france"),
        ("ﬁnances² (T1)", "finances2-t1"),
        ("ÆRØ ÅLAND", "aero-aland"),
        ("日本語", "dataset"),
        ("—!!—", "dataset"),
        ("Sample", "sample"),
        ("a" * 70, "a" * 60),
        ("word " * 30, "-".join(["word"] * 12)),
    ],
)
def test_slugify(name, slug):
    assert slugify(name) == slug
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)


def test_save_makes_unique_slugs_and_never_the_sample(lib):
    data, cat = make_data(months=2), make_catalog()
    names = ["Budget", "budget", "BUDGET !", "Budget 2", "Sample", "sample"]
    slugs = [lib.save(n, data, cat, sources=["a.csv"]).slug for n in names]
    assert slugs == ["budget", "budget-2", "budget-3", "budget-2-2", "sample-2", "sample-3"]
    assert sorted(i.slug for i in lib.list()) == sorted(slugs)


@pytest.mark.parametrize(
    ("name", "key", "params"),
    [
        ("", "datasets.error.name_empty", {}),
        ("   \n\t ", "datasets.error.name_empty", {}),
        (None, "datasets.error.name_empty", {}),
        ("x" * (MAX_NAME_LENGTH + 1), "datasets.error.name_too_long", {"length": 121, "max": 120}),
    ],
)
def test_invalid_names(lib, name, key, params):
    with pytest.raises(InvalidName) as exc:
        lib.save(name, make_data(months=1), make_catalog(), sources=[])
    assert (exc.value.key, exc.value.params) == (key, params)
    assert not (lib.root / "x").exists() and lib.list() == []


def test_names_are_trimmed_and_may_be_120_characters(lib):
    data, cat = make_data(months=2), make_catalog()
    assert lib.save("  Budget \n  2026 ", data, cat, sources=[]).name == "Budget 2026"
    long = "é" * MAX_NAME_LENGTH
    info = lib.save(long, data, cat, sources=[])
    assert (info.name, info.slug) == (long, "e" * 60)


# --- Save, list, get, read ---------------------------------------------------------------------------


def test_save_records_everything(lib, saved):
    info, data, _ = saved
    path = lib.data_path(info.slug)
    assert path == lib.root / "budget-2026" / "v0001" / "data.parquet"
    assert (info.slug, info.name, info.version, info.action) == ("budget-2026", "Budget 2026", 1, "save")
    assert (info.author, info.sources, info.saved_at) == ("Ana", ("budget.csv",), ISO0)
    assert (info.rows, info.services, info.kpis) == (12 * 5 * 4, 5, 4)
    assert (info.first_period, info.last_period, info.grain) == (date(2025, 1, 1), date(2025, 12, 1), "month")
    assert info.checksum == hashlib.sha256(path.read_bytes()).hexdigest()
    assert info.size_bytes == path.stat().st_size
    assert (info.added, info.replaced, info.unchanged, info.restored_from) == (None, None, None, None)
    got = lib.get(info.slug)
    assert got.created_at == info.saved_at and got.version_count == 1
    assert {k: getattr(got, k) for k in ("slug", "version", "checksum", "rows")} == {
        "slug": info.slug,
        "version": 1,
        "checksum": info.checksum,
        "rows": 240,
    }
    head = json.loads((lib.root / info.slug / "dataset.json").read_text())
    assert head == {"format": 1, "name": "Budget 2026", "created_at": ISO0}
    assert (lib.root / info.slug / "CURRENT").read_text() == "1\n"
    assert leftovers(lib.root) == []


def test_read_and_scan_give_back_equal_frames(lib, saved):
    info, data, cat = saved
    back, back_cat, meta = lib.read(info.slug)
    assert dict(back.schema) == (
        {
            "period": pl.Date,
            "service": pl.Categorical,
            "kpi": pl.Categorical,
            "actual": pl.Float64,
            "target": pl.Float64,
            "weight": pl.Float64,
            "owner": pl.Categorical,
        }
    )
    assert back.equals(sorted_rows(data))  # nulls and NaN included
    assert back.select(pl.col("actual").is_nan().sum()).item() > 0
    assert back_cat.equals(cat.sort("kpi")) and back_cat.columns == list(CATALOG_SCHEMA)
    assert meta == lib.versions(info.slug)[0] and meta.checksum == info.checksum
    assert lib.scan(info.slug).collect().equals(back)
    assert set(back["service"].cast(pl.String)) == set(SERVICES)


def test_parquet_layout_sorted_zstd_statistics_row_groups(lib, monkeypatch):
    monkeypatch.setattr(library, "ROW_GROUP_SIZE", 50)
    data = make_data(seed=4, months=12)  # 240 rows -> 5 row groups
    info = lib.save("Layout", data, make_catalog(), sources=[])
    meta = pq.ParquetFile(lib.data_path(info.slug)).metadata
    assert meta.num_row_groups == 5
    ranges = []
    for i in range(meta.num_row_groups):
        col = meta.row_group(i).column(0)
        assert col.path_in_schema == "period" and col.compression == "ZSTD" and col.statistics.has_min_max
        ranges.append((col.statistics.min, col.statistics.max))
    # Sorted by period: row groups cover consecutive ranges, so a period filter skips the others.
    assert all(a[1] <= b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert library.ROW_GROUP_SIZE == 50 and frames.KEY == ("period", "service", "kpi")


def test_row_group_size_is_a_million():
    assert library.ROW_GROUP_SIZE == 1_000_000


def test_list_is_newest_first_and_ignores_what_is_not_a_dataset(lib):
    data, cat = make_data(months=2), make_catalog()
    a = lib.save("Alpha", data, cat, sources=[])
    lib.save("Beta", data, cat, sources=[])
    lib.replace(a.slug, make_data(seed=9, months=2), cat, sources=[])
    for stray in ("sample", "notes", ".tmp-zzz", "Upper"):
        (lib.root / stray).mkdir()
    (lib.root / "sample" / "CURRENT").write_text("1\n")
    assert [i.slug for i in lib.list()] == ["alpha", "beta"]
    assert [i.version for i in lib.list()] == [2, 1]


def test_list_of_a_missing_folder_is_empty(tmp_path):
    assert DatasetLibrary(tmp_path / "nowhere").list() == []


@pytest.mark.parametrize("slug", ["nope", "sample", "../data", "Budget-2026", "", "a/b", "budget-2026/.."])
def test_unknown_slugs(lib, saved, slug):
    for call in (lib.get, lib.versions, lib.data_path, lib.scan, lib.read):
        with pytest.raises(DatasetNotFound) as exc:
            call(slug)
        assert exc.value.params == {"slug": slug}
    with pytest.raises(DatasetNotFound):
        lib.version_at(slug, T0)


# --- Input normalisation and validation --------------------------------------------------------------


def test_input_is_normalised(lib):
    raw = pl.DataFrame(
        {
            "kpi": ["b", "a", "a"],
            "service": ["S2", "S1", "S1"],
            "period": [datetime(2025, 2, 1, 13, 5), datetime(2025, 1, 1), datetime(2025, 2, 1)],
            "actual": [1, 2, 3],
            "extra": ["x", "y", "z"],
        }
    )
    info = lib.save("Raw", raw, make_catalog(kpis=["a", "b"]), sources=[])
    back = lib.read(info.slug)[0]
    assert back.columns == list(DATA_COLUMNS)
    nothing = {"target": None, "weight": None, "owner": None}
    assert back.to_dicts() == [
        {"period": date(2025, 1, 1), "service": "S1", "kpi": "a", "actual": 2.0, **nothing},
        {"period": date(2025, 2, 1), "service": "S1", "kpi": "a", "actual": 3.0, **nothing},
        {"period": date(2025, 2, 1), "service": "S2", "kpi": "b", "actual": 1.0, **nothing},
    ]
    assert back.schema["service"] == pl.Categorical and back.schema["actual"] == pl.Float64


def _frame(**columns):
    base = {
        "period": [date(2025, 1, 1), date(2025, 2, 1)],
        "service": ["A", "A"],
        "kpi": ["k", "k"],
        "actual": [1.0, 2.0],
    }
    base.update(columns)
    return pl.DataFrame({k: v for k, v in base.items() if v is not None})


@pytest.mark.parametrize(
    ("data", "catalog", "key", "params"),
    [
        (_frame().head(0), make_catalog(["k"]), "datasets.error.empty", {}),
        (_frame(kpi=None), make_catalog(["k"]), "datasets.error.columns_missing", {"columns": "kpi"}),
        (
            _frame(actual=["1", "2"]),
            make_catalog(["k"]),
            "datasets.error.bad_type",
            {"column": "actual", "dtype": "String", "expected": "Float64"},
        ),
        (
            _frame(period=["2025-01", "2025-02"]),
            make_catalog(["k"]),
            "datasets.error.bad_type",
            {"column": "period", "dtype": "String", "expected": "Date"},
        ),
        (_frame(service=["A", None]), make_catalog(["k"]), "datasets.error.null_keys", {"count": 1}),
        (
            _frame(period=[date(2025, 1, 1)] * 2),
            make_catalog(["k"]),
            "datasets.error.duplicate_keys",
            {"count": 1, "period": "2025-01-01", "service": "A", "kpi": "k"},
        ),
        (
            _frame(kpi=["k", "z"]),
            make_catalog(["k"]),
            "datasets.error.catalog_missing",
            {"count": 1, "kpis": "z"},
        ),
        (_frame(), make_catalog(["k", "k"]), "datasets.error.catalog_duplicate", {"kpis": "k"}),
        (_frame(), pl.DataFrame({"unit": ["%"]}), "datasets.error.catalog_columns", {"columns": "kpi"}),
        (
            _frame(),
            make_catalog(["k"]).with_columns(pl.lit("5%").alias("tolerance")),
            "datasets.error.bad_type",
            {"column": "tolerance", "dtype": "String", "expected": "Float64"},
        ),
    ],
    ids=[
        "empty",
        "no-kpi",
        "text-actual",
        "text-period",
        "null-key",
        "duplicate",
        "undescribed-kpi",
        "catalog-twice",
        "catalog-no-kpi",
        "catalog-text-tolerance",
    ],
)
def test_invalid_data_is_refused_with_a_clear_key(lib, data, catalog, key, params):
    with pytest.raises(InvalidData) as exc:
        lib.save("Bad", data, catalog, sources=[])
    assert (exc.value.key, exc.value.params) == (key, params)
    for lang in ("en", "fr"):
        assert exc.value.message(lang)
    assert lib.list() == [] and not lib.root.exists()  # refused before anything touched the disk


def test_many_undescribed_kpis_are_named_five_at_most(lib):
    kpis = [f"k{i}" for i in range(8)]
    data = pl.DataFrame(
        {"period": [date(2025, 1, 1)] * 8, "service": ["A"] * 8, "kpi": kpis, "actual": [1.0] * 8}
    )
    with pytest.raises(InvalidData) as exc:
        lib.save("Bad", data, make_catalog(["k0"]), sources=[])
    assert exc.value.params == {"count": 7, "kpis": "k1, k2, k3, k4, k5, …"}


def test_catalog_rows_without_kpi_are_dropped(lib):
    cat = pl.concat([make_catalog(["k"]), make_catalog([None])])
    info = lib.save("Ok", _frame(), cat, sources=[])
    assert lib.read(info.slug)[1]["kpi"].to_list() == ["k"]


@pytest.mark.parametrize(
    ("periods", "grain"),
    [
        ([date(2025, 1, 1), date(2025, 2, 1), date(2025, 3, 1)], "month"),
        ([date(2025, 2, 1), date(2025, 3, 1)], "month"),  # 28 days
        ([date(2025, 2, 1), date(2025, 5, 1)], "quarter"),  # 89 days
        ([date(2025, 9, 1), date(2025, 12, 1), date(2026, 3, 1)], "quarter"),
        ([date(2023, 1, 1), date(2024, 1, 1)], "year"),
        ([date(2025, 1, 6), date(2025, 1, 13)], "week"),
        ([date(2025, 1, 6), date(2025, 1, 7)], "day"),
        ([date(2025, 1, 1)], None),
    ],
)
def test_grain_is_inferred_from_period_spacing(lib, periods, grain):
    data = pl.DataFrame({"period": periods, "service": "A", "kpi": "k", "actual": 1.0})
    assert lib.save("G", data, make_catalog(["k"]), sources=[]).grain == grain


def test_given_grain_wins_and_must_be_known(lib):
    data = _frame()
    assert lib.save("G", data, make_catalog(["k"]), sources=[], grain="week").grain == "week"
    with pytest.raises(InvalidData) as exc:
        lib.save("G", data, make_catalog(["k"]), sources=[], grain="fortnight")
    assert exc.value.params == {"grain": "fortnight", "grains": "day, week, month, quarter, year"}


# --- Versions, append, restore -----------------------------------------------------------------------


def test_history_of_every_action(lib, saved):
    info, data, cat = saved
    lib.replace(info.slug, make_data(seed=2), cat, sources=["v2.xlsx"], author="Bo")
    lib.append(info.slug, make_data(seed=3, months=13), cat, sources=["v3.csv", "cat.csv"])
    lib.restore(info.slug, 1, author="  Zoé  ")
    history = lib.versions(info.slug)
    assert [(v.version, v.action, v.author, v.sources) for v in history] == [
        (4, "restore", "Zoé", ("budget.csv",)),
        (3, "append", None, ("v3.csv", "cat.csv")),
        (2, "replace", "Bo", ("v2.xlsx",)),
        (1, "save", "Ana", ("budget.csv",)),
    ]
    assert [v.saved_at for v in history] == sorted((v.saved_at for v in history), reverse=True)
    assert lib.get(info.slug).version_count == 4
    assert [v.action_label("fr") for v in history] == ["Restauration", "Ajout", "Remplacement", "Création"]
    assert [v.action_label("en") for v in history] == ["Restored", "Appended", "Replaced", "Created"]


def test_replace_makes_a_new_version_and_keeps_the_old(lib, saved):
    info, data, cat = saved
    new = make_data(seed=7, months=3, services=("X",))
    v2 = lib.replace(info.slug, new, make_catalog(), sources=["n.csv"])
    assert (v2.version, v2.rows, v2.services, v2.name, v2.slug) == (2, 12, 1, "Budget 2026", info.slug)
    assert lib.read(info.slug)[0].equals(sorted_rows(new))
    assert lib.read(info.slug, 1)[0].equals(sorted_rows(data))
    assert lib.data_path(info.slug, 1) != lib.data_path(info.slug)


def _rows(*rows):
    """(month, service, kpi, actual, target, owner) tuples -> a data frame."""
    return pl.DataFrame(
        [(date(2025, m, 1), s, k, a, t, None, o) for m, s, k, a, t, o in rows],
        schema={
            "period": pl.Date,
            "service": pl.String,
            "kpi": pl.String,
            "actual": pl.Float64,
            "target": pl.Float64,
            "weight": pl.Float64,
            "owner": pl.String,
        },
        orient="row",
    )


NAN = float("nan")
OLD = _rows(
    (1, "A", "k", 1.0, 10.0, "Ana"),
    (1, "B", "k", NAN, None, None),
    (2, "A", "k", None, 10.0, "Ana"),
    (2, "B", "k", 0.0, 10.0, None),
)


@pytest.mark.parametrize(
    ("new", "counts"),
    [
        (OLD, (0, 0, 4)),  # the same file again
        (_rows((3, "A", "k", 1.0, 1.0, None)), (1, 0, 0)),
        (_rows((1, "A", "k", 2.0, 10.0, "Ana")), (0, 1, 0)),  # actual changed
        (_rows((1, "A", "k", 1.0, 11.0, "Ana")), (0, 1, 0)),  # target changed
        (_rows((1, "A", "k", 1.0, 10.0, "Bo")), (0, 1, 0)),  # owner changed
        (_rows((1, "A", "k", 1.0, 10.0, None)), (0, 1, 0)),  # owner removed
        (_rows((1, "B", "k", NAN, None, None)), (0, 0, 1)),  # NaN equals NaN, null equals null
        (_rows((1, "B", "k", None, None, None)), (0, 1, 0)),  # NaN -> null is a change
        (_rows((2, "A", "k", 5.0, 10.0, "Ana")), (0, 1, 0)),  # a future target gets its actual
        (_rows((2, "B", "k", -0.0, 10.0, None)), (0, 0, 1)),
        (
            _rows(
                (1, "A", "k", 1.0, 10.0, "Ana"), (1, "C", "k", 1.0, 1.0, None), (2, "B", "k", 1.0, 10.0, None)
            ),
            (1, 1, 1),
        ),
    ],
    ids=[
        "same-file",
        "new-key",
        "actual",
        "target",
        "owner",
        "owner-removed",
        "nan-and-null",
        "nan-to-null",
        "future-target-filled",
        "minus-zero",
        "mixed",
    ],
)
def test_append_upsert_counts(lib, new, counts):
    cat = make_catalog(["k"])
    slug = lib.save("Upsert", OLD, cat, sources=["old.csv"]).slug
    out = lib.append(slug, new, cat, sources=["new.csv"])
    assert isinstance(out, AppendResult)
    assert (out.added, out.replaced, out.unchanged) == counts
    merged = lib.read(slug)[0]
    expected = pl.concat([OLD.join(new, on=list(frames.KEY), how="anti"), new]).sort(frames.KEY)
    assert merged.with_columns(pl.col(pl.Categorical).cast(pl.String)).equals(expected)
    if counts[:2] == (0, 0):
        assert (out.changed, out.version.version, len(lib.versions(slug))) == (False, 1, 1)
    else:
        assert (out.changed, out.version.version, out.version.action) == (True, 2, "append")
        assert (out.version.added, out.version.replaced, out.version.unchanged) == counts
        assert out.version.rows == merged.height


@pytest.mark.parametrize("pack_bits", [64, 8], ids=["packed-key", "three-column-key"])
def test_append_matches_a_plain_python_upsert_on_random_data(lib, monkeypatch, pack_bits):
    monkeypatch.setattr(frames, "PACK_BITS", pack_bits)
    rng = np.random.default_rng(42)
    old = make_data(seed=5, months=24)
    # New rows: a random half of the old keys (some values changed) plus keys of 6 later months.
    pick = old.with_row_index().filter(pl.Series(rng.random(old.height) < 0.5))
    change = pl.Series(rng.random(pick.height) < 0.3)
    touched = pick.with_columns(
        pl.when(change)
        .then(pl.col("actual").fill_null(0).fill_nan(0) + 1)
        .otherwise(pl.col("actual"))
        .alias("actual")
    ).drop("index")
    later = make_data(seed=6, months=6, start=date(2027, 1, 1))
    new = pl.concat([touched, later]).sample(fraction=1.0, shuffle=True, seed=3)
    cat = make_catalog()
    slug = lib.save("Random", old, cat, sources=[]).slug
    out = lib.append(slug, new, cat, sources=[])

    def key(r):
        return (r["period"], r["service"], r["kpi"])

    def same(a, b):
        return all(a[c] == b[c] or (a[c] != a[c] and b[c] != b[c]) for c in frames.VALUES)

    reference = {key(r): r for r in old.to_dicts()}
    added = replaced = unchanged = 0
    for r in new.to_dicts():
        if key(r) not in reference:
            added += 1
        elif same(reference[key(r)], r):
            unchanged += 1
        else:
            replaced += 1
        reference[key(r)] = r
    assert (out.added, out.replaced, out.unchanged) == (added, replaced, unchanged)
    # Every changed value differs from the old one (null and NaN become 1.0), so each is a replacement.
    assert (added, replaced) == (later.height, int(change.sum()))
    merged = lib.read(slug)[0]
    expected = [reference[k] for k in sorted(reference)]
    assert merged.height == len(expected) == old.height + later.height
    assert _nan_as_text(merged.to_dicts()) == _nan_as_text(expected)


def _nan_as_text(rows: list[dict]) -> list[dict]:
    """Dict equality fails on NaN (nan != nan): spell it out before comparing."""
    return [{k: "NaN" if isinstance(v, float) and v != v else v for k, v in r.items()} for r in rows]


ODD_SERVICES = ("Z", "a", "É", "é", "e", "ß", "Zoé", "zoe", "10", "9", " x", "日本")


@pytest.mark.parametrize("pack_bits", [64, 8], ids=["packed-key", "three-column-key"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rows_are_sorted_like_a_plain_lexical_sort(pack_bits, seed, monkeypatch):
    monkeypatch.setattr(frames, "PACK_BITS", pack_bits)
    rng = np.random.default_rng(seed)
    n = 3000
    periods = pl.Series([date(1900, 1, 1) + timedelta(days=int(d)) for d in rng.integers(0, 110_000, n)])
    raw = pl.DataFrame(
        {
            "period": periods,
            "service": rng.choice(ODD_SERVICES, n),
            "kpi": rng.choice(["b", "B", "a", "Ä", "k1", "k10", "k2"], n),
            "actual": rng.normal(size=n),
        }
    ).unique(subset=["period", "service", "kpi"], keep="first", maintain_order=True)
    got = frames.prepare_data(raw)
    expected = raw.sort("period", "service", "kpi")  # String columns: plain code-point order
    assert got.select(pl.col("period", "service", "kpi").cast(pl.String)).equals(
        expected.select(pl.col("period", "service", "kpi").cast(pl.String))
    )
    assert got["actual"].to_list() == expected["actual"].to_list()


@pytest.mark.parametrize(
    "dtype",
    [pl.String, pl.Categorical(), pl.Categorical(pl.Categories("vigie_test_own")), pl.Enum(["Z", "a", "ß"])],
    ids=["string", "categorical", "own-categories", "enum"],
)
def test_any_text_dtype_is_accepted_and_saved_categorical(lib, dtype):
    data = pl.DataFrame(
        {
            "period": [date(2025, 1, 1)] * 3,
            "service": ["ß", "a", "Z"],
            "kpi": ["k"] * 3,
            "actual": [1.0, 2.0, 3.0],
        },
        schema_overrides={"service": dtype},
    )
    info = lib.save("Types", data, make_catalog(["k"]), sources=[])
    back = lib.read(info.slug)[0]
    assert back.schema["service"] == pl.Categorical()
    assert back["service"].cast(pl.String).to_list() == ["Z", "a", "ß"]
    assert lib.append(info.slug, data, make_catalog(["k"]), sources=[]).unchanged == 3


def test_upsert_does_not_trust_the_order_of_saved_rows():
    old = frames.prepare_data(make_data(seed=1, months=3))
    shuffled_old = old.sample(fraction=1.0, shuffle=True, seed=1)
    new = frames.prepare_data(make_data(seed=2, months=2, start=date(2025, 3, 1)))
    merged, added, replaced, unchanged = frames.upsert(shuffled_old, new)
    assert (added, replaced, unchanged) == (20, 20, 0)
    assert merged.equals(frames.upsert(old, new)[0])
    assert merged.equals(merged.sort("period", "service", "kpi"))


def test_append_merges_the_catalog(lib):
    old_cat = make_catalog(["k", "m"], unit=["%", "€"], axis=["Qualité", "Finances"])
    slug = lib.save("Cat", _frame(kpi=["k", "m"]), old_cat, sources=[]).slug
    # "k" re-described (unit changes, axis not given: kept); "n" new; "m" not mentioned at all.
    new_cat = make_catalog(["k", "n"], unit=["pts", "j"], axis=[None, "Délais"], direction=["lower", "lower"])
    out = lib.append(slug, _frame(kpi=["k", "n"], actual=[1.0, 9.0]), new_cat, sources=[])
    assert (out.added, out.replaced, out.unchanged, out.changed) == (1, 0, 1, True)
    merged = lib.read(slug)[1]
    assert merged.select("kpi", "unit", "axis", "direction").rows() == [
        ("k", "pts", "Qualité", "lower"),
        ("m", "€", "Finances", "higher"),
        ("n", "j", "Délais", "lower"),
    ]
    # Same rows again with only a catalog change: a new version all the same.
    again = lib.append(
        slug,
        _frame(kpi=["k", "n"], actual=[1.0, 9.0]),
        new_cat.with_columns(tolerance=pl.lit(10.0)),
        sources=[],
    )
    assert (again.added, again.replaced, again.unchanged, again.changed) == (0, 0, 2, True)
    assert again.version.version == 3
    assert lib.read(slug)[1]["tolerance"].to_list() == [10.0, 5.0, 10.0]


def test_append_may_rely_on_the_saved_catalog_but_not_on_nothing(lib):
    slug = lib.save("Cat", _frame(), make_catalog(["k"]), sources=[]).slug
    out = lib.append(
        slug, _frame(period=[date(2025, 3, 1), date(2025, 4, 1)]), make_catalog(["other"]), sources=[]
    )
    assert (out.added, out.version.kpis) == (2, 1)
    assert lib.read(slug)[1]["kpi"].to_list() == ["k", "other"]
    with pytest.raises(InvalidData) as exc:
        lib.append(slug, _frame(kpi=["zz", "zz"]), make_catalog(["k"]), sources=[])
    assert (exc.value.key, exc.value.params) == ("datasets.error.catalog_missing", {"count": 1, "kpis": "zz"})
    assert lib.get(slug).version == 2


def test_append_without_catalog_keeps_the_saved_one(lib):
    cat = make_catalog(["k"], unit=["€"], agg_time=["last"])
    slug = lib.save("Cat", _frame(), cat, sources="one.csv").slug
    out = lib.append(slug, _frame(period=[date(2025, 3, 1), date(2025, 4, 1)]), None, sources=["m.csv"])
    assert (out.added, out.version.sources) == (2, ("m.csv",))
    assert lib.read(slug)[1].equals(cat) and lib.versions(slug)[-1].sources == ("one.csv",)
    with pytest.raises(InvalidData) as exc:
        lib.append(slug, _frame(kpi=["new", "new"]), None, sources=[])
    assert exc.value.params == {"count": 1, "kpis": "new"}


def test_append_of_another_grain_is_refused(lib):
    slug = lib.save("Monthly", _frame(), make_catalog(["k"]), sources=[]).slug
    with pytest.raises(InvalidData) as exc:
        lib.append(
            slug,
            _frame(period=[date(2025, 3, 3), date(2025, 3, 10)]),
            make_catalog(["k"]),
            sources=[],
            grain="week",
        )
    assert exc.value.params == {"grain": "week", "current_grain": "month"}
    assert "hebdomadaires" in exc.value.message("fr") and "mensuelles" in exc.value.message("fr")
    assert "weekly" in exc.value.message("en") and "monthly" in exc.value.message("en")
    out = lib.append(
        slug,
        _frame(period=[date(2025, 3, 1), date(2025, 4, 1)]),
        make_catalog(["k"]),
        sources=[],
        grain="month",
    )
    assert (out.version.version, out.version.grain) == (2, "month")


def test_append_summary_in_both_languages(lib):
    result = AppendResult(lib_version_stub(), 12345, 2, 0, changed=True)
    assert result.summary("en") == "Version 7 saved: 12,345 row(s) added, 2 replaced, 0 unchanged."
    assert result.summary("fr") == (
        "Version 7 enregistrée : 12\u202f345 ligne(s) ajoutée(s), 2 remplacée(s), 0 inchangée(s)."
    )
    nothing = AppendResult(lib_version_stub(), 0, 0, 3, changed=False)
    assert nothing.summary("en").startswith("Nothing new: all 3 row(s)")
    assert nothing.summary("fr").startswith("Rien de nouveau : les 3 ligne(s)")


def lib_version_stub():
    from lib.datasets import VersionInfo

    return VersionInfo(
        slug="s",
        name="S",
        version=7,
        saved_at=ISO0,
        author=None,
        sources=(),
        action="append",
        rows=1,
        services=1,
        kpis=1,
        first_period=None,
        last_period=None,
        grain=None,
        checksum="0",
        size_bytes=1,
    )


def test_restore_makes_a_new_version_equal_to_the_old(lib, saved):
    info, data, cat = saved
    lib.replace(info.slug, make_data(seed=8), cat, sources=["other.csv"])
    v3 = lib.restore(info.slug, 1, author="Bo")
    assert (v3.version, v3.action, v3.restored_from, v3.author, v3.sources) == (
        3,
        "restore",
        1,
        "Bo",
        ("budget.csv",),
    )
    assert (v3.checksum, v3.rows, v3.grain, v3.size_bytes) == (
        info.checksum,
        info.rows,
        info.grain,
        info.size_bytes,
    )
    back, back_cat, meta = lib.read(info.slug)
    assert back.equals(sorted_rows(data)) and back_cat.equals(cat.sort("kpi")) and meta == v3
    assert lib.read(info.slug, 2)[0].equals(sorted_rows(make_data(seed=8)))  # history kept
    assert lib.read(info.slug, 1)[0].equals(back)


@pytest.mark.parametrize("version", [0, -1, 2, 99, "1", 1.0, None])
def test_restore_or_read_of_an_unknown_version(lib, saved, version):
    info = saved[0]
    with pytest.raises(VersionNotFound) as exc:
        lib.restore(info.slug, version)
    assert exc.value.params == {"slug": info.slug, "version": str(version), "current": 1}
    if version is not None:  # None reads the current version
        for call in (lib.read, lib.data_path, lib.scan):
            with pytest.raises(VersionNotFound):
                call(info.slug, version)
    assert lib.get(info.slug).version == 1


# --- Rename, delete, the reserved sample -------------------------------------------------------------


def test_rename_keeps_the_slug(lib, saved):
    info = saved[0]
    path = lib.data_path(info.slug)
    renamed = lib.rename(info.slug, "  Budget 2026 révisé ")
    assert (renamed.slug, renamed.name, renamed.version) == (info.slug, "Budget 2026 révisé", 1)
    assert lib.data_path(info.slug) == path
    assert [v.name for v in lib.versions(info.slug)] == ["Budget 2026 révisé"]
    assert lib.read(info.slug)[2].name == "Budget 2026 révisé"
    # The old name is free again but its slug is not: a new dataset under it gets a suffix.
    assert lib.save("Budget 2026", _frame(), make_catalog(["k"]), sources=[]).slug == "budget-2026-2"
    with pytest.raises(InvalidName):
        lib.rename(info.slug, " ")
    assert lib.get(info.slug).name == "Budget 2026 révisé"


def test_delete(lib, saved):
    info = saved[0]
    lib.delete(info.slug)
    assert lib.list() == [] and not (lib.root / info.slug).exists() and leftovers(lib.root) == []
    with pytest.raises(DatasetNotFound):
        lib.get(info.slug)
    with pytest.raises(DatasetNotFound):
        lib.delete(info.slug)
    assert lib.save("Budget 2026", _frame(), make_catalog(["k"]), sources=[]).slug == info.slug


@pytest.mark.parametrize("operation", ["rename", "delete", "replace", "append", "restore"])
def test_the_sample_is_reserved(lib, operation):
    calls = {
        "rename": lambda: lib.rename(SAMPLE_SLUG, "Mine"),
        "delete": lambda: lib.delete(SAMPLE_SLUG),
        "replace": lambda: lib.replace(SAMPLE_SLUG, _frame(), make_catalog(["k"]), sources=[]),
        "append": lambda: lib.append(SAMPLE_SLUG, _frame(), make_catalog(["k"]), sources=[]),
        "restore": lambda: lib.restore(SAMPLE_SLUG, 1),
    }
    with pytest.raises(ReservedSlug) as exc:
        calls[operation]()
    assert exc.value.params == {"slug": "sample"}
    assert "exemple" in exc.value.message("fr") and "sample" in exc.value.message("en")


@pytest.mark.parametrize("operation", ["rename", "delete", "replace", "append", "restore"])
def test_writes_to_an_unknown_dataset(lib, operation):
    calls = {
        "rename": lambda: lib.rename("ghost", "Mine"),
        "delete": lambda: lib.delete("ghost"),
        "replace": lambda: lib.replace("ghost", _frame(), make_catalog(["k"]), sources=[]),
        "append": lambda: lib.append("ghost", _frame(), make_catalog(["k"]), sources=[]),
        "restore": lambda: lib.restore("ghost", 1),
    }
    lib.root.mkdir(parents=True)
    with pytest.raises(DatasetNotFound):
        calls[operation]()
    assert sorted(p.name for p in lib.root.iterdir()) == []


# --- Checksums, as-of replay -------------------------------------------------------------------------


def test_checksum_follows_the_data(lib, saved):
    info, data, cat = saved
    same = lib.replace(info.slug, data, cat, sources=[])
    assert same.checksum == info.checksum
    one_value = data.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit(-1.0)).otherwise(pl.col("actual")).alias("actual")
    )
    changed = lib.replace(info.slug, one_value, cat, sources=[])
    assert changed.checksum != info.checksum
    assert changed.checksum == hashlib.sha256(lib.data_path(info.slug).read_bytes()).hexdigest()
    assert lib.get(info.slug).checksum == changed.checksum


def test_version_at(lib, saved, clock):
    info, data, cat = saved  # saved at T0
    clock.now = T0 + timedelta(hours=1)
    lib.append(info.slug, make_data(seed=2), cat, sources=[])
    clock.now = T0 + timedelta(days=1)
    lib.replace(info.slug, make_data(seed=3), cat, sources=[])
    cases = [
        (T0 - timedelta(microseconds=1), None),
        (T0, 1),
        (T0 + timedelta(minutes=59), 1),
        (T0 + timedelta(hours=1), 2),
        (T0 + timedelta(hours=23), 2),
        (T0 + timedelta(days=1), 3),
        (T0 + timedelta(days=400), 3),
        (datetime(2026, 3, 1, 9, 0), 2),  # naive: read as UTC
        (datetime(2026, 3, 1, 11, 30, tzinfo=timezone(timedelta(hours=2))), 2),  # 09:30 UTC
        (datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=2))), 1),  # 08:30 UTC
    ]
    got = [(lib.version_at(info.slug, when) or None) for when, _ in cases]
    assert [g.version if g else None for g in got] == [v for _, v in cases]


def test_saved_at_keeps_increasing_when_the_clock_goes_back(lib, clock):
    clock.step = timedelta(hours=-1)
    slug = lib.save("Clock", _frame(), make_catalog(["k"]), sources=[]).slug
    for i in range(3):
        lib.replace(slug, _frame(actual=[float(i), 0.0]), make_catalog(["k"]), sources=[])
    stamps = [v.saved_datetime for v in reversed(lib.versions(slug))]
    assert stamps == sorted(stamps) and len(set(stamps)) == 4
    assert stamps[-1] - stamps[0] == timedelta(microseconds=3)


# --- Atomic writes -----------------------------------------------------------------------------------


def _fail_nth(monkeypatch, target, name, n, exc):
    """Make the n-th call (1-based) of target.name raise exc; earlier calls go through."""
    real = getattr(target, name)
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise exc
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)


DISK_FULL = OSError(errno.ENOSPC, "No space left on device")
FAILURES = {
    "data-parquet": (pl.DataFrame, "write_parquet", 1, DISK_FULL),
    "catalog-parquet": (pl.DataFrame, "write_parquet", 2, DISK_FULL),
    "parquet-polars-error": (pl.DataFrame, "write_parquet", 1, pl.exceptions.ComputeError("boom")),
    "meta-json": (library, "write_json", 1, DISK_FULL),
    "fsync": (library, "fsync_path", 1, OSError(errno.EIO, "Input/output error")),
    "rename-version": (os, "rename", 1, DISK_FULL),
    "current": (store.os, "replace", 1, DISK_FULL),
}


@pytest.mark.parametrize(
    ("operation", "failure"),
    # A restore links the old files: it writes no Parquet, so Parquet failures do not apply to it.
    [
        (op, f)
        for op in ("replace", "append", "restore")
        for f in FAILURES
        if not (op == "restore" and FAILURES[f][0] is pl.DataFrame)
    ],
)
def test_a_failed_write_leaves_the_previous_version(lib, saved, monkeypatch, operation, failure):
    info, data, cat = saved
    if operation == "restore":
        lib.replace(info.slug, make_data(seed=2), cat, sources=[])
    before = lib.get(info.slug)
    target, name, n, exc = FAILURES[failure]
    _fail_nth(monkeypatch, target, name, n, exc)
    new = make_data(seed=11, months=14)
    with pytest.raises(DatasetWriteError) as err:
        if operation == "replace":
            lib.replace(info.slug, new, cat, sources=[])
        elif operation == "append":
            lib.append(info.slug, new, cat, sources=[])
        else:
            lib.restore(info.slug, 1)
    assert err.value.params["name"] == "Budget 2026"
    assert err.value.__cause__ is exc
    reason = exc.strerror if isinstance(exc, OSError) else "boom"
    assert err.value.params["reason"] == reason and reason in err.value.message("fr")
    monkeypatch.undo()
    assert lib.get(info.slug) == before
    assert [v.version for v in lib.versions(info.slug)] == list(range(before.version, 0, -1))
    assert lib.read(info.slug)[2] == lib.versions(info.slug)[0]
    assert sorted(p.name for p in (lib.root / info.slug).iterdir()) == sorted(
        [".lock", "CURRENT", "dataset.json", *(f"v{i:04d}" for i in range(1, before.version + 1))]
    )
    # The next write takes the version number the failed one did not get.
    again = lib.replace(info.slug, new, cat, sources=[])
    assert again.version == before.version + 1 and lib.read(info.slug)[0].equals(sorted_rows(new))


@pytest.mark.parametrize(
    "failure", ["data-parquet", "catalog-parquet", "meta-json", "fsync", "rename-version"]
)
def test_a_failed_save_leaves_nothing(lib, monkeypatch, failure):
    target, name, n, exc = FAILURES[failure]
    _fail_nth(monkeypatch, target, name, n, exc)
    with pytest.raises(DatasetWriteError):
        lib.save("Budget", _frame(), make_catalog(["k"]), sources=[])
    monkeypatch.undo()
    assert lib.list() == [] and sorted(p.name for p in lib.root.iterdir()) in ([], [".lock"])
    assert lib.save("Budget", _frame(), make_catalog(["k"]), sources=[]).slug == "budget"


def test_leftovers_of_a_crashed_writer_are_invisible_then_swept(lib, saved):
    info, data, cat = saved
    folder = lib.root / info.slug
    (folder / "v0002").mkdir()
    (folder / "v0002" / "data.parquet").write_bytes(b"half")
    (folder / ".tmp-abc" / "v").mkdir(parents=True)
    (folder / ".tmp-CURRENT.xyz").write_text("2")
    assert [v.version for v in lib.versions(info.slug)] == [1] and lib.get(info.slug).version_count == 1
    with pytest.raises(VersionNotFound):
        lib.read(info.slug, 2)
    out = lib.append(info.slug, make_data(seed=2, months=13), cat, sources=[])
    assert out.version.version == 2 and leftovers(lib.root) == []
    assert lib.read(info.slug, 2)[2].checksum == out.version.checksum


@pytest.mark.parametrize("missing", ["data.parquet", "catalog.parquet", "meta.json"])
def test_a_missing_version_file_is_reported_as_damage(lib, saved, missing):
    info = saved[0]
    (lib.root / info.slug / "v0001" / missing).unlink()
    with pytest.raises(DatasetCorrupt) as exc:
        lib.read(info.slug)
    assert exc.value.params["slug"] == info.slug


def test_a_damaged_dataset_is_reported_and_skipped_in_the_list(lib, saved):
    info = saved[0]
    lib.save("Other", _frame(), make_catalog(["k"]), sources=[])
    (lib.root / info.slug / "CURRENT").write_text("garbage")
    assert [i.slug for i in lib.list()] == ["other"]
    with pytest.raises(DatasetCorrupt) as exc:
        lib.get(info.slug)
    assert exc.value.params["slug"] == info.slug and "endommagé" in exc.value.message("fr")


# --- Concurrency -------------------------------------------------------------------------------------


def _append_worker(root: str, slug: str, seed: int, start, delay: float, queue) -> None:
    """Append 12 new months (one process); the delay widens the race between reading and publishing."""
    real = frames.upsert

    def slow(old, new):
        time.sleep(delay)
        return real(old, new)

    frames.upsert = slow
    start.wait(30)
    try:
        data = make_data(seed=seed, start=date(2025 + seed, 1, 1))
        out = DatasetLibrary(Path(root)).append(slug, data, make_catalog(), sources=[f"p{seed}.csv"])
        queue.put(("ok", seed, out.version.version, out.added))
    except Exception as exc:  # reported to the parent, which fails the test with it
        queue.put(("error", seed, repr(exc), 0))


def _save_worker(root: str, start, queue) -> None:
    """Save one name; the delay between choosing a slug and taking it widens the race."""
    real = DatasetLibrary._free_slug

    def slow(self, base):
        slug = real(self, base)
        time.sleep(0.5)
        return slug

    DatasetLibrary._free_slug = slow
    start.wait(30)
    try:
        queue.put(DatasetLibrary(Path(root)).save("Même nom", _frame(), make_catalog(["k"]), sources=[]).slug)
    except Exception as exc:  # reported to the parent, which fails the test with it
        queue.put(repr(exc))


def test_two_processes_appending_at_once_both_land(lib, saved):
    info = saved[0]
    ctx = multiprocessing.get_context("spawn")  # fork and Polars' thread pool do not mix
    start, queue = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_append_worker, args=(str(lib.root), info.slug, s, start, 1.0, queue))
        for s in (1, 2)
    ]
    for p in procs:
        p.start()
    start.set()
    results = sorted(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
    assert [r[0] for r in results] == ["ok", "ok"], results
    assert sorted(r[2] for r in results) == [2, 3] and [r[3] for r in results] == [240, 240]
    history = lib.versions(info.slug)
    assert [v.version for v in history] == [3, 2, 1]
    assert sorted(v.sources for v in history[:2]) == [("p1.csv",), ("p2.csv",)]
    data = lib.read(info.slug)[0]
    assert data.height == 3 * 240 and data["period"].dt.year().unique().sort().to_list() == [2025, 2026, 2027]


def test_two_processes_saving_one_name_get_two_slugs(lib):
    ctx = multiprocessing.get_context("spawn")
    start, queue = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_save_worker, args=(str(lib.root), start, queue)) for _ in range(2)]
    for p in procs:
        p.start()
    start.set()
    slugs = sorted(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(60)
    assert slugs == ["meme-nom", "meme-nom-2"]
    assert sorted(i.slug for i in lib.list()) == slugs and leftovers(lib.root) == []


def _crashing_worker(root: str, slug: str | None, reached) -> None:
    """Write, and hang once the Parquet files are on disk: the parent kills the process right there."""

    def hang(*args, **kwargs):
        reached.set()
        time.sleep(120)

    library.write_json = hang
    lib = DatasetLibrary(Path(root))
    if slug is None:
        lib.save("Crash", make_data(seed=3), make_catalog(), sources=[])
    else:
        lib.append(slug, make_data(seed=3, start=date(2027, 1, 1)), make_catalog(), sources=[])


@pytest.mark.parametrize("operation", ["save", "append"])
def test_a_writer_killed_mid_write_leaves_the_previous_state(lib, saved, operation):
    info = saved[0]
    before = lib.get(info.slug)
    ctx = multiprocessing.get_context("spawn")
    reached = ctx.Event()
    slug = info.slug if operation == "append" else None
    proc = ctx.Process(target=_crashing_worker, args=(str(lib.root), slug, reached))
    proc.start()
    try:
        assert reached.wait(60), "the worker never reached the write"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(30)
    assert proc.exitcode == -signal.SIGKILL
    assert leftovers(lib.root) != []  # the half-written version is on disk...
    assert [i.slug for i in lib.list()] == [info.slug]  # ...but nobody sees it
    assert lib.get(info.slug) == before and [v.version for v in lib.versions(info.slug)] == [1]
    assert lib.read(info.slug)[0].height == before.rows
    # The dead writer's lock went with it; the next writer sweeps its leftovers in the dataset.
    out = DatasetLibrary(lib.root, lock_timeout=5).append(
        info.slug, make_data(seed=4, start=date(2028, 1, 1)), make_catalog(), sources=[]
    )
    assert out.version.version == 2
    assert [p for p in leftovers(lib.root) if p.startswith(info.slug)] == []


def test_a_held_lock_makes_writers_wait_then_give_up(lib, saved, tmp_path):
    info = saved[0]
    impatient = DatasetLibrary(lib.root, lock_timeout=0.3)
    fd = os.open(lib.root / info.slug / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        began = time.monotonic()
        with pytest.raises(DatasetBusy) as exc:
            impatient.rename(info.slug, "Other")
        assert 0.3 <= time.monotonic() - began < 2
        assert exc.value.params == {"slug": info.slug, "seconds": 1}
        assert lib.read(info.slug)[2].version == 1  # readers take no lock
    finally:
        os.close(fd)
    assert impatient.rename(info.slug, "Other").name == "Other"


# --- Messages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "en", "fr"),
    [
        (DatasetNotFound(slug="x"), "There is no saved dataset “x”", "Aucun jeu de données enregistré « x »"),
        (
            VersionNotFound(slug="x", version="4", current=3),
            "has no version 4: its versions go from 1 to 3",
            "n'a pas de version 4 : ses versions vont de 1 à 3",
        ),
        (
            InvalidName("datasets.error.name_too_long", length=130, max=120),
            "130 characters; keep it to 120",
            "130 caractères ; limitez-le à 120",
        ),
        (
            InvalidData("datasets.error.null_keys", count=12000),
            "12,000 row(s) have no period",
            "12\u202f000 ligne(s) n'ont pas de période",
        ),
        (DatasetBusy(slug="x", seconds=120), "stayed locked for 120 s", "est resté verrouillé 120 s"),
        (
            DatasetWriteError(name="B", reason="No space left on device"),
            "Could not save “B”: No space",
            "Impossible d'enregistrer « B » : No space",
        ),
        (DatasetError(), "Something went wrong", "Un problème est survenu"),
    ],
)
def test_errors_speak_both_languages(error, en, fr):
    assert en in error.message("en") and fr in error.message("fr")
    assert str(error) == error.message("en")
    assert error.message("de") == error.message("fr")  # unknown language: the default, French


@pytest.mark.parametrize(
    "error",
    [DatasetNotFound(slug="x"), InvalidData("datasets.error.null_keys", count=3), DatasetError()],
    ids=["not-found", "invalid-data", "base"],
)
def test_errors_survive_pickling(error):
    # Worker processes and caches pickle exceptions; the default would rebuild from the English text.
    back = pickle.loads(pickle.dumps(error))
    assert (type(back), back.key, back.params) == (type(error), error.key, error.params)
    assert back.message("fr") == error.message("fr")


def test_every_error_key_in_the_code_exists_in_both_languages():
    source = "\n".join(p.read_text() for p in sorted((ROOT / "lib" / "datasets").glob("*.py")))
    keys = set(re.findall(r'"(datasets\.[a-z_]+\.[a-z_]+)"', source))
    assert len(keys) >= 20, keys
    for lang in ("en", "fr"):
        assert sorted(k for k in keys if k not in i18n_catalog(lang)) == [], lang
    en = {k for k in i18n_catalog("en") if k.startswith("datasets.")}
    fr = {k for k in i18n_catalog("fr") if k.startswith("datasets.")}
    assert en == fr
