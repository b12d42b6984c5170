"""One lock per repository: runs that write shared state (build, fetch's merge) take turns.

The lock is an flock(2) on build/.lock, so it is released by the kernel when its holder exits,
however it exits: there is no stale lock to clear by hand. While it is held the file names the
holder (process id, what it is doing, since when), which a waiting run prints. A run that cannot
get the lock within `wait_s` stops with `RepositoryBusy`, which says who holds it.

Whoever holds the lock is the only writer of site/, build/staging and the partitions, so it is
also the one that may sweep up what killed runs left behind (`remove_leftovers`).
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK_FILE = Path("build") / ".lock"
DEFAULT_WAIT_S = 30 * 60.0       # a region build takes minutes; a scheduled fetch may wait that long


class RepositoryBusy(Exception):
    """Another run held the repository for longer than this one would wait."""

    def __init__(self, holder: str, waited_s: float) -> None:
        self.holder, self.waited_s = holder, waited_s
        super().__init__(f"另一个任务正在使用此仓库（{holder}），已等待 {waited_s:.0f} 秒，放弃 / "
                         f"the repository is busy ({holder}); gave up after waiting {waited_s:.0f} s")


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def repository_lock(root: Path, purpose: str, *, wait_s: float | None = None, poll_s: float = 0.2,
                    say: Callable[[str], object] = _say) -> Iterator[None]:
    """Hold the repository's lock for the `with` block, waiting (with one message) while
    another run holds it. `wait_s` defaults to $HUB_LOCK_WAIT_S, else 30 minutes."""
    path = root / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    wait = wait_s if wait_s is not None else float(os.environ.get("HUB_LOCK_WAIT_S") or DEFAULT_WAIT_S)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _acquire(fd, wait, poll_s, say)
        _write_holder(fd, purpose)
        yield
    finally:
        os.close(fd)          # closing the descriptor releases the lock


def _acquire(fd: int, wait_s: float, poll_s: float, say: Callable[[str], object]) -> None:
    if _try_lock(fd):
        return
    holder = _holder(fd)
    say(f"等待另一个任务结束（{holder}）… / waiting for another run to finish ({holder})…")
    started = time.monotonic()
    while time.monotonic() - started < wait_s:
        time.sleep(poll_s)
        if _try_lock(fd):
            return
    raise RepositoryBusy(_holder(fd), time.monotonic() - started)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _write_holder(fd: int, purpose: str) -> None:
    record = {"pid": os.getpid(), "purpose": purpose, "since": datetime.now(UTC).isoformat(timespec="seconds")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode("utf-8"), 0)


def _holder(fd: int) -> str:
    """Who holds the lock, as its holder wrote it (best effort: it may be mid-write)."""
    try:
        record = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return f"{record['purpose']}, pid {int(record['pid'])}, since {record['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "unknown holder"


# What an interrupted run can leave behind: a site folder being built or being retired (next to
# site/ or build/demo-site/), and the temp file of an atomic write (core/files.py) in the data.
_SITE_LEFTOVER = re.compile(r"\.(site|demo-site)\.(new|old)-[A-Za-z0-9_]+")
_TEMP_LEFTOVER = re.compile(r"\..+\.tmp")


def remove_leftovers(root: Path, data_folders: tuple[Path, ...]) -> list[Path]:
    """Delete what killed runs left (call only while holding the lock); what was removed."""
    removed = []
    for folder in (root, root / "build"):
        for path in _children(folder):
            if _SITE_LEFTOVER.fullmatch(path.name) and path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    for folder in data_folders:
        for path in _temp_files(folder):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _children(folder: Path) -> list[Path]:
    try:
        return list(folder.iterdir())
    except OSError:
        return []


def _temp_files(folder: Path) -> Iterator[Path]:
    for parent, folders, files in os.walk(folder):      # never follows links out of the folder
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in files:
            if _TEMP_LEFTOVER.fullmatch(name):
                yield Path(parent) / name
