"""What a briefing pack holds, independent of its format: the PowerPoint, the PDF, the Excel workbook
and the presentation mode all render the same `Briefing`.

Everything here is already in the pack's language and formatted (numbers, dates): renderers lay it
out and never translate. Text that comes from data (service, KPI names, notes) is plain text: a
renderer must never interpret it as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import altair as alt
import polars as pl

# Slide kinds, in the order a pack presents them.
SLIDE_KINDS = ("title", "summary", "since", "group", "actions", "appendix")


@dataclass(frozen=True)
class Metric:
    label: str  # « Score »
    value: str  # « 72,4 % »
    delta: str | None = None  # « +1,8 pt » (already signed and formatted), None when not comparable
    good: bool | None = None  # the delta's direction is good (True), bad (False) or neutral (None)


@dataclass(frozen=True)
class Slide:
    kind: str  # one of SLIDE_KINDS
    title: str
    subtitle: str = ""
    metrics: tuple[Metric, ...] = ()
    bullets: tuple[str, ...] = ()  # short sentences with their numbers
    chart: alt.TopLevelMixin | None = None  # one chart at most (a few thousand points)
    chart_alt: str = ""  # what the chart shows, in one sentence (alt text in every format)
    table: pl.DataFrame | None = None  # display headers, text cells (already formatted)
    commentary: str = ""  # the speaker's note: a short paragraph generated from the numbers and notes


@dataclass(frozen=True)
class Briefing:
    lang: str
    title: str  # « Revue de performance — Organisation exemple »
    organisation: str  # the dataset's display name
    period: str  # « octobre 2026 » (the period shown, formatted)
    generated_at: datetime  # aware, UTC
    generated_by: str
    filters: tuple[str, ...]  # one line per filter in effect, printed in every file
    link: str  # the app link that rebuilds this view (query string included)
    dataset: str  # link id (slug)
    dataset_version: int | None  # None for the bundled sample
    slides: tuple[Slide, ...]
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)  # sheet name -> raw table (XLSX)
    file_stem: str = "vigie-briefing"  # see stem(): vigie-briefing_sample_2026-10_2026-11-26

    def file_name(self, ext: str) -> str:
        return f"{self.file_stem}.{ext}"


def stem(dataset: str, period: date, today: date) -> str:
    """File names carry dataset, period and date (ASCII-safe: mail gateways and old Windows shares)."""
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in dataset).strip("-") or "dataset"
    return f"vigie-briefing_{safe}_{period:%Y-%m}_{today.isoformat()}"
