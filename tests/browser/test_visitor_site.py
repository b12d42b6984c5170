"""What a visitor on a phone in China relies on, checked in real headless Chromium."""
from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import DESKTOP, PHONE, ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RED_ROUTE = "routes/huayingshan-red-hongyan/"
PAGES = {"home": "", "route": RED_ROUTE, "area": "areas/huayingshan/", "crowds": "crowds/",
         "notices": "notices/", "standards": "standards/", "search": "search/",
         "data": "data/", "dataset": "data/scenic_areas/", "guide": "guide/", "sql": "data/sql/"}


def open_page(visit, url: str):
    visit.page.goto(url, wait_until="load")
    return visit.page


def search_results(page, query_url: str) -> list[str]:
    page.goto(query_url, wait_until="load")
    page.wait_for_selector(".pagefind-ui__result-link", timeout=15_000)
    return page.eval_on_selector_all(".pagefind-ui__result-link", "links => links.map(a => a.href)")


@pytest.mark.parametrize("query", ["华蓥山", "红色旅游"])
def test_a_chinese_search_finds_the_huayingshan_red_route(visit, site_url, query):
    links = search_results(visit().page, f"{site_url}search/?q={query}")
    assert any(link.endswith(RED_ROUTE) and "/en/" not in link for link in links), links


def test_a_chinese_search_for_dazu_finds_the_stone_carvings(visit, site_url):
    links = search_results(visit().page, f"{site_url}search/?q=大足")
    assert any(link.endswith("areas/dazu-rock-carvings/") for link in links), links


def test_an_english_search_finds_the_english_red_route(visit, site_url):
    links = search_results(visit().page, f"{site_url}en/search/?q=Huaying")
    assert any(link.endswith("en/" + RED_ROUTE) for link in links), links


def test_the_search_box_on_every_page_leads_to_results(visit, site_url):
    page = open_page(visit(), site_url + RED_ROUTE)
    page.fill("#th-q", "钓鱼城")
    page.press("#th-q", "Enter")
    page.wait_for_selector(".pagefind-ui__result-link", timeout=15_000)
    assert "search/?q=" in page.url


def _severe_active(model):
    return next(n for n in model.notices
                if n.severity in ("Severe", "Extreme") and model.notice_state(n) == "active")


def test_a_severe_active_notice_shows_the_banner_on_every_page(visit, site_url, built):
    notice = _severe_active(built.model)
    one = visit()
    one.page.clock.install(time=notice.effective.start + timedelta(hours=1))
    for path in ("", RED_ROUTE, "en/"):
        page = open_page(one, site_url + path)
        alert = page.locator("[data-th-alert]", has_text=notice.headline.in_("en" if path == "en/" else "zh"))
        assert alert.is_visible()


def test_the_banner_disappears_once_the_notice_expired_without_a_rebuild(visit, site_url, built):
    notice = _severe_active(built.model)
    one = visit()
    one.page.clock.install(time=notice.expires.end + timedelta(minutes=1))
    page = open_page(one, site_url)
    assert page.locator("[data-th-alert]", has_text=notice.headline.zh).is_hidden()
    assert page.locator("[data-th-alerts]").is_hidden()
    assert page.locator("[data-th-demo]").is_visible()          # the demo banner stays


def test_crowd_levels_show_colour_label_and_observation_time(visit, site_url, built):
    one = visit()
    one.page.clock.install(time=built.model.built_at + timedelta(minutes=5))
    page = open_page(one, site_url + "crowds/")
    cards = page.locator(".th-crowd")
    assert cards.count() == len(built.model.occupancy_by_area) >= 6
    labels = {level.label.zh for scheme in built.model.schemes for level in scheme.levels}
    for i in range(cards.count()):
        card = cards.nth(i)
        level = card.locator(".th-crowd__level")
        assert level.is_visible()
        colour = level.locator(".th-badge").evaluate("el => getComputedStyle(el).backgroundColor")
        assert colour not in ("", "rgba(0, 0, 0, 0)")
        assert level.locator(".th-crowd__label").inner_text() in labels
        assert card.locator("time").get_attribute("datetime")
    assert page.locator(".th-crowd", has_text="红色预警").count() >= 1


