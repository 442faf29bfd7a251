"""The briefing pack's content, built once from the view on screen: every slide's text, numbers,
chart and table, already translated and formatted (lib/briefing/model.py), and its snapshot.

The headline numbers are lib.overview's (the Overview page's), the sentences lib.signals' and
lib.wins'; this module chooses, orders and words them for a meeting. Slides, in order: title,
summary, since the last briefing (when there was one), one per service (≤ GROUP_MAX_SERVICES in
view) or else per strategic axis, actions overdue and due soon, appendix tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import polars as pl

from lib import charts, model
from lib.briefing.model import Briefing, Metric, Slide, stem
from lib.briefing.since import Changes, diff, readable, snapshot
from lib.charts.base import natural_key
from lib.filters import ViewState
from lib.fmt import fmt_date, fmt_int, fmt_percent, fmt_signed
from lib.i18n import t
from lib.overview import Overview, build_overview
from lib.periods import period_label
from lib.signals import message
from lib.signals.text import amount
from lib.store.model import OPEN_STATUSES
from lib.wins import win_sentence, wins

GROUP_MAX_SERVICES = 12  # beyond this, one slide per strategic axis instead of per service
TOP = 5  # weak signals and wins on the summary
BULLETS = 5  # at most, on a group slide
SINCE_BULLETS = 10
CHART_BARS = 15  # bars on a group slide's chart: the furthest from target
TABLE_ROWS = 15  # rows of a table slide (appendix, actions): more rows, more slides
NOTES = 3  # team notes quoted in a group's commentary
NOTE_CHARS = 280
LIST_NAMES = 8  # names listed in a filter line before "and N more"
DUE_DAYS = 30
_BREAKS = re.compile(r"[ \t\n\r\f\v\u2028\u2029\x85]+")


@dataclass(frozen=True)
class _Text:
    """Formatting for one language (every number of the pack goes through here)."""

    lang: str
    grain: str  # the label grain: the view's, months for year to date
    units: dict[str, str]

    def tr(self, key: str, **values: object) -> str:
        return t(f"briefing.{key}", self.lang, **values)

    def plural(self, key: str, count: int, **values: object) -> str:
        """`key`_one or `key`_many by `count` (French counts 0 and 1 as singular, English 1 only), with
        `n` the count unless given."""
        one = count < 2 if self.lang == "fr" else count == 1
        return self.tr(f"{key}_{'one' if one else 'many'}", **({"n": fmt_int(count, self.lang)} | values))

    def agreeing(self, on: int, n: int) -> int:
        """The number a "{on} of {n} KPIs" noun agrees with: « 1 indicateur sur 2 », "1 of 2 KPIs"."""
        return on if self.lang == "fr" else n

    def period(self, value: date | None) -> str:
        return "—" if value is None else period_label(value, self.grain, self.lang)

    def amount(self, value: float | None, kpi: str) -> str:
        return amount(value, self.lang, self.units.get(kpi, ""))

    def gap(self, value: float | None) -> str:
        """A signed gap to target in percent: +5,0 % / −12.0%."""
        if value is None:
            return "—"
        return fmt_signed(value, self.lang) + ("\u00a0%" if self.lang == "fr" else "%")

    def points(self, ratio_change: float | None) -> str:
        """A score change (0.018) in points: +1,8 pt."""
        return (
            "—"
            if ratio_change is None
            else self.tr("points", value=fmt_signed(ratio_change * 100, self.lang))
        )

    def status(self, code: str) -> str:
        return t(f"common.status.{code}", self.lang)


def _score(rows: pl.DataFrame, catalog: pl.DataFrame) -> float | None:
    """lib.overview's score of a set of service × KPI rows at one period."""
    if rows.is_empty():
        return None
    return model.scores(rows.lazy(), catalog, ["period"]).collect()["score"][0]


def _counts(rows: pl.DataFrame) -> dict[str, int]:
    codes = rows.get_column("status").cast(pl.String).to_list() if rows.height else []
    return {s: codes.count(s) for s in model.STATUSES}


