"""The slides of a briefing pack, one builder per kind (lib/briefing/model.py SLIDE_KINDS), from small
frames of the view; lib.briefing.content decides which slides a pack has and feeds them."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from lib import charts, model
from lib.briefing.model import Metric, Slide
from lib.briefing.since import Changes
from lib.briefing.wording import Wording, compare_clause, quote, signal_sentence, win_text
from lib.charts.base import natural_key
from lib.fmt import fmt_date, fmt_int, fmt_percent, fmt_signed
from lib.i18n import t
from lib.overview import Overview
from lib.periods import period_label
from lib.store.model import OPEN_STATUSES

GROUP_MAX_SERVICES = 12  # beyond this, one slide per strategic axis instead of per service
TOP = 5  # weak signals and wins on the summary
BULLETS = 5  # at most, on a group slide
SINCE_BULLETS = 10
CHART_BARS = 15  # bars on a group slide's chart: the furthest from target
TABLE_ROWS = 15  # rows of a table slide (appendix, actions): more rows, more slides
NOTES = 3  # team notes quoted in a group's commentary
MOVE_POINTS = 0.5  # a gap moving less than this (points of target) is stable, as on the Service page
DUE_DAYS = 30


def score_of(rows: pl.DataFrame, catalog: pl.DataFrame) -> float | None:
    """lib.overview's score of a set of service × KPI rows at one period."""
    if rows.is_empty():
        return None
    return model.scores(rows.lazy(), catalog, ["period"]).collect()["score"][0]


def counts_of(rows: pl.DataFrame) -> dict[str, int]:
    codes = rows.get_column("status").cast(pl.String).to_list() if rows.height else []
    return {s: codes.count(s) for s in model.STATUSES}