def test_old_observations_and_an_old_build_are_marked_stale_in_the_browser(visit, site_url, built):
    one = visit()
    one.page.clock.install(time=built.model.built_at + timedelta(days=2))
    page = open_page(one, site_url + "crowds/")
    card = page.locator(".th-crowd").first
    assert card.locator("[data-th-stale-mark]").is_visible()
    assert card.locator(".th-crowd__level").is_hidden()          # never shown as a current level
    assert card.locator(".th-crowd__stale").is_visible()
    note = page.locator("[data-th-build-age]")        # from data/crowd/latest.json, as build.py live leaves it
    note.wait_for(state="visible", timeout=10_000)
    assert "48" in note.inner_text()


def test_a_fresh_build_is_not_called_stale(visit, site_url, built):
    one = visit()
    one.page.clock.install(time=built.model.built_at + timedelta(minutes=5))
    page = open_page(one, site_url + "crowds/")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-th-build-age]").is_hidden()


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("lang", ["", "en/"])
def test_a_phone_never_scrolls_sideways(visit, site_url, name, lang):
    page = open_page(visit(PHONE), site_url + lang + PAGES[name])
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0


@pytest.mark.parametrize("name", PAGES)
def test_no_page_requests_a_third_party_host(visit, site_url, name):
    one = visit(block_third_party=False)
    open_page(one, site_url + PAGES[name])
    one.page.wait_for_load_state("networkidle")
    assert one.foreign_requests == []


def test_the_route_page_is_complete_with_third_party_hosts_blocked(visit, site_url, built):
    route = next(r for r in built.model.routes if r.id == "huayingshan-red-hongyan")
    one = visit(PHONE, block_third_party=True)
    page = open_page(one, site_url + RED_ROUTE)
    assert page.locator("figure.th-map svg circle").count() == len(route.spot_ids)
    assert page.locator(".th-stop").count() == len(route.stops)
    for spot in route.spot_ids:
        assert page.locator(f".th-stop a[href$='areas/{spot}/']").count() >= 1
    assert page.locator(".th-nav-links a[href^='https://uri.amap.com/']").count() == len(route.stops)
    page.click("[data-th-load-map]")        # tiles are blocked: the SVG map and stops stay
    page.wait_for_selector(".leaflet-container", timeout=10_000)
    assert page.locator("figure.th-map svg").is_visible()
    # the only third-party requests were the opt-in map tiles (blocked here), nothing else
    assert {urlsplit(url).hostname for url in one.foreign_requests} <= {"tile.openstreetmap.org"}
    assert one.errors == []


def test_the_interactive_map_loads_leaflet_from_the_site_itself(visit, site_url):
    one = visit(DESKTOP, block_third_party=True)
    page = open_page(one, site_url + RED_ROUTE)
    with page.expect_response(lambda r: r.url.endswith("leaflet.js")) as response:
        page.click("[data-th-load-map]")
    assert response.value.url.startswith(site_url) and response.value.ok


def test_the_certificate_lookup_says_at_once_whether_a_provider_is_certified(visit, site_url, built):
    cert = built.model.certifications[0]
    page = open_page(visit(), site_url + "standards/")
    page.fill("#th-lookup-q", cert.holder.zh[:4])
    result = page.locator(".th-cert", has_text=cert.holder.zh).first
    result.wait_for()
    assert result.locator(".th-cert__status").inner_text() in {"有效", "暂停", "撤销", "已过期"}
    assert cert.standard in result.inner_text()


@pytest.mark.parametrize("name", ["home", "route", "area", "crowds", "notices", "standards", "data", "dataset",
                                  "guide", "sql"])
