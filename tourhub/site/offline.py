"""Offline after one visit: the web app manifests, their icons, and the service worker.

Before MkDocs runs, `offline_files()` gives the manifests (one per language: the app is named in
the visitor's language) and the icons, PNGs drawn here with zlib. After MkDocs and Pagefind,
`write_service_worker(site)` writes /sw.js from service_worker.js (next to this file; what it
caches and how is said at its top) with its settings: the shell to precache, read from the
built offline page (its stylesheets and the hub's scripts; not Material's 114 KB bundle, which
the visitor's first page has already loaded and the worker keeps from there), and a version
made from the bytes of all of it, so that a changed shell installs afresh and an unchanged one
is left alone. `site_src/assets/js/offline.js` registers the worker (never in `build.py serve`).
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
import struct
import zlib
from pathlib import Path
from urllib.parse import urlsplit

from tourhub.core.files import write_new_file
from tourhub.core.page import Page
from tourhub.site.i18n import LANGS, translate

SERVICE_WORKER = "sw.js"
MANIFEST = {"zh": "manifest.webmanifest", "en": "en/manifest.webmanifest"}
OFFLINE_PAGE = {"zh": "offline/", "en": "en/offline/"}
ICON_SIZES = (192, 512)
ICON = "assets/images/icon-{size}.png"
THEME_COLOUR = "#009485"          # Material's teal, the header's colour (mkdocs.yml palette)
BACKGROUND = "#ffffff"
PAGE_TIMEOUT_MS = 4000            # then the saved copy: a 2G link takes ~8 s for a 50 KB page
FILE_TIMEOUT_MS = 3000
MAX_PAGES = 150                   # pages kept at most (about 6 MB at 40 KB a page)
# How old a saved page may be before a route page's visit fetches it again (minutes).
MAX_AGE_MINUTES = {"area": 24 * 60, "notice": 24 * 60, "notices": 30, "crowds": 30}
PRECACHE_BUDGET = 150_000         # bytes (issue 14): what installing the worker may fetch
_SAME_SITE_ASSET = re.compile(r'<(?:link[^>]*\brel="stylesheet"[^>]*\bhref|script[^>]*\bsrc)="([^"]+)"')


def theme_settings(dev_reload: bool) -> dict:
    """`config.extra.hub.offline`, for site_src/overrides/main.html and offline.js."""
    return {
        "manifest": MANIFEST,
        "touch_icon": ICON.format(size=192),
        "theme_colour": THEME_COLOUR,
        "saved": {lang: translate("offline_saved", lang, time="{time}") for lang in LANGS},
        "register": not dev_reload,          # the dev server must never be stuck behind a worker
    }


def offline_files() -> list[Page]:
    """The manifests and icons, published as they are."""
    return ([Page(MANIFEST[lang], manifest(lang)) for lang in LANGS]
            + [Page(ICON.format(size=size), icon_png(size)) for size in ICON_SIZES])


def manifest(lang: str) -> str:
    """The web app manifest of one language; paths relative to the manifest's own URL, so the
    site works under any path (GitHub Pages' /repository/)."""
    up = "../" * MANIFEST[lang].count("/")
    document = {
        "name": translate("site_name", lang) if lang == "en" else f"{translate('site_name', 'zh')} · Bashu Travel",
        "short_name": translate("app_short_name", lang),
        "description": translate("tagline", lang),
        "lang": "zh-CN" if lang == "zh" else "en",
        "id": "./",
        "start_url": "./",
        "scope": up or "./",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND,
        "icons": [{"src": up + ICON.format(size=size), "sizes": f"{size}x{size}", "type": "image/png",
                   "purpose": "any maskable"} for size in ICON_SIZES],
    }
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


# The icon: white mountains and sun on the header's teal, inside the safe circle of a maskable
# icon (radius 0.4 of the size), in unit coordinates.
_MOUNTAINS = ((0.20, 0.70), (0.40, 0.33), (0.51, 0.49), (0.61, 0.38), (0.80, 0.70))
_RIVER = ((0.22, 0.745), (0.78, 0.745), (0.78, 0.78), (0.22, 0.78))
_SUN = (0.66, 0.25, 0.065)        # centre x, y, radius
_SUBROWS = 4                      # vertical samples per pixel row (horizontal coverage is exact)


@functools.cache       # the same bytes every build: drawn once a process
def icon_png(size: int) -> bytes:
    """The app icon as a PNG of size x size: scanline-filled shapes, anti-aliased, no library."""
    teal = bytes.fromhex(THEME_COLOUR[1:])
    channels = [bytes(round(teal[c] + (255 - teal[c]) * a / 255) for a in range(256)) for c in range(3)]
    shapes = [[(x * size, y * size) for x, y in shape] for shape in (_MOUNTAINS, _RIVER)]
    sun = tuple(v * size for v in _SUN)
    rows = []
    for y in range(size):
        coverage = [0.0] * (size + 1)
        for sub in range(_SUBROWS):
            sample_y = y + (sub + 0.5) / _SUBROWS
            spans = [span for shape in shapes for span in _polygon_spans(shape, sample_y)]
            spans += _circle_spans(sun, sample_y)
            for left, right in spans:
                _add_span(coverage, max(0.0, left), min(float(size), right), 1 / _SUBROWS)
        alpha = bytes(min(255, round(255 * c)) for c in _running(coverage)[:size])
        pixels = bytearray(size * 3)
        for channel in range(3):
            pixels[channel::3] = alpha.translate(channels[channel])
        rows.append(b"\x00" + bytes(pixels))
    return _png(size, size, b"".join(rows))


def _polygon_spans(points, y: float) -> list[tuple[float, float]]:
    """Where the row at height y is inside the polygon (even-odd)."""
    crossings = []
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]):
        if (y0 <= y < y1) or (y1 <= y < y0):
            crossings.append(x0 + (y - y0) * (x1 - x0) / (y1 - y0))
    crossings.sort()
    return list(zip(crossings[::2], crossings[1::2]))


