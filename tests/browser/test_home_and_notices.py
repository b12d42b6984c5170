"""What a visitor on a phone relies on from the home page, the notice pages and every page's
share metadata, checked in real Chromium at 390×844 in both languages, on the demo site (notices
in force, crowd levels) and on the production site (neither)."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.conftest import PHONE
from tourhub.site.share_image import png_pixels

pytestmark = pytest.mark.browser

SCREEN = PHONE["height"]
TAP = 44            # px: a tap target (WCAG 2.5.5); at least this much of an entry shows on the first screen
BLOCKS = ("warnings", "crowds", "routes")


def site_of(request, which: str):
    """(served URL, BuiltSite) of the demo or the production site."""
    if which == "demo":
        return request.getfixturevalue("site_url"), request.getfixturevalue("built")
    return request.getfixturevalue("production_url"), request.getfixturevalue("production")


def open_at_build_time(visit, url: str, site, **kwargs):
    """A phone whose clock reads a few minutes after the build, on `url`."""
    one = visit(**kwargs)
    one.page.clock.install(time=site.model.built_at + timedelta(minutes=10))
    one.page.goto(url, wait_until="load")
    return one


def works(page, href: str) -> bool:
    """The link leads to a page or file of this site."""
    target = urljoin(page.url, href)
    return urlsplit(target).hostname == "127.0.0.1" and page.request.get(target).status == 200


def links_to(page, path: str, within: str = "body") -> list[str]:
    """The links under `within` that lead to `path` of this site (absolute, as the browser resolves them)."""
    found = page.eval_on_selector_all(f"{within} a[href]", "links => links.map(a => a.href)")
    return [href for href in found if urlsplit(href).path.endswith("/" + path)]


def first_entry(page, block: str):
    """The first thing a visitor can tap in a home-page block: an entry, or the note's link."""
    section = page.locator(f"section:has(> #th-home-{block})")
    return section.locator("li:not([hidden]) a, .th-home-none:not([hidden]) a").first


# --- the home page ---------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["demo", "production"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_home_pages_first_screen_answers_warnings_crowds_and_routes(visit, request, which, lang):
    url, site = site_of(request, which)
    page = open_at_build_time(visit, url + ("en/" if lang == "en" else ""), site).page
    for block in BLOCKS:
        entry = first_entry(page, block)
        box = entry.bounding_box()
        assert entry.is_visible() and box is not None, block
        assert box["y"] + min(box["height"], TAP) <= SCREEN, (block, box)     # on the first screen
        assert works(page, entry.get_attribute("href")), (block, entry.get_attribute("href"))
    warnings = page.locator("section:has(> #th-home-warnings)")
    crowds = page.locator("section:has(> #th-home-crowds)")
    if which == "demo":                    # notices in force and crowd levels, each one tap away
        assert re.search(r"notices/[a-z0-9-]+/$", first_entry(page, "warnings").get_attribute("href"))
        assert warnings.locator("li:not([hidden]) .th-sev").first.inner_text() in (
            ("特别严重", "严重", "较重", "一般") if lang == "zh" else ("Extreme", "Severe", "Moderate", "Minor"))
        assert crowds.locator("li .th-badge").first.is_visible()
        assert "areas/" in first_entry(page, "crowds").get_attribute("href")
    else:                                  # no notice in force, no live counts: said plainly
        note = warnings.locator(".th-home-none")
        assert note.is_visible() and ("不代表没有风险" if lang == "zh" else "does not mean there is no risk") \
            in note.inner_text()
        assert crowds.locator(".th-no-live").is_visible()
        assert first_entry(page, "crowds").get_attribute("href").rstrip("/").endswith("crowds")
    assert "routes/" in first_entry(page, "routes").get_attribute("href")


def test_a_warning_leaves_the_home_page_when_it_expires_without_a_rebuild(visit, site_url, built):
    model = built.model
    ends = sorted(n.expires.end for n in model.notices if model.notice_state(n) == "active" and n.expires)
    one = visit()
    one.page.clock.install(time=ends[-1] + timedelta(minutes=1))        # every warning of the build is over
    page = one.page
    page.goto(site_url, wait_until="load")
    later = [n for n in model.notices if model.notice_state(n) == "upcoming" and n.expires
             and n.effective.start <= ends[-1] + timedelta(minutes=1) < n.expires.end]
    shown = page.locator(".th-home-warning:not([hidden])")
    assert shown.count() == min(len(later), 3)
    if not later:
        assert page.locator("[data-th-when-empty]").is_visible()


