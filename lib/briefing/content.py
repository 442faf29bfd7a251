"""The briefing pack's content, built once from the view on screen: every slide's text, numbers,
chart and table, already translated and formatted (lib/briefing/model.py), and its snapshot.

The headline numbers are lib.overview's (the Overview page's), the sentences lib.signals' and
lib.wins'; this module chooses, orders and words them for a meeting. Slides, in order: title,
summary, since the last briefing (when there was one), one per service (≤ GROUP_MAX_SERVICES in
view) or else per strategic axis, actions overdue and due soon, appendix tables.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from lib import model
from lib.briefing.model import Briefing, Slide, stem
from lib.briefing.since import Changes, diff, readable, snapshot
from lib.briefing.slides import (
    CHART_BARS,
    GROUP_MAX_SERVICES,
    TABLE_ROWS,
    action_rows,
    action_slides,
    chunks,
    counts_of,
    group_slide,
    names,
    numbered,
    pairs,
    results_table,
    score_of,
    since_slide,
    summary_slide,
    title_slide,
)
from lib.briefing.wording import Wording, describe_filters, signal_sentence, win_text
from lib.charts.base import natural_key
from lib.filters import ViewState
from lib.fmt import fmt_date, fmt_int
from lib.i18n import t
from lib.overview import build_overview
from lib.wins import wins

APPENDIX_MAX_ROWS = 8 * TABLE_ROWS  # beyond this, the results furthest from target (all in the workbook)

__all__ = ["CHART_BARS", "GROUP_MAX_SERVICES", "TABLE_ROWS", "build_briefing", "describe_filters"]

# --- Workbook tables ----------------------------------------------------------------------------------


def _raw_tables(
    now_rows: pl.DataFrame,
    signals: pl.DataFrame,
    found_wins: pl.DataFrame,
    actions_table: pl.DataFrame,
    groups: pl.DataFrame,
    tx: Wording,
) -> dict[str, pl.DataFrame]:
    """The numbers behind the slides, one sheet each: values as numbers, headers in the pack's language."""
    lang = tx.lang
    status_text = {s: tx.status(s) for s in model.STATUSES}
    results = (
        names(now_rows)
        .sort("service", "kpi")
        .select(
            pl.col("service").alias(tx.tr("col.service")),
            pl.col("kpi").alias(tx.tr("col.kpi")),
            pl.col("axis").alias(tx.tr("col.axis")),
            pl.col("period").alias(tx.tr("col.period")),
            pl.col("actual").alias(tx.tr("col.actual")),
            pl.col("target").alias(tx.tr("col.target")),
            pl.col("unit").alias(tx.tr("col.unit")),
            pl.col("gap_pct").alias(tx.tr("col.gap_pct")),
            pl.col("status")
            .cast(pl.String)
            .replace_strict(status_text, default="")
            .alias(tx.tr("col.status")),
            pl.col("cmp_gap_pct").alias(tx.tr("col.cmp_gap_pct")),
            pl.col("gap_change").alias(tx.tr("col.gap_change")),
        )
    )
    bad = names(signals).filter(pl.col("polarity") == "bad") if signals.height else names(signals)
    sig_rows = (
        [
            {
                tx.tr("col.service"): r["service"],
                tx.tr("col.kpi"): r["kpi"],
                tx.tr("col.signal"): t(f"signals.kind.{r['kind']}", lang),
                tx.tr("col.severity"): r["severity"],
                tx.tr("col.since"): r["period"],
                tx.tr("col.sentence"): signal_sentence(r, tx),
            }
            for r in bad.iter_rows(named=True)
        ]
        if bad.height
        else []
    )
    win_rows = [
        {
            tx.tr("col.service"): str(r["service"]),
            tx.tr("col.kpi"): str(r["kpi"]),
            tx.tr("col.win"): t(f"wins.kind.{r['kind']}", lang),
            tx.tr("col.sentence"): win_text(r, tx),
        }
        for r in found_wins.iter_rows(named=True)
    ]
    sig_schema = {
        tx.tr("col.service"): pl.String,
        tx.tr("col.kpi"): pl.String,
        tx.tr("col.signal"): pl.String,
        tx.tr("col.severity"): pl.Float64,
        tx.tr("col.since"): pl.Date,
        tx.tr("col.sentence"): pl.String,
    }
    win_schema = {
        tx.tr("col.service"): pl.String,
        tx.tr("col.kpi"): pl.String,
        tx.tr("col.win"): pl.String,
        tx.tr("col.sentence"): pl.String,
    }
    return {
        tx.tr("sheet.results"): results,
        tx.tr("sheet.groups"): groups,
        tx.tr("sheet.signals"): pl.DataFrame(sig_rows, schema=sig_schema, orient="row"),
        tx.tr("sheet.wins"): pl.DataFrame(win_rows, schema=win_schema, orient="row"),
        tx.tr("sheet.actions"): actions_table,
    }


