"""A visitor on a 390×844 phone: the page's own content starts in the first quarter of the screen,
nothing scrolls sideways, every section is one tap away, tables read as cards, dark mode follows
the system, and the route map stays useful when the map tiles or Leaflet cannot load.

Checked on the demo site (a demo banner and alert banners on every page: the tightest case) in
real Chromium, in both languages."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from tests.browser.conftest import ARTIFACTS, DESKTOP, PHONE, ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ROUTE = "routes/huayingshan-red-hongyan/"
PAGES = {"home": "", "route": ROUTE, "area": "areas/huayingshan/", "notices": "notices/", "crowds": "crowds/",
         "standards": "standards/", "dataset": "data/scenic_areas/", "guide": "guide/"}
LANGS = {"zh": "", "en": "en/"}
FIRST_QUARTER = PHONE["height"] / 4          # 211 px


def at_build_time(one, built):
    """The visitor's clock a few minutes after the build: the demo's alerts are in force."""
    one.page.clock.install(time=built.model.built_at + timedelta(minutes=5))
    return one


def open_page(one, url: str):
    one.page.goto(url, wait_until="load")
    return one.page


def phone_screenshot(page, name: str, screens: int = 3) -> None:
    """The first few screens of the page (whole pages of hundreds of table rows are not needed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = min(page.evaluate("document.scrollingElement.scrollHeight"), PHONE["height"] * screens)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True,
                    clip={"x": 0, "y": 0, "width": PHONE["width"], "height": height})


# --- the first screen ----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_the_page_title_starts_in_the_first_quarter_of_a_phone_screen_under_both_banners(visit, site_url, built, lang):
    one = at_build_time(visit(PHONE), built)
    late = {}
    for name, path in PAGES.items():
        page = open_page(one, site_url + LANGS[lang] + path)
        assert page.locator("[data-th-demo]").is_visible()
        assert page.locator("[data-th-alert]:visible").count() >= 1         # an alert banner is showing
        top = page.evaluate("document.querySelector('.md-content h1').getBoundingClientRect().top")
        if top > FIRST_QUARTER:
            late[name] = top
    assert late == {}, f"h1 further down than {FIRST_QUARTER} px: {late}"


@pytest.mark.parametrize("lang", LANGS)
def test_no_page_scrolls_sideways_on_a_phone(visit, site_url, built, lang):
    one = at_build_time(visit(PHONE), built)
    wide = {}
    for name, path in {**PAGES, "routes": "routes/", "areas": "areas/", "data": "data/",
                       "quality": "data/quality/"}.items():
        page = open_page(one, site_url + LANGS[lang] + path)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        if width > PHONE["width"]:
            wide[name] = width
    assert wide == {}


@pytest.mark.parametrize("lang", LANGS)
def test_every_quick_link_shows_whole_on_a_phone(visit, site_url, lang):
    page = open_page(visit(PHONE), site_url + LANGS[lang] + ROUTE)
    links = page.locator(".th-bar a")
    assert links.count() == 7
    boxes = page.eval_on_selector_all(".th-bar a", """links => links.map(a => {
        const r = a.getBoundingClientRect();
        return {text: a.textContent, left: r.left, right: r.right, clipped: a.scrollWidth > a.clientWidth}; })""")
    for box in boxes:
        assert box["left"] >= 0 and box["right"] <= PHONE["width"] and not box["clipped"], box
    assert page.locator(".th-bar a[aria-current=page]").inner_text() == ("线路" if lang == "zh" else "Routes")


@pytest.mark.parametrize("lang", LANGS)
def test_search_is_one_tap_away_in_the_header(visit, site_url, lang):
    page = open_page(visit(PHONE), site_url + LANGS[lang] + ROUTE)
    page.mouse.wheel(0, 3000)                                   # far down the page: the header stays
    field = page.locator(".md-header #th-q")
    field.click()                                               # the magnifier is the field itself
    assert page.evaluate("document.activeElement.id") == "th-q"
    assert field.bounding_box()["width"] > PHONE["width"] / 2   # it widens while in use
    page.keyboard.type("华蓥山")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=*")
    assert page.url.startswith(site_url + LANGS[lang] + "search/")


