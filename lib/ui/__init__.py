"""The only bridge between Streamlit and lib/: shared sidebar, URL state, cached data access."""

import altair as alt

from lib.ui.shell import Ctx, page_setup

# Chart specs are validated by the chart tests; validating them again on every rerun costs ~90 ms.
alt.utils.schemapi.disable_debug_mode()

__all__ = ["Ctx", "page_setup"]
