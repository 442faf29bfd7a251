"""Vigie's core: plain Python and Polars. Only `lib.ui` may import Streamlit."""
