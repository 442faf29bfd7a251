"""Settings from the environment and an optional TOML file; `lib/` never reads Streamlit secrets."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path

# Environment variable -> setting. A `vigie.toml` (or the file named by VIGIE_CONFIG) may set the same
# names in lower case; the environment wins over the file.
ENV = {
    "VIGIE_DATA_DIR": "data_dir",
    "VIGIE_MAX_FILE_MB": "max_file_mb",
    "VIGIE_MAX_COLUMNS": "max_columns",
    "VIGIE_YEAR_START_MONTH": "year_start_month",
    "VIGIE_DATABASE_URL": "database_url",
    "VIGIE_MEMORY_ROWS": "memory_rows",
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    max_file_mb: float = 200.0
    max_columns: int = 200
    year_start_month: int = 1  # 9 for an academic year starting in September
    database_url: str | None = None  # SQLite in data_dir when unset
    memory_rows: int = 50_000_000  # datasets up to this size are held in memory, larger ones scanned lazily

    @classmethod
    def load(cls, env: dict[str, str] | None = None, config_file: Path | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        path = config_file or Path(env.get("VIGIE_CONFIG", "vigie.toml"))
        values: dict[str, object] = {}
        if path.is_file():
            with path.open("rb") as fh:
                values.update(tomllib.load(fh))
        for var, name in ENV.items():
            if env.get(var):
                values[name] = env[var]
        types = {f.name: f.type for f in fields(cls)}
        unknown = set(values) - set(types)
        if unknown:
            raise ValueError(f"{path}: unknown settings {sorted(unknown)}; known: {sorted(types)}")
        return replace(cls(), **{k: _coerce(k, v) for k, v in values.items()})


def _coerce(name: str, value: object) -> object:
    if name == "data_dir":
        return Path(str(value))
    if name in ("max_file_mb",):
        return float(value)  # type: ignore[arg-type]
    if name in ("max_columns", "memory_rows"):
        return int(value)  # type: ignore[arg-type]
    if name == "year_start_month":
        month = int(value)  # type: ignore[arg-type]
        if not 1 <= month <= 12:
            raise ValueError(f"year_start_month must be 1-12, got {value}")
        return month
    return None if value in ("", None) else str(value)
