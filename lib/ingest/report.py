"""What a load tells the user: rejected rows, warnings, counts. Messages are rendered per language."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from lib.i18n import t


@dataclass(frozen=True)
class Rejection:
    """One rejected row: where it is, what was wrong. `line` is the CSV line (1 = header), the sheet
    row for XLSX, the 1-based row for Parquet."""

    file: str
    line: int
    column: str | None  # the source header as written in the file (None for whole-line problems)
    value: str | None
    code: str  # one of lib.contract.REJECTION_CODES
    params: dict[str, Any] = field(default_factory=dict)  # extra values for the sentence (e.g. other lines)

    def reason(self, lang: str) -> str:
        return t(f"ingest.reject.{self.code}", lang, **self._values())

    def _values(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column or "",
            "value": self.value or "",
            **self.params,
        }

    def to_dict(self, lang: str) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "code": self.code,
            "reason": self.reason(lang),
        }


@dataclass(frozen=True)
class Notice:
    """A warning (the load went on) or the error (nothing usable). Rendered from `ingest.warn.<code>`
    or `ingest.error.<code>`."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)
    kind: str = "warn"  # "warn" or "error"

    def message(self, lang: str) -> str:
        return t(f"ingest.{self.kind}.{self.code}", lang, **self.params)

    def to_dict(self, lang: str) -> dict[str, str]:
        return {"code": self.code, "message": self.message(lang)}


@dataclass
class ValidationReport:
    files: list[str]
    rows_read: int = 0
    rows_loaded: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    duplicates: int = 0  # number of duplicated (period, service, KPI) keys
    services: int = 0
    kpis: int = 0
    first_period: date | None = None
    last_period: date | None = None
    grain: str | None = None  # one of lib.contract.GRAINS
    columns: dict[str, str] = field(default_factory=dict)  # source header -> canonical column
    unmapped: list[str] = field(default_factory=list)  # source headers left aside
    sheet: str | None = None  # the XLSX sheet read
    warnings: list[Notice] = field(default_factory=list)
    error: Notice | None = None  # set exactly when nothing is usable

    @property
    def ok(self) -> bool:
        return self.error is None and self.rows_loaded > 0

    @property
    def rows_rejected(self) -> int:
        """Rows rejected (a row with several problems counts once)."""
        return len({(r.file, r.line) for r in self.rejected})

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The JSON object of `python -m lib check --json`."""
        return {
            "ok": self.ok,
            "files": self.files,
            "sheet": self.sheet,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "rejected": [r.to_dict(lang) for r in self.rejected],
            "duplicates": self.duplicates,
            "services": self.services,
            "kpis": self.kpis,
            "grain": self.grain,
            "first_period": self.first_period.isoformat() if self.first_period else None,
            "last_period": self.last_period.isoformat() if self.last_period else None,
            "columns": self.columns,
            "unmapped": self.unmapped,
            "warnings": [w.to_dict(lang) for w in self.warnings],
            "error": self.error.message(lang) if self.error else None,
        }

    def rejected_frame(self, lang: str) -> pl.DataFrame:
        """Rejected rows as a table (shown on the Data page, downloadable as CSV)."""
        schema = {
            "file": pl.String,
            "line": pl.Int64,
            "column": pl.String,
            "value": pl.String,
            "code": pl.String,
            "reason": pl.String,
        }
        return pl.DataFrame([r.to_dict(lang) for r in self.rejected], schema=schema, orient="row")
