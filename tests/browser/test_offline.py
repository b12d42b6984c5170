"""Offline after one visit, in real Chromium on a phone: a traveller opens a route page once with a
network, goes up the mountain, and the route, its areas, the notices and the crowd page still
open, saying when they were saved; a notice past its end still disappears; a search made online
works again; and nothing ever asks another host.

Each test serves the demo site on its own port, so that the "network" can really be cut: the
server stops answering (a connection that closes unanswered, as on a dead mobile link) and the
browser is set offline too. Every test opens a fresh browser context: no worker or cache carries
over from another test.
"""
from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

RED_ROUTE = "huayingshan-red-hongyan"
SAVED_TIMEOUT_MS = 30_000
PRECACHE_BUDGET = 150_000       # bytes (issue 14)


class _Host(SimpleHTTPRequestHandler):
    """A static host whose network can be cut: while `down`, every connection closes unanswered.
    `folder` is what it serves (a test may put another build there)."""

    down = False
    folder = "."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=type(self).folder, **kwargs)

    def log_message(self, *args) -> None:
        pass

    def handle_one_request(self) -> None:
        if type(self).down:
            self.close_connection = True
            return
        super().handle_one_request()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass


class Network:
    """The demo site on a port of its own, and the network to it, which a test can cut."""

    def __init__(self, host: type[_Host], base: str):
        self.host, self.base = host, base

    def cut(self, visit) -> None:
        self.host.down = True
        visit.context.set_offline(True)

    def restore(self, visit) -> None:
        self.host.down = False
        visit.context.set_offline(False)


@pytest.fixture
def mountain(built):
    host = type("Host", (_Host,), {"down": False, "folder": str(built.folder)})
    server = _Server(("127.0.0.1", 0), host)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield Network(host, f"http://127.0.0.1:{server.server_address[1]}/")
    server.shutdown()
    server.server_close()


def visit_once(visit, url: str):
    """Open a page with the network on and wait until the service worker has saved it and what
    goes with it (offline.js marks <html data-th-offline="saved">)."""
    one = visit(PHONE)
    one.page.goto(url, wait_until="load")
    one.page.wait_for_selector("html[data-th-offline=saved]", state="attached", timeout=SAVED_TIMEOUT_MS)
    return one


def open_offline(one, url: str):
    one.page.goto(url, wait_until="load", timeout=15_000)
    return one.page


def route_of(model, route_id: str):
    return next(route for route in model.routes if route.id == route_id)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_route_its_areas_the_notices_and_the_crowds_open_offline_after_one_visit(visit, mountain, built, lang):
    base = mountain.base
    prefix = "" if lang == "zh" else "en/"
    route = route_of(built.model, RED_ROUTE)
    area = built.model.area_by_id[route.spot_ids[-1]]
    one = visit_once(visit, f"{base}{prefix}routes/{route.id}/")
    mountain.cut(one)
    expected = {f"routes/{route.id}/": route.name.in_(lang), f"areas/{area.id}/": area.name.in_(lang),
                "notices/": {"zh": "安全提示", "en": "notices"}[lang], "crowds/": {"zh": "客流", "en": "rowd"}[lang]}
    saved_word = {"zh": "已保存于", "en": "Saved"}[lang]
    for path, title in expected.items():
        page = open_offline(one, base + prefix + path)
        assert title in page.locator("h1").first.inner_text(), path
        note = page.locator("[data-th-saved-note]")
        assert note.is_visible() and saved_word in note.inner_text(), path
        assert page.locator("html").get_attribute("lang") == lang
    assert one.foreign_requests == [] and one.errors == []


def test_a_page_never_opened_offline_says_so_and_lists_what_is_saved(visit, mountain, built):
    base = mountain.base
    route = route_of(built.model, RED_ROUTE)
    one = visit_once(visit, f"{base}routes/{route.id}/")
    mountain.cut(one)
    page = open_offline(one, base + "standards/")                 # never opened
    assert "没有网络" in page.locator("h1").first.inner_text()
    saved = page.locator("[data-th-saved-pages] a", has_text=route.name.zh)
    saved.wait_for(timeout=5_000)
    saved.click()
    page.wait_for_load_state("load")
    assert route.name.zh in page.locator("h1").first.inner_text()
    assert page.locator("[data-th-saved-note]").is_visible()


def _severe_active(model):
    return next(n for n in model.notices
                if n.severity in ("Severe", "Extreme") and model.notice_state(n) == "active" and n.expires)


def test_an_expired_notice_is_hidden_offline_by_its_end_time(visit, mountain, built):
    base = mountain.base
    notice = _severe_active(built.model)
    one = visit_once(visit, f"{base}routes/{RED_ROUTE}/")
    mountain.cut(one)
    page = open_offline(one, base + "notices/")                  # still in force: shown
    assert page.locator("[data-th-saved-note]").is_visible()
    assert page.locator("[data-th-alert]", has_text=notice.headline.zh).is_visible()
    assert page.locator(f"section#{notice.id}").is_visible()
    page.clock.set_fixed_time(notice.expires.end + timedelta(minutes=1))      # later, still offline
    for path in ("notices/", f"routes/{RED_ROUTE}/"):
        page = open_offline(one, base + path)
        assert page.locator("[data-th-saved-note]").is_visible(), path
        assert page.locator("[data-th-alert]", has_text=notice.headline.zh).is_hidden(), path
    page = open_offline(one, base + "notices/")
    assert page.locator(f"section#{notice.id}").is_hidden()


