"""Explore's team notes and corrective actions: what the chart draws, the selected point's panel (its
notes, a note to add, an action to create from it) and "did it work?" for each action on the KPI.

Writes go through lib.ui.store.attempt (the author is asked once per session) in widget callbacks, so
the page is drawn after them with what they wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl
import streamlit as st

from lib.charts.effect import effect_chart
from lib.effect import Effect, effect, effect_sentence
from lib.filters import ViewState, period_end
from lib.fmt import fmt_datetime
from lib.i18n import t
from lib.periods import period_label
from lib.store import TEXT_MAX, NotFound, ValidationError, issue_message
from lib.ui import store as ui
from lib.ui.data import Loaded, settings
from lib.ui.text import md_escape

POINT_KEY = "_explore_point"  # the point clicked last: {"kpi", "series", "period"}
SEEN_KEY = "_explore_clicks"  # kpi -> the chart's selection as last read, so a click counts once
ROUND_KEY = "_explore_chart_round"  # kpi -> how many times its selection was cleared
HIDDEN = ("dropped",)  # dropped actions are not drawn nor measured: nothing was done


@dataclass(frozen=True)
class Point:
    kpi: str
    series: str
    period: date


# --- The selection -------------------------------------------------------------------------------------


def clicked(kpi: str, selection: list[dict] | None, when: date | None) -> Point | None:
    """The point a new click picked on `kpi`'s chart (remembered as the selected point), else None.

    The chart keeps its selection across reruns: the same selection read again is not a new click."""
    series = str(selection[0].get("series")) if selection and selection[0].get("series") else None
    signature = (when, series) if when is not None and series else None
    seen = st.session_state.setdefault(SEEN_KEY, {})
    if seen.get(kpi) == signature:
        return None
    seen[kpi] = signature
    if signature is None:
        return None
    point = Point(kpi, series, when)
    st.session_state[POINT_KEY] = point
    return point


def selected(kpi: str, series: list[str], periods: list[date]) -> Point | None:
    point = st.session_state.get(POINT_KEY)
    if isinstance(point, Point) and point.kpi == kpi and point.series in series and point.period in periods:
        return point
    return None


def chart_key(kpi: str) -> str:
    """The chart's widget key: a new one once its selection is cleared, which clears its highlight too."""
    n = st.session_state.get(ROUND_KEY, {}).get(kpi, 0)
    return f"series_{kpi}" + (f"_{n}" if n else "")


def _clear(kpi: str) -> None:
    st.session_state.pop(POINT_KEY, None)
    rounds = st.session_state.setdefault(ROUND_KEY, {})
    rounds[kpi] = rounds.get(kpi, 0) + 1


# --- What the chart draws ------------------------------------------------------------------------------


def chart_notes(store, slug: str, kpi: str, series: list[str]) -> pl.DataFrame:
    """period, series, text, author of the KPI's notes on these series, oldest first."""
    notes = store.notes_frame(slug, kpi=kpi)
    return (
        notes.filter(pl.col("service").is_in(series))
        .sort("created_at", "id")
        .select("period", pl.col("service").alias("series"), "text", pl.col("created_by").alias("author"))
    )


def kpi_actions(store, slug: str, kpi: str, services: list[str]) -> pl.DataFrame:
    """The KPI's actions on these services that were not dropped, by start."""
    actions = store.actions_frame(slug)
    return actions.filter(
        (pl.col("kpi") == kpi) & pl.col("service").is_in(services) & ~pl.col("status").is_in(HIDDEN)
    ).sort("start", "id")


def chart_actions(actions: pl.DataFrame) -> pl.DataFrame:
    return actions.select("id", "title", pl.col("service").alias("series"), "start", "due", "status", "owner")


# --- The selected point's panel ------------------------------------------------------------------------


def _add_note(slug: str, point: Point, key: str, services: list[str], kpis: list[str]) -> None:
    text = str(st.session_state.get(key) or "")

    def write(who: str) -> None:
        try:
            ui.store().add_note(
                slug,
                service=point.series,
                kpi=point.kpi,
                period=point.period,
                text=text,
                author=who,
                known_services=services,
                known_kpis=kpis,
            )
        except ValidationError as exc:
            st.session_state[f"{key}_outcome"] = ("refused", exc.issues)
            return
        st.session_state[key] = ""
        st.session_state[f"{key}_outcome"] = ("saved", [])

    ui.attempt(f"explore_{point.kpi}", write)


def _delete_note(note_id: int, key: str, kpi: str) -> None:
    def write(who: str) -> None:
        try:
            ui.store().delete_note(note_id, author=who)
        except NotFound:  # someone else deleted it first: it is gone either way
            pass
        st.session_state[f"{key}_outcome"] = ("deleted", [])

    ui.attempt(f"explore_{kpi}", write)


