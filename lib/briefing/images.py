"""Charts as PNG images for the PowerPoint and PDF packs, drawn by vl-convert (no browser).

The spec is validated against the Vega-Lite schema first, so a broken chart fails here with a clear
message rather than as a blank picture. A pack renders the same chart in two formats at the same
width: images are kept in a small cache keyed by the chart object.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import altair as alt

log = logging.getLogger(__name__)

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
_CACHE_SIZE = 64
_cache: OrderedDict[tuple, tuple] = OrderedDict()  # key -> (chart, png or its error)
_lock = threading.Lock()
_fonts_registered = False


class ChartImageError(ValueError):
    """A chart that could not be turned into an image (invalid spec or a Vega error)."""


def _register_fonts() -> None:
    # The theme names DejaVu Sans for the status symbols; bundle it so a server without it draws them.
    global _fonts_registered
    if not _fonts_registered:
        import vl_convert

        vl_convert.register_font_directory(str(FONTS))
        _fonts_registered = True


def chart_spec(chart: alt.TopLevelMixin, width_px: int) -> dict:
    """The validated Vega-Lite spec, `width_px` wide in all (axes, legend and padding included)."""
    try:
        spec = chart.to_dict(validate=True)
    except Exception as exc:  # schema errors come as several exception types
        raise ChartImageError(f"the chart's spec is not valid Vega-Lite: {exc}") from exc
    if not any(key in spec for key in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        # Composite charts size their own cells; a single view (or layer) is stretched to the width.
        spec["width"] = width_px
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return spec


def chart_png(chart: alt.TopLevelMixin, *, width_px: int, scale: float = 2.0) -> bytes:
    """The chart as a PNG `width_px` CSS pixels wide, drawn at `scale` (2: crisp on slides and print).

    Raises ChartImageError when the chart cannot be drawn; `try_chart_png` logs and returns None.
    """
    if width_px < 50:
        raise ChartImageError(f"width_px={width_px} is too small for a chart; give at least 50")
    # Keyed by the chart object itself (kept alive in the entry, so its id is not reused): its spec
    # is not a stable key, Altair numbers the views anew at every to_dict.
    key = (id(chart), width_px, scale)
    with _lock:
        entry = _cache.get(key)
        if entry is not None and entry[0] is chart:
            _cache.move_to_end(key)
            if isinstance(entry[1], ChartImageError):
                raise entry[1]
            return entry[1]
    try:
        spec = chart_spec(chart, width_px)
        import vl_convert

        _register_fonts()
        try:
            result: bytes | ChartImageError = vl_convert.vegalite_to_png(spec, scale=scale)
        except Exception as exc:
            raise ChartImageError(f"vl-convert could not draw the chart: {exc}") from exc
    except ChartImageError as exc:
        result = exc
    with _lock:
        _cache[key] = (chart, result)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    if isinstance(result, ChartImageError):
        raise result
    return result


def try_chart_png(
    chart: alt.TopLevelMixin, *, width_px: int, scale: float = 2.0, what: str = ""
) -> bytes | None:
    """chart_png, or None with a logged warning: one broken chart must not cost the whole pack."""
    try:
        return chart_png(chart, width_px=width_px, scale=scale)
    except Exception as exc:
        log.warning("briefing chart %r not drawn: %s", what or "(untitled)", exc)
        return None


def prefetch(jobs: list[tuple[alt.TopLevelMixin, int, str]], workers: int = 2) -> None:
    """Draw (chart, width_px, what) jobs into the cache on `workers` threads: vl-convert draws
    outside the GIL, so two charts at a time save about a quarter of the time on two cores."""
    if len(jobs) < 2:
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda job: try_chart_png(job[0], width_px=job[1], what=job[2]), jobs))


def warm_up() -> None:
    """Start vl-convert's engine (about 1.5 s the first time in a process), e.g. when a page opens."""
    import vl_convert

    _register_fonts()
    vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{"a": 1}]}, "encoding": {}})


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, read from the PNG header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
