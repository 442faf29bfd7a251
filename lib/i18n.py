"""Translation catalogs (French and English) and the `t()` every user-visible string goes through.

Catalogs are TOML files in `lib/locales/<lang>/<topic>.toml`; a key is `<topic>.<table>.<name>`.
Placeholders use `str.format` names: t("data.save.saved", "fr", name="Budget", ...) .
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LANGS = ("fr", "en")
DEFAULT_LANG = "fr"
LOCALES = Path(__file__).parent / "locales"


def _flatten(prefix: str, table: dict, out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(name, value, out)
        else:
            out[name] = str(value)


@cache
def catalog(lang: str) -> dict[str, str]:
    """All strings of one language, keyed `topic.table.name`."""
    out: dict[str, str] = {}
    for path in sorted((LOCALES / lang).glob("*.toml")):
        with path.open("rb") as fh:
            _flatten(path.stem, tomllib.load(fh), out)
    return out


def normalise_lang(value: str | None) -> str | None:
    """'fr-FR', 'en_GB', 'EN' -> 'fr' / 'en'; None for anything else."""
    if not value:
        return None
    code = str(value).strip().lower().replace("_", "-").split("-")[0]
    return code if code in LANGS else None


def t(key: str, lang: str, /, **values: object) -> str:
    """The string `key` in `lang`, with placeholders filled. A missing key is a bug: it raises."""
    text = catalog(lang if lang in LANGS else DEFAULT_LANG)[key]
    return text.format(**values) if values else text
