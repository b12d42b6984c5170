"""What a shared link and the home page say: each page describes itself from its own content, the
site's share image is a real picture, the footer names what the catalogue names, and the home
page picks the warnings, crowds and routes a visitor asks about first."""
from __future__ import annotations

import dataclasses
import html
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import yaml

from tests.conftest import ROOT
from tourhub import pipeline
from tourhub.core.dates import Moment
from tourhub.model.build import build_model
from tourhub.model.records import Model, Occupancy, Text
from tourhub.publish.cap import notice_url
from tourhub.site import share, visitor
from tourhub.site.share_image import HEIGHT, TOP_GRADE, WIDTH, png_pixels, share_image

CST = timezone(timedelta(hours=8))
SHIPPED_AT = datetime(2026, 11, 30, 12, 0, tzinfo=CST)


@pytest.fixture(scope="module")
def model() -> Model:
    """The shipped data with the demo overlay: notices in force, lifted and updated."""
    validated = pipeline.check(ROOT, SHIPPED_AT, demo=True)
    assert not validated.problems
    return build_model(validated.rows, SHIPPED_AT, demo=True)


@pytest.fixture(scope="module")
def descriptor() -> dict:
    return yaml.safe_load((ROOT / "datasets" / "datapackage.yaml").read_text("utf-8"))


# --- descriptions ---------------------------------------------------------------------------

def test_a_short_text_keeps_whole_sentences_and_says_when_it_was_cut():
    assert share.short_text("  One line,\n  kept whole. ", 50) == "One line, kept whole."
    assert share.short_text("First sentence here. Second one is much longer than the limit allows.", 40) \
        == "First sentence here."
    cut = share.short_text("word " * 40, 50)
    assert cut.endswith("…") and len(cut) <= 50 and not cut.endswith(" …")
    assert share.short_text("甲" * 40 + "。" + "乙" * 80, 60) == "甲" * 40 + "。"
    assert share.short_text("太短。" + "乙" * 80, 60) == "太短。" + "乙" * 56 + "…"   # too short a sentence alone


def test_a_route_page_is_described_by_its_summary_and_an_area_page_by_its_description(model):
    route, area = model.routes[0], model.areas[0]
    for lang in ("zh", "en"):
        described = share.page_description(model, lang, f"routes/{route.id}.md", {"route": route})
        assert route.summary.in_(lang).startswith(described.rstrip("…"))
        described = share.page_description(model, lang, f"areas/{area.id}.md", {"area": area})
        assert area.description.in_(lang).startswith(described.rstrip("…")[:20])


def test_a_notice_page_says_status_severity_and_headline_and_marks_an_invented_notice(model):
    notice = model.notice_by_id["jinfoshan-road-ice-2026-11"]
    zh = share.page_description(model, "zh", f"notices/{notice.id}.md", {"notice": notice})
    en = share.page_description(model, "en", f"notices/{notice.id}.md", {"notice": notice})
    assert zh.startswith("生效中 · 严重程度：严重") and "【示例 · 虚构数据】" in zh
    assert en.startswith("In force · Severity: Severe") and "[DEMO · invented data]" in en
    lifted = model.notice_by_id["wulong-road-closure-2026-09"]
    assert share.page_description(model, "en", "x", {"notice": lifted}).startswith("Lifted · ")


def test_every_section_page_has_a_description_of_its_own(model):
    for lang in ("zh", "en"):
        found = {share.page_description(model, lang, path, {}) for path in share.SECTION_DESCRIPTIONS}
        assert len(found) == len(share.SECTION_DESCRIPTIONS)
        assert all(0 < len(text) <= share.LIMIT[lang] for text in found)


def test_the_description_goes_into_the_front_matter_escaped_for_the_theme(model):
    route = dataclasses.replace(model.routes[0], summary=Text('一条"好"线路 <b>', 'A "good" route <b> & more'))
    meta = share.page_meta(model, "en", f"routes/{route.id}.md", {"route": route})
    assert meta["description"] == 'A &quot;good&quot; route &lt;b&gt; &amp; more'
    assert html.unescape(meta["description"]) == 'A "good" route <b> & more'
    assert meta["og_type"] == "website"
    notice = model.notices[0]
    assert share.page_meta(model, "zh", "n", {"notice": notice})["og_type"] == "article"


# --- the share image and the footer ----------------------------------------------------------

def test_the_share_image_is_a_1200_by_630_picture_of_the_areas(model):
    png = share_image(model)
    width, height, channels, pixels = png_pixels(png)
    assert (width, height, channels) == (WIDTH, HEIGHT, 3) == (1200, 630, 3)
    colours = {bytes(pixels[i:i + 3]) for i in range(0, len(pixels), 3 * 97)}
    assert len(colours) > 50                                   # a picture, not a flat card
    assert any(all(abs(a - b) < 8 for a, b in zip(c, TOP_GRADE)) for c in colours)   # the 5A areas, in gold
    assert len(png) < 200_000