def point_panel(
    point: Point, *, slug: str, grain: str, lang: str, raw: ViewState, services: list[str], kpis: list[str]
) -> None:
    """The selected point: its notes (each with delete), a note to add, an action to create from it."""
    key = f"_note_text_{point.kpi}"
    with st.container(border=True):
        label = period_label(point.period, grain, lang)
        heading = t("explore.notes.selected", lang, series=point.series, period=label)
        st.markdown(f"**:material/ads_click: {md_escape(heading)}**")
        end = period_end(point.period, grain)
        notes = [
            n
            for n in ui.store().notes(slug, service=point.series, kpi=point.kpi)
            if point.period <= n.period <= end
        ]
        for note in notes:
            text, button = st.columns([6, 1], vertical_alignment="center")
            text.markdown(md_escape(note.text))
            when = fmt_datetime(note.created_at, lang)
            text.caption(md_escape(t("explore.notes.by", lang, author=note.created_by, when=when)))
            button.button(
                t("explore.notes.delete", lang),
                key=f"_note_del_{note.id}",
                icon=":material/delete:",
                help=t("explore.notes.delete_help", lang),
                on_click=_delete_note,
                args=(note.id, key, point.kpi),
            )
        if not notes:
            st.caption(t("explore.notes.none", lang))
        outcome = st.session_state.pop(f"{key}_outcome", None)
        if outcome and outcome[0] == "saved":
            st.success(t("explore.notes.saved", lang), icon=":material/check:")
        elif outcome and outcome[0] == "deleted":
            st.success(t("explore.notes.deleted", lang), icon=":material/check:")
        elif outcome:
            for issue in outcome[1]:
                st.error(md_escape(issue_message(issue, lang)))
        with st.form(f"_note_form_{point.kpi}", border=False):
            st.text_area(
                t("explore.notes.text", lang),
                key=key,
                max_chars=TEXT_MAX,
                height=80,
                placeholder=t("explore.notes.text_ph", lang),
            )
            st.form_submit_button(
                t("explore.notes.save", lang),
                icon=":material/sticky_note_2:",
                on_click=_add_note,
                args=(slug, point, key, services, kpis),
            )
        ui.author_prompt(f"explore_{point.kpi}", lang)
        act, clear, _ = st.columns([2, 1, 2])
        if act.button(
            t("explore.actions.create", lang),
            key=f"_act_from_{point.kpi}",
            icon=":material/add_task:",
            help=t("explore.actions.create_help", lang),
            type="primary",
        ):
            ui.create_action_from({"service": point.series, "kpi": point.kpi, "start": point.period}, raw)
        clear.button(
            t("explore.notes.clear", lang), key=f"_clear_{point.kpi}", on_click=_clear, args=(point.kpi,)
        )


# --- Did it work? ---------------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=256)
def _effect(
    slug: str,
    token: str,
    grain: str,
    service: str,
    kpi: str,
    start: date,
    _history: pl.DataFrame,
    _cat: pl.DataFrame,
) -> Effect:
    return effect(
        _history, _cat, service=service, kpi=kpi, start=start, year_start_month=settings().year_start_month
    )


def did_it_work(
    actions: pl.DataFrame, history: pl.DataFrame, loaded: Loaded, grain: str, lang: str, unit: str
) -> None:
    """For each action, its effect on the KPI: the sentence (coloured by its verdict), the chart, the
    method and its uncertainty in one caption."""
    if actions.is_empty():
        return
    st.markdown(f"**:material/troubleshoot: {t('explore.effect_view.title', lang)}**")
    for row in actions.iter_rows(named=True):
        status = t(f"actions.status.{row['status']}", lang)
        label = t(
            "explore.effect_view.expander", lang, title=row["title"], service=row["service"], status=status
        )
        with st.expander(md_escape(label), icon=":material/flag:", expanded=actions.height == 1):
            eff = _effect(
                loaded.slug,
                loaded.token,
                grain,
                row["service"],
                row["kpi"],
                row["start"],
                history,
                loaded.catalog,
            )
            sentence = md_escape(effect_sentence(eff, lang, unit))
            if eff.series.is_empty():
                st.info(t("explore.effect_view.no_data", lang, service=row["service"]))
                continue
            if eff.status != "measured":
                st.info(sentence, icon=":material/hourglass_empty:")
            elif eff.verdict == "improved":
                st.success(sentence, icon=":material/thumb_up:")
            elif eff.verdict == "worse":
                st.error(sentence, icon=":material/thumb_down:")
            else:
                st.info(sentence, icon=":material/horizontal_rule:")
            st.altair_chart(effect_chart(eff, lang, unit=unit), width="stretch", theme=None)
            if eff.status != "measured":
                st.caption(t("explore.effect_view.not_enough", lang))
            st.caption(t("explore.effect_view.method", lang))
