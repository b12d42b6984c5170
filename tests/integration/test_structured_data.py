"""What search engines and travel apps read from the pages: schema.org JSON-LD that says only
what is true of the thing, and a robots.txt that points at the sitemap."""
from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

from tourhub.model.records import DEMO_MARK
from tourhub.publish.schema_org import IDENTITY_HOSTS, identity_pages


def json_ld(page: Path) -> list[dict]:
    return [json.loads(block) for block in
            re.findall(r'<script type="application/ld\+json">(.*?)</script>', page.read_text("utf-8"), re.S)]


def test_robots_txt_lets_crawlers_in_and_names_the_sitemap(production_site):
    robots = (production_site.folder / "robots.txt").read_text("utf-8")
    assert "User-agent: *" in robots and "Allow: /" in robots
    assert {"Disallow: /admin/", "Disallow: /en/admin/"} <= set(robots.splitlines())   # the editors' admin
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in robots.splitlines()
    assert (production_site.folder / "sitemap.xml").is_file()


def test_the_demo_site_asks_crawlers_to_stay_out(demo_site):
    """Its notices and counts are invented: they must not turn up in search results as real."""
    robots = (demo_site.folder / "robots.txt").read_text("utf-8")
    assert "Disallow: /" in robots and "Sitemap" not in robots


def test_an_area_is_the_same_as_identity_pages_only_never_its_sources(production_site):
    pages = sorted((production_site.folder / "areas").glob("*/index.html"))
    assert len(pages) > 200
    same_as = []
    for page in pages:
        (attraction,) = [block for block in json_ld(page) if block.get("@type") == "TouristAttraction"]
        for url in attraction.get("sameAs", []):
            host = urlsplit(url).hostname or ""
            assert any(host == known or host.endswith("." + known) for known in IDENTITY_HOSTS), (page, url)
            same_as.append(url)
    # a Wikipedia article cited as an area's source is its identity; a news report is not
    assert identity_pages("https://zh.wikipedia.org/wiki/华蓥山", "https://www.sc.gov.cn/news/1.html", None) == [
        "https://zh.wikipedia.org/wiki/华蓥山"]


def test_a_route_is_for_an_audience_named_in_words(production_site):
    pages = sorted((production_site.folder / "routes").glob("*/index.html"))
    pages += sorted((production_site.folder / "en/routes").glob("*/index.html"))
    assert pages
    for page in pages:
        (trip,) = [block for block in json_ld(page) if block.get("@type") == "TouristTrip"]
        assert trip["touristType"] and not re.fullmatch(r"[a-z]+(-[a-z]+)*", trip["touristType"]), page


def test_list_pages_list_their_items_for_search_engines(production_site):
    model = production_site.model
    for lang in ("", "en/"):
        for section, count in (("routes", len(model.routes)), ("areas", len(model.areas))):
            (listing,) = [block for block in json_ld(production_site.folder / lang / section / "index.html")
                          if block.get("@type") == "ItemList"]
            urls = [item["url"] for item in listing["itemListElement"]]
            assert len(urls) == listing["numberOfItems"] == count > 0
            assert all(url.startswith(f"http://127.0.0.1:8000/{lang}{section}/") for url in urls)
            assert [item["position"] for item in listing["itemListElement"]] == list(range(1, count + 1))
            for url in urls:
                assert (production_site.folder / url.removeprefix("http://127.0.0.1:8000/") / "index.html").is_file()


def test_an_independent_reader_finds_the_structured_data_of_every_kind_of_page(production_site, demo_site):
    """extruct (what crawlers' libraries do) reads each kind of page's JSON-LD, unaided."""
    import extruct
    site, demo = production_site.folder, demo_site.folder
    notice = next(iter(sorted((demo / "notices").glob("*/index.html"))))
    expected = {
        site / "areas" / "huayingshan" / "index.html": "TouristAttraction",
        next(iter(sorted((site / "routes").glob("*/index.html")))): "TouristTrip",
        site / "routes" / "index.html": "ItemList",
        site / "en" / "areas" / "index.html": "ItemList",
        site / "data" / "scenic_areas" / "index.html": "Dataset",
        notice: "SpecialAnnouncement",
        site / "en" / "crowds" / "index.html": "Dataset",
        demo / "crowds" / "index.html": "ItemList",
    }
    for page, kind in expected.items():
        found = extruct.extract(page.read_text("utf-8"), syntaxes=["json-ld"], uniform=True)["json-ld"]
        assert kind in [item.get("@type") for item in found], (page, found)
    (announcement,) = [item for item in extruct.extract(notice.read_text("utf-8"), syntaxes=["json-ld"])["json-ld"]
                       if item.get("@type") == "SpecialAnnouncement"]
    assert announcement["datePosted"] and announcement["spatialCoverage"] and announcement["name"]