def test_axe_finds_no_serious_or_critical_violation(visit, site_url, name):
    page = open_page(visit(DESKTOP, bypass_csp=True), site_url + PAGES[name])   # axe is injected inline
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
           for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert bad == [], json.dumps(bad, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("lang", ["", "en/"])
@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_screenshots_of_the_route_page(visit, site_url, lang, viewport):
    one = visit(PHONE if viewport == "phone" else DESKTOP)
    open_page(one, site_url + lang + RED_ROUTE)
    path: Path = one.screenshot(f"route-{viewport}-{lang.strip('/') or 'zh'}")
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("name", ["home", "area", "crowds", "notices", "standards", "dataset"])
def test_screenshots_of_the_other_pages_on_a_phone(visit, site_url, name):
    one = visit(PHONE)
    open_page(one, site_url + PAGES[name])
    assert one.screenshot(f"demo-{name}-phone-zh").stat().st_size > 10_000


# --- truth first: the production site shows no invented thing; the demo marks every one --------

@pytest.mark.parametrize("lang", ["", "en/"])
def test_the_production_site_shows_no_demo_banner_and_no_invented_alert(visit, production_url, lang):
    one = visit(PHONE)
    for name in ("home", "route", "area", "notices", "crowds"):
        page = open_page(one, production_url + lang + PAGES[name])
        assert page.locator("[data-th-demo]").count() == 0 and page.locator(".th-demo-mark").count() == 0
        assert page.locator("[data-th-alert]").count() == 0          # no notice is in force: no banner
    crowds = open_page(one, production_url + lang + "crowds/")
    assert crowds.locator(".th-no-live").is_visible() and crowds.locator(".th-crowd").count() == 0
    notices = open_page(one, production_url + lang + "notices/")
    assert notices.locator(".th-notice").count() >= 15
    assert notices.locator(".th-notice a[rel=noopener]").count() >= 15      # each links its source


@pytest.mark.parametrize("lang", ["", "en/"])
@pytest.mark.parametrize("name", ["home", "area", "crowds", "notices", "standards", "dataset"])
def test_screenshots_of_the_production_pages_on_a_phone(visit, production_url, name, lang):
    one = visit(PHONE)
    open_page(one, production_url + lang + PAGES[name])
    assert one.screenshot(f"{name}-phone-{lang.strip('/') or 'zh'}").stat().st_size > 10_000
    one.page.goto(production_url + lang + "data/quality/", wait_until="load")
    assert one.page.locator("table").count() >= 6


@pytest.mark.parametrize("lang", ["", "en/"])
def test_the_demo_site_says_it_is_a_demo_on_every_page_and_marks_what_is_invented(visit, site_url, built, lang):
    one = visit(PHONE)
    one.page.clock.install(time=built.model.built_at + timedelta(minutes=5))
    for name in ("home", "route", "area", "notices", "crowds", "data"):
        page = open_page(one, site_url + lang + PAGES[name])
        banner = page.locator("[data-th-demo]")
        assert banner.is_visible() and ("示例站点" if not lang else "Demo site") in banner.inner_text()
    page = open_page(one, site_url + lang + "crowds/")
    assert page.locator(".th-crowd .th-demo-mark").count() == page.locator(".th-crowd").count() >= 6
    one.screenshot(f"demo-crowds-phone-{lang.strip('/') or 'zh'}")
    page = open_page(one, site_url + lang + "notices/")
    assert page.locator(".th-notice .th-demo-mark").count() >= 7
    one.screenshot(f"demo-notices-phone-{lang.strip('/') or 'zh'}")


def test_every_route_prints_as_a_handout_of_at_most_two_a4_pages(visit, site_url, built):
    page = visit(DESKTOP).page
    for route in built.model.routes:
        page.goto(f"{site_url}routes/{route.id}/", wait_until="load")
        pdf = page.pdf(format="A4")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert 1 <= pages <= 2, (route.id, pages)
    page.emulate_media(media="print")
    assert page.locator(".th-bar").is_hidden() and page.locator("figure.th-map svg").is_visible()


def test_every_page_runs_under_its_content_security_policy_without_a_violation(visit, site_url, built):
    one = visit(DESKTOP, block_third_party=True)
    for path in PAGES.values():
        page = open_page(one, site_url + path)
        policy = page.locator('meta[http-equiv="Content-Security-Policy"]').get_attribute("content")
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("style-src")[0]
    search_results(one.page, f"{site_url}search/?q=华蓥山")                  # WebAssembly search
    page = open_page(one, site_url + RED_ROUTE)
    page.click("[data-th-load-map]")                                        # Leaflet, self-hosted
    page.wait_for_selector(".leaflet-container", timeout=10_000)
    page = open_page(one, site_url + "standards/")
    page.fill("#th-lookup-q", built.model.certifications[0].holder.zh[:2])  # fetch of the lookup JSON
    page.locator(".th-cert").first.wait_for()
    assert one.csp_violations == [] and one.errors == []


def test_external_links_open_without_access_to_this_page(site_url, built):
    import re as regex
    for html_file in built.folder.rglob("*.html"):
        for tag in regex.findall(r'<a\s[^>]*href="https?://[^"]*"[^>]*>', html_file.read_text("utf-8")):
            assert regex.search(r'rel="[^"]*noopener', tag), (html_file, tag)
