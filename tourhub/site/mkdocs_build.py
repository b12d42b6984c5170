"""Stage the docs, run `mkdocs build --strict` into a new folder, and swap it into place.

The previous site stays byte-for-byte untouched until the new one is complete: MkDocs writes
into a fresh sibling folder, and only a finished build is exchanged with `site/` (atomically
with renameat2(RENAME_EXCHANGE) on Linux, else two renames).
"""
from __future__ import annotations

import base64
import ctypes
import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from tourhub.core.files import copy_tree_within
from tourhub.core.page import Page
from tourhub.site.slim_css import Used, quiet_alternate_sitemaps, slim_theme_stylesheets

os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")


class SiteBuildFailed(Exception):
    """MkDocs refused the staged pages (strict mode turns every warning into this)."""


def stage(root: Path, staging: Path, pages: list[Page]) -> Path:
    """A fresh docs folder: hand-written pages and assets from site_src/, then generated pages."""
    if staging.exists():
        shutil.rmtree(staging)
    docs = staging / "docs"
    docs.mkdir(parents=True)
    try:                      # a link out of the project is refused again here, whatever the check saw
        copy_tree_within(root / "site_src" / "pages", docs, root)
        if (root / "site_src" / "assets").is_dir():
            copy_tree_within(root / "site_src" / "assets", docs / "assets", root)
    except ValueError as error:
        raise SiteBuildFailed(f"file-path-outside: {error}") from error
    for page in pages:
        target = docs / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(page.content, Path):
            _link_or_copy(page.content, target)
        elif isinstance(page.content, bytes):
            target.write_bytes(page.content)
        else:
            target.write_text(page.content, encoding="utf-8")
    return docs


def _link_or_copy(source: Path, target: Path) -> None:
    """A hard link where possible (a month of counts is not copied into staging; MkDocs copies
    it into the site), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def mkdocs_build(config_file: Path, docs: Path, site_dir: Path, hub: dict | None = None,
                 site_url: str | None = None, only: frozenset[str] | None = None,
                 styles: dict[str, Used] | None = None) -> dict[str, Used]:
    """`mkdocs build --strict` in this process, into `site_dir`; `hub` becomes config.extra.hub
    for the theme overrides. With `only` (an incremental build, site/incremental.py), site_dir
    already holds the previous build's files and only the docs files in `only` are rendered or
    copied; `styles` are what the other pages use. Returns what each page uses."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, MkDocsException

    handler = _Collect()
    logging.getLogger("mkdocs").addHandler(handler)
    quiet = _QuietDirtyNotice()
    logging.getLogger("mkdocs.commands.build").addFilter(quiet)
    try:
        config = load_config(str(config_file), strict=True, docs_dir=str(docs), site_dir=str(site_dir))
        if hub is not None:
            config.extra["hub"] = hub
        if site_url:
            config.site_url = site_url
        tiles = (config.extra.get("map_tiles") or {}).get("url")
        finish = _FinishPages(tiles, only, styles or {})
        config.plugins["tourhub/finish-pages"] = finish   # type: ignore[assignment]  # MkDocs accepts any plugin
        build(config, dirty=only is not None)
    except (Abort, MkDocsException) as error:
        raise SiteBuildFailed("\n".join([*handler.messages, str(error)])) from error
    finally:
        logging.getLogger("mkdocs").removeHandler(handler)
        logging.getLogger("mkdocs.commands.build").removeFilter(quiet)
    return finish.page_styles


