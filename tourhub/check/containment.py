"""Everything the build reads or publishes stays inside the project.

A link under site_src/ to /proc/self/environ, /etc/passwd or .git/config would otherwise be
copied into site/ with its target's content. Each such path is a problem (the build stops, the
file is never read), and the copying itself refuses it again (core/files.copy_tree_within).
Data files are held to the same rule where they are listed (check/tables.py) and the schemas
where the descriptor names them (check/descriptor.py).
"""
from __future__ import annotations

from pathlib import Path

from tourhub.check.problems import Problem
from tourhub.core.files import files_within, outside

SITE_SOURCES = ("site_src",)
SITE_CONFIG = "mkdocs.yml"


def site_source_problems(root: Path) -> list[Problem]:
    """One problem per path under site_src/ (or mkdocs.yml itself) that leads out of `root`."""
    escaping = [path for name in SITE_SOURCES for path in files_within(root / name, root)[1]]
    config = root / SITE_CONFIG
    if config.is_symlink() and outside(config, root):
        escaping.append(config)
    return [Problem(_relative(root, path), 1, 1, "file-path-outside", {"path": _relative(root, path)})
            for path in escaping]


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()