def test_the_footer_names_the_licence_publisher_and_contact_the_catalogue_states(descriptor):
    licence = share.data_licence(descriptor)
    assert licence == {"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0",
                       "url": "https://creativecommons.org/licenses/by/4.0/"}
    extra = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8"))["extra"]
    assert extra["publisher"] == descriptor["x-publisher"]
    assert extra["contact"] == descriptor["x-contact"]
    assert extra["icp_filing"] == ""                          # no filing number is stated: no line
    strings = share.theme_strings(licence)
    for lang in ("zh", "en"):
        assert all(strings["footer"][lang].values())
        assert [link["path"] for link in strings["not_found"][lang]["links"]][:2] == \
            [("" if lang == "zh" else "en/"), ("" if lang == "zh" else "en/") + "routes/"]


def test_a_cap_alert_links_to_the_notice_page_in_each_language():
    assert notice_url("a-b", "https://hub.example/x/", "zh") == "https://hub.example/x/notices/a-b/"
    assert notice_url("a-b", "https://hub.example/x/", "en") == "https://hub.example/x/en/notices/a-b/"


# --- what the home page picks ----------------------------------------------------------------

def test_the_home_page_warnings_are_those_in_force_most_severe_first(model):
    found = visitor.warnings_in_force(model)
    assert found and {model.notice_state(n) for n in found} <= {"active", "upcoming"}
    active = [n for n in found if model.notice_state(n) == "active"]
    assert found[:len(active)] == active
    assert [n.severity_rank for n in active] == sorted(n.severity_rank for n in active)
    assert all(n.msg_type != "Cancel" for n in found)


def _occupancy(model: Model, area_id: str, percent: float, stale: bool = False) -> Occupancy:
    scheme = model.default_scheme
    return Occupancy(area_id, scheme, scheme.basis, SHIPPED_AT, int(percent * 10), 1000, percent,
                     scheme.level_for(percent), stale, ())


def test_where_it_is_crowded_shows_the_highest_current_levels_only(model):
    readings = {"a": _occupancy(model, "a", 97.0), "b": _occupancy(model, "b", 99.0, stale=True),
                "c": _occupancy(model, "c", 85.0), "d": _occupancy(model, "d", 40.0),
                "e": _occupancy(model, "e", 91.0)}
    picked = visitor.crowded_now(SimpleNamespace(occupancy_by_area=readings))   # type: ignore[arg-type]
    assert [occ.area_id for occ in picked] == ["a", "e", "c"]      # not the stale one, not the comfortable one
    assert visitor.crowded_now(SimpleNamespace(occupancy_by_area={})) == []   # type: ignore[arg-type]


def test_featured_routes_are_few_of_different_themes_and_avoid_severe_warnings_first(model):
    chosen = visitor.featured_routes(model)
    assert len(chosen) == 3 and len({route.theme for route in chosen}) == 3
    warned = [any(n.severity in ("Extreme", "Severe") for n in model.active_notices_for(r.spot_ids)) for r in chosen]
    assert warned == sorted(warned)
    start, end = visitor.route_ends(model, chosen[0])
    assert start.zh and end.zh


def test_an_english_page_names_a_place_with_its_chinese_name_marked_as_chinese():
    name = Text("华蓥山", "Huaying Mountain")
    assert visitor.place(name, "zh") == "华蓥山"
    assert visitor.place(name, "en") == 'Huaying Mountain (<span lang="zh-CN">华蓥山</span>)'
    assert visitor.place(Text("<b>", "<i>"), "en") == '&lt;i&gt; (<span lang="zh-CN">&lt;b&gt;</span>)'
    assert visitor.place(Text("A", "A"), "en") == "A"


def test_a_time_near_the_build_is_shown_as_short_as_is_clear():
    built = datetime(2026, 11, 30, 20, 30, tzinfo=CST)
    assert visitor.short_time(datetime(2026, 11, 30, 12, 0, tzinfo=UTC), built) == "20:00"
    assert visitor.short_time(Moment(datetime(2026, 12, 4, 18, 0, tzinfo=CST)), built) == "12-04 18:00"
    assert visitor.short_time(Moment(datetime(2027, 5, 1, 23, 59, tzinfo=CST)), built) == "2027-05-01 23:59"
    assert visitor.short_time(Moment.parse("2026-12-24"), built) == "12-24"   # type: ignore[arg-type]


def test_a_notice_page_knows_the_notices_before_and_after_it(model):
    alert = model.notice_by_id["wulong-road-closure-2026-09"]
    cancel = model.notice_by_id["wulong-road-closure-2026-09-cancel"]
    assert visitor.later_notices(model, alert) == [cancel]
    assert visitor.earlier_notices(model, cancel) == [alert]
    assert visitor.earlier_notices(model, alert) == [] and visitor.later_notices(model, cancel) == []
