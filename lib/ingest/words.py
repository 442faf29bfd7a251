"""Words inside messages that differ by language (grains, column names).

Notice and Rejection params are plain JSON values rendered with str.format, so a word that must be
translated travels in both languages: {"grain": "month", "grain_en": "monthly", "grain_fr": "mensuel"}.
"""

from __future__ import annotations

from collections.abc import Sequence

from lib.i18n import LANGS, t


def translated(name: str, table: str, values: Sequence[str]) -> dict[str, str]:
    """{name_en: ..., name_fr: ...} listing `values` through the `ingest.<table>.<value>` keys."""
    return {f"{name}_{lang}": ", ".join(t(f"ingest.{table}.{v}", lang) for v in values) for lang in LANGS}
