"""The data we ship: valid, real-sized, and covering what the hub promises."""
from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime, timedelta, timezone

import pytest

from conftest import ROOT
from tourhub import pipeline
from tourhub.model import build_model

CST = timezone(timedelta(hours=8))
SHIPPED_AT = datetime(2026, 11, 29, 12, 0, tzinfo=CST)


@pytest.fixture(scope="module")
def validated():
    return pipeline.check(ROOT, SHIPPED_AT)


@pytest.fixture(scope="module")
def model(validated):
    return build_model(validated.rows, SHIPPED_AT)


def test_shipped_data_has_no_problems(validated):
    assert [p.to_text() for p in validated.problems] == []


def test_at_least_40_real_scenic_areas_on_both_sides(model):
    assert len(model.areas) >= 40
    provinces = defaultdict(int)
    for area in model.areas:
        provinces[area.province] += 1
    assert provinces["sichuan"] >= 15 and provinces["chongqing"] >= 15
    named = {"huayingshan", "deng-xiaoping-guli", "dazu-rock-carvings", "wulong-karst", "dujiangyan",
             "qingchengshan", "emeishan", "leshan-giant-buddha", "chengdu-panda-base", "hongyadong",
             "diaoyucheng"}
    assert named <= set(model.area_by_id)


def test_at_least_8_routes_all_crossing_the_border(model):
    assert len(model.routes) >= 8
    for route in model.routes:
        provinces = {model.area_by_id[spot].province for spot in route.spot_ids}
        assert provinces == {"sichuan", "chongqing"}, route.id
    assert any(r.theme == "red-tourism" and "huayingshan" in r.spot_ids for r in model.routes)


def test_notices_cover_active_expired_and_replaced(model):
    states = {model.notice_state(n) for n in model.notices}
    assert len(model.notices) >= 6
    assert {"active", "expired", "cancelled", "updated"} <= states
    assert all(n.illustrative for n in model.notices)


def test_standards_and_certifications(model):
    assert len(model.standards) >= 10
    assert {"LB/T 034-2014", "LB/T 068-2017", "GB/T 17775-2024"} <= set(model.standard_by_code)
    assert len(model.certifications) >= 20


def test_two_weeks_of_hourly_observations_for_10_areas(validated, model):
    counts = validated.partitioned["visitor_observations"]
    assert counts.rows > 2 * 10 * 14 * 24 and counts.span[1] - counts.span[0] >= timedelta(days=13)
    hours = defaultdict(set)
    with (ROOT / "datasets" / "observations" / "2026-11.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            hours[row["spot_id"]].add(row["observed_at"])
            assert row["method"] == "illustrative"
    assert len([spot for spot, times in hours.items() if len(times) >= 14 * 24]) >= 10
    # the model keeps each series' last week: enough for levels, charts and warnings
    assert {obs.spot_id for obs in model.observations} == set(hours)
    assert all(obs.method == "illustrative" for obs in model.observations)