def _names(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.with_columns(pl.col("service", "kpi").cast(pl.String))


def _pairs(rows: pl.DataFrame) -> pl.DataFrame:
    return _names(rows).select("service", "kpi").unique()


def _quote(text: str, lang: str) -> str:
    # Typed text on one line (never markup); no-break spaces stay, French notes need them.
    text = _BREAKS.sub(" ", text).strip()
    if len(text) > NOTE_CHARS:
        text = text[: NOTE_CHARS - 1].rstrip() + "…"
    return f"«\u00a0{text}\u00a0»" if lang == "fr" else f"“{text}”"


def _listed(values: tuple[str, ...], tx: _Text) -> str:
    if not values:
        return t("common.filters.all", tx.lang)
    shown = ", ".join(values[:LIST_NAMES])
    more = len(values) - LIST_NAMES
    return shown if more <= 0 else tx.tr("filter.more", names=shown, n=fmt_int(more, tx.lang))


def describe_filters(
    view: ViewState, name: str, version: int | None, first: date | None, last: date | None, tx: _Text
) -> tuple[str, ...]:
    """The filters in effect, one line each, as printed in every file of the pack."""
    lang = tx.lang
    dataset = name if version is None else tx.tr("filter.version", name=name, version=version)
    span = tx.period(first) if first == last else f"{tx.period(first)} – {tx.period(last)}"
    grain = t(f"common.grain.{view.grain}", lang) if view.grain else "—"
    lines = [
        tx.tr("filter.dataset", value=dataset),
        tx.tr("filter.period", value=span, grain=grain, grain_label=t("common.filters.grain", lang)),
        tx.tr("filter.compare", value=t(f"common.compare.{view.compare}", lang)),
        tx.tr("filter.services", value=_listed(view.services, tx)),
        tx.tr("filter.axes", value=_listed(view.axes, tx)),
        tx.tr("filter.kpis", value=_listed(view.kpis, tx)),
    ]
    if view.statuses:
        lines.append(tx.tr("filter.statuses", value=", ".join(tx.status(s) for s in view.statuses)))
    if view.gap_min is not None or view.gap_max is not None:
        low = "—" if view.gap_min is None else tx.gap(view.gap_min)
        high = "—" if view.gap_max is None else tx.gap(view.gap_max)
        lines.append(tx.tr("filter.gap", low=low, high=high))
    return tuple(lines)


# --- Slides -----------------------------------------------------------------------------------------


def _compare_clause(delta: float | None, compare: str, tx: _Text) -> str:
    if delta is None or compare == "target":
        return ""
    return tx.tr("against", change=tx.points(delta), compare=tx.tr(f"compare.{compare}"))


def _score_metric(score: float | None, before: float | None, tx: _Text) -> Metric:
    delta = None if score is None or before is None else score - before
    good = None if delta is None or round(delta * 1000) == 0 else delta > 0
    return Metric(
        tx.tr("metric.score"),
        fmt_percent(score, tx.lang),
        tx.points(delta) if delta is not None else None,
        good,
    )


def _count_metrics(counts: dict[str, int], tx: _Text) -> list[Metric]:
    return [Metric(tx.status(s), fmt_int(counts[s], tx.lang)) for s in ("on", "watch", "off")]


def _signal_rows(signals: pl.DataFrame, top: int | None = None) -> pl.DataFrame:
    """Weak signals (good news left out), the strongest of each series, strongest first."""
    if signals.is_empty():
        return signals
    bad = signals.filter(pl.col("polarity") == "bad").sort(
        ["severity", "service", "kpi", "kind"], descending=[True, False, False, False]
    )
    bad = bad.unique(["service", "kpi"], keep="first", maintain_order=True)
    return bad if top is None else bad.head(top)


def _sentence(row: dict, tx: _Text) -> str:
    return message(row, tx.lang, tx.units.get(row["kpi"], ""))


def _win(row: dict, tx: _Text) -> str:
    return win_sentence(row, tx.lang, tx.units.get(str(row["kpi"]), ""))


def title_slide(b_title: str, period: str, now: datetime, author: str, filters: tuple[str, ...], tx: _Text):
    subtitle = tx.tr("title_slide.subtitle", period=period, date=fmt_date(now.date(), tx.lang, "long"))
    if author.strip():
        subtitle = tx.tr(
            "title_slide.subtitle_by",
            period=period,
            date=fmt_date(now.date(), tx.lang, "long"),
            author=author.strip(),
        )
    return Slide("title", b_title, subtitle=subtitle, bullets=filters)


def summary_slide(ov: Overview, signals: pl.DataFrame, compare: str, tx: _Text) -> Slide:
    lang = tx.lang
    title = tx.tr("summary.title")
    if ov.at is None:
        return Slide("summary", title, bullets=(tx.tr("summary.empty"),))
    metrics = [
        _score_metric(ov.score, ov.score_before, tx),
        *_count_metrics(ov.counts, tx),
        Metric(tx.tr("metric.completeness"), fmt_percent(ov.completeness, lang)),
    ]
    top = _signal_rows(signals, TOP)
    bullets = [tx.tr("signal_bullet", sentence=_sentence(r, tx)) for r in top.iter_rows(named=True)]
    if not bullets:
        bullets.append(tx.tr("summary.no_signal"))
    found = [tx.tr("win_bullet", sentence=_win(r, tx)) for r in ov.wins.head(TOP).iter_rows(named=True)]
    bullets += found or [tx.tr("summary.no_win")]
    n = sum(ov.counts.values())
    parts = [
        tx.plural(
            "summary.comment_score",
            tx.agreeing(ov.counts["on"], n),
            score=fmt_percent(ov.score, lang),
            against=_compare_clause(
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
    all_bad = _signal_rows(signals)
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
    tx: _Text,
) -> Slide:
    """One service's (by="service") or one strategic axis' (by="axis") slide; `rows` its service × KPI
    rows at `at` (with unit), `before` the same series at the comparison period."""
    lang = tx.lang
    counts = _counts(rows)
    score, score_before = _score(rows, catalog), _score(before, catalog) if compare != "target" else None
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
        "group.score", score=fmt_percent(score, lang), against=_compare_clause(delta, compare, tx)
    )
    items = _names(rows).to_dicts()
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

    top_signal = _signal_rows(signals, 1)
    signal = (
        tx.tr("signal_bullet", sentence=_sentence(top_signal.row(0, named=True), tx))
        if top_signal.height
        else None
    )
    win = tx.tr("win_bullet", sentence=_win(found_wins.row(0, named=True), tx)) if found_wins.height else None
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

    # The speaker's note: the numbers in sentences, then what the teams wrote about this period.
    parts = [score_line, counted]
    if worst:
        parts.append(worst)
    n_signals = _signal_rows(signals).height
    if n_signals:
        parts.append(tx.plural("group.comment_signals", n_signals))
    quoted = [
        tx.tr(
            "group.note",
            text=_quote(r["text"], lang),
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
    if bars.height < n and by == "service":
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


def since_slide(changes: Changes, signals: pl.DataFrame, actions: pl.DataFrame, tx: _Text) -> Slide:
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
        {(r["service"], r["kpi"], r["kind"]): r for r in _names(signals).iter_rows(named=True)}
        if (signals.height)
        else {}
    )
    lines += [
        tx.tr("signal_bullet", sentence=_sentence(by_key[k], tx)) for k in changes.new_signals if k in by_key
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


def _chunks(frame: pl.DataFrame, size: int = TABLE_ROWS) -> list[pl.DataFrame]:
    return [frame.slice(i, size) for i in range(0, max(frame.height, 1), size)]


def _numbered(title: str, i: int, n: int, tx: _Text) -> str:
    return title if n == 1 else tx.tr("part", title=title, i=i, n=n)


def action_rows(actions: pl.DataFrame, today: date) -> pl.DataFrame:
    """Open actions overdue or due within DUE_DAYS days, latest-due first among the overdue ones."""
    open_ = pl.col("status").is_in(OPEN_STATUSES) & pl.col("due").is_not_null()
    soon = pl.col("due") <= today + timedelta(days=DUE_DAYS)
    return actions.filter(open_ & soon).sort(["due", "id"])


def action_slides(rows: pl.DataFrame, today: date, tx: _Text) -> tuple[list[Slide], pl.DataFrame]:
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
    parts = _chunks(table)
    slides = [
        Slide("actions", _numbered(title, i, len(parts), tx), metrics=metrics, table=part, commentary=comment)
        for i, part in enumerate(parts, start=1)
    ]
    return slides, table


def _lateness(due: date, today: date, tx: _Text) -> str:
    days = (due - today).days
    if days < 0:
        return tx.plural("actions.late", -days)
    return tx.tr("actions.today") if days == 0 else tx.plural("actions.in_days", days)


def results_table(now_rows: pl.DataFrame, tx: _Text) -> pl.DataFrame:
    """Every service × KPI at the period briefed, as the appendix prints it (text cells)."""
    rows = sorted(
        _names(now_rows).to_dicts(), key=lambda r: (natural_key(r["service"]), natural_key(r["kpi"]))
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


# --- Workbook tables ----------------------------------------------------------------------------------


def _raw_tables(
    now_rows: pl.DataFrame,
    signals: pl.DataFrame,
    found_wins: pl.DataFrame,
    actions_table: pl.DataFrame,
    groups: pl.DataFrame,
    tx: _Text,
) -> dict[str, pl.DataFrame]:
    """The numbers behind the slides, one sheet each: values as numbers, headers in the pack's language."""
    lang = tx.lang
    status_text = {s: tx.status(s) for s in model.STATUSES}
    results = (
        _names(now_rows)
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
    bad = _names(signals).filter(pl.col("polarity") == "bad") if signals.height else _names(signals)
    sig_rows = (
        [
            {
                tx.tr("col.service"): r["service"],
                tx.tr("col.kpi"): r["kpi"],
                tx.tr("col.signal"): t(f"signals.kind.{r['kind']}", lang),
                tx.tr("col.severity"): r["severity"],
                tx.tr("col.since"): r["period"],
                tx.tr("col.sentence"): _sentence(r, tx),
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
            tx.tr("col.sentence"): _win(r, tx),
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


def _since_table(changes: Changes, signals: pl.DataFrame, actions: pl.DataFrame, tx: _Text) -> pl.DataFrame:
    cols = [tx.tr(f"col.{k}") for k in ("change_kind", "service", "item", "detail")]
    rows = [
        (tx.tr("since.metric.status"), c.service, c.kpi, f"{tx.status(c.before)} → {tx.status(c.after)}")
        for c in changes.status
    ]
    by_key = {(r["service"], r["kpi"], r["kind"]): r for r in _names(signals).iter_rows(named=True)}
    rows += [
        (tx.tr("since.metric.new_signals"), s, k, _sentence(by_key[(s, k, kind)], tx))
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
    tx = _Text(lang, "month" if grain == "ytd" else grain, units)
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
    series = _pairs(now_rows)
    in_view = _names(signals).join(series, on=["service", "kpi"], how="semi") if signals.height else signals
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
            pairs = _pairs(rows)
            mine = (
                _names(found_wins).join(pairs, on=["service", "kpi"], how="semi")
                if found_wins.height
                else found_wins
            )
            slide = group_slide(
                key,
                by,
                rows,
                before.filter(member[key]),
                catalog,
                in_view.join(pairs, on=["service", "kpi"], how="semi") if in_view.height else in_view,
                mine,
                notes.join(pairs, on=["service", "kpi"], how="semi") if notes.height else notes,
                view.compare,
                at,
                tx,
            )
            slides.append(slide)
            counts = _counts(rows)
            score = _score(rows, catalog)
            prior = _score(before.filter(member[key]), catalog) if view.compare != "target" else None
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
        appendix = results_table(now_rows, tx)
        parts = _chunks(appendix)
        heading = tx.tr("appendix.title", period=tx.period(at))
        slides += [
            Slide("appendix", _numbered(heading, i, len(parts), tx), table=part)
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
