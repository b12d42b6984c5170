"""Fixtures for the browser tests: the built site, served on 127.0.0.1, and Debian's Chromium driven by Playwright.

The sites are the session's shared builds (tests/conftest.py), never the project's own site/:
`built`, the demo (the invented notices, capacities and partner counts of demo/ laid over the
shipped data, as `make demo` shows it: crowd levels, a banner, every invented thing marked), and
`production`, the shipped data alone (as `make site` builds it). Screenshots go to
test-artifacts/.
"""
from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import BuiltSite

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="session")
def built(demo_site) -> BuiltSite:
    """The demo site, with the demo partners' counts written offline at the build time."""
    return demo_site


@pytest.fixture(scope="session")
def production(production_site) -> BuiltSite:
    return production_site


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass   # a browser dropping a connection mid-response is not a test failure


def _serve(folder: Path):
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def site_url(built):
    yield from _serve(built.folder)


@pytest.fixture(scope="session")
def production_url(production):
    yield from _serve(production.folder)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """One browser context: remembers every request that left 127.0.0.1, and page errors."""

    def __init__(self, browser, viewport: dict, block_third_party: bool, bypass_csp: bool = False,
                 service_workers: str = "allow"):
        # service_workers="block" where a test routes the page's own requests: a request the site's
        # worker makes for the page is not seen by page.route (Playwright's documented limit)
        self.context = browser.new_context(viewport=viewport, locale="zh-CN", timezone_id="Asia/Shanghai",
                                           bypass_csp=bypass_csp, service_workers=service_workers)
        self.foreign_requests: list[str] = []
        self.errors: list[str] = []
        self.context.route("**/*", self._route if block_third_party else self._watch)
        self.csp_violations: list[str] = []
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("console", self._console)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_violations.append(message.text)

    def _is_foreign(self, url: str) -> bool:
        return urlsplit(url).hostname not in ("127.0.0.1", None) and not url.startswith("data:")

    def _watch(self, route) -> None:
        if self._is_foreign(route.request.url):
            self.foreign_requests.append(route.request.url)
        route.continue_()

    def _route(self, route) -> None:
        if self._is_foreign(route.request.url):
            self.foreign_requests.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser):
    """visit(viewport=PHONE, block_third_party=True) -> Visit; closed after the test."""
    opened: list[Visit] = []

    def open_visit(viewport: dict = PHONE, block_third_party: bool = True, bypass_csp: bool = False,
                   service_workers: str = "allow") -> Visit:
        opened.append(Visit(browser, viewport, block_third_party, bypass_csp, service_workers))
        return opened[-1]

    yield open_visit
    for one in opened:
        one.close()