def names(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.with_columns(pl.col("service", "kpi").cast(pl.String))


def pairs(rows: pl.DataFrame) -> pl.DataFrame:
    return names(rows).select("service", "kpi").unique()


def _score_metric(score: float | None, before: float | None, tx: Wording) -> Metric:
    delta = None if score is None or before is None else score - before
    good = None if delta is None or round(delta * 1000) == 0 else delta > 0
    return Metric(
        tx.tr("metric.score"),
        fmt_percent(score, tx.lang),
        tx.points(delta) if delta is not None else None,
        good,
    )


def _count_metrics(counts: dict[str, int], tx: Wording) -> list[Metric]:
    return [Metric(tx.status(s), fmt_int(counts[s], tx.lang)) for s in ("on", "watch", "off")]


def signal_rows(signals: pl.DataFrame, top: int | None = None) -> pl.DataFrame:
    """Weak signals (good news left out), the strongest of each series, strongest first."""
    if signals.is_empty():
        return signals
    bad = signals.filter(pl.col("polarity") == "bad").sort(
        ["severity", "service", "kpi", "kind"], descending=[True, False, False, False]
    )
    bad = bad.unique(["service", "kpi"], keep="first", maintain_order=True)
    return bad if top is None else bad.head(top)


def title_slide(b_title: str, period: str, now: datetime, author: str, filters: tuple[str, ...], tx: Wording):
    subtitle = tx.tr("title_slide.subtitle", period=period, date=fmt_date(now.date(), tx.lang, "long"))
    if author.strip():
        subtitle = tx.tr(
            "title_slide.subtitle_by",
            period=period,
            date=fmt_date(now.date(), tx.lang, "long"),
            author=author.strip(),
        )
    return Slide("title", b_title, subtitle=subtitle, bullets=filters)


def summary_slide(ov: Overview, signals: pl.DataFrame, compare: str, tx: Wording) -> Slide:
    lang = tx.lang
    title = tx.tr("summary.title")
    if ov.at is None:
        return Slide("summary", title, bullets=(tx.tr("summary.empty"),))
    metrics = [
        _score_metric(ov.score, ov.score_before, tx),
        *_count_metrics(ov.counts, tx),
        Metric(tx.tr("metric.completeness"), fmt_percent(ov.completeness, lang)),
    ]
    top = signal_rows(signals, TOP)
    bullets = [tx.tr("signal_bullet", sentence=signal_sentence(r, tx)) for r in top.iter_rows(named=True)]
    if not bullets:
        bullets.append(tx.tr("summary.no_signal"))
    found = [tx.tr("win_bullet", sentence=win_text(r, tx)) for r in ov.wins.head(TOP).iter_rows(named=True)]
    bullets += found or [tx.tr("summary.no_win")]
    n = sum(ov.counts.values())
    parts = [
        tx.plural(
            "summary.comment_score",
            tx.agreeing(ov.counts["on"], n),
            score=fmt_percent(ov.score, lang),
            against=compare_clause(
                None if ov.score is None or ov.score_before is None else ov.score - ov.score_before,
                compare,
                tx,
            ),
            on=fmt_int(ov.counts["on"], lang),
            n=fmt_int(n, lang),
            watch=fmt_int(ov.counts["watch"], lang),
            off=fmt_int(ov.counts["off"], lang),
        ),
        tx.tr(
            "summary.comment_reported",
            reported=fmt_int(ov.reported, lang),
            expected=fmt_int(ov.expected, lang),
        ),
    ]
    if not ov.deteriorations.is_empty():
        w = ov.deteriorations.row(0, named=True)
        parts.append(
            tx.tr(
                "summary.comment_worse",
                label=f"{w['service']} — {w['kpi']}",
                before=tx.gap(w["cmp_gap_pct"]),
                now=tx.gap(w["gap_pct"]),
            )
        )
    all_bad = signal_rows(signals)
    parts.append(tx.plural("summary.comment_signals", all_bad.height))
    subtitle = tx.tr(
        "summary.subtitle", period=tx.period(ov.at), compare=t(f"common.compare.{compare}", lang)
    )
    return Slide("summary", title, subtitle, tuple(metrics), tuple(bullets), commentary=" ".join(parts))


def _label(row: dict, by: str) -> str:
    return str(row["kpi"]) if by == "service" else f"{row['service']} — {row['kpi']}"


def _chart_frame(rows: pl.DataFrame, by: str) -> pl.DataFrame:
    """The bars of a group slide: its KPIs (a service), or its services' median gap (an axis)."""
    if by == "service":
        frame = rows.select(
            pl.col("kpi").cast(pl.String).alias("label"),
            "gap_pct",
            pl.col("status").cast(pl.String),
            "actual",
            "target",
            "unit",
        )
    else:
        worst = (
            pl.when((pl.col("status") == "off").any())
            .then(pl.lit("off"))
            .when((pl.col("status") == "watch").any())
            .then(pl.lit("watch"))
            .when((pl.col("status") == "on").any())
            .then(pl.lit("on"))
            .otherwise(pl.lit("none"))
        )
        frame = (
            rows.with_columns(pl.col("status").cast(pl.String))
            .group_by(pl.col("service").cast(pl.String).alias("label"))
            .agg(pl.col("gap_pct").median(), worst.alias("status"))
        )
    order = frame.sort(["gap_pct", "label"], nulls_last=True)
    return order.head(CHART_BARS)


def group_slide(
    key: str,
    by: str,
    rows: pl.DataFrame,
    before: pl.DataFrame,
    catalog: pl.DataFrame,
    signals: pl.DataFrame,
    found_wins: pl.DataFrame,
    notes: pl.DataFrame,
    compare: str,
    at: date,
    tx: Wording,
) -> Slide:
    """One service's (by="service") or one strategic axis' (by="axis") slide; `rows` its service × KPI
    rows at `at` (with unit), `before` the same series at the comparison period."""
    lang = tx.lang
    counts = counts_of(rows)
    score, score_before = score_of(rows, catalog), score_of(before, catalog) if compare != "target" else None
    n = rows.height
    counted = tx.plural(
        f"group.counts_{by}",
        tx.agreeing(counts["on"], n),
        n=fmt_int(n, lang),
        on=fmt_int(counts["on"], lang),
        watch=fmt_int(counts["watch"], lang),
        off=fmt_int(counts["off"], lang),
    )
    if counts["none"]:
        counted += " " + tx.tr("group.counts_none", none=fmt_int(counts["none"], lang))
    delta = None if score is None or score_before is None else score - score_before
    score_line = tx.tr(
        "group.score", score=fmt_percent(score, lang), against=compare_clause(delta, compare, tx)
    )
    items = names(rows).to_dicts()
    gaps = [r for r in items if r["gap_pct"] is not None]
    worst_row = min(gaps, key=lambda r: (r["gap_pct"], natural_key(_label(r, by)))) if gaps else None
    worst = None
    if worst_row is not None and worst_row["gap_pct"] < 0:
        worst = tx.tr(
            "group.worst",
            label=_label(worst_row, by),
            actual=tx.amount(worst_row["actual"], worst_row["kpi"]),
            target=tx.amount(worst_row["target"], worst_row["kpi"]),
            gap=tx.gap(worst_row["gap_pct"]),
        )
    moved = [r for r in items if r["gap_change"] is not None]
    down = min(moved, key=lambda r: (r["gap_change"], natural_key(_label(r, by))), default=None)
    up = max(moved, key=lambda r: (r["gap_change"], natural_key(_label(r, by))), default=None)

    def move(key_: str, r: dict | None, sign: int) -> str | None:
        if r is None or r["gap_change"] * sign <= 0:
            return None
        return tx.tr(
            key_,
            label=_label(r, by),
            before=tx.gap(r["cmp_gap_pct"]),
            now=tx.gap(r["gap_pct"]),
            change=tx.tr("points", value=fmt_signed(r["gap_change"], lang)),
        )

    top_signal = signal_rows(signals, 1)
    signal = (
        tx.tr("signal_bullet", sentence=signal_sentence(top_signal.row(0, named=True), tx))
        if top_signal.height
        else None
    )
    win = (
        tx.tr("win_bullet", sentence=win_text(found_wins.row(0, named=True), tx))
        if found_wins.height
        else None
    )
    candidates = [
        counted,
        worst,
        signal,
        move("group.worse", down, -1),
        win,
        move("group.better", up, 1),
        score_line,
    ]
    bullets = [c for c in candidates if c][:BULLETS]

    # The speaker's note: what the slide does not say (how many moved, how many signals), then what
    # the teams wrote about this period.
    parts = [score_line]
    if moved and compare != "target":
        changes = [r["gap_change"] for r in moved]
        parts.append(
            tx.tr(
                "group.comment_moves",
                better=fmt_int(sum(c >= MOVE_POINTS for c in changes), lang),
                worse=fmt_int(sum(c <= -MOVE_POINTS for c in changes), lang),
                flat=fmt_int(sum(abs(c) < MOVE_POINTS for c in changes), lang),
            )
        )
    n_signals = signal_rows(signals).height
    if n_signals:
        parts.append(tx.plural("group.comment_signals", n_signals))
    quoted = [
        tx.tr(
            "group.note",
            text=quote(r["text"], lang),
            kpi=r["kpi"],
            period=tx.period(r["period"]),
        )
        for r in notes.head(NOTES).iter_rows(named=True)
    ]
    if quoted:
        parts.append(tx.tr("group.notes", notes=" ; ".join(quoted) if lang == "fr" else "; ".join(quoted)))
    else:
        parts.append(tx.tr("group.no_note"))

    bars = _chart_frame(rows, by)
    chart_title = tx.tr(f"group.chart_{by}", period=tx.period(at))
    drawn = n if by == "service" else rows.get_column("service").n_unique()
    if bars.height < drawn:
        chart_title = tx.tr("group.chart_top", title=chart_title, shown=fmt_int(bars.height, lang))
    chart = charts.gap_bars(bars, lang, title=chart_title)
    chart_alt = tx.tr(
        f"group.chart_alt_{by}",
        name=key,
        period=tx.period(at),
        n=fmt_int(bars.height, lang),
        on=fmt_int((bars["status"] == "on").sum(), lang),
        watch=fmt_int((bars["status"] == "watch").sum(), lang),
        off=fmt_int((bars["status"] == "off").sum(), lang),
    )
    title = key if by == "service" else tx.tr("group.axis_title", axis=key)
    return Slide(
        "group",
        title,
        subtitle=tx.period(at),
        metrics=(_score_metric(score, score_before, tx), *_count_metrics(counts, tx)),
        bullets=tuple(bullets),
        chart=chart,
        chart_alt=chart_alt,
        commentary=" ".join(parts),
    )


def since_slide(changes: Changes, signals: pl.DataFrame, actions: pl.DataFrame, tx: Wording) -> Slide:
    lang = tx.lang
    when = fmt_date(changes.generated_at.date(), lang, "long") if changes.generated_at else "—"
    subtitle = tx.tr(
        "since.subtitle",
        date=when,
        period=period_label(changes.period, "month" if changes.grain == "ytd" else changes.grain, lang),
    )
    metrics = tuple(
        Metric(tx.tr(f"since.metric.{k}"), fmt_int(changes.counts[k], lang))
        for k in ("status", "new_signals", "closed", "newly_overdue")
    )
    lines = [
        tx.tr(
            "since.status_line",
            service=c.service,
            kpi=c.kpi,
            before=tx.status(c.before),
            after=tx.status(c.after),
        )
        for c in changes.status
    ]
    by_key = (
        {(r["service"], r["kpi"], r["kind"]): r for r in names(signals).iter_rows(named=True)}
        if (signals.height)
        else {}
    )
    lines += [
        tx.tr("signal_bullet", sentence=signal_sentence(by_key[k], tx))
        for k in changes.new_signals
        if k in by_key
    ]
    acts = {r["id"]: r for r in actions.iter_rows(named=True)}
    for key_, ids in (("since.closed_line", changes.closed), ("since.overdue_line", changes.newly_overdue)):
        for i in ids:
            a = acts.get(i)
            if a is not None:
                lines.append(
                    tx.tr(
                        key_,
                        id=i,
                        title=a["title"],
                        service=a["service"],
                        status=t(f"actions.status.{a['status']}", lang),
                        due=fmt_date(a["due"], lang) if a["due"] else "—",
                    )
                )
    bullets = lines[:SINCE_BULLETS]
    if len(lines) > SINCE_BULLETS:
        bullets[-1] = tx.tr("since.more", n=fmt_int(len(lines) - SINCE_BULLETS + 1, lang))
    if not changes.comparable:
        bullets.insert(0, tx.tr("since.other_grain"))
    if not lines:
        bullets.append(tx.tr("since.nothing"))
    commentary = tx.tr(
        "since.comment",
        status=fmt_int(changes.counts["status"], lang),
        worse=fmt_int(sum(1 for c in changes.status if c.worse), lang),
        signals=fmt_int(changes.counts["new_signals"], lang),
        closed=fmt_int(changes.counts["closed"], lang),
        overdue=fmt_int(changes.counts["newly_overdue"], lang),
    )
    return Slide("since", tx.tr("since.title"), subtitle, metrics, tuple(bullets), commentary=commentary)


def chunks(frame: pl.DataFrame, size: int = TABLE_ROWS) -> list[pl.DataFrame]:
    return [frame.slice(i, size) for i in range(0, max(frame.height, 1), size)]


def numbered(title: str, i: int, n: int, tx: Wording) -> str:
    return title if n == 1 else tx.tr("part", title=title, i=i, n=n)


def action_rows(actions: pl.DataFrame, today: date) -> pl.DataFrame:
    """Open actions overdue or due within DUE_DAYS days, latest-due first among the overdue ones."""
    open_ = pl.col("status").is_in(OPEN_STATUSES) & pl.col("due").is_not_null()
    soon = pl.col("due") <= today + timedelta(days=DUE_DAYS)
    return actions.filter(open_ & soon).sort(["due", "id"])


def action_slides(rows: pl.DataFrame, today: date, tx: Wording) -> tuple[list[Slide], pl.DataFrame]:
    lang = tx.lang
    title = tx.tr("actions.title", days=DUE_DAYS)
    late = rows.filter(pl.col("due") < today) if rows.height else rows
    metrics = (
        Metric(tx.tr("actions.overdue"), fmt_int(late.height, lang)),
        Metric(tx.tr("actions.due_soon", days=DUE_DAYS), fmt_int(rows.height - late.height, lang)),
    )
    table = rows.select(
        pl.col("id").cast(pl.String).alias(tx.tr("col.id")),
        pl.col("title").alias(tx.tr("col.action")),
        pl.col("service").alias(tx.tr("col.service")),
        pl.col("kpi").fill_null("—").alias(tx.tr("col.kpi")),
        pl.col("owner").replace("", "—").alias(tx.tr("col.owner")),
        pl.col("due")
        .map_elements(lambda d: fmt_date(d, lang), return_dtype=pl.String)
        .alias(tx.tr("col.due")),
        pl.col("status")
        .replace_strict({s: t(f"actions.status.{s}", lang) for s in OPEN_STATUSES}, return_dtype=pl.String)
        .alias(tx.tr("col.status")),
        pl.col("due")
        .map_elements(lambda d: _lateness(d, today, tx), return_dtype=pl.String)
        .alias(tx.tr("col.when")),
    )
    if rows.is_empty():
        return [
            Slide("actions", title, metrics=metrics, bullets=(tx.tr("actions.none", days=DUE_DAYS),))
        ], table
    comment = tx.tr(
        "actions.comment",
        late=fmt_int(late.height, lang),
        soon=fmt_int(rows.height - late.height, lang),
        days=DUE_DAYS,
    )
    parts = chunks(table)
    slides = [
        Slide("actions", numbered(title, i, len(parts), tx), metrics=metrics, table=part, commentary=comment)
        for i, part in enumerate(parts, start=1)
    ]
    return slides, table


def _lateness(due: date, today: date, tx: Wording) -> str:
    days = (due - today).days
    if days < 0:
        return tx.plural("actions.late", -days)
    return tx.tr("actions.today") if days == 0 else tx.plural("actions.in_days", days)


def results_table(now_rows: pl.DataFrame, tx: Wording) -> pl.DataFrame:
    """Every service × KPI at the period briefed, as the appendix prints it (text cells)."""
    rows = sorted(
        names(now_rows).to_dicts(), key=lambda r: (natural_key(r["service"]), natural_key(r["kpi"]))
    )
    cols = {k: tx.tr(f"col.{k}") for k in ("service", "kpi", "actual", "target", "gap", "status", "change")}
    data = {
        cols["service"]: [r["service"] for r in rows],
        cols["kpi"]: [r["kpi"] for r in rows],
        cols["actual"]: [tx.amount(r["actual"], r["kpi"]) for r in rows],
        cols["target"]: [tx.amount(r["target"], r["kpi"]) for r in rows],
        cols["gap"]: [tx.gap(r["gap_pct"]) for r in rows],
        cols["status"]: [tx.status(str(r["status"] or "none")) for r in rows],
        cols["change"]: [
            "—" if r["gap_change"] is None else tx.tr("points", value=fmt_signed(r["gap_change"], tx.lang))
            for r in rows
        ],
    }
    return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String))