@pytest.mark.parametrize("lang", LANGS)
def test_the_demo_banner_is_one_line_that_opens_to_the_whole_statement(visit, site_url, built, lang):
    page = open_page(visit(PHONE), site_url + LANGS[lang])
    banner = page.locator("[data-th-demo]")
    assert ("示例站点" if lang == "zh" else "Demo site") in banner.inner_text()
    assert banner.bounding_box()["height"] <= 32
    banner.locator("summary").click()
    assert ("虚构的安全提示" if lang == "zh" else "invented safety notices") in banner.inner_text()


@pytest.mark.parametrize("lang", LANGS)
def test_several_alerts_fold_into_one_line_that_opens(visit, site_url, built, lang):
    one = at_build_time(visit(PHONE), built)
    page = open_page(one, site_url + LANGS[lang])
    in_force = page.evaluate("""() => [...document.querySelectorAll('[data-th-alert]')].filter(a =>
        Date.now() >= Date.parse(a.dataset.effective) && Date.now() < Date.parse(a.dataset.expires)).length""")
    assert in_force >= 2                                        # the demo has two severe alerts in force
    assert page.locator("[data-th-alert]:visible").count() == 1
    more = page.locator("[data-th-alerts-more]")
    assert more.inner_text() == (f"另有 {in_force - 1} 条" if lang == "zh" else f"{in_force - 1} more")
    more.click()
    assert page.locator("[data-th-alert]:visible").count() == in_force
    assert more.get_attribute("aria-expanded") == "true"


# --- tables on a phone ---------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_wide_tables_read_as_labelled_cards_on_a_phone(visit, site_url, lang):
    one = visit(PHONE)
    for path, label in (("standards/", {"zh": "发布机构", "en": "Issuer"}),
                        ("routes/", {"zh": "站点", "en": "Stops"}),
                        ("data/scenic_areas/", {"zh": "大小", "en": "Size"}),
                        ("guide/", {"zh": "怎么改", "en": "How to fix"})):
        page = open_page(one, site_url + LANGS[lang] + path)
        cell = page.locator(f".th-stack td[data-label='{label[lang]}']").first
        shown = cell.evaluate("td => getComputedStyle(td, '::before').content")
        assert shown == json.dumps(label[lang], ensure_ascii=False)
        card = cell.locator("xpath=..")
        assert card.evaluate("tr => getComputedStyle(tr).display") == "block"
        assert card.bounding_box()["width"] <= PHONE["width"]


def test_the_problem_codes_of_the_guide_stay_whole(visit, site_url):
    page = open_page(visit(PHONE), site_url + "en/guide/")
    heights = page.eval_on_selector_all(".th-stack tbody th code", "codes => codes.map(c => c.getClientRects().length)")
    assert heights and max(heights) == 1                        # each code on one line, never letter by letter


@pytest.mark.parametrize("lang", LANGS)
def test_the_dataset_preview_scrolls_inside_its_own_box_with_a_hint(visit, site_url, lang):
    page = open_page(visit(PHONE), site_url + LANGS[lang] + "data/scenic_areas/")
    box = page.locator(".th-scroll-x")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth + 200")         # 16 columns: it scrolls…
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]   # …the page does not
    assert page.locator(".th-scroll-hint").is_visible()
    assert box.get_attribute("tabindex") == "0"                             # keyboard users can scroll it


# --- dark mode -----------------------------------------------------------------------------------

