"""Cached computations for pages. Whole-history work is done once per dataset version and grain and
shared by all sessions (st.cache_resource); a view's small frames are cached per view (st.cache_data).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st

from lib import model
from lib.filters import ViewState
from lib.slicing import performance
from lib.ui.data import Loaded, settings


@st.cache_resource(show_spinner=False, max_entries=12)
def _history(slug: str, token: str, grain: str, data_grain: str, _loaded: Loaded) -> pl.DataFrame:
    rollup = model.rollup_time(
        _loaded.data.lazy(), _loaded.catalog, grain, data_grain, settings().year_start_month
    )
    # Sorted by period: a date window is then a binary search (lib.slicing._window).
    return model.with_gap(rollup, _loaded.catalog).collect().sort("period")


def history(loaded: Loaded, grain: str, data_grain: str) -> pl.DataFrame:
    """Every period of every series at `grain`, with gap and status (for streaks, records, sparklines)."""
    return _history(loaded.slug, loaded.token, grain, data_grain, loaded)


@st.cache_data(show_spinner=False, max_entries=64)
def _performance(
    slug: str, token: str, view: ViewState, data_grain: str, _loaded: Loaded, total_label: str | None = None
) -> pl.DataFrame:
    # At a coarser grain than the data's, filter the whole history rolled up once per dataset version;
    # at the data's own grain there is nothing to roll up: filter the rows themselves.
    grain = view.grain or data_grain
    hist = history(_loaded, grain, data_grain) if grain != data_grain else None
    return performance(
        _loaded.data,
        _loaded.catalog,
        view,
        data_grain,
        settings().year_start_month,
        history=hist,
        total_label=total_label,
    )


def view_performance(loaded: Loaded, view: ViewState, data_grain: str) -> pl.DataFrame:
    """The view's period × service × KPI frame (language left out of the cache key)."""
    return _performance(loaded.slug, loaded.token, view.with_(lang=None), data_grain, loaded)


def view_total(loaded: Loaded, view: ViewState, data_grain: str, label: str) -> pl.DataFrame:
    """The view's KPIs as one series each: the total of its services (Explore, when they are many)."""
    return _performance(loaded.slug, loaded.token, view.with_(lang=None), data_grain, loaded, label)


@st.cache_data(show_spinner=False, max_entries=32)
def _signals(
    slug: str, token: str, grain: str, data_grain: str, as_of: date, params: tuple, _loaded: Loaded
) -> pl.DataFrame:
    from lib.signals import detect

    chosen = {kind: dict(values) for kind, values in params}
    return detect(
        history(_loaded, grain, data_grain),
        _loaded.catalog,
        as_of=as_of,
        params=chosen,
        year_start_month=settings().year_start_month,
    )


def signals(
    loaded: Loaded, grain: str, data_grain: str, as_of: date, params: dict[str, dict[str, float]]
) -> pl.DataFrame:
    """Active signals at `as_of` for every series, once per dataset version, grain, date and parameters
    (filters then only filter them)."""
    frozen = tuple(sorted((k, tuple(sorted(v.items()))) for k, v in params.items()))
    return _signals(loaded.slug, loaded.token, grain, data_grain, as_of, frozen, loaded)


@st.cache_data(show_spinner=False, max_entries=64)
def _projection(
    slug: str,
    token: str,
    grain: str,
    data_grain: str,
    as_of: date,
    services: tuple,
    kpi: str,
    _loaded: Loaded,
) -> pl.DataFrame:
    from lib.signals import projection

    return projection(
        history(_loaded, grain, data_grain),
        _loaded.catalog,
        as_of=as_of,
        year_start_month=settings().year_start_month,
        services=list(services),
        kpis=[kpi],
    )


def kpi_projection(
    loaded: Loaded, grain: str, data_grain: str, as_of: date, services: list[str], kpi: str
) -> pl.DataFrame:
    """The KPI's projection to its deadline for these services: period, service, kpi, mean, low, high."""
    return _projection(
        loaded.slug, loaded.token, grain, data_grain, as_of, tuple(sorted(services)), kpi, loaded
    )


@st.cache_resource(show_spinner=False, max_entries=256)
def _replay(
    slug: str, token: str, grain: str, data_grain: str, kpi: str, params: tuple, _loaded: Loaded
) -> pl.DataFrame:
    from lib.signals import replay

    hist = history(_loaded, grain, data_grain)
    return replay(
        hist.filter(pl.col("kpi") == kpi),
        _loaded.catalog,
        params={kind: dict(values) for kind, values in params},
        year_start_month=settings().year_start_month,
    )


def signal_replay(
    loaded: Loaded, grain: str, data_grain: str, kpi: str, params: dict[str, dict[str, float]] | None = None
) -> pl.DataFrame:
    """Every firing of one KPI's series, each period judged with the data known then (lib.signals.replay),
    once per dataset version, grain, KPI and parameters. Cut it at a date to replay as of that date: a
    firing only reads the periods up to its own.

    One KPI at a time, with all its services, because a detector reads no further than a series' KPI
    (the anomaly's σ is pooled within it, lib.signals.pool): the firings are those of the whole
    replay, their numbers to rounding (checked on every KPI of the sample and of the 10M-row extract,
    where the whole replay takes 5 s and one KPI 0.1 s). A KPI reported on fewer periods than the
    others (quarterly among monthly KPIs) is judged on its own periods, as the whole replay judges it
    (lib.signals.engine.by_cadence)."""
    from lib.signals import resolve

    # Defaults filled in: the defaults spelled out or left out are one cache entry.
    frozen = tuple(sorted((k, tuple(sorted(v.items()))) for k, v in resolve(params).items()))
    return _replay(loaded.slug, loaded.token, grain, data_grain, kpi, frozen, loaded)
