"""The only bridge between Streamlit and lib/: shared sidebar, URL state, cached data access."""

from lib.ui.shell import Ctx, page_setup

__all__ = ["Ctx", "page_setup"]
