"""A route plans a trip: where to sleep each night, every way to travel each leg, and for each
stop the opening hours, tickets and official booking link a source publishes — never a value
without its source. And a foreign visitor reads it in English, with the Chinese names to show."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import NOW, make_project
from tourhub import pipeline
from tourhub.check.validate import validate_datasets
from tourhub.model.build import build_model
from tourhub.publish.history import dataset_history
from tourhub.publish.publication import build_publication
from tourhub.site.i18n import grade_word
from tourhub.site.pages import md_english, render_language

ROUTE = "datasets/routes/red-route.yaml"
AREAS = "datasets/spots/test-areas.yaml"


@pytest.fixture(scope="module")
def fixture_project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("trip"))


@pytest.fixture(scope="module")
def validated(fixture_project):
    checked = validate_datasets(fixture_project / "datasets", NOW)
    assert not checked.problems
    return checked


@pytest.fixture(scope="module")
def model(validated):
    return build_model(validated.rows, NOW)


@pytest.fixture(scope="module")
def pages(fixture_project, validated, model) -> dict[str, str]:
    """The Markdown of every page, both languages, as the build hands it to MkDocs."""
    base = "https://example.invalid/"
    catalog = build_publication(validated, model, dataset_history(fixture_project, validated.package), base).datasets
    return {page.path: str(page.content)
            for lang in ("zh", "en") for page in render_language(model, catalog, base, lang)}


def edited(project: Path, file: str, old: str, new: str) -> Path:
    path = project / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return project


def problems(project: Path) -> list[tuple[str, str, int]]:
    return [(p.code, p.file, p.line) for p in pipeline.check(project, NOW).problems]


def line_of(project: Path, file: str, text: str) -> int:
    lines = (project / file).read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, start=1) if text in line)


# The model -------------------------------------------------------------------------------------

def test_a_leg_lists_every_way_to_travel_and_the_first_counts_in_the_totals(model):
    route = model.routes[0]
    first, second = route.days[0].stops
    assert [w.mode for w in first.ways] == ["drive"] and first.leg == first.ways[0]   # one way, as a mapping
    drive, bus = second.ways                                                         # several, as a list
    assert (drive.mode, drive.minutes, drive.km, drive.source) == ("drive", 90, 80.0, None)
    assert (bus.mode, bus.minutes, bus.km) == ("bus", 150, None)
    assert bus.note.en == "Test coach: Huaying → Hechuan" and bus.source == "https://example.org/buses/huaying-hechuan"
    assert route.stops[-1].ways == () and route.stops[-1].leg is None
    assert (route.distance_km, route.travel_minutes) == (130.0, 150)                 # drive 60 + drive 90


def test_each_day_says_where_to_sleep_with_its_source_and_the_last_may_say_nothing(model):
    first, last = model.routes[0].days
    assert (first.overnight.zh, first.overnight.en) == ("合川", "Hechuan")
    assert first.overnight_source == "https://example.org/stay/hechuan"
    assert last.overnight is None and last.overnight_source is None


def test_opening_hours_tickets_and_booking_come_with_their_sources_and_check_date(model):
    visit = model.area_by_id["huayingshan"].visit
    assert visit.opening_hours.text.en == "Test opening hours 08:00–18:00"
    assert visit.opening_hours.source == "https://example.org/visit/huayingshan"
    assert visit.ticket.source == "https://example.org/tickets/huayingshan"
    assert visit.reservation_url == "https://example.org/book/huayingshan"
    assert visit.checked_on.isoformat() == "2026-11-01"
    assert model.area_by_id["diaoyucheng"].visit is None                             # nothing published


# The rules -------------------------------------------------------------------------------------

def test_opening_hours_without_a_source_are_refused_where_they_are_written(tmp_path):
    project = edited(make_project(tmp_path), AREAS,
                     "  opening_hours_source: https://example.org/visit/huayingshan\n", "")
    line = line_of(project, AREAS, "opening_hours_zh:")
    assert problems(project) == [("visit-info-unsourced", AREAS, line), ("visit-info-unsourced", AREAS, line + 1)]
    problem = pipeline.check(project, NOW).problems[0]
    assert problem.column == 21 and "opening_hours_source" in problem.zh and "opening_hours_source" in problem.en
    assert "来源" in problem.zh and "source" in problem.en


def test_a_reservation_link_needs_its_source_and_every_value_its_check_date(tmp_path):
    project = edited(make_project(tmp_path), AREAS, "  reservation_source: https://example.org/visit/huayingshan\n", "")
    edited(project, AREAS, "  visit_info_checked_on: 2026-11-01\n", "")
    hours, booking = line_of(project, AREAS, "opening_hours_zh:"), line_of(project, AREAS, "reservation_url:")
    assert sorted(problems(project)) == [("visit-info-unchecked", AREAS, hours),
                                         ("visit-info-unsourced", AREAS, booking)]


def test_a_visit_check_date_in_the_future_is_refused(tmp_path):
    project = edited(make_project(tmp_path), AREAS, "visit_info_checked_on: 2026-11-01",
                     "visit_info_checked_on: 2026-12-24")
    assert problems(project) == [("checked-in-future", AREAS, line_of(project, AREAS, "visit_info_checked_on"))]


def test_ways_need_sources_once_the_route_says_its_legs_are_not_estimates(tmp_path):
    project = edited(make_project(tmp_path), ROUTE, "legs_estimated: true", "legs_estimated: false")
    found = problems(project)
    assert {code for code, _, _ in found} == {"route-way-unsourced"}
    assert len(found) == 2                       # both drives; the bus cites its timetable


def test_a_way_must_use_a_known_mode(tmp_path):
    project = edited(make_project(tmp_path), ROUTE, "{mode: bus,", "{mode: taxi,")
    assert [code for code, _, _ in problems(project)] == ["value-enum"]


# The pages -------------------------------------------------------------------------------------

def test_the_route_page_plans_each_day_in_both_languages(pages):
    zh, en = pages["routes/red-route.md"], pages["en/routes/red-route.md"]
    assert "**行程一览**" in zh and "住 合川" in zh and "<strong>当晚住宿</strong>: 合川" in zh
    assert "sleep in Hechuan (<span lang=\"zh-CN\">合川</span>)" in en
    assert "- Bus: 2 h 30 min · Test coach: Huaying → Hechuan" in en
    assert "- Drive: 1 h 30 min, 80 km · *estimate*" in en
    assert 'href="https://example.org/buses/huaying-hechuan"' in en
    assert "**Time on the road**: 2 h 30 min" in en


def test_a_stop_shows_hours_tickets_and_booking_with_sources_or_says_they_are_unknown(pages):
    en = pages["en/routes/red-route.md"]
    huaying = en[en.index("areas/huayingshan.md"):en.index("areas/diaoyucheng.md")]
    assert "- Opening hours: Test opening hours 08:00–18:00" in huaying
    assert "- Tickets: Test ticket: free, book ahead" in huaying
    assert '<a href="https://example.org/book/huayingshan" rel="noopener">official booking page</a>' in huaying
    assert 'href="https://example.org/tickets/huayingshan" rel="noopener">tickets</a>' in huaying
    assert "checked 2026-11-01" in huaying
    assert "no published source found yet" in en[en.index("areas/diaoyucheng.md"):]


def test_an_english_area_page_shows_the_chinese_names_and_no_internal_code(pages, model):
    en, zh = pages["en/areas/huayingshan.md"], pages["areas/huayingshan.md"]
    assert '<span lang="zh-CN">华蓥山旅游区</span>' in en and "Guang'an (<span lang=\"zh-CN\">广安市</span>)" in en
    assert model.area_by_id["huayingshan"].admin_code not in en + zh
    assert "Admin code" not in en and "行政区划代码" not in zh
    assert ("Guang'an Municipal Bureau of Culture, Radio, Television and Tourism "
            "(<span lang=\"zh-CN\">广安市文化广电旅游局</span>) · our translation") in en


def test_grades_are_explained_and_link_to_what_they_mean(pages):
    en = pages["en/routes/red-route.md"]
    assert "[5A \\(China's top national grade\\)](../areas/index.md#grades)" in en
    assert "{ #grades }" in pages["en/areas/index.md"] and "GB/T 17775" in pages["en/areas/index.md"]


@pytest.mark.parametrize("level, english", [("五星级", "Five-star"), ("甲级", "Grade A, the top grade"),
                                            ("国家级旅游度假区", "National tourist resort"), ("5A", "5A"),
                                            ("特级", None)])
def test_certification_grades_read_in_english(level, english):
    assert grade_word(level, "en") == english and grade_word(level, "zh") == level


def test_chinese_left_in_english_text_is_marked_as_chinese():
    out = str(md_english("Follow the '四面山旅游' WeChat account <b>"))
    assert out == "Follow the '<span lang=\"zh-CN\">四面山旅游</span>' WeChat account &lt;b&gt;"
    assert not re.search("<(?!span|/span)", out)
