"""The build: every page real and reachable, nothing fetched from third parties, and a failed
build leaves the previous site/ exactly as it was."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW, make_project
from tourhub import pipeline


def tree_digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> Path:
    """The small fixture project built once at NOW, for the tests that only read it."""
    return built(make_project(tmp_path_factory.mktemp("fixture-site")))


def built(project: Path) -> Path:
    result = pipeline.build(project, NOW)
    assert result.ok, (result.problems, result.error)
    return project / "site"


def test_build_writes_home_route_area_and_catalog_pages_in_both_languages(fixture_site: Path):
    site = fixture_site
    for lang in ("", "en/"):
        for page in ("index.html", "routes/index.html", "routes/red-route/index.html",
                     "areas/index.html", "areas/huayingshan/index.html", "notices/index.html",
                     "standards/index.html", "data/index.html", "data/scenic_areas/index.html",
                     "data/visitor_observations/index.html"):
            assert (site / lang / page).is_file(), lang + page
    route = (site / "routes/red-route/index.html").read_text(encoding="utf-8")
    assert "华蓥山红色之旅" in route and 'href="../../areas/huayingshan/"' in route
    english = (site / "en/routes/red-route/index.html").read_text(encoding="utf-8")
    assert "Huaying Mountain red-tourism trip" in english and 'href="../../../routes/red-route/"' in english


def test_a_capacity_shows_when_it_was_published_and_where(fixture_site: Path):
    site = fixture_site
    area = (site / "areas/huayingshan/index.html").read_text(encoding="utf-8")
    assert '20000 人 (2015年公布, <a href="https://example.org/capacities" rel="noopener">来源</a>)' in area
    english = (site / "en/areas/huayingshan/index.html").read_text(encoding="utf-8")
    assert ('20000 visitors (published 2015, <a href="https://example.org/capacities" rel="noopener">Source</a>)'
            in english)


def test_an_area_page_says_when_it_was_checked_and_how_good_its_point_is(project: Path):
    site = built(project)
    area = (site / "areas/huayingshan/index.html").read_text(encoding="utf-8")
    assert "核实于 2026-11-01" in area and "近似位置：测试用坐标点" in area
    assert "已超过一年未核实" not in area
    later = pipeline.build(project, NOW + timedelta(days=400))
    assert later.ok and any(p.code == "check-overdue" for p in later.problems)   # a warning: still published
    stale = (project / "site/en/areas/huayingshan/index.html").read_text(encoding="utf-8")
    assert "Not checked for over a year" in stale


def notice_state(project: Path, now, notice_id: str) -> str:
    assert pipeline.build(project, now).ok
    html = (project / "site/notices/index.html").read_text(encoding="utf-8")
    return re.search(rf'id="{notice_id}".*?<strong>(.*?)</strong>', html, re.S).group(1)


def test_notice_states_follow_the_build_time(project: Path):
    assert notice_state(project, NOW, "fog-alert") == "生效中"
    assert notice_state(project, NOW + timedelta(days=2), "fog-alert") == "已解除"


def test_nav_lists_section_pages_only(fixture_site: Path):
    site = fixture_site
    home = (site / "index.html").read_text(encoding="utf-8")
    nav = home[home.index('<nav class="md-nav md-nav--primary"'):home.index('<div class="md-content"')]
    assert "routes/red-route/" not in nav and "areas/huayingshan/" not in nav


def test_no_page_loads_anything_from_another_host(fixture_site: Path):
    site = fixture_site
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        loaded = re.findall(r'<(?:script|img|iframe|source|video|audio)[^>]+src="([^"]+)"', html)
        loaded += [re.search(r'href="([^"]+)"', tag).group(1) for tag in re.findall(r"<link[^>]*>", html)
                   if 'href="' in tag and not re.search(r'rel="(canonical|alternate)"', tag)]
        for url in loaded:
            assert not re.match(r"(https?:)?//", url), (page, url)
        assert "fonts.googleapis" not in html and "fonts.gstatic" not in html


def test_text_from_data_cannot_inject_markup(project: Path):
    spots = project / "datasets/spots/test-areas.yaml"
    text = spots.read_text(encoding="utf-8").replace(
        "description_zh: 华蓥山横跨川渝两地，是红色旅游胜地。",
        "description_zh: '华蓥山 a < b & [link](https://evil.example) *bold*'")
    spots.write_text(text, encoding="utf-8")
    page = (built(project) / "areas/huayingshan/index.html").read_text(encoding="utf-8")
    assert "a &lt; b &amp; [link](https://evil.example) *bold*" in page
    assert 'href="https://evil.example"' not in page


def test_a_failed_check_leaves_the_previous_site_untouched(project: Path):
    site = built(project)
    before = tree_digest(site)
    (project / "datasets/spots/broken.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    result = pipeline.build(project, NOW)
    assert not result.ok and result.problems[0].code == "yaml-syntax"
    assert tree_digest(site) == before
    assert not list(project.glob(".site.*"))


def test_a_failed_mkdocs_build_leaves_the_previous_site_untouched(project: Path):
    site = built(project)
    before = tree_digest(site)
    about = project / "site_src/pages/about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\n[broken](no-such-page.md)\n", encoding="utf-8")
    result = pipeline.build(project, NOW)
    assert not result.ok and "no-such-page.md" in result.error
    assert tree_digest(site) == before
    assert not list(project.glob(".site.*"))


def test_a_second_build_replaces_the_site_with_the_new_data(project: Path):
    site = built(project)
    spots = project / "datasets/spots/test-areas.yaml"
    spots.write_text(spots.read_text(encoding="utf-8").replace("华蓥山旅游区", "华蓥山景区"), encoding="utf-8")
    built(project)
    assert "华蓥山景区" in (site / "areas/huayingshan/index.html").read_text(encoding="utf-8")
    assert not list(project.glob(".site.*"))


def test_the_editors_guide_explains_every_problem_code_in_both_languages(fixture_site: Path):
    from tourhub.check.problems import RULES
    site = fixture_site
    for lang in ("", "en/"):
        html = (site / lang / "guide" / "index.html").read_text(encoding="utf-8")
        assert set(re.findall(r'<tr id="([a-z0-9-]+)">', html)) == set(RULES)


def test_every_page_carries_a_content_security_policy_without_unsafe_inline_scripts(fixture_site: Path):
    site = fixture_site
    pages = list(site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        html = page.read_text(encoding="utf-8")
        policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
        assert policy, page
        script_src = next(d for d in policy.group(1).split("; ") if d.startswith("script-src"))
        assert "'unsafe-inline'" not in script_src
        # the editors' admin alone evaluates code: Decap checks its configuration with Ajv
        # (tourhub/site/admin_site.py content_policy); no visitor's page ever does
        assert "'unsafe-eval'" not in script_src or page.parent.name == "admin", page
        assert "http://" not in script_src
        loads = re.findall(r'<(?:script|img|iframe)[^>]+src="(http://[^"]*)"', html) + [
            tag for tag in re.findall(r"<link[^>]*>", html)
            if 'href="http://' in tag and not re.search(r'rel="(canonical|alternate)"', tag)]
        assert loads == [], page   # no mixed content: nothing loads over plain http


def test_the_same_data_at_the_same_build_time_builds_to_the_same_bytes(tmp_path: Path):
    """Nothing but the data and the clock decides a byte of the site (no set order, no temp
    names). Pages still carry the build time, so a build an hour later differs everywhere."""
    import hashlib

    from tests.conftest import make_project

    def digests(site: Path) -> dict[str, str]:
        return {f.relative_to(site).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest()
                for f in site.rglob("*") if f.is_file()}

    first, second = (digests(built(make_project(tmp_path / name))) for name in ("one", "two"))
    changed = {name for name in first if first[name] != second.get(name)}
    assert first.keys() == second.keys() and changed <= {"pagefind/pagefind-entry.json"}