def test_an_invented_notice_says_so_in_its_structured_data_too(demo_site):
    invented = next(n for n in demo_site.model.notices if n.illustrative and not n.id.startswith("crowd-"))
    page = demo_site.folder / "en" / "notices" / invented.id / "index.html"
    (announcement,) = [block for block in json_ld(page) if block.get("@type") == "SpecialAnnouncement"]
    assert "DEMO" in announcement["name"] and invented.headline.en in announcement["name"]


def crowd_page_data(site: Path, lang: str) -> tuple[Path, dict, list[dict]]:
    page = site / ("en/" if lang == "en" else "") / "crowds" / "index.html"
    blocks = json_ld(page)
    (dataset,) = [block for block in blocks if block.get("@type") == "Dataset"]
    return page, dataset, [block for block in blocks if block.get("@type") == "ItemList"]


def test_the_crowd_pages_describe_the_counts_as_a_dataset_and_list_the_areas_they_show(demo_site):
    """A search engine reading a crowd page finds the visitor counts behind it: a Dataset with the
    dates it covers, the published files, the live crowd levels, the licence and who makes it;
    and the areas on the page, in the page's order. The demo's counts are invented: both names
    say so."""
    site, model = demo_site.folder, demo_site.model
    days = sorted(o.observed_at.date() for o in model.observations)
    for lang in ("zh", "en"):
        page, dataset, (listing,) = crowd_page_data(site, lang)
        assert dataset["name"].startswith(DEMO_MARK.zh + DEMO_MARK.en), dataset["name"]
        assert dataset["temporalCoverage"] == f"{days[0].isoformat()}/{days[-1].isoformat()}"
        assert dataset["isAccessibleForFree"] is True and dataset["license"].startswith("https://creativecommons.org/")
        assert dataset["creator"]["@type"] == "Organization" and dataset["creator"]["name"]
        assert len(dataset["description"]) >= 50
        urls = [d["contentUrl"] for d in dataset["distribution"]]
        paths = [urlsplit(url).path.lstrip("/") for url in urls]
        assert "data/crowd/latest.json" in paths
        assert any(p.startswith("data/visitor_observations/") and p.endswith(".parquet") for p in paths), paths
        assert all((site / path).is_file() for path in paths), [p for p in paths if not (site / p).is_file()]
        assert all(d.get("sha256", "x") for d in dataset["distribution"])        # never an empty checksum
        # the same Dataset as on its own page, which it points to
        (own,) = [b for b in json_ld(site / "data" / "visitor_observations" / "index.html") if b["@type"] == "Dataset"]
        assert dataset == own and urlsplit(dataset["url"]).path == "/data/visitor_observations/"
        shown = re.findall(r'<section class="th-crowd[^"]*" data-th-area="([^"]+)"', page.read_text("utf-8"))
        assert shown and [urlsplit(item["url"]).path for item in listing["itemListElement"]] == [
            f"/{'en/' if lang == 'en' else ''}areas/{area}/" for area in shown]
        assert listing["numberOfItems"] == len(shown)
        assert listing["name"].startswith(DEMO_MARK.in_(lang)), listing["name"]


def test_the_real_crowd_pages_describe_the_counts_without_a_demo_mark_and_list_no_areas_before_any_count(
        production_site):
    for lang in ("zh", "en"):
        _, dataset, listings = crowd_page_data(production_site.folder, lang)
        assert dataset["name"] == "客流观测 · Visitor observations"
        assert "data/crowd/latest.json" in [urlsplit(d["contentUrl"]).path.lstrip("/") for d in dataset["distribution"]]
        if not production_site.model.observations:     # no partner counts shipped yet: no list of levels
            assert listings == []