def _since_table(changes: Changes, signals: pl.DataFrame, actions: pl.DataFrame, tx: Wording) -> pl.DataFrame:
    cols = [tx.tr(f"col.{k}") for k in ("change_kind", "service", "item", "detail")]
    rows = [
        (tx.tr("since.metric.status"), c.service, c.kpi, f"{tx.status(c.before)} → {tx.status(c.after)}")
        for c in changes.status
    ]
    by_key = {(r["service"], r["kpi"], r["kind"]): r for r in names(signals).iter_rows(named=True)}
    rows += [
        (tx.tr("since.metric.new_signals"), s, k, signal_sentence(by_key[(s, k, kind)], tx))
        for s, k, kind in changes.new_signals
        if (s, k, kind) in by_key
    ]
    acts = {r["id"]: r for r in actions.iter_rows(named=True)}
    for kind, ids in (("closed", changes.closed), ("newly_overdue", changes.newly_overdue)):
        for i in ids:
            if (a := acts.get(i)) is not None:
                detail = t(f"actions.status.{a['status']}", tx.lang)
                if a["due"] is not None:
                    detail += f" · {fmt_date(a['due'], tx.lang)}"
                rows.append((tx.tr(f"since.metric.{kind}"), a["service"], f"#{i} {a['title']}", detail))
    return pl.DataFrame(rows, schema=dict.fromkeys(cols, pl.String), orient="row")


def _scoped_actions(actions: pl.DataFrame, view: ViewState, kpis: set[str]) -> pl.DataFrame:
    """The actions of the view's services (and of its KPIs, or of no KPI in particular)."""
    out = actions
    if view.services:
        out = out.filter(pl.col("service").is_in(list(view.services)))
    if view.kpis or view.axes:
        out = out.filter(pl.col("kpi").is_null() | pl.col("kpi").is_in(sorted(kpis)))
    return out


