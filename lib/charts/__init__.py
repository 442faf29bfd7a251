"""Pure Altair chart builders: a small Polars DataFrame and a language in, an `alt` chart out.

Every builder translates its titles, formats numbers and dates for the language (the chart carries
its d3 locale), refuses more than MAX_ROWS rows, and names its selections so a page rendering it with
`st.altair_chart(chart, on_select="rerun", key=...)` can read what was clicked.
"""

from lib.charts.base import MAX_ROWS
from lib.charts.gaps import bin_gaps, gap_bars, gap_distribution
from lib.charts.heatmap import heatmap
from lib.charts.locale import configure_locale, locale_config
from lib.charts.scores import leaderboard, status_bar
from lib.charts.series import sparkline, time_series
from lib.charts.theme import STATUS_COLORS, STATUS_SHAPES, STATUS_SYMBOLS

__all__ = [
    "MAX_ROWS",
    "STATUS_COLORS",
    "STATUS_SHAPES",
    "STATUS_SYMBOLS",
    "bin_gaps",
    "configure_locale",
    "gap_bars",
    "gap_distribution",
    "heatmap",
    "leaderboard",
    "locale_config",
    "sparkline",
    "status_bar",
    "time_series",
]
