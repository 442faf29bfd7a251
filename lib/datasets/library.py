"""DatasetLibrary: saved datasets as versioned, normalised Parquet folders.

Layout under the root (Settings.data_dir):

    <slug>/dataset.json          name, created_at (a rename rewrites only this)
    <slug>/CURRENT               the current version number: the commit point of every change
    <slug>/v0001/data.parquet    rows sorted by period, service, kpi (zstd, statistics, 1M-row groups)
    <slug>/v0001/catalog.parquet one row per KPI
    <slug>/v0001/meta.json       VersionInfo fields
    <slug>/.lock                 flock serialising writers of the dataset
    .lock                        flock serialising the choice of new slugs

Versions are immutable. A new version is written in a `.tmp-*` folder, fsynced, renamed into place,
and only then published by replacing CURRENT; a failure anywhere before that leaves the previous
version current and the half-written one invisible (and swept by the next writer). Readers take no
lock: whatever CURRENT names is complete.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import math
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from lib.contract import GRAINS
from lib.datasets import frames
from lib.datasets.errors import (
    DatasetBusy,
    DatasetCorrupt,
    DatasetError,
    DatasetNotFound,
    DatasetWriteError,
    InvalidData,
    ReservedSlug,
    VersionNotFound,
)
from lib.datasets.model import (
    SAMPLE_SLUG,
    SLUG_PATTERN,
    AppendResult,
    DatasetInfo,
    VersionInfo,
    clean_name,
    slugify,
)
from lib.datasets.store import (
    file_lock,
    fsync_dir_quietly,
    fsync_path,
    link_or_copy,
    read_json,
    remove_tree,
    replace_text,
    write_json,
)

log = logging.getLogger(__name__)

ROW_GROUP_SIZE = 1_000_000
STALE_TEMP_S = 24 * 3600  # a new dataset's temp folder older than this was left by a crash
_VERSION_DIR = "v{:04d}"


def _version_number(name: str) -> int | None:
    return int(name[1:]) if len(name) > 1 and name[0] == "v" and name[1:].isdigit() else None


class DatasetLibrary:
    """Saved datasets in `root`. Plain files, no server: several processes may share a root."""

    def __init__(
        self, root: Path, *, lock_timeout: float = 120.0, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self._clock = clock or (lambda: datetime.now(UTC))

    # --- Reading ----------------------------------------------------------------------------------

    def list(self) -> list[DatasetInfo]:
        """Saved datasets, the most recently changed first."""
        if not self.root.is_dir():
            return []
        infos = []
        for entry in os.scandir(self.root):
            if entry.name == SAMPLE_SLUG or not SLUG_PATTERN.match(entry.name) or not entry.is_dir():
                continue
            try:
                infos.append(self.get(entry.name))
            except DatasetNotFound:  # deleted meanwhile, or a stray folder that is not a dataset
                continue
            except DatasetCorrupt as exc:
                log.warning("skipping %s: %s", entry.name, exc)
        return sorted(infos, key=lambda i: (i.saved_at, i.created_at, i.slug), reverse=True)

    def get(self, slug: str) -> DatasetInfo:
        with self._reading(slug) as folder:
            head = self._head(folder, slug)
            current = self._current(folder, slug)
            info = self._version_info(folder, slug, head["name"], current)
            count = sum(1 for n in self._version_numbers(folder) if n <= current)
            values = {f.name: getattr(info, f.name) for f in fields(VersionInfo)}
            return DatasetInfo(**values, created_at=head["created_at"], version_count=count)

    def versions(self, slug: str) -> list[VersionInfo]:
        """The history, newest first."""
        with self._reading(slug) as folder:
            name = self._head(folder, slug)["name"]
            current = self._current(folder, slug)
            numbers = sorted((n for n in self._version_numbers(folder) if n <= current), reverse=True)
            return [self._version_info(folder, slug, name, n) for n in numbers]

    def version_at(self, slug: str, when: datetime) -> VersionInfo | None:
        """The last version saved at or before `when` (naive means UTC); None if none was yet."""
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return next((v for v in self.versions(slug) if v.saved_datetime <= when), None)

    def data_path(self, slug: str, version: int | None = None) -> Path:
        """The data Parquet of a version (default: the current one)."""
        with self._reading(slug) as folder:
            number = self._resolve(folder, slug, version)
            return folder / _VERSION_DIR.format(number) / "data.parquet"

    def scan(self, slug: str, version: int | None = None) -> pl.LazyFrame:
        return pl.scan_parquet(self.data_path(slug, version))

    def read(self, slug: str, version: int | None = None) -> tuple[pl.DataFrame, pl.DataFrame, VersionInfo]:
        """(data, catalog, meta) of a version (default: the current one)."""
        with self._reading(slug) as folder:
            name = self._head(folder, slug)["name"]
            number = self._resolve(folder, slug, version)
            vdir = folder / _VERSION_DIR.format(number)
            info = self._version_info(folder, slug, name, number)
            return pl.read_parquet(vdir / "data.parquet"), pl.read_parquet(vdir / "catalog.parquet"), info

    def read_catalog(self, slug: str, version: int | None = None) -> pl.DataFrame:
        """The KPI catalog of a version (default: the current one), without reading its data."""
        with self._reading(slug) as folder:
            number = self._resolve(folder, slug, version)
            return pl.read_parquet(folder / _VERSION_DIR.format(number) / "catalog.parquet")

    # --- Writing ----------------------------------------------------------------------------------

    def save(
        self,
        name: str,
        data: pl.DataFrame,
        catalog: pl.DataFrame,
        *,
        sources: list[str],
        author: str | None = None,
        grain: str | None = None,
    ) -> VersionInfo:
        """A new dataset (version 1); its slug comes from the name and is unique."""
        name = clean_name(name)
        data = frames.prepare_data(data)
        catalog = frames.prepare_catalog(catalog, data["kpi"])
        grain = self._check_grain(grain) or frames.infer_grain(data["period"])
        with self._write_errors(name):
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))
            try:
                saved_at = self._now(None)
                draft = self._draft(1, saved_at, "save", sources, author, grain)
                info = self._write_version(tmp / _VERSION_DIR.format(1), data, catalog, draft)
                write_json(tmp / "dataset.json", {"format": 1, "name": name, "created_at": saved_at})
                (tmp / "CURRENT").write_text("1\n", encoding="utf-8")
                fsync_path(tmp / "CURRENT")
                fsync_path(tmp)
                with file_lock(self.root / ".lock", self.lock_timeout, self._busy(name), self._busy(name)):
                    self._sweep_root()
                    slug = self._free_slug(slugify(name))
                    os.rename(tmp, self.root / slug)  # the commit point of a new dataset
            finally:
                remove_tree(tmp)  # a no-op once renamed
        fsync_dir_quietly(self.root)
        return dataclasses.replace(info, slug=slug, name=name)

    def replace(
        self,
        slug: str,
        data: pl.DataFrame,
        catalog: pl.DataFrame,
        *,
        sources: list[str],
        author: str | None = None,
        grain: str | None = None,
    ) -> VersionInfo:
        """A new version holding exactly these rows and this catalog."""
        self._writable(slug)
        data = frames.prepare_data(data)
        catalog = frames.prepare_catalog(catalog, data["kpi"])
        grain = self._check_grain(grain) or frames.infer_grain(data["period"])
        with self._writing(slug) as (folder, name, current):
            draft = self._draft(current.version + 1, self._now(current), "replace", sources, author, grain)
            return self._publish(folder, slug, name, data, catalog, draft)

    def append(
        self,
        slug: str,
        data: pl.DataFrame,
        catalog: pl.DataFrame | None,
        *,
        sources: list[str],
        author: str | None = None,
        grain: str | None = None,
    ) -> AppendResult:
        """Upsert rows on (period, service, kpi) and merge the catalog; no new version if nothing changes.

        catalog=None keeps the saved catalog as it is (the new rows' KPIs must then be described in it).
        """
        self._writable(slug)
        new = frames.prepare_data(data)
        if catalog is None:
            catalog = pl.DataFrame(schema={"kpi": pl.String})
        new_catalog = frames.prepare_catalog(catalog, new["kpi"].head(0))  # KPIs may be described already
        grain = self._check_grain(grain)
        with self._writing(slug) as (folder, name, current):
            if grain and current.grain and grain != current.grain:
                raise InvalidData("datasets.error.grain_mismatch", grain=grain, current_grain=current.grain)
            vdir = folder / _VERSION_DIR.format(current.version)
            old = pl.read_parquet(vdir / "data.parquet")
            old_catalog = pl.read_parquet(vdir / "catalog.parquet")
            merged, added, replaced, unchanged = frames.upsert(old, new)
            merged_catalog = frames.merge_catalog(old_catalog, new_catalog)
            merged_catalog = frames.prepare_catalog(merged_catalog, new["kpi"])
            if added == 0 and replaced == 0 and merged_catalog.equals(old_catalog):
                return AppendResult(current, 0, 0, unchanged, changed=False)
            grain = grain or current.grain or frames.infer_grain(merged["period"])
            draft = self._draft(current.version + 1, self._now(current), "append", sources, author, grain)
            draft.update(added=added, replaced=replaced, unchanged=unchanged)
            info = self._publish(folder, slug, name, merged, merged_catalog, draft)
            return AppendResult(info, added, replaced, unchanged, changed=True)

    def restore(self, slug: str, version: int, *, author: str | None = None) -> VersionInfo:
        """A NEW version equal to an old one (history is never rewritten)."""
        self._writable(slug)
        with self._writing(slug) as (folder, name, current):
            if version is None:  # _resolve reads None as "the current one"; a restore needs a number
                raise VersionNotFound(slug=slug, version="None", current=current.version)
            number = self._resolve(folder, slug, version)
            old = self._version_info(folder, slug, name, number)
            fresh = self._draft(current.version + 1, self._now(current), "restore", [], author, None)
            draft = old.to_meta() | fresh
            draft.update(sources=list(old.sources), grain=old.grain, restored_from=number)
            draft.update(added=None, replaced=None, unchanged=None)
            source = folder / _VERSION_DIR.format(number)

            def copy(target: Path) -> None:
                for file in ("data.parquet", "catalog.parquet"):
                    link_or_copy(source / file, target / file)

            return self._publish(folder, slug, name, None, None, draft, copy=copy)

    def rename(self, slug: str, new_name: str) -> DatasetInfo:
        """Change the display name; the slug, and so every link, stays."""
        self._writable(slug)
        name = clean_name(new_name)
        with self._writing(slug) as (folder, _old_name, _current):
            head = self._head(folder, slug)
            head["name"] = name
            replace_text(folder / "dataset.json", json.dumps(head, ensure_ascii=False, indent=1) + "\n")
        return self.get(slug)

    def delete(self, slug: str) -> None:
        self._writable(slug)
        trash = self.root / f".trash-{slug}-{uuid.uuid4().hex[:8]}"
        with self._writing(slug) as (folder, name, _current):
            os.rename(folder, trash)  # atomic: the dataset vanishes whole, then its files go
        fsync_dir_quietly(self.root)
        remove_tree(trash)

    # --- Internals --------------------------------------------------------------------------------

    def _folder(self, slug: str) -> Path:
        if not isinstance(slug, str) or slug == SAMPLE_SLUG or not SLUG_PATTERN.match(slug):
            raise DatasetNotFound(slug=str(slug))
        return self.root / slug

    def _writable(self, slug: str) -> None:
        if slug == SAMPLE_SLUG:
            raise ReservedSlug(slug=slug)

    @contextmanager
    def _reading(self, slug: str) -> Iterator[Path]:
        folder = self._folder(slug)
        try:
            yield folder
        except FileNotFoundError as exc:
            # The folder went away (deleted while we read): for the caller the dataset does not exist.
            if folder.is_dir():
                raise DatasetCorrupt(slug=slug, reason=f"{Path(exc.filename or '?').name} missing") from exc
            raise DatasetNotFound(slug=slug) from None

    @contextmanager
    def _writing(self, slug: str) -> Iterator[tuple[Path, str, VersionInfo]]:
        """Lock the dataset, sweep leftovers of crashed writes, yield (folder, name, current version)."""
        folder = self._folder(slug)
        gone = lambda: DatasetNotFound(slug=slug)  # noqa: E731
        with file_lock(folder / ".lock", self.lock_timeout, self._busy(slug), gone):
            head = self._head(folder, slug)
            current = self._current(folder, slug)
            self._sweep(folder, current)
            with self._write_errors(head["name"]):
                yield folder, head["name"], self._version_info(folder, slug, head["name"], current)

    @contextmanager
    def _write_errors(self, name: str) -> Iterator[None]:
        """A disk or Parquet failure becomes a DatasetWriteError the UI can show in its language."""
        try:
            yield
        except DatasetError:
            raise
        except (OSError, pl.exceptions.PolarsError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise DatasetWriteError(name=name, reason=reason) from exc

    def _busy(self, slug: str) -> Callable[[], DatasetError]:
        return lambda: DatasetBusy(slug=slug, seconds=math.ceil(self.lock_timeout))

    def _head(self, folder: Path, slug: str) -> dict[str, Any]:
        try:
            head = read_json(folder / "dataset.json")
        except FileNotFoundError:
            raise DatasetNotFound(slug=slug) from None
        except ValueError as exc:
            raise DatasetCorrupt(slug=slug, reason=str(exc)) from exc
        return head

    def _current(self, folder: Path, slug: str) -> int:
        try:
            return int((folder / "CURRENT").read_text(encoding="utf-8").strip())
        except FileNotFoundError:
            if not folder.is_dir():
                raise DatasetNotFound(slug=slug) from None
            raise DatasetCorrupt(slug=slug, reason="CURRENT missing") from None
        except ValueError as exc:
            raise DatasetCorrupt(slug=slug, reason=f"CURRENT: {exc}") from exc

    def _version_numbers(self, folder: Path) -> list[int]:
        return [n for e in os.scandir(folder) if (n := _version_number(e.name)) is not None]

    def _resolve(self, folder: Path, slug: str, version: int | None) -> int:
        current = self._current(folder, slug)
        if version is None:
            return current
        if (
            type(version) is not int
            or not 1 <= version <= current
            or not (folder / _VERSION_DIR.format(version) / "meta.json").is_file()
        ):
            raise VersionNotFound(slug=slug, version=str(version), current=current)
        return version

    def _version_info(self, folder: Path, slug: str, name: str, number: int) -> VersionInfo:
        try:
            meta = read_json(folder / _VERSION_DIR.format(number) / "meta.json")
        except FileNotFoundError:
            if not folder.is_dir():
                raise DatasetNotFound(slug=slug) from None
            raise DatasetCorrupt(slug=slug, reason=f"version {number} has no meta.json") from None
        except ValueError as exc:
            raise DatasetCorrupt(slug=slug, reason=str(exc)) from exc
        return VersionInfo.from_meta(slug, name, meta)

    def _now(self, previous: VersionInfo | None) -> str:
        """UTC now, kept strictly after the previous version so version_at stays well defined."""
        now = self._clock().astimezone(UTC)
        if previous is not None and now <= previous.saved_datetime:
            now = previous.saved_datetime + timedelta(microseconds=1)
        return now.isoformat(timespec="microseconds")

    @staticmethod
    def _check_grain(grain: str | None) -> str | None:
        if grain is not None and grain not in GRAINS:
            raise InvalidData("datasets.error.bad_grain", grain=grain, grains=", ".join(GRAINS))
        return grain

    @staticmethod
    def _draft(
        version: int, saved_at: str, action: str, sources: list[str], author: str | None, grain: str | None
    ) -> dict[str, Any]:
        if author is not None:
            author = " ".join(str(author).split()) or None
        return {
            "version": version,
            "saved_at": saved_at,
            "action": action,
            "author": author,
            "sources": [sources] if isinstance(sources, str) else [str(s) for s in sources],
            "grain": grain,
        }

    def _write_version(
        self,
        target: Path,
        data: pl.DataFrame | None,
        catalog: pl.DataFrame | None,
        draft: dict[str, Any],
        copy: Callable[[Path], None] | None = None,
    ) -> VersionInfo:
        """Write a complete version folder (not yet visible to anyone) and return its info."""
        target.mkdir()
        if copy is not None:
            copy(target)
        else:
            assert data is not None and catalog is not None
            data.write_parquet(
                target / "data.parquet", compression="zstd", statistics=True, row_group_size=ROW_GROUP_SIZE
            )
            catalog.write_parquet(target / "catalog.parquet", compression="zstd", statistics=True)
            for file in ("data.parquet", "catalog.parquet"):
                fsync_path(target / file)
            draft = {**draft, **frames.describe(data)}
        with (target / "data.parquet").open("rb") as fh:
            checksum = hashlib.file_digest(fh, "sha256").hexdigest()
        draft = {**draft, "checksum": checksum, "size_bytes": (target / "data.parquet").stat().st_size}
        info = VersionInfo.from_meta("", "", draft)
        write_json(target / "meta.json", info.to_meta())
        fsync_path(target)
        return info

    def _publish(
        self,
        folder: Path,
        slug: str,
        name: str,
        data: pl.DataFrame | None,
        catalog: pl.DataFrame | None,
        draft: dict[str, Any],
        copy: Callable[[Path], None] | None = None,
    ) -> VersionInfo:
        """Write version draft['version'] beside the current one, then make it current."""
        number = draft["version"]
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder))
        final = folder / _VERSION_DIR.format(number)
        published = False
        try:
            info = self._write_version(tmp / "v", data, catalog, draft, copy=copy)
            os.rename(tmp / "v", final)
            fsync_path(folder)
            replace_text(folder / "CURRENT", f"{number}\n")  # the commit point
            published = True
        finally:
            remove_tree(tmp)
            if not published:
                remove_tree(final)
        return dataclasses.replace(info, slug=slug, name=name)

    def _sweep(self, folder: Path, current: int) -> None:
        """Under the dataset lock, any temp folder or version past CURRENT is a crashed write's."""
        for entry in os.scandir(folder):
            number = _version_number(entry.name)
            if entry.name.startswith(".tmp-") or (number is not None and number > current):
                if entry.is_dir():
                    remove_tree(Path(entry.path))
                else:
                    Path(entry.path).unlink(missing_ok=True)

    def _sweep_root(self) -> None:
        """Under the root lock: trash left by an interrupted delete, old temp folders of crashed saves."""
        limit = time.time() - STALE_TEMP_S
        for entry in os.scandir(self.root):
            if entry.name.startswith(".trash-") or (
                entry.name.startswith(".tmp-") and entry.stat(follow_symlinks=False).st_mtime < limit
            ):
                remove_tree(Path(entry.path))

    def _free_slug(self, base: str) -> str:
        """`base`, else `base-2`, `base-3`...; never the sample's."""
        n = 1
        while True:
            slug = base if n == 1 else f"{base}-{n}"
            if slug != SAMPLE_SLUG and not os.path.lexists(self.root / slug):
                return slug
            n += 1
