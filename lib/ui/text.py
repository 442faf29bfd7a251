"""Text from data is shown as text: escape it before any Streamlit element that renders Markdown."""

from __future__ import annotations

import re

# Markdown, Streamlit's `:color[...]`/`:material/...:` directives, LaTeX `$` and raw HTML `<`.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def md_escape(text: object) -> str:
    """'**x** <b>' -> '\\*\\*x\\*\\* \\<b\\>': renders literally in st.markdown, labels and alerts."""
    return _SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")
