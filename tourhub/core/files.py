"""Writing files so that a crash or a concurrent reader never sees half of one."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_writer(path: Path, *, durable: bool = True) -> Iterator[BinaryIO]:
    """Write `path` through a temp file in its folder: the old file stays whole until the new one
    replaces it in one step (os.replace). `durable`: fsync the file and its folder too, so the
    new content survives a power cut (data files; a cache may skip it)."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    if durable:
        fsync_folder(path.parent)


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    with atomic_writer(path, durable=durable) as handle:
        handle.write(data)


def write_new_file(path: Path, data: bytes) -> None:
    """Write `path` as a new file (a new inode): an incremental build's site starts as hard links
    to the published site's files, and writing through one would change the published site."""
    path.unlink(missing_ok=True)
    path.write_bytes(data)


def fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (where the platform allows opening a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def outside(path: Path, root: Path) -> bool:
    """Whether `path`, links followed, leads out of `root` or into its .git folder (where a CI
    checkout keeps its token), or cannot be resolved at all."""
    try:
        real, top = path.resolve(strict=True), root.resolve()
    except (OSError, RuntimeError):      # a dangling link, a loop
        return True
    return not real.is_relative_to(top) or real.is_relative_to(top / ".git")


def files_within(folder: Path, root: Path) -> tuple[list[Path], list[Path]]:
    """Every file under `folder` (links followed while they stay inside `root`), and every path
    there that leads out of `root`: what may be published, and what must never be."""
    inside: list[Path] = []
    escaping: list[Path] = []
    seen: set[Path] = set()

    def walk(current: Path) -> None:
        real = current.resolve()
        if real in seen:               # a link back up the tree
            return
        seen.add(real)
        for path in sorted(current.iterdir()):
            if path.is_symlink() and outside(path, root):
                escaping.append(path)
            elif path.is_dir():
                walk(path)
            elif path.is_file():
                inside.append(path)
            else:                      # a device, a FIFO: nothing a site is made of
                escaping.append(path)

    if folder.is_dir() and not outside(folder, root):
        walk(folder)
    elif folder.exists() or folder.is_symlink():
        escaping.append(folder)
    return inside, escaping


def copy_tree_within(source: Path, target: Path, root: Path) -> None:
    """Copy the files under `source` to `target`, links resolved; ValueError naming the first
    path that leads out of `root` (checked again here, not only when the project was checked)."""
    inside, escaping = files_within(source, root)
    if escaping:
        raise ValueError(f"{escaping[0]} leads outside {root}")
    for path in inside:
        destination = target / path.relative_to(source)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
