"""The only bridge between Streamlit and lib/: shared sidebar, URL state, cached data access."""

import os

import altair as alt

from lib.ui.shell import Ctx, page_setup

# Chart specs are checked against the Vega-Lite schema by the chart tests (and on every rerun when
# VIGIE_VALIDATE_CHARTS=1, as the test suite sets). Checking them again on every rerun in use costs
# ~50 ms a chart (2 of the 3.5 s of a Signals page with 40 sparklines): at instantiation (debug
# mode) and when Streamlit serialises the chart (to_dict's `validate`, default True).
VALIDATE_CHARTS = os.environ.get("VIGIE_VALIDATE_CHARTS") == "1"
if not VALIDATE_CHARTS:
    alt.utils.schemapi.disable_debug_mode()
    for _cls in (alt.TopLevelMixin, alt.Chart):  # Chart overrides TopLevelMixin.to_dict

        def _to_dict(self, validate=False, *args, _original=_cls.to_dict, **kwargs):
            return _original(self, validate, *args, **kwargs)

        _cls.to_dict = _to_dict

__all__ = ["Ctx", "page_setup"]
