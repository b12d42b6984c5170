"""An edit rebuilds only what it touches, and the result is the full build's, byte for byte.

Each case starts from the same built project, makes one change an editor (or the clock) makes,
builds incrementally into site/ and in full into another folder, and compares every file."""
from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW, make_project
from tourhub import pipeline
from tourhub.site.incremental import BUILD_RECORD, BuildRecord, Plan, plan, read_build_record
from tourhub.site.slim_css import Used


def digests(site: Path) -> dict[str, str]:
    return {f.relative_to(site).as_posix(): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in site.rglob("*") if f.is_file()}


def build(project: Path, now: datetime = NOW, **options) -> pipeline.BuildResult:
    result = pipeline.build(project, now, **options)
    assert result.ok, (result.error, [p.to_text() for p in result.problems])
    return result


@pytest.fixture(scope="module")
def built_project(tmp_path_factory) -> Path:
    project = make_project(tmp_path_factory.mktemp("incremental") / "project")
    build(project)
    return project


@pytest.fixture
def project(built_project: Path, tmp_path: Path) -> Path:
    """A copy of the built project (its site and build record included) for one test to change."""
    copy = tmp_path / "project"
    shutil.copytree(built_project, copy, symlinks=True)
    return copy


def edit_route(project: Path) -> datetime:
    route = project / "datasets/routes/red-route.yaml"
    route.write_text(route.read_text("utf-8").replace("summary_en: ", "summary_en: Newly edited. ", 1), "utf-8")
    return NOW


def add_area(project: Path) -> datetime:
    areas = (project / "datasets/spots/test-areas.yaml").read_text("utf-8")
    last = areas[areas.index("- id: diaoyucheng"):]
    (project / "datasets/spots/new-area.yaml").write_text(
        last.replace("- id: diaoyucheng", "- id: laojundong")
            .replace("name_zh: 钓鱼城", "name_zh: 老君洞")
            .replace("name_en: Diaoyu Fortress", "name_en: Laojun Cave"), "utf-8")
    return NOW


def let_notice_expire(project: Path) -> datetime:
    """No file changes: the clock passes the fog alert's end (2026-11-21 20:00 +08:00)."""
    return NOW + timedelta(days=2)


def delete_notice_file(project: Path) -> datetime:
    (project / "datasets/notices/fog-cancel.yaml").unlink()
    return NOW


@pytest.mark.parametrize("change", [edit_route, add_area, let_notice_expire, delete_notice_file],
                         ids=lambda change: change.__name__)
def test_an_incremental_build_equals_a_full_build_byte_for_byte(project: Path, change: Callable[[Path], datetime]):
    now = change(project)
    incremental = build(project, now)
    full = build(project, now, site=project / "full-site", staging=project / "build/full-staging", incremental=False)
    assert "full" in full.plan
    site, reference = digests(project / "site"), digests(project / "full-site")
    assert sorted(site.keys() - reference.keys()) == [] and sorted(reference.keys() - site.keys()) == []
    assert [path for path in site if site[path] != reference[path]] == []
    assert len(site) > 200
    if change is not delete_notice_file:       # a page gone: every link is checked again, by a full build
        assert "incremental" in incremental.plan, incremental.plan


def test_an_edit_renders_only_the_pages_whose_source_changed(project: Path):
    site = project / "site"
    area, route = site / "areas/huayingshan/index.html", site / "en/routes/red-route/index.html"
    area_inode, route_inode = area.stat().st_ino, route.stat().st_ino
    edit_route(project)
    result = build(project)
    assert "incremental" in result.plan
    assert area.stat().st_ino == area_inode            # the same file, not written again
    assert route.stat().st_ino != route_inode
    assert "Newly edited." in route.read_text("utf-8")


def test_nothing_changed_renders_nothing_and_keeps_the_search_index(project: Path):
    site = project / "site"
    inodes = {path: path.stat().st_ino for path in site.rglob("*/index.html")}     # every page but 404.html
    assert len(inodes) > 50
    index = {path: path.stat().st_ino for path in (site / "pagefind").rglob("*") if path.is_file()}
    result = build(project)
    assert "0 changed, 0 removed" in result.plan
    assert {path: path.stat().st_ino for path in site.rglob("*/index.html")} == inodes
    assert {path: path.stat().st_ino for path in (site / "pagefind").rglob("*") if path.is_file()} == index


def test_the_published_site_is_never_written_through_a_link(project: Path, tmp_path: Path):
    """The new site starts as hard links to the published one: every file a build writes must be
    a new file, or the published site (and its visitors) would see the change mid-build."""
    site = project / "site"
    before = digests(site)
    snapshot = tmp_path / "snapshot"        # more links to the same files: they see any write through one
    for path in site.rglob("*"):
        if path.is_file():
            (snapshot / path.relative_to(site)).parent.mkdir(parents=True, exist_ok=True)
            os.link(path, snapshot / path.relative_to(site))
    edit_route(project)
    add_area(project)
    build(project)
    assert digests(snapshot) == before


def test_a_damaged_record_of_the_previous_build_means_a_full_build(project: Path):
    (project / "site" / BUILD_RECORD).write_text("{not json", "utf-8")
    assert read_build_record(project / "site") is None
    result = build(project)
    assert "no previous build" in result.plan
    assert read_build_record(project / "site") is not None


def test_what_shapes_every_page_forces_a_full_build():
    previous = BuildRecord("config-a", {"index.md": "1", "routes/a.md": "2"}, {})
    assert plan(previous, "config-b", previous.staged).full            # mkdocs.yml, theme data or code changed
    assert plan(previous, "config-a", {"index.md": "1"}).full           # a page removed
    assert plan(None, "config-a", previous.staged).full
    partial = plan(previous, "config-a", {"index.md": "1", "routes/a.md": "3"})
    # the unchanged index.md has no recorded styles, so nothing can be reused
    assert partial.full and "incomplete" in partial.reason
    previous.styles = {"index.md": Used(), "routes/a.md": Used()}
    assert plan(previous, "config-a", {"index.md": "1", "routes/a.md": "3"}) == Plan(frozenset({"routes/a.md"}))
    assert plan(previous, "config-a", {"index.md": "1", "routes/a.md": "2", "data/x.csv": "4"}).pages_changed is False


def test_after_a_live_run_an_incremental_build_still_equals_a_full_build(project: Path):
    """`build.py live` rewrites files of the built site between builds; the next build must not
    take them for what the previous build wrote."""
    later = NOW + timedelta(hours=3)
    live = pipeline.live(project, later)
    assert live.ok and live.written, live
    build(project)                      # back at NOW: the live files as a build at NOW writes them
    build(project, site=project / "full-site", staging=project / "build/full-staging", incremental=False)
    site, reference = digests(project / "site"), digests(project / "full-site")
    assert [path for path in site.keys() | reference.keys() if site.get(path) != reference.get(path)] == []