def _circle_spans(circle, y: float) -> list[tuple[float, float]]:
    cx, cy, r = circle
    if abs(y - cy) >= r:
        return []
    half = (r * r - (y - cy) ** 2) ** 0.5
    return [(cx - half, cx + half)]


def _add_span(deltas: list[float], left: float, right: float, weight: float) -> None:
    """Add `weight` times the coverage of [left, right) to a row kept as differences: whole
    pixels by two entries, the partly covered ones at the ends by their share."""
    if right <= left:
        return
    first, last = int(left), int(right)
    if first == last:
        _add_pixel(deltas, first, (right - left) * weight)
        return
    _add_pixel(deltas, first, (first + 1 - left) * weight)
    deltas[first + 1] += weight
    deltas[last] -= weight
    if right > last:
        _add_pixel(deltas, last, (right - last) * weight)


def _add_pixel(deltas: list[float], x: int, amount: float) -> None:
    deltas[x] += amount
    deltas[x + 1] -= amount


def _running(deltas: list[float]) -> list[float]:
    total, out = 0.0, []
    for delta in deltas:
        total += delta
        out.append(total)
    return out


def _png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)        # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def precache_list(site: Path) -> list[str]:
    """The shell, as site paths: both offline pages and the stylesheets and the hub's own scripts
    they load (Material's bundle is left to the first page's own load; the manifests and icons
    matter only online, when the phone installs the site)."""
    paths = [OFFLINE_PAGE[lang] for lang in LANGS]
    page = site / OFFLINE_PAGE["zh"] / "index.html"
    for reference in _SAME_SITE_ASSET.findall(page.read_text("utf-8")):
        target = (page.parent / urlsplit(reference).path).resolve()
        if urlsplit(reference).netloc or not target.is_file() or site.resolve() not in target.parents:
            continue
        path = target.relative_to(site.resolve()).as_posix()
        if path.startswith("assets/javascripts/"):        # Material's bundle: kept from the page's own load
            continue
        paths.append(path)
    return list(dict.fromkeys(paths))


def precache_bytes(site: Path, paths: list[str]) -> int:
    return sum(_file_of(site, path).stat().st_size for path in paths)


def _file_of(site: Path, path: str) -> Path:
    return site / path / "index.html" if path.endswith("/") else site / path


# `build.py serve` writes this instead: a worker left by an earlier visit to the same address
# (`make demo` serves there too) finds it at its next update check, clears the hub's caches,
# unregisters and reloads its pages, so a live preview is never answered from a cache.
RETIRING_WORKER = """/* build.py serve: no offline copies here; retire any worker of an earlier visit. */
"use strict";
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil((async () => {
  for (const name of await caches.keys()) if (name.startsWith("th-")) await caches.delete(name);
  await self.registration.unregister();
  for (const client of await self.clients.matchAll({ type: "window" })) client.navigate(client.url);
})()));
"""


def write_service_worker(site: Path, retire: bool = False) -> dict:
    """/sw.js for the built site; returns its settings (the precache list and its bytes). With
    `retire` (the dev server), the worker that removes itself instead."""
    if retire:
        write_new_file(site / SERVICE_WORKER, RETIRING_WORKER.encode("utf-8"))
        return {"precache": [], "bytes": 0}
    paths = precache_list(site)
    source = (Path(__file__).with_name("service_worker.js")).read_text("utf-8")
    digest = hashlib.sha256(source.encode())
    for path in paths:
        digest.update(path.encode() + b"\0" + _file_of(site, path).read_bytes())
    settings = {
        "version": digest.hexdigest()[:16],
        "precache": paths,
        "offlinePage": OFFLINE_PAGE,
        "offlineText": " / ".join(translate("offline_not_saved", lang) for lang in LANGS),
        "maxAgeMinutes": MAX_AGE_MINUTES,
        "pageTimeoutMs": PAGE_TIMEOUT_MS,
        "fileTimeoutMs": FILE_TIMEOUT_MS,
        "maxPages": MAX_PAGES,
    }
    marker = "/* SETTINGS */ {}"
    if marker not in source:
        raise ValueError("service_worker.js has lost its SETTINGS marker")
    worker = source.replace(marker, json.dumps(settings, ensure_ascii=False))
    write_new_file(site / SERVICE_WORKER, worker.encode("utf-8"))
    return settings | {"bytes": precache_bytes(site, paths)}
