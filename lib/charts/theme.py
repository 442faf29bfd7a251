"""The Vigie chart theme: one sober look everywhere, colour-blind-safe status colours (Okabe-Ito).

Status is never shown by colour alone: every status colour comes with a symbol (heatmap cells, value
labels), a point shape (series) or its name (legends, tooltips).
"""

from __future__ import annotations

import altair as alt

STATUS_COLORS = {"on": "#009E73", "watch": "#E69F00", "off": "#D55E00", "none": "#999999"}
STATUS_SYMBOLS = {"on": "✓", "watch": "!", "off": "✗", "none": "–"}
STATUS_SHAPES = {"on": "circle", "watch": "diamond", "off": "triangle-down", "none": "square"}

# Diverging gap scale: worse than target on the vermillion side, better on the blue side (Okabe-Ito
# ends, readable by the three common colour-vision deficiencies); cells without a gap are light grey.
GAP_WORSE, GAP_NEUTRAL, GAP_BETTER = "#D55E00", "#F4F4F2", "#0072B2"
GAP_MISSING = "#DCDCDC"
GAP_CLAMP = 25.0  # percent: the colour saturates beyond ±25 % so one outlier does not wash out the rest

# Series colours avoid the status hues so a series is never mistaken for a status.
SERIES_COLORS = [
    "#0072B2",
    "#CC79A7",
    "#332288",
    "#56B4E9",
    "#882255",
    "#44AA99",
    "#999933",
    "#555555",
    "#AA4499",
    "#6699CC",
]
ACCENT = "#0072B2"
INK = "#1F2933"  # text on status colours: dark ink contrasts better than white on all four (≥ 4.2:1)
MUTED = "#5F6B76"
FAINT = "#9AA5B1"
RULE = "#3E4C59"

FONT = (
    '"Source Sans Pro", "Source Sans 3", "Source Sans", "Segoe UI", Roboto, "Helvetica Neue", Arial, '
    '"Liberation Sans", sans-serif'
)
# Text carrying ✓ ✗: browsers fall back glyph by glyph, but static renderers (vl-convert, used for
# exports) switch the whole string to a fallback serif face, so name a sans face that has the symbols.
SYMBOL_FONT = FONT.replace('"Liberation Sans"', '"DejaVu Sans", "Liberation Sans"')


@alt.theme.register("vigie", enable=True)
def vigie_theme() -> alt.theme.ThemeConfig:
    """Readable sans-serif at 12-13 px, light gridlines on value axes only, white background."""
    axis = {
        "labelFont": FONT,
        "titleFont": FONT,
        "labelFontSize": 12,
        "titleFontSize": 12,
        "titleFontWeight": 600,
        "labelColor": MUTED,
        "titleColor": INK,
        "domainColor": "#C3CBD3",
        "tickColor": "#C3CBD3",
        "gridColor": "#ECEFF2",
        "gridWidth": 0.8,
        "labelPadding": 4,
        "titlePadding": 8,
    }
    return alt.theme.ThemeConfig(
        config={
            "background": "white",
            "font": FONT,
            "padding": 8,
            "view": {"stroke": None, "continuousWidth": 560, "continuousHeight": 280},
            "title": {
                "font": FONT,
                "fontSize": 14,
                "fontWeight": 600,
                "color": INK,
                "anchor": "start",
                "subtitleFont": FONT,
                "subtitleFontSize": 12,
                "subtitleColor": MUTED,
                "subtitleFontWeight": "normal",
                "offset": 10,
            },
            "axis": {**axis, "grid": False},
            "axisQuantitative": {"grid": True, "tickCount": 5},
            "axisBand": {"ticks": False, "domain": False},
            "legend": {
                "labelFont": FONT,
                "titleFont": FONT,
                "labelFontSize": 12,
                "titleFontSize": 12,
                "titleFontWeight": 600,
                "labelColor": INK,
                "titleColor": INK,
                "orient": "bottom",
                "direction": "horizontal",
                "labelLimit": 260,
                "symbolSize": 90,
                "columnPadding": 14,
            },
            "header": {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 12},
            "range": {"category": SERIES_COLORS},
            "line": {"strokeWidth": 2},
            "point": {"size": 50, "filled": True},
            "bar": {"cornerRadiusEnd": 2},
            "text": {"font": FONT, "fontSize": 12, "color": INK},
        }
    )
