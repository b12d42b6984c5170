"""Only true information reaches the public.

`make site` builds from datasets/ alone, and no invented record reaches any output: pages, CAP
alerts, Atom feeds, CSV/JSON/XLSX downloads, latest.json. A demo build lays the invented records of
demo/ over the real data, and every page, banner, CAP alert, Atom title, CSV/JSON row and
latest.json entry it shows says so, in both languages.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import ROOT, make_project
from tourhub import pipeline

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2", "atom": "http://www.w3.org/2005/Atom"}
DEMO_MARKS = ("示例（虚构）", "DEMO (invented)", "【示例 · 虚构数据】", "[DEMO · invented data]", "th-demo-mark",
              "th-demo-banner")


@pytest.fixture(scope="module")
def production(production_site) -> Path:
    return production_site.folder


@pytest.fixture(scope="module")
def demo(demo_site) -> Path:
    return demo_site.folder


def texts(site: Path, suffix: str) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): p.read_text("utf-8") for p in site.rglob(f"*{suffix}")}


def rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))


# --- production -----------------------------------------------------------------------------

def test_nothing_in_datasets_is_marked_invented():
    for path in (ROOT / "datasets").rglob("*"):
        if path.is_file() and path.suffix in (".yaml", ".csv") and "schemas" not in path.parts:
            text = path.read_text("utf-8")
            assert not re.search(r"^\s*-?\s*illustrative: true", text, re.M), path
            assert ",illustrative," not in text, path


def test_no_production_page_shows_a_demo_mark(production):
    pages = texts(production, ".html")
    assert len(pages) > 400
    for name, html in pages.items():
        assert not any(mark in html for mark in DEMO_MARKS), name


def test_production_cap_alerts_are_all_actual_and_real(production):
    alerts = list((production / "cap").glob("*.xml"))
    assert len(alerts) >= 15
    for path in alerts:
        alert = etree.parse(str(path))
        assert alert.findtext("cap:status", namespaces=NS) == "Actual", path.name
        assert "Demo data" not in path.read_text("utf-8")
    feed = (production / "cap" / "index.atom").read_text("utf-8")
    assert not any(mark in feed for mark in DEMO_MARKS)


def test_production_downloads_hold_no_invented_row(production):
    data = production / "data"
    for name in ("safety_notices", "certifications", "capacities"):
        table = rows(data / f"{name}.csv")
        assert table and {row["illustrative"] for row in table} == {"false"}, name
        assert all(not row["illustrative"] for row in json.loads((data / f"{name}.json").read_text("utf-8"))), name
        with zipfile.ZipFile(data / f"{name}.xlsx") as book:
            sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
        assert "<t>true</t>" not in sheet and ">true<" not in sheet.split("</row>", 1)[1], name
    assert {row["status"] for row in rows(data / "safety_notices.csv")} == {"Actual"}
    assert not list((data / "visitor_observations").glob("*.csv"))   # no partner feed connected yet


def test_frictionless_validates_the_production_data_package(production):
    from frictionless import validate
    report = validate(str(production / "data" / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "type", "note"])[:10]


def test_production_crowd_feed_is_empty_and_says_it_is_not_live(production):
    latest = json.loads((production / "data" / "crowd" / "latest.json").read_text("utf-8"))
    assert latest["areas"] == [] and latest["demo"] is False and latest["live"] is False


def test_without_a_feed_the_crowd_page_says_so_and_lists_published_capacities(production):
    for lang, words in (("", "尚未接入景区实时客流数据"), ("en/", "No live visitor counts are connected yet")):
        html = (production / lang / "crowds" / "index.html").read_text("utf-8")
        assert words in html and 'class="th-crowd ' not in html
        assert "qingchengshan" in html and "32000" in html   # a capacity with its source


def test_the_notices_page_says_when_nothing_is_active_and_never_fills_the_gap(production):
    html = (production / "notices" / "index.html").read_text("utf-8")
    assert "本站目前没有收录生效中的安全提示" in html
    assert 'class="th-alerts"' not in html and "th-notice--active" not in html


def test_every_notice_links_the_page_that_published_it(production):
    html = (production / "notices" / "index.html").read_text("utf-8")
    sections = re.findall(r'<section class="th-notice[^"]*" id="([^"]+)"(.*?)</section>', html, re.S)
    assert len(sections) >= 15
    for notice_id, body in sections:
        assert re.search(r'<a href="https?://[^"]+" rel="noopener">来源</a>', body), notice_id


# --- demo -----------------------------------------------------------------------------------

def test_every_demo_page_carries_the_demo_banner_in_its_language(demo):
    pages = texts(demo, ".html")
    for name, html in pages.items():
        if name.startswith("pagefind"):
            continue
        banner = re.search(r'<(?:p|details) class="th-demo-banner"[^>]*lang="(zh|en)"', html)
        assert banner, name
        assert banner.group(1) == ("en" if name.startswith("en/") else "zh"), name


def test_demo_notices_and_crowd_levels_are_marked_on_the_page(demo):
    notices = (demo / "notices" / "index.html").read_text("utf-8")
    assert notices.count('<span class="th-demo-mark">示例（虚构）</span>') >= 7
    english = (demo / "en" / "crowds" / "index.html").read_text("utf-8")
    assert english.count('<span class="th-demo-mark">DEMO (invented)</span>') == 6
    assert "Visitor counts on this demo site are invented" in english
    banner = re.search(r'<div class="th-alerts".*?</div>', (demo / "index.html").read_text("utf-8"), re.S).group(0)
    assert "【示例 · 虚构数据】" in banner


def test_demo_cap_alerts_are_exercises_and_their_feed_titles_say_demo(demo):
    demo_ids = {p.stem for p in (ROOT / "demo" / "notices").glob("*.yaml")}
    statuses = {path.stem: etree.parse(str(path)).findtext("cap:status", namespaces=NS)
                for path in (demo / "cap").glob("*.xml")}
    assert {statuses[i] for i in demo_ids} == {"Exercise"}
    crowd = [i for i in statuses if i.startswith("crowd-")]
    assert crowd and {statuses[i] for i in crowd} == {"Exercise"}          # raised from invented counts
    assert {s for i, s in statuses.items() if i not in demo_ids and i not in crowd} == {"Actual"}
    feed = etree.parse(str(demo / "cap" / "index.atom"))
    titles = feed.findall("atom:entry/atom:title", NS)
    assert titles and all(t.text.startswith("【示例 · 虚构数据】") for t in titles)


def test_demo_rows_and_latest_json_entries_are_flagged(demo):
    notices = rows(demo / "data" / "safety_notices.csv")
    invented = [r for r in notices if r["illustrative"] == "true"]
    assert len(invented) == 7 and {r["status"] for r in invented} == {"Exercise"}
    assert {r["status"] for r in notices if r["illustrative"] == "false"} == {"Actual"}
    latest = json.loads((demo / "data" / "crowd" / "latest.json").read_text("utf-8"))
    assert latest["demo"] is True and len(latest["areas"]) == 6
    for entry in latest["areas"]:
        assert entry["illustrative"] is True and entry["label_zh"].startswith("【示例 · 虚构数据】")
    (counts,) = (demo / "data" / "visitor_observations").glob("*.csv.gz")
    month = csv.DictReader(io.StringIO(gzip.decompress(counts.read_bytes()).decode("utf-8")))
    assert counts.name.startswith("demo-") and {r["method"] for r in month} == {"illustrative"}


# --- the rules that keep it so ----------------------------------------------------------------

def test_an_unmarked_record_in_the_demo_overlay_is_refused(tmp_path):
    project = make_project(tmp_path)
    overlay = project / "demo" / "notices"
    overlay.mkdir(parents=True)
    fog = (project / "datasets" / "notices" / "fog-alert.yaml").read_text("utf-8")
    (overlay / "demo-fog.yaml").write_text(fog.replace("id: fog-alert", "id: demo-fog"), "utf-8")
    problems = pipeline.check(project, demo=True, now=datetime(2026, 11, 20, 12, tzinfo=UTC)).problems
    line = fog.splitlines().index("illustrative: false") + 1
    assert [(p.code, p.file, p.line) for p in problems] == [("demo-not-illustrative",
                                                             "demo/notices/demo-fog.yaml", line)]
    assert pipeline.check(project, now=datetime(2026, 11, 20, 12, tzinfo=UTC)).problems == []


def test_the_demo_overlay_is_read_only_when_asked_for(tmp_path):
    project = make_project(tmp_path)
    overlay = project / "demo" / "notices"
    overlay.mkdir(parents=True)
    for path in (project / "datasets" / "notices").glob("*.yaml"):
        text = path.read_text("utf-8").replace("illustrative: false", "illustrative: true")
        text = text.replace("status: Actual", "status: Exercise").replace("fog-", "demo-fog-")
        (overlay / ("demo-" + path.name)).write_text(text, "utf-8")
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    real = pipeline.check(project, now=now)
    both = pipeline.check(project, now=now, demo=True)
    assert real.problems == [] and both.problems == []
    assert {row["id"] for row in real.typed["safety_notices"]} == {"fog-alert", "fog-cancel"}
    assert {row["id"] for row in both.typed["safety_notices"]} == {"fog-alert", "fog-cancel",
                                                                    "demo-fog-alert", "demo-fog-cancel"}


def test_the_catalog_says_when_each_dataset_was_first_published(production_site):
    """dct:issued from git: the first commit of each dataset's files (the shipped data is in git)."""
    from rdflib import Graph
    from rdflib.namespace import DCAT, DCTERMS
    data = Graph().parse(data=(production_site.folder / "catalog.jsonld").read_text("utf-8"), format="json-ld")
    (catalog,) = data.subjects(DCAT.dataset, None, unique=True)
    issued = {str(data.value(d, DCTERMS.issued)) for d in data.objects(catalog, DCAT.dataset)} - {"None"}
    assert issued and all(len(day) == 10 for day in issued)
    assert str(data.value(catalog, DCTERMS.issued)) == min(issued)
