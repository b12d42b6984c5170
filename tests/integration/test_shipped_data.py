"""The data we ship: valid, real, sourced, checked, and covering the region's A-level areas."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import ROOT
from tourhub import pipeline
from tourhub.model.build import build_model

CST = timezone(timedelta(hours=8))
SHIPPED_AT = datetime(2026, 11, 30, 20, 0, tzinfo=CST)   # the day the shipped data was last checked
# Every 5A area of the two provinces that the official lists name (文化和旅游部 announcements).
FIVE_A = {"qingchengshan", "dujiangyan", "emeishan", "leshan-giant-buddha", "jiuzhaigou", "huanglong",
          "wenchuan-special-tourism-area", "siguniangshan", "hailuogou", "daocheng-yading", "anren-ancient-town",
          "tiantaishan-qionglai", "jianmenguan", "langzhong-ancient-city", "zhu-de-guli", "deng-xiaoping-guli",
          "guangwushan", "beichuan-qiang-city", "bifengxia",
          "dazu-rock-carvings", "wushan-little-three-gorges", "wulong-karst", "youyang-taohuayuan",
          "wansheng-heishangu", "jinfoshan", "simianshan", "longgang", "pengshui-ayihe", "qianjiang-zhuoshui",
          "baidicheng", "fuling-wuling-rift"}


@pytest.fixture(scope="module")
def validated():
    return pipeline.check(ROOT, SHIPPED_AT)


@pytest.fixture(scope="module")
def model(validated):
    return build_model(validated.rows, SHIPPED_AT)


def test_shipped_data_has_no_problems(validated):
    assert [p.to_text() for p in validated.problems] == []


def test_at_least_200_scenic_areas_on_both_sides_every_5a_among_them(model):
    assert len(model.areas) >= 200
    provinces = Counter(area.province for area in model.areas)
    assert provinces["sichuan"] >= 120 and provinces["chongqing"] >= 60, provinces
    five_a = {area.id for area in model.areas if area.a_level == 5}
    assert five_a >= FIVE_A, FIVE_A - five_a


def test_every_area_cites_the_list_for_its_grade_and_says_how_good_its_point_is(model):
    for area in model.areas:
        assert area.a_level_source.startswith(("http://", "https://")), area.id
        assert area.coords_source.startswith(("http://", "https://")), area.id
        if area.coords_approx:
            assert area.coords_point and area.coords_point.zh and area.coords_point.en, area.id
        else:
            assert area.coords_check_source and (area.coords_check_km or 0) <= 1, area.id
        assert area.check.on <= SHIPPED_AT.date() and not area.check.overdue(SHIPPED_AT.date()), area.id


def test_the_reported_errors_are_fixed(model):
    liu = model.area_by_id["liu-bocheng-guli"]
    assert "洲渡" not in liu.name.zh
    assert model.area_by_id["ciqikou"].capacity is None or model.area_by_id["ciqikou"].capacity.source
    standards = model.standard_by_code
    for code in ("LB/T 034-2014", "LB/T 065-2019", "DB50/T 1570-2024"):   # placeholders once padded to Jan 1
        assert standards[code].issued.precision == "year" and str(standards[code].issued) == code[-4:], code


def test_at_least_8_routes_all_crossing_the_border(model):
    assert len(model.routes) >= 8
    for route in model.routes:
        provinces = {model.area_by_id[spot].province for spot in route.spot_ids}
        assert provinces == {"sichuan", "chongqing"}, route.id
    assert any(r.theme == "red-tourism" and "huayingshan" in r.spot_ids for r in model.routes)


def test_notices_are_real_each_citing_the_page_that_published_it(model):
    assert len(model.notices) >= 15
    provinces = Counter(code[:2] for n in model.notices for code in n.admin_codes)
    assert provinces["51"] and provinces["50"]
    for notice in model.notices:
        assert notice.status == "Actual" and not notice.illustrative, notice.id
        assert notice.source.startswith(("http://", "https://")) and notice.check, notice.id
    assert {model.notice_state(n) for n in model.notices} <= {"expired", "open-ended", "active", "upcoming"}


def test_no_visitor_count_or_capacity_is_invented(validated, model):
    assert validated.partitioned["visitor_observations"].rows == 0      # no partner feed connected yet
    assert model.occupancy_by_area == {}
    capacities = [area.capacity for area in model.areas if area.capacity]
    assert capacities and not any(c.illustrative for c in capacities)
    assert all(c.source.startswith("http") and c.as_of for c in capacities)


def test_standards_and_certifications(model):
    assert len(model.standards) >= 10
    assert {"LB/T 034-2014", "LB/T 068-2017", "GB/T 17775-2024"} <= set(model.standard_by_code)
    assert len(model.certifications) >= 20 and not any(c.illustrative for c in model.certifications)