def build_briefing(
    *,
    name: str,
    slug: str,
    version: int | None,
    perf: pl.DataFrame,
    history: pl.DataFrame,
    catalog: pl.DataFrame,
    view: ViewState,
    data_grain: str,
    lang: str,
    signals: pl.DataFrame,
    actions: pl.DataFrame,
    notes: pl.DataFrame,
    previous: dict | None,
    now: datetime,
    author: str,
    link: str,
    year_start_month: int = 1,
) -> tuple[Briefing, dict]:
    """The pack of the view and its snapshot (to record with Store.record_briefing).

    perf: lib.slicing.performance of the view; history: the dataset at the view's grain with gaps;
    signals: lib.signals.detect at the view's end (any series: the view's are kept); actions and notes:
    the store's frames of the dataset; previous: the last briefing's snapshot (None: no "since" slide).
    """
    grain = view.grain or data_grain
    units = {str(k): (u or "") for k, u in catalog.select("kpi", "unit").iter_rows()}
    tx = Wording(lang, "month" if grain == "ytd" else grain, units)
    # As the Overview page: streaks and records over the whole history, except at daily or weekly grain.
    past = history if grain not in ("day", "week") else perf
    ov = build_overview(perf, past, catalog, grain, view.compare)
    at = ov.at
    today = now.date()
    info = catalog.select(pl.col("kpi").cast(pl.Categorical), "unit", "axis")
    now_rows = (
        perf.filter(pl.col("period") == at).join(info, on="kpi", how="left").sort("service", "kpi")
        if at is not None
        else perf.clear().join(info, on="kpi", how="left")
    )
    series = pairs(now_rows)
    in_view = names(signals).join(series, on=["service", "kpi"], how="semi") if signals.height else signals
    kpis = set(series.get_column("kpi").to_list())
    scoped = _scoped_actions(actions, view, kpis)
    first = perf["period"].min() if perf.height else None
    last_day = view.end or at
    if notes.height and first is not None:
        notes = (
            notes.join(series, on=["service", "kpi"], how="semi")
            .filter(pl.col("period").is_between(first, last_day))
            .sort(["period", "id"], descending=True)
        )
    else:
        notes = notes.clear()

    title = t("briefing.title", lang, name=name)
    period = tx.period(at) if grain != "ytd" else tx.tr("ytd", period=tx.period(at))
    filters = describe_filters(view, name, version, first, at, tx)
    slides = [
        title_slide(title, period, now, author, filters, tx),
        summary_slide(ov, in_view, view.compare, tx),
    ]

    current = snapshot(
        period=at or last_day or today,
        grain=grain,
        now_rows=now_rows,
        signals=in_view,
        actions=scoped,
        today=today,
        generated_at=now,
        score=ov.score,
    )
    tables: dict[str, pl.DataFrame] = {}
    if previous is not None and readable(previous):
        changes = diff(previous, current)
        slides.append(since_slide(changes, in_view, scoped, tx))
        tables[tx.tr("sheet.since")] = _since_table(changes, in_view, scoped, tx)

    group_rows: list[dict] = []
    found_wins = pl.DataFrame()
    if at is not None:
        found_wins = wins(
            past.join(now_rows.select("service", "kpi"), on=["service", "kpi"], how="semi"), catalog, at
        )
        found_wins = found_wins.unique(["service", "kpi"], keep="first", maintain_order=True)
        before = (
            history.filter(pl.col("period") == ov.compare_at).join(
                now_rows.select("service", "kpi"), on=["service", "kpi"], how="semi"
            )
            if ov.compare_at is not None
            else now_rows.clear()
        )
        services = sorted(set(series["service"].to_list()), key=lambda s: (natural_key(s), s))
        by = "service" if len(services) <= GROUP_MAX_SERVICES else "axis"
        if by == "service":
            keys = services
            member = {s: pl.col("service") == s for s in services}
        else:
            axis_of = {str(k): a for k, a in catalog.select("kpi", "axis").iter_rows()}
            no_axis = tx.tr("group.no_axis")
            named = {k: axis_of.get(k) or no_axis for k in kpis}
            keys = sorted(set(named.values()), key=lambda a: (a == no_axis, natural_key(a), a))
            member = {
                a: pl.col("kpi").cast(pl.String).is_in(sorted(k for k, v in named.items() if v == a))
                for a in keys
            }
        for key in keys:
            rows = now_rows.filter(member[key])
            mine_pairs = pairs(rows)
            mine = (
                names(found_wins).join(mine_pairs, on=["service", "kpi"], how="semi")
                if found_wins.height
                else found_wins
            )
            slide = group_slide(
                key,
                by,
                rows,
                before.filter(member[key]),
                catalog,
                in_view.join(mine_pairs, on=["service", "kpi"], how="semi") if in_view.height else in_view,
                mine,
                notes.join(mine_pairs, on=["service", "kpi"], how="semi") if notes.height else notes,
                view.compare,
                at,
                tx,
            )
            slides.append(slide)
            counts = counts_of(rows)
            score = score_of(rows, catalog)
            prior = score_of(before.filter(member[key]), catalog) if view.compare != "target" else None
            group_rows.append(
                {
                    tx.tr(f"col.{by}"): key,
                    tx.tr("col.score"): score,
                    tx.tr("col.score_change"): None
                    if score is None or prior is None
                    else (score - prior) * 100,
                    **{tx.status(s): counts[s] for s in model.STATUSES},
                }
            )

    due = action_rows(scoped, today)
    act_slides, act_table = action_slides(due, today, tx)
    slides += act_slides
    if at is not None:
        # A pack is read in a meeting: at scale (25,000 series of a 10M-row extract would make 1,667
        # slides) the appendix keeps the results furthest from target; the workbook keeps them all.
        shown, note = now_rows, ""
        if now_rows.height > APPENDIX_MAX_ROWS:
            shown = now_rows.sort("gap_pct", nulls_last=True).head(APPENDIX_MAX_ROWS)
            note = tx.tr(
                "appendix.truncated",
                shown=fmt_int(APPENDIX_MAX_ROWS, lang),
                total=fmt_int(now_rows.height, lang),
            )
        parts = chunks(results_table(shown, tx))
        heading = tx.tr("appendix.title", period=tx.period(at))
        slides += [
            Slide("appendix", numbered(heading, i, len(parts), tx), subtitle=note, table=part)
            for i, part in enumerate(parts, 1)
        ]

    groups = (
        pl.DataFrame(group_rows)
        if group_rows
        else pl.DataFrame({tx.tr("col.service"): []}, schema={tx.tr("col.service"): pl.String})
    )
    tables = {**_raw_tables(now_rows, in_view, found_wins, act_table, groups, tx), **tables}
    pack = Briefing(
        lang=lang,
        title=title,
        organisation=name,
        period=period if at is not None else "—",
        generated_at=now,
        generated_by=author,
        filters=filters,
        link=link,
        dataset=slug,
        dataset_version=version,
        slides=tuple(slides),
        tables=tables,
        file_stem=stem(slug, at or last_day or today, today),
    )
    return pack, current
