"""Column labels and formats of the tables pages show and export."""

from __future__ import annotations

import streamlit as st

from lib.explore import DETAIL_COLUMNS
from lib.i18n import t

_NUMBERS = {"actual", "target", "gap", "cmp_actual", "change"}
_POINTS = {"gap_pct", "gap_change"}


def detail_headers(lang: str) -> dict[str, str]:
    return {c: t(f"explore.col.{c}", lang) for c in (*DETAIL_COLUMNS, "unit")}


def detail_column_config(lang: str) -> dict[str, object]:
    config: dict[str, object] = {}
    for name, label in detail_headers(lang).items():
        if name in _NUMBERS:
            config[name] = st.column_config.NumberColumn(label, format="localized")
        elif name in _POINTS:
            config[name] = st.column_config.NumberColumn(label, format="%+.1f %%")
        else:
            config[name] = st.column_config.TextColumn(label)
    return config