class _QuietDirtyNotice(logging.Filter):
    """MkDocs warns that a dirty build may leave navigation stale (strict mode would stop on it).
    Here what is rebuilt is decided by content and anything shared by all pages forces a full
    build (site/incremental.py), so the warning does not apply."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("A 'dirty' build is being performed")


class _FinishPages:
    """Last touches on every built page: English pages under en/ declare lang="en" (Material
    writes one `<html lang>` for the whole site; browsers, screen readers and Pagefind need each
    page's own), external links get rel="noopener", and a Content-Security-Policy goes first in
    <head>. Once every page is written, Material's stylesheets are slimmed to what they use.

    In an incremental build (`only`), MkDocs renders and copies just the docs files in `only`
    and all of the theme's files (the slimmed stylesheets are made from the originals again);
    each output is removed first, so that it is written as a new file, not through the hard link
    to the published site."""

    def __init__(self, tiles_url: str | None = None, only: frozenset[str] | None = None,
                 styles: dict[str, Used] | None = None):
        self.tiles_origin = _origin(tiles_url)
        self.only = only
        self.previous_styles = styles or {}
        self.page_styles: dict[str, Used] = {}    # what each page uses, for slimming Material's CSS
        self.template_styles = Used()
        self.pages: list[str] = []

    def on_files(self, files, config):
        docs, site = Path(config.docs_dir).resolve(), Path(config.site_dir)
        self.pages = [file.src_uri for file in files.documentation_pages()]
        if self.only is None:
            return files
        for file in files:
            rebuilt = Path(file.src_dir).resolve() != docs or file.src_uri in self.only
            file.is_modified = (lambda rebuilt=rebuilt: rebuilt)
            if rebuilt:
                Path(file.abs_dest_path).unlink(missing_ok=True)
        for template in config.theme.static_templates:
            for name in (template, template + ".gz"):
                (site / name).unlink(missing_ok=True)
        return files

    def on_post_page(self, output: str, page, config) -> str:
        if page.file.src_uri.startswith("en/"):
            output = output.replace('<html lang="zh"', '<html lang="en"', 1)
        output = self._secured(output)
        self.page_styles[page.file.src_uri] = Used.of_html(output)
        return output

    def on_post_template(self, output: str, template_name: str, config) -> str:
        """Static pages such as 404.html get the same policy and link treatment."""
        if template_name.endswith(".html") and "<head>" in output:
            output = self._secured(output)
            self.template_styles.update(Used.of_html(output))
        return output

    def on_post_build(self, config) -> None:
        """Every page is written: Material's stylesheets lose the rules no page can use, and its
        script stops fetching a sitemap for every alternate link."""
        for page in self.pages:
            if page not in self.page_styles:         # not rendered again: as the previous build saw it
                self.page_styles[page] = self.previous_styles[page]
        used = Used()
        used.update(self.template_styles)
        for page in self.pages:
            used.update(self.page_styles[page])
        slim_theme_stylesheets(Path(config.site_dir), used)
        quiet_alternate_sitemaps(Path(config.site_dir))

    def _secured(self, output: str) -> str:
        output = _EXTERNAL_LINK.sub(_with_noopener, output)
        policy = content_security_policy(output, self.tiles_origin)
        meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        return output.replace("<head>", "<head>\n    " + meta, 1)


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)([^>]*)>(.*?)</script>", re.S | re.I)
_EXTERNAL_LINK = re.compile(r'<a\s([^>]*?href="https?://[^"]*"[^>]*)>', re.I)
_EXECUTABLE = re.compile(r'type="(?!text/javascript|module|application/javascript)[^"]*"', re.I)


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url.replace("{s}", "a").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("https", "http") else None


def _with_noopener(match: re.Match) -> str:
    attributes = match.group(1)
    rel = re.search(r'rel="([^"]*)"', attributes)
    if rel is None:
        return f'<a {attributes} rel="noopener">'
    if "noopener" in rel.group(1).split():
        return match.group(0)
    return "<a " + attributes.replace(rel.group(0), f'rel="{rel.group(1)} noopener"') + ">"


def content_security_policy(html: str, tiles_origin: str | None = None) -> str:
    """Scripts only from this site or, inline, by hash (the theme's few); WebAssembly for the
    search; images also from the map-tile host, which a visitor must ask for; the service worker
    and the web app manifest from this site."""
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
                     for attributes, body in _INLINE_SCRIPT.findall(html)
                     if not _EXECUTABLE.search(attributes)})
    images = " ".join(["'self'", "data:"] + ([tiles_origin] if tiles_origin else []))
    return "; ".join([
        "default-src 'self'", f"script-src 'self' 'wasm-unsafe-eval' {' '.join(hashes)}".strip(),
        "style-src 'self' 'unsafe-inline'", f"img-src {images}", "font-src 'self' data:",
        "connect-src 'self'", "worker-src 'self'", "manifest-src 'self'",
        "object-src 'none'", "base-uri 'self'", "form-action 'self'"])


def index_search(site_dir: Path) -> None:
    """Pagefind's index into site_dir/pagefind/: Chinese segmented (extended build), fetched in
    small chunks only when a visitor types a search."""
    shutil.rmtree(site_dir / "pagefind", ignore_errors=True)     # written anew, never through a link
    command = [sys.executable, "-m", "pagefind", "--site", str(site_dir), "--quiet"]
    done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", errors="replace")
    if done.returncode != 0 or not (site_dir / "pagefind" / "pagefind.js").is_file():
        raise SiteBuildFailed(f"pagefind failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    _in_stable_order(site_dir / "pagefind" / "pagefind-entry.json")


def _in_stable_order(entry: Path) -> None:
    """Pagefind lists its languages in no fixed order: the same index would be a changed file at
    every build (and a deploy would upload it). The same JSON, keys sorted."""
    try:
        document = json.loads(entry.read_text("utf-8"))
    except (OSError, ValueError):
        return
    entry.write_text(json.dumps(document, sort_keys=True, separators=(",", ":")), "utf-8")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def new_site_dir(site: Path) -> Path:
    """An empty folder next to `site` for the next build, readable by a web server's user
    (mkdtemp alone makes it 0700)."""
    site.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{site.name}.new-", dir=site.parent))
    new.chmod(0o755)
    return new


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
