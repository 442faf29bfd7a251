"""Errors of the dataset library: each carries an i18n key and its values, so the UI can say it in the
user's language (`exc.message(lang)`); `str(exc)` is the English sentence, for logs."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal

from lib.i18n import DEFAULT_LANG, LANGS, catalog, t

# Counts read better grouped ("12 345" in French); identifiers such as version numbers must not be.
_COUNTS = frozenset({"count", "length", "max", "rows"})
# Codes shown as words of the user's language ("month" -> "mensuelles").
_GRAINS = frozenset({"grain", "current_grain"})


class DatasetError(Exception):
    """Base class: `key` is the i18n key of the sentence, `params` the values it names."""

    key = "datasets.error.generic"

    def __init__(self, key: str | None = None, /, **params: Any) -> None:
        if key is not None:
            self.key = key
        self.params = params
        super().__init__(self.message("en"))

    def __reduce__(self):  # the default would rebuild from the English sentence, not key and params
        return _rebuild, (type(self), self.key, self.params)

    def message(self, lang: str) -> str:
        lang = lang if lang in LANGS else DEFAULT_LANG  # babel must format for the language t() uses
        values = dict(self.params)
        for name, value in values.items():
            if name in _COUNTS and type(value) is int:
                values[name] = format_decimal(value, locale=lang)
            elif name in _GRAINS and f"datasets.grain.{value}" in catalog(lang):
                values[name] = t(f"datasets.grain.{value}", lang)
        return t(self.key, lang, **values)


class DatasetNotFound(DatasetError):
    key = "datasets.error.not_found"  # slug


class VersionNotFound(DatasetError):
    key = "datasets.error.version_not_found"  # slug, version, current


class InvalidName(DatasetError):
    key = "datasets.error.name_empty"  # or name_too_long: length, max


class ReservedSlug(DatasetError):
    key = "datasets.error.reserved"  # slug


class InvalidData(DatasetError):
    key = "datasets.error.empty"  # or columns_missing, bad_type, null_keys, duplicate_keys, catalog_*


class DatasetBusy(DatasetError):
    key = "datasets.error.busy"  # slug, seconds


class DatasetWriteError(DatasetError):
    key = "datasets.error.write_failed"  # name, reason


class DatasetCorrupt(DatasetError):
    key = "datasets.error.corrupt"  # slug, reason


def _rebuild(cls: type[DatasetError], key: str, params: dict[str, Any]) -> DatasetError:
    return cls(key, **params)
