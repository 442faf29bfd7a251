"""Meta-tests: both languages have the same keys and placeholders, every key used exists, and pages
show no literal text that bypasses the translation layer."""

import ast
import re
import string
from pathlib import Path

import pytest

from lib.i18n import LANGS, catalog, normalise_lang, t

ROOT = Path(__file__).resolve().parent.parent
UI_FILES = [
    ROOT / "app.py",
    *sorted((ROOT / "pages").glob("*.py")),
    *sorted((ROOT / "lib" / "ui").glob("*.py")),
]
CODE_FILES = [*UI_FILES, *sorted((ROOT / "lib").rglob("*.py"))]


def _fields(text: str) -> set[str]:
    """Placeholder names; a `_fr` / `_en` suffix marks a value given in each language (lists of names)."""
    return {re.sub(r"_(fr|en)$", "", name) for _, name, _, _ in string.Formatter().parse(text) if name}


def test_same_keys_in_every_language():
    fr, en = catalog("fr"), catalog("en")
    assert sorted(set(fr) - set(en)) == [], "keys only in French"
    assert sorted(set(en) - set(fr)) == [], "keys only in English"


@pytest.mark.parametrize("key", sorted(catalog("en")))
def test_placeholders_match_and_nothing_empty(key):
    fr, en = catalog("fr")[key], catalog("en")[key]
    assert fr.strip() and en.strip(), key
    assert _fields(fr) == _fields(en), key


def test_every_literal_key_used_in_code_exists():
    used = set()
    for path in CODE_FILES:
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""", path.read_text()))
    assert used, "no t() call found: the scan is broken"
    missing = sorted(k for k in used if k not in catalog("en"))
    assert missing == []


# Streamlit calls whose first argument is shown to the user.
_SHOWN = {
    "title",
    "header",
    "subheader",
    "caption",
    "markdown",
    "write",
    "text",
    "info",
    "warning",
    "error",
    "success",
    "button",
    "download_button",
    "radio",
    "selectbox",
    "multiselect",
    "text_input",
    "checkbox",
    "metric",
    "expander",
    "tabs",
    "file_uploader",
    "form_submit_button",
    "toggle",
    "slider",
    "number_input",
    "date_input",
    "segmented_control",
}


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_literal_text_in_pages(path):
    offenders = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _SHOWN:
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.strip():
                offenders.append(f"line {node.lineno}: {node.func.attr}({first.value!r})")
            if isinstance(first, ast.JoinedStr) and any(
                isinstance(v, ast.Constant)
                and re.search(r"[A-Za-z]{3}", re.sub(r":material/\w+:", "", v.value))
                for v in first.values
            ):
                offenders.append(f"line {node.lineno}: {node.func.attr}(f-string with literal words)")
    assert offenders == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("fr", "fr"), ("fr-FR", "fr"), ("en_GB", "en"), ("EN", "en"), ("de", None), ("", None), (None, None)],
)
def test_normalise_lang(raw, expected):
    assert normalise_lang(raw) == expected


def test_t_fills_placeholders_and_falls_back_to_french():
    assert t("common.url.dropped", "en", items="x=1") == (
        "Some link parameters were not understood and were removed: x=1."
    )
    assert t("common.nav.overview", "xx") == t("common.nav.overview", "fr")
    with pytest.raises(KeyError):
        t("common.no_such_key", "en")


def test_langs():
    assert LANGS == ("fr", "en")