def test_clicking_a_warning_opens_its_notice_page(visit, site_url, built):
    page = open_at_build_time(visit, site_url, built).page
    first_entry(page, "warnings").click()
    page.wait_for_load_state("load")
    notice_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    notice = built.model.notice_by_id[notice_id]
    assert notice.headline.zh in page.locator("h1").inner_text()
    assert page.locator(".th-notice-status .th-sev").is_visible()


# --- a page per notice -------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["demo", "production"])
def test_every_notice_has_a_page_in_both_languages(request, which):
    _, site = site_of(request, which)
    model = site.model
    for notice in model.notices:
        for lang, prefix in (("zh", ""), ("en", "en/")):
            page = site.folder / prefix / "notices" / notice.id / "index.html"
            text = unescape(page.read_text("utf-8"))
            assert notice.headline.in_(lang) in text, page
            assert ("严重程度" if lang == "zh" else "Severity") in text
            assert ("北京时间，UTC+8" if lang == "zh" else "China time, UTC+8") in text


def test_a_lifted_notice_reads_as_lifted_and_links_the_notice_it_lifts(visit, site_url, built):
    page = open_at_build_time(visit, site_url + "en/notices/wulong-road-closure-2026-09-cancel/", built).page
    assert page.locator(".th-notice-state").inner_text() == "Lifted"
    assert page.locator(".th-notice-status .th-sev").inner_text() == "Severity: Minor"
    earlier = links_to(page, "en/notices/wulong-road-closure-2026-09/", "article")
    assert len(earlier) == 1 and works(page, earlier[0])
    page.goto(site_url + "notices/wulong-road-closure-2026-09/", wait_until="load")
    assert page.locator(".th-notice-state").inner_text() == "已解除"
    assert len(links_to(page, "notices/wulong-road-closure-2026-09-cancel/", "article")) == 1
    assert "已取消" not in page.locator("article").inner_text()


def test_a_notice_is_linked_from_the_banner_an_area_page_and_the_notices_list(visit, site_url, built):
    model = built.model
    notice = next(n for n in model.notices if n.severity in ("Severe", "Extreme") and n.spot_ids
                  and model.notice_state(n) == "active" and n.check is not None)
    own = f"notices/{notice.id}/"
    page = open_at_build_time(visit, site_url, built).page
    banner = links_to(page, own, "[data-th-alert]")
    assert banner == [site_url + own] and works(page, banner[0])
    page.goto(site_url + f"areas/{notice.spot_ids[0]}/", wait_until="load")
    from_area = links_to(page, own, "article")
    assert from_area and all(works(page, href) for href in from_area)
    page.goto(site_url + "notices/", wait_until="load")
    assert links_to(page, own, f"#{notice.id} h3") == [site_url + own]
    page.locator(f"#{notice.id} h3 a").click()
    page.wait_for_load_state("load")
    assert page.url.endswith(own) and notice.headline.zh in page.locator("h1").inner_text()


# --- share metadata, language alternates and the footer on every page ------------------------

