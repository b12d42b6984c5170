"""A reading that `build.py live` wrote reaches the visitor's screen without a rebuild: the
crowd page (built earlier, unchanged) shows the new level from data/crowd/latest.json, and the
visitor's clock marks it stale once it has grown old."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from tests.browser.conftest import PHONE, _serve
from tests.conftest import NOW, make_project
from tests.integration.test_live import reading
from tourhub import pipeline
from tourhub.partners.ingest import merge_observations

pytestmark = pytest.mark.browser
READ_AT = NOW + timedelta(minutes=20)


@pytest.fixture
def live_site(tmp_path):
    """The fixture project built at NOW with a reading of 10,000 of 20,000 (50 %) ten minutes
    before, then a reading of 16,800 (84 %) at READ_AT made live."""
    project = make_project(tmp_path / "project")
    observations = project / "datasets" / "observations"
    assert merge_observations(observations, [reading(NOW - timedelta(minutes=10), 10_000)]).added == 1
    assert pipeline.build(project, now=NOW).ok
    page = project / "site" / "crowds" / "index.html"
    built = hashlib.sha256(page.read_bytes()).hexdigest()
    assert "50.0%" in page.read_text("utf-8")
    assert merge_observations(observations, [reading(READ_AT, 16_800)]).added == 1
    assert pipeline.live(project, now=READ_AT + timedelta(minutes=1)).ok
    assert hashlib.sha256(page.read_bytes()).hexdigest() == built          # no page was rebuilt
    server = _serve(project / "site")
    yield next(server)
    next(server, None)


def card(visit, url: str, clock):
    one = visit(PHONE)
    one.page.clock.install(time=clock)
    one.page.goto(url, wait_until="load")
    return one, one.page.locator('[data-th-area="huayingshan"]').first


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_crowd_page_shows_the_new_reading_without_a_rebuild(visit, live_site, lang):
    prefix = "" if lang == "zh" else "en/"
    one, area = card(visit, f"{live_site}{prefix}crowds/", READ_AT + timedelta(minutes=3))
    badge = area.locator('[data-th-live="badge"]')
    badge.filter(has_text="84.0%").wait_for(timeout=10_000)
    assert area.locator("time").get_attribute("datetime") == "2026-11-20T20:20:00+08:00"
    assert area.locator("time").inner_text() == "2026-11-20 20:20"           # the area's own time, as built pages
    assert "th-is-stale" not in (area.get_attribute("class") or "")
    assert "16800" in area.inner_text().replace(",", "")
    one.screenshot(f"live-crowds-{lang}")
    assert one.errors == []


def test_a_visitor_whose_clock_is_hours_later_sees_the_reading_marked_stale(visit, live_site):
    one, area = card(visit, f"{live_site}crowds/", READ_AT + timedelta(hours=5))
    area.locator('[data-th-live="badge"]').filter(has_text="84.0%").wait_for(state="attached", timeout=10_000)
    one.page.wait_for_function("document.querySelector('[data-th-area=huayingshan]').classList.contains('th-is-stale')",
                               timeout=10_000)
    assert area.locator("[data-th-stale-mark]").is_visible()
