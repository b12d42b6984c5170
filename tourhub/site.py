"""Stage the docs, run `mkdocs build --strict` into a new folder, and swap it into place.

The previous site stays byte-for-byte untouched until the new one is complete: MkDocs writes
into a fresh sibling folder, and only a finished build is exchanged with `site/` (atomically
with renameat2(RENAME_EXCHANGE) on Linux, else two renames).
"""
from __future__ import annotations

import ctypes
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .pages import Page

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


class SiteBuildFailed(Exception):
    """MkDocs refused the staged pages (strict mode turns every warning into this)."""


def stage(root: Path, staging: Path, pages: list[Page]) -> Path:
    """A fresh docs folder: hand-written pages and assets from site_src/, then generated pages."""
    if staging.exists():
        shutil.rmtree(staging)
    docs = staging / "docs"
    shutil.copytree(root / "site_src" / "pages", docs)
    if (root / "site_src" / "assets").is_dir():
        shutil.copytree(root / "site_src" / "assets", docs / "assets")
    for page in pages:
        target = docs / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(page.content, bytes):
            target.write_bytes(page.content)
        else:
            target.write_text(page.content, encoding="utf-8")
    return docs


def mkdocs_build(config_file: Path, docs: Path, site_dir: Path, hub: dict | None = None,
                 site_url: str | None = None) -> None:
    """`mkdocs build --strict` in this process, into `site_dir`; `hub` becomes config.extra.hub
    for the theme overrides."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, MkDocsException

    handler = _Collect()
    logging.getLogger("mkdocs").addHandler(handler)
    try:
        config = load_config(str(config_file), strict=True, docs_dir=str(docs), site_dir=str(site_dir))
        if hub is not None:
            config.extra["hub"] = hub
        if site_url:
            config.site_url = site_url
        config.plugins["tourhub/page-language"] = _PageLanguage()
        build(config)
    except (Abort, MkDocsException) as error:
        raise SiteBuildFailed("\n".join([*handler.messages, str(error)])) from error
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)


class _PageLanguage:
    """English pages under en/ declare lang="en". Material writes one `<html lang>` for the whole
    site; browsers, screen readers and Pagefind (which segments Chinese and English differently)
    need each page's own language."""

    def on_post_page(self, output: str, page, config) -> str:
        if page.file.src_uri.startswith("en/"):
            return output.replace('<html lang="zh"', '<html lang="en"', 1)
        return output


def index_search(site_dir: Path) -> None:
    """Pagefind's index into site_dir/pagefind/: Chinese segmented (extended build), fetched in
    small chunks only when a visitor types a search."""
    command = [sys.executable, "-m", "pagefind", "--site", str(site_dir), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", errors="replace")
    if done.returncode != 0 or not (site_dir / "pagefind" / "pagefind.js").is_file():
        raise SiteBuildFailed(f"pagefind failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def new_site_dir(site: Path) -> Path:
    site.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{site.name}.new-", dir=site.parent))


def publish(new: Path, site: Path) -> None:
    """Put the finished build `new` at `site`; the old site, if any, is removed afterwards."""
    if site.exists() and _exchange(new, site):
        shutil.rmtree(new)  # `new` now holds the previous site
        return
    if site.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{site.name}.old-", dir=site.parent))
        os.rename(site, old / "site")
        os.rename(new, site)
        shutil.rmtree(old)
    else:
        os.rename(new, site)


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    return renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0


def discard(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