class _Head(HTMLParser):
    """The share metadata, alternates and footer of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.alternates: dict[str, str] = {}
        self.feeds: list[str] = []
        self.html_lang = ""
        self.footer = False
        self.licence: str | None = None

    def handle_starttag(self, tag, attrs) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang", "")
        elif tag == "meta" and ("property" in a or a.get("name") == "description"):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "link" and a.get("rel") == "alternate" and "hreflang" in a:
            self.alternates[a["hreflang"]] = a["href"]
        elif tag == "link" and a.get("rel") == "alternate" and a.get("type") == "application/atom+xml":
            self.feeds.append(a["href"])
        elif tag == "footer" and "th-footer" in a.get("class", ""):
            self.footer = True
        elif tag == "a" and self.footer and "license" in (a.get("rel") or ""):
            self.licence = a.get("href")


def pages_of(folder: Path) -> list[Path]:
    """The visitors' pages: not Pagefind's, nor the editors' admin (admin/, en/admin/: a tool
    behind a sign-in, marked noindex, never shared; tests/browser/test_admin.py covers it)."""
    return sorted(p for p in folder.rglob("*.html") if p.name == "index.html" and "pagefind" not in p.parts
                  and "admin" not in p.relative_to(folder).parts)


def path_of(url: str, base: str) -> str:
    assert url.startswith(base), (url, base)
    return url[len(base):]


@pytest.mark.parametrize("which", ["demo", "production"])
def test_every_page_has_share_metadata_language_alternates_feeds_and_the_footer(request, which):
    _, site = site_of(request, which)
    home = _Head()
    home.feed((site.folder / "index.html").read_text("utf-8"))
    base = home.meta["og:url"]                                  # the site's absolute address
    assert re.match(r"https?://", base) and base.endswith("/")
    descriptions = set()
    pages = pages_of(site.folder)
    assert len(pages) > 100
    for page in pages:
        head = _Head()
        head.feed(page.read_text("utf-8"))
        where = page.relative_to(site.folder).parent.as_posix()
        here = "" if where == "." else where + "/"
        for key in ("og:title", "og:description", "og:image", "og:url", "og:type", "og:locale", "description"):
            assert head.meta.get(key), (here, key)
        assert head.meta["og:url"] == base + here
        assert head.meta["og:locale"] == ("en_US" if here.startswith("en/") else "zh_CN")
        assert head.html_lang == ("en" if here.startswith("en/") else "zh")
        assert head.meta["description"] == head.meta["og:description"]
        descriptions.add(head.meta["description"])
        assert set(head.alternates) == {"zh-CN", "en", "x-default"}, here
        for url in head.alternates.values():
            assert (site.folder / path_of(url, base) / "index.html").is_file(), (here, url)
        assert path_of(head.alternates["en" if here.startswith("en/") else "zh-CN"], base) == here
        assert base + "cap/index.atom" in head.feeds
        for feed in head.feeds:
            assert (site.folder / path_of(feed, base)).is_file(), feed
        assert head.footer and head.licence == "https://creativecommons.org/licenses/by/4.0/", here
    assert len(descriptions) > 0.8 * len(pages)                 # each page says what it holds
    image = site.folder / path_of(home.meta["og:image"], base)
    assert png_pixels(image.read_bytes())[:2] == (1200, 630)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_footer_names_licence_publisher_and_contact_in_the_pages_language(visit, production_url, production,
                                                                              lang):
    page = open_at_build_time(visit, production_url + ("en/" if lang == "en" else "") + "routes/", production).page
    footer = page.locator("footer.th-footer")
    footer.scroll_into_view_if_needed()
    text = footer.inner_text()
    assert footer.is_visible() and "CC-BY-4.0" in text
    assert ("巴蜀文旅开放数据项目" if lang == "zh" else "Bashu Travel Open Data Hub") in text
    assert ("数据许可" if lang == "zh" else "Data licence") in text
    contact = footer.get_by_role("link", name="关于本站" if lang == "zh" else "About the hub")
    assert works(page, contact.get_attribute("href"))
    assert footer.locator("a[href*='beian.miit.gov.cn']").count() == 0      # no filing number configured


# --- the 404 page --------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", ["nowhere", "routes/no-such-route/", "en/areas/a/b/c/"])
def test_the_404_page_speaks_both_languages_and_its_links_work_from_any_depth(visit, site_url, built, depth):
    """A static host serves 404.html at whatever address was asked for."""
    body = (built.folder / "404.html").read_text("utf-8")
    one = visit()
    one.page.route("**/" + depth, lambda route: route.fulfill(status=404, body=body, content_type="text/html"))
    page = one.page
    page.goto(site_url + depth, wait_until="load")
    assert page.locator("h1").inner_text() == "页面不存在"
    assert page.locator("[lang=en] h2").inner_text() == "Page not found"
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    hrefs += page.eval_on_selector_all("form[action]", "forms => forms.map(f => f.getAttribute('action'))")
    internal = [h for h in hrefs if not re.match(r"(https?:|mailto:|#)", h)]
    assert len(internal) >= 12
    for href in internal:
        assert not href.startswith("//"), href
        assert works(page, href), href
    assert page.locator(".md-header, .th-bar a").first.is_visible()


# --- screenshots, looked at ------------------------------------------------------------------

SHOTS = {"home": "", "notice": "notices/jinfoshan-road-ice-2026-11/",
         "notice-lifted": "notices/wulong-road-closure-2026-09-cancel/"}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("which,name", [("demo", "home"), ("production", "home"), ("demo", "notice"),
                                        ("demo", "notice-lifted")])
def test_screenshots_of_the_home_and_notice_pages(visit, request, which, name, lang, scheme):
    url, site = site_of(request, which)
    one = visit()
    one.page.emulate_media(color_scheme=scheme)
    one.page.clock.install(time=site.model.built_at + timedelta(minutes=10))
    one.page.goto(url + ("en/" if lang == "en" else "") + SHOTS[name], wait_until="load")
    shot = one.screenshot(f"h1-{name}-{which}-{lang}-{scheme}")
    assert shot.stat().st_size > 10_000


def test_screenshot_of_the_404_page(visit, site_url, built):
    body = (built.folder / "404.html").read_text("utf-8")
    one = visit()
    one.page.route("**/missing/page/", lambda route: route.fulfill(status=404, body=body, content_type="text/html"))
    one.page.goto(site_url + "missing/page/", wait_until="load")
    assert one.screenshot("h1-404").stat().st_size > 10_000