def axe_violations(page) -> list:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("name", ["home", "route", "standards", "dataset", "guide"])
@pytest.mark.parametrize("scheme", ["dark", "light"])
def test_axe_finds_no_serious_violation_on_a_phone(visit, site_url, built, name, scheme):
    one = at_build_time(visit(PHONE, bypass_csp=True), built)                # axe is injected inline
    one.page.emulate_media(color_scheme=scheme)
    page = open_page(one, site_url + PAGES[name])
    expected = "slate" if scheme == "dark" else "default"
    assert page.evaluate("document.body.dataset.mdColorScheme") == expected
    bad = axe_violations(page)
    assert bad == [], json.dumps(bad, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("name", ["home", "route"])
def test_axe_finds_no_serious_violation_in_dark_mode_on_a_wide_screen(visit, site_url, built, name):
    one = at_build_time(visit(DESKTOP, bypass_csp=True), built)
    one.page.emulate_media(color_scheme="dark")
    page = open_page(one, site_url + "en/" + PAGES[name])
    bad = axe_violations(page)
    assert bad == [], json.dumps(bad, ensure_ascii=False, indent=1)


def test_dark_mode_follows_the_system_and_keeps_colours_apart_and_labelled(visit, site_url, built):
    one = at_build_time(visit(PHONE), built)
    one.page.emulate_media(color_scheme="dark")
    page = open_page(one, site_url + "crowds/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert sum(int(c) for c in background[background.index("(") + 1:-1].split(",")[:3]) < 3 * 80   # dark
    swatches = page.eval_on_selector_all(".th-legend li", """items => items.map(li => ({
        text: li.textContent.trim(), colour: getComputedStyle(li.querySelector('.th-swatch')).backgroundColor}))""")
    assert len({s["colour"] for s in swatches}) == len(swatches) >= 4 and all(s["text"] for s in swatches)
    for card in page.locator(".th-crowd__level").all():
        assert card.locator(".th-crowd__label").inner_text().strip()                   # a word with every colour
    spark = page.locator(".th-spark-bg").first.evaluate("r => getComputedStyle(r).fill")
    assert spark != "rgb(255, 255, 255)"                                           # charts are not white boxes


# --- the route map -------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_the_route_map_numbers_and_names_its_stops(visit, site_url, built, lang):
    route = next(r for r in built.model.routes if r.id == "huayingshan-red-hongyan")
    names = [built.model.area_by_id[spot].name.in_(lang) for spot in route.spot_ids]
    page = open_page(visit(PHONE), site_url + LANGS[lang] + ROUTE)
    numbers = page.locator("figure.th-map .th-map-stop-number")
    assert numbers.evaluate_all("ts => ts.map(t => t.textContent)") == [str(n) for n in range(1, len(names) + 1)]
    assert min(numbers.evaluate_all("ts => ts.map(t => t.getBoundingClientRect().height)")) >= 10   # readable
    labels = page.locator("figure.th-map .th-map-label").evaluate_all("ts => ts.map(t => t.textContent)")
    assert len(labels) == len(names)
    for label, name in zip(labels, names):
        assert name.startswith(label.rstrip("…"))            # a long name is shortened on the map…
    legend = page.locator("figure.th-map .th-map-legend li").all_inner_texts()
    for item, spot, name in zip(legend, route.spot_ids, names, strict=True):
        assert name in item                                  # …and given whole in the legend
        if lang == "en":
            assert built.model.area_by_id[spot].name.zh in item


@pytest.mark.parametrize("lang", LANGS)
def test_without_tiles_the_map_button_says_so_at_once_and_clearly(visit, site_url, lang):
    one = visit(PHONE, block_third_party=True)               # the tile host is unreachable
    page = open_page(one, site_url + LANGS[lang] + ROUTE)
    page.click("[data-th-load-map]")
    status = page.locator("[data-th-map-status]")
    assert status.is_visible() and status.inner_text()       # a message at once, not seconds later
    page.locator(".th-map-status--failed").wait_for(timeout=15_000)
    assert status.inner_text() == ("交互地图无法加载，上方线路图仍然可用。" if lang == "zh"
                                   else "The interactive map could not load; the route map above still works.")
    style = status.evaluate("s => [getComputedStyle(s).borderLeftWidth, getComputedStyle(s).backgroundColor]")
    assert float(style[0].rstrip("px")) >= 3 and style[1] != "rgba(0, 0, 0, 0)"   # styled, not bare text
    assert page.locator("figure.th-map svg").is_visible()     # the drawn map stays
    assert page.locator("[data-th-load-map]").is_enabled()    # and the visitor may try again
    assert one.errors == []
    phone_screenshot(page, f"map-failed-phone-{lang}", screens=1)


def test_without_leaflet_the_map_button_says_so_and_the_drawn_map_stays(visit, site_url):
    one = visit(PHONE, block_third_party=True, service_workers="block")
    one.page.route("**/leaflet.js", lambda route: route.abort())
    page = open_page(one, site_url + ROUTE)
    page.click("[data-th-load-map]")
    page.locator(".th-map-status--failed").wait_for(timeout=10_000)
    assert page.locator(".th-interactive-map").is_hidden()
    assert page.locator("figure.th-map svg").is_visible()


def test_while_the_map_loads_its_button_is_disabled_and_looks_it(visit, site_url):
    one = visit(PHONE, block_third_party=False, service_workers="block")
    held = []
    one.page.route(lambda url: not url.startswith(site_url), lambda route: held.append(route))   # tiles never arrive
    page = open_page(one, site_url + ROUTE)
    button = page.locator("[data-th-load-map]")
    before = button.evaluate("b => [getComputedStyle(b).borderStyle, getComputedStyle(b).cursor]")
    button.click()
    page.locator(".th-map-status--loading").wait_for()
    assert button.is_disabled() and button.get_attribute("aria-disabled") == "true"
    page.wait_for_timeout(300)                                               # past the colour transition
    after = button.evaluate("b => [getComputedStyle(b).borderStyle, getComputedStyle(b).cursor,"
                            " getComputedStyle(b).opacity]")
    assert after[:2] != before and after[1] == "not-allowed" and float(after[2]) < 1


def test_on_a_touch_screen_one_finger_scrolls_the_page_and_two_move_the_map(browser, site_url):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    context.route("**/*", lambda route: route.abort() if "127.0.0.1" not in route.request.url else route.continue_())
    try:
        page = context.new_page()
        page.goto(site_url + "en/" + ROUTE, wait_until="load")
        page.click("[data-th-load-map]")
        page.wait_for_selector(".leaflet-container")
        box = page.locator(".th-interactive-map")
        assert box.evaluate("b => getComputedStyle(b).touchAction") == "pan-x pan-y"    # the browser scrolls
        assert box.evaluate("b => [b.thMap.dragging.enabled(), b.thMap.touchZoom.enabled()]") == [False, True]
        box.evaluate("""b => { const t = new Touch({identifier: 1, target: b, clientX: 100, clientY: 100});
                               b.dispatchEvent(new TouchEvent('touchmove', {touches: [t], bubbles: true})); }""")
        hint = page.locator(".th-map-hint")
        assert hint.inner_text() == "Use two fingers to move or zoom the map"
        assert hint.evaluate("h => h.classList.contains('th-map-hint--shown')")
    finally:
        context.close()


# --- screenshots to look at ------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", ["route", "area", "standards", "dataset", "guide"])
def test_screenshots_on_a_phone(visit, site_url, built, name, lang, scheme):
    one = at_build_time(visit(PHONE), built)
    one.page.emulate_media(color_scheme=scheme)
    page = open_page(one, site_url + LANGS[lang] + PAGES[name])
    phone_screenshot(page, f"phone-{name}-{lang}-{scheme}")
    assert (ARTIFACTS / f"phone-{name}-{lang}-{scheme}.png").stat().st_size > 10_000
