"""File-system primitives of the dataset library: durable writes, atomic replacement, file locks.

A write is only as durable as its fsyncs: a file's content, then the directory entry that names it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

LOCK_POLL_S = 0.05


def fsync_path(path: Path) -> None:
    """Flush a file or a directory (its entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir_quietly(path: Path) -> None:
    """fsync a directory after its change is already visible: failing to must not report a failure."""
    try:
        fsync_path(path)
    except OSError as exc:  # pragma: no cover - depends on the file system
        log.warning("could not fsync %s: %s", path, exc)


def write_json(path: Path, value: dict[str, Any]) -> None:
    """Write and fsync a new JSON file (no atomicity: used inside a folder not yet in place)."""
    with path.open("w", encoding="utf-8") as fh:
        json.dump(value, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


def read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        value = json.load(fh)
    if not isinstance(value, dict):
        raise ValueError(f"{path}: not a JSON object")
    return value


def replace_text(path: Path, text: str) -> None:
    """Replace a file atomically: readers see the old content or the new one, never a mix."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir_quietly(path.parent)


def link_or_copy(src: Path, dst: Path) -> None:
    """Versions never change once written, so a restored version can share the old files."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
        fsync_path(dst)


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def file_lock(
    path: Path, timeout: float, on_timeout: Callable[[], Exception], on_gone: Callable[[], Exception]
) -> Iterator[None]:
    """Hold an exclusive flock on `path` (created if needed); raise on_timeout() after `timeout` s,
    on_gone() when the folder of `path` does not exist (any more).

    After locking, the file must still be the one at `path`: a dataset deleted while we waited had its
    folder (and lock file) moved away, and we must not write into the trash.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        raise on_gone() from None
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise on_timeout() from None
                time.sleep(LOCK_POLL_S)
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if not same:
            raise on_gone()
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
