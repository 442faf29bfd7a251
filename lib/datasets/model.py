"""Records the dataset library returns, and the rules for names and slugs."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from babel.numbers import format_decimal

from lib.datasets.errors import InvalidName
from lib.i18n import DEFAULT_LANG, LANGS, t

SAMPLE_SLUG = "sample"  # the committed sample organisation, served by the app, never stored here
MAX_NAME_LENGTH = 120
MAX_SLUG_LENGTH = 60  # leaves room for "-NNN" under the 80 characters URLs accept (lib.filters)
ACTIONS = ("save", "replace", "append", "restore")
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Letters NFKD does not decompose into ASCII; without this "Cœur" would become "cur".
_TRANSLIT = str.maketrans(
    {
        "œ": "oe",
        "Œ": "OE",
        "æ": "ae",
        "Æ": "AE",
        "ß": "ss",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "TH",
        "ð": "d",
        "Ð": "D",
        "ı": "i",
    }
)


def clean_name(name: object) -> str:
    """A display name with whitespace runs collapsed; raises InvalidName when empty or too long."""
    text = " ".join(str(name if name is not None else "").split())
    if not text:
        raise InvalidName("datasets.error.name_empty")
    if len(text) > MAX_NAME_LENGTH:
        raise InvalidName("datasets.error.name_too_long", length=len(text), max=MAX_NAME_LENGTH)
    return text


def slugify(name: str) -> str:
    """'Budget 2026 — Région Sud' -> 'budget-2026-region-sud' (lower-case ASCII and hyphens)."""
    text = unicodedata.normalize("NFKD", name.translate(_TRANSLIT)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(slug) > MAX_SLUG_LENGTH:
        cut = slug[:MAX_SLUG_LENGTH]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut  # cut between words where there are words
    return slug or "dataset"  # a name of only non-Latin letters or symbols still needs a folder


@dataclass(frozen=True, kw_only=True)
class VersionInfo:
    """One saved version of a dataset (as in its meta.json), under the dataset's current name."""

    slug: str
    name: str
    version: int
    saved_at: str  # UTC, ISO 8601 with microseconds
    author: str | None
    sources: tuple[str, ...]  # the file names the rows came from
    action: str  # one of ACTIONS
    rows: int
    services: int
    kpis: int
    first_period: date | None
    last_period: date | None
    grain: str | None  # one of lib.contract.GRAINS, None when unknown
    checksum: str  # sha256 of data.parquet
    size_bytes: int  # size of data.parquet
    added: int | None = None  # append only: rows whose key was new
    replaced: int | None = None  # append only: rows whose key existed with other values
    unchanged: int | None = None  # append only: rows identical to the saved ones
    restored_from: int | None = None  # restore only: the version copied

    @property
    def saved_datetime(self) -> datetime:
        return datetime.fromisoformat(self.saved_at)

    def action_label(self, lang: str) -> str:
        return t(f"datasets.action.{self.action}", lang)

    def to_meta(self) -> dict[str, Any]:
        """The meta.json content (the name lives in dataset.json: a rename must not rewrite history)."""
        meta = {f.name: getattr(self, f.name) for f in fields(VersionInfo) if f.name not in ("slug", "name")}
        meta["sources"] = list(self.sources)
        for key in ("first_period", "last_period"):
            meta[key] = meta[key].isoformat() if meta[key] else None
        return {"format": 1, **meta}

    @classmethod
    def from_meta(cls, slug: str, name: str, meta: dict[str, Any]) -> VersionInfo:
        known = {f.name for f in fields(VersionInfo)} - {"slug", "name"}
        values = {k: v for k, v in meta.items() if k in known}
        values["sources"] = tuple(values.get("sources") or ())
        for key in ("first_period", "last_period"):
            values[key] = date.fromisoformat(values[key]) if values.get(key) else None
        return cls(slug=slug, name=name, **values)


@dataclass(frozen=True, kw_only=True)
class DatasetInfo(VersionInfo):
    """A saved dataset: its current version's fields, plus when it was created and how many versions."""

    created_at: str
    version_count: int


@dataclass(frozen=True)
class AppendResult:
    """What an append did. When nothing changed, no version is written and `version` is the current one."""

    version: VersionInfo
    added: int
    replaced: int
    unchanged: int
    changed: bool

    def summary(self, lang: str) -> str:
        key = "datasets.append.summary" if self.changed else "datasets.append.nothing"
        lang = lang if lang in LANGS else DEFAULT_LANG
        names = ("added", "replaced", "unchanged")
        counts = {k: format_decimal(getattr(self, k), locale=lang) for k in names}
        return t(key, lang, version=self.version.version, **counts)
