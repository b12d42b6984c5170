"""Crowd warnings raised from observations: alert on entering orange or red, update between
them, cancel when the crowd falls back; a quiet feed makes its areas stale, never comfortable."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from tourhub.core.dates import PartialDate
from tourhub.model.crowd_warnings import with_crowd_warnings
from tourhub.model.records import (
    Capacity,
    Check,
    Model,
    Observation,
    PartnerSource,
    ScenicArea,
    Text,
    WarningLevel,
    WarningScheme,
)

CST = timezone(timedelta(hours=8))
T0 = datetime(2026, 11, 28, 9, 0, tzinfo=CST)
LEVELS = tuple(WarningLevel(name, rank, pct, colour, Text(name, name)) for rank, (name, pct, colour) in enumerate(
    [("normal", 0, "#2e7d32"), ("yellow", 80, "#f9a825"), ("orange", 90, "#ef6c00"), ("red", 95, "#c62828")], 1))
SCHEME = WarningScheme("lbt-068-2017", Text("s", "s"), None, "daily", 180, "https://example.invalid/", LEVELS)


def area(area_id: str = "busy-park", illustrative_capacity: bool = False) -> ScenicArea:
    check = Check(date(2026, 11, 1), "test")
    capacity = Capacity(1000, None, PartialDate(2015), "https://example.invalid/", None, illustrative_capacity, check)
    return ScenicArea(
        id=area_id, name=Text("热闹公园", "Busy Park"), admin_code="510104", city=Text("成都", "Chengdu"),
        county=Text("锦江区", "Jinjiang"), a_level=4, a_level_source="https://example.invalid/",
        a_level_evidence="announcement", a_level_since=None,
        a_level_note=None, lon=104.07, lat=30.66, coords_approx=True, coords_point=Text("测试", "test"),
        coord_uncertainty_km=None, coords_source="https://example.invalid/", coords_check_source=None,
        coords_check_km=None, visit=None, tags=(), description=Text("d", "d"),
        warning_scheme="lbt-068-2017", source="https://example.invalid/", source_note=None, maintainer="test",
        check=check, capacity=capacity)


def model(counts: list[int], built_at: datetime, sources=()) -> Model:
    observations = tuple(Observation("busy-park", T0 + timedelta(hours=i), "daily", count, "gate-count", "feed")
                         for i, count in enumerate(counts))
    return Model(built_at, (area(),), (), (), (), (), (SCHEME,), observations, sources)


def test_entering_orange_alerts_moving_to_red_updates_and_falling_back_cancels():
    built = T0 + timedelta(hours=5)
    result = with_crowd_warnings(model([500, 850, 920, 960, 700], built))
    alert, update, cancel = result.notices
    assert (alert.msg_type, alert.severity) == ("Alert", "Moderate")
    assert (update.msg_type, update.severity, update.references) == ("Update", "Severe", (alert.id,))
    assert (cancel.msg_type, cancel.references) == ("Cancel", (update.id,))
    assert result.notice_state(alert) == "updated" and result.notice_state(update) == "cancelled"


def test_a_warning_expires_when_no_reading_keeps_it_up():
    result = with_crowd_warnings(model([500, 960], T0 + timedelta(hours=1, minutes=30)))
    (alert,) = result.notices
    assert alert.severity == "Severe" and result.notice_state(alert) == "active"
    assert alert.expires.end == T0 + timedelta(hours=1, minutes=180)
    later = with_crowd_warnings(model([500, 960], T0 + timedelta(hours=5)))
    assert later.notice_state(later.notices[0]) == "expired"


def test_no_warning_while_the_crowd_stays_below_orange():
    assert with_crowd_warnings(model([100, 850, 880], T0 + timedelta(hours=3))).notices == ()


def test_a_quiet_feed_makes_its_areas_stale_not_comfortable():
    built = T0 + timedelta(hours=2, minutes=10)
    quiet = PartnerSource("city-feed", Text("a", "a"), "https://example.invalid/f.csv", "visitor_observations",
                          "csv", None, 10.0, 1000, timedelta(hours=1), "test",
                          last_success=T0 - timedelta(hours=3), area_ids=("busy-park",))
    fresh = model([100, 200, 300], built)
    assert not fresh.occupancy_by_area["busy-park"].stale
    assert model([100, 200, 300], built, (quiet,)).occupancy_by_area["busy-park"].stale
