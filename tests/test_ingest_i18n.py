"""Every message the ingestion engine can emit exists in French and English with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from lib.contract import REJECTION_CODES
from lib.i18n import LANGS, catalog

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [*sorted((ROOT / "lib" / "ingest").glob("*.py")), ROOT / "lib" / "catalog.py"]


def ingest_keys(lang: str) -> dict[str, str]:
    return {k: v for k, v in catalog(lang).items() if k.startswith("ingest.")}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def emitted_codes() -> dict[str, set[str]]:
    """Codes passed to Notice(...) (warn) and ReadError(...) / kind="error" in the sources."""
    warn, error = set(), set()
    for path in SOURCES:
        text = path.read_text()
        error |= set(re.findall(r'ReadError\(\s*"(\w+)"', text))
        for code, rest in re.findall(r'Notice\(\s*f?"([\w{}]+)"(?=(.{0,200}))', text, flags=re.S):
            (error if 'kind="error"' in rest.split("Notice(")[0] else warn).add(code)
    expanded = set()
    for code in warn:
        expanded |= {code.replace("{mode}", m) for m in ("first", "last")} if "{mode}" in code else {code}
    return {"warn": expanded, "error": error}


def test_same_keys_in_both_languages():
    assert set(ingest_keys("fr")) == set(ingest_keys("en"))


@pytest.mark.parametrize("key", sorted(ingest_keys("en")))
def test_same_placeholders_in_both_languages(key):
    assert placeholders(catalog("fr")[key]) == placeholders(catalog("en")[key])


def test_every_emitted_code_has_a_message():
    codes = emitted_codes()
    assert len(codes["warn"]) > 15 and len(codes["error"]) > 10
    for lang in LANGS:
        keys = ingest_keys(lang)
        for kind, names in codes.items():
            missing = [c for c in names if f"ingest.{kind}.{c}" not in keys]
            assert missing == [], (lang, kind)
        assert all(f"ingest.reject.{c}" in keys for c in REJECTION_CODES)


def test_french_messages_are_french():
    fr = ingest_keys("fr")
    assert "période" in fr["ingest.reject.bad_date"] and "é" in fr["ingest.error.missing_columns"]
    # French typography: a (narrow) space before the colon.
    assert all(" :" in text or ":" not in text for text in fr.values())