def test_a_search_made_online_works_again_offline(visit, mountain):
    base = mountain.base
    one = visit_once(visit, f"{base}routes/{RED_ROUTE}/")
    query = f"{base}search/?q=华蓥山"
    one.page.goto(query, wait_until="load")
    one.page.wait_for_selector(".pagefind-ui__result-link", timeout=15_000)
    online = one.page.eval_on_selector_all(".pagefind-ui__result-link", "links => links.map(a => a.href)")
    mountain.cut(one)
    page = open_offline(one, query)
    page.wait_for_selector(".pagefind-ui__result-link", timeout=15_000)
    offline = page.eval_on_selector_all(".pagefind-ui__result-link", "links => links.map(a => a.href)")
    assert offline[:3] == online[:3] and any(link.endswith(f"routes/{RED_ROUTE}/") for link in offline)
    assert one.foreign_requests == []


def test_the_worker_never_touches_another_host(visit, mountain):
    """The worker leaves other hosts alone: a request to one (here a map tile host) is never
    answered or stored by it, and it fetches nothing from one itself."""
    base = mountain.base
    one = visit_once(visit, f"{base}routes/{RED_ROUTE}/")
    stored = one.page.evaluate("""async () => {
        const urls = [];
        for (const name of await caches.keys()) {
            for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
        }
        return urls;
    }""")
    assert stored and all(url.startswith(base) for url in stored)
    assert one.foreign_requests == []
    source = one.page.evaluate("fetch('/sw.js').then(r => r.text())")
    assert "sitePath(url) === null" in source or "path === null" in source


def precache_of(site) -> tuple[list[str], int]:
    source = (site / "sw.js").read_text("utf-8")
    settings = json.loads(re.search(r"const SETTINGS = (\{.*?\});\n", source).group(1))
    files = [site / path / "index.html" if path.endswith("/") else site / path for path in settings["precache"]]
    return settings["precache"], sum(file.stat().st_size for file in files)


@pytest.mark.parametrize("which", ["built", "production"])
def test_the_precache_is_a_small_shell_within_150_kb(request, which):
    site = request.getfixturevalue(which).folder
    paths, size = precache_of(site)
    assert {"offline/", "en/offline/", "assets/css/hub.css", "assets/stylesheets/main.min.css"} <= set(paths)
    assert not any(path.startswith(("routes/", "areas/", "pagefind/", "data/")) for path in paths)
    assert size <= PRECACHE_BUDGET, (size, paths)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_pages_opened_offline(visit, mountain, scheme):
    base = mountain.base
    for lang, prefix in (("zh", ""), ("en", "en/")):
        one = visit_once(visit, f"{base}{prefix}routes/{RED_ROUTE}/")
        one.page.emulate_media(color_scheme=scheme)
        mountain.cut(one)
        for name, path in (("route", f"routes/{RED_ROUTE}/"), ("notices", "notices/"), ("not-saved", "standards/")):
            open_offline(one, base + prefix + path)
            one.screenshot(f"offline-{name}-{lang}-{scheme}")
        mountain.restore(one)


def _evaluated(page, script: str):
    """The script's value, or None while the page is between two loads."""
    try:
        return page.evaluate(script)
    except PlaywrightError:
        return None


def test_the_dev_preview_is_never_answered_by_a_worker_of_an_earlier_visit(visit, mountain, tmp_path):
    """`build.py serve` (dev_reload) registers no worker, and retires one that a visit to the same
    address (`make demo` serves there too) left: the preview shows each new build at once."""
    from tests.conftest import NOW, make_project
    from tourhub import pipeline
    project = make_project(tmp_path / "project")
    for name, dev in (("published", False), ("preview", True)):
        result = pipeline.build(project, now=NOW, site=tmp_path / name, staging=tmp_path / f"staging-{name}",
                                cache_dir=tmp_path / "cache", dev_reload=dev)
        assert result.ok, result.error
    mountain.host.folder = str(tmp_path / "published")
    one = visit_once(visit, mountain.base + "routes/red-route/")
    assert one.page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 1
    mountain.host.folder = str(tmp_path / "preview")
    one.page.reload(wait_until="load")
    retired = """async () => (await navigator.serviceWorker.getRegistrations()).length === 0
        && (await caches.keys()).every(name => !name.startsWith("th-"))"""
    deadline = time.monotonic() + 15
    while not _evaluated(one.page, retired):      # the page reloads itself once on the way
        assert time.monotonic() < deadline, "the worker of the earlier visit is still there"
        time.sleep(0.2)
    one.page.reload(wait_until="load")
    assert one.page.evaluate("navigator.serviceWorker.controller") is None
    assert one.page.locator('script[src$="dev-reload.js"]').count() == 1     # the preview's own page
