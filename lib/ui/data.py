"""Cached access to settings, the dataset library and the loaded datasets.

Datasets are held once per process with st.cache_resource (shared by all sessions, never mutated:
Polars frames are immutable); st.cache_data would pickle a copy per caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import polars as pl
import streamlit as st

from lib.config import Settings
from lib.datasets import DatasetLibrary
from lib.filters import SAMPLE_SLUG, Domain
from lib.ingest import ValidationReport
from lib.sample import SAMPLE_CATALOG, SAMPLE_EXTRACT, load_sample
from lib.slicing import domain_of


@dataclass(frozen=True)
class Loaded:
    slug: str
    name: str
    data: pl.DataFrame
    catalog: pl.DataFrame
    version: int | None  # None for the sample organisation
    token: str  # changes whenever the data does: the cache key of anything computed from it
    report: ValidationReport | None = None


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return Settings.load()


@st.cache_resource(show_spinner=False)
def library() -> DatasetLibrary:
    return DatasetLibrary(settings().data_dir)


def dataset_names(lang_sample_name: str) -> dict[str, str]:
    """slug -> display name, the sample first."""
    names = {SAMPLE_SLUG: lang_sample_name}
    names.update({info.slug: info.name for info in library().list()})
    return names


def _sample_token() -> str:
    return "-".join(f"{p.stat().st_mtime_ns}:{p.stat().st_size}" for p in (SAMPLE_EXTRACT, SAMPLE_CATALOG))


@st.cache_resource(show_spinner=False, max_entries=6)
def _load(slug: str, token: str, sample_name: str) -> Loaded:
    if slug == SAMPLE_SLUG:
        result = load_sample(settings())
        assert result.data is not None and result.catalog is not None, result.report.to_dict()
        return Loaded(slug, sample_name, result.data, result.catalog, None, token, result.report)
    data, catalog, info = library().read(slug)
    return Loaded(slug, info.name, data, catalog, info.version, token)


def load(slug: str, sample_name: str) -> Loaded:
    """The current version of a dataset (raises lib.datasets.DatasetNotFound for an unknown slug)."""
    if slug == SAMPLE_SLUG:
        return _load(slug, _sample_token(), sample_name)
    info = library().get(slug)
    return _load(slug, f"{info.version}:{info.checksum}", sample_name)


@st.cache_resource(show_spinner=False, max_entries=4)
def _load_version(slug: str, version: int, checksum: str) -> Loaded:
    data, catalog, info = library().read(slug, version)
    return Loaded(slug, info.name, data, catalog, info.version, f"{version}:{checksum}")


def known_on(loaded: Loaded, when: date) -> Loaded:
    """What was actually known on `when`: the version of a saved dataset that was current then (the
    current one if it is older, or if none was saved yet). The sample has no history: itself."""
    if loaded.version is None:
        return loaded
    end_of_day = datetime.combine(when, time.max, tzinfo=UTC)
    info = library().version_at(loaded.slug, end_of_day)
    if info is None or info.version == loaded.version:
        return loaded
    return _load_version(loaded.slug, info.version, info.checksum)


@st.cache_resource(show_spinner=False, max_entries=6)
def _domain(slug: str, token: str, _loaded: Loaded) -> tuple[Domain, list[date]]:
    return domain_of(_loaded.data, _loaded.catalog, settings().year_start_month)


def domain(loaded: Loaded) -> tuple[Domain, list[date]]:
    """Names, grain and periods of a dataset, computed once per version."""
    return _domain(loaded.slug, loaded.token, loaded)


def invalidate() -> None:
    """After a save, rename or delete: drop held datasets so every session sees the change."""
    _load.clear()
