"""States that depend on time are computed from the build time, never typed in."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.conftest import NOW, make_project
from tourhub import pipeline
from tourhub.model.build import build_model


def model_at(tmp_path, now):
    project = make_project(tmp_path)
    validated = pipeline.check(project, NOW)
    assert not validated.problems
    return build_model(validated.typed, now)


def test_a_notice_is_upcoming_active_then_cancelled(tmp_path):
    states = {}
    for label, now in (("before", datetime(2026, 11, 19, tzinfo=UTC)), ("during", NOW),
                       ("after", NOW + timedelta(days=2))):
        model = model_at(tmp_path / label, now)
        states[label] = model.notice_state(model.notice_by_id["fog-alert"])
    assert states == {"before": "upcoming", "during": "active", "after": "cancelled"}


def test_a_notice_expires_by_itself(tmp_path):
    project = make_project(tmp_path)
    (project / "datasets/notices/fog-cancel.yaml").unlink()
    validated = pipeline.check(project, NOW)
    for now, state in ((datetime(2026, 11, 21, 11, 59, tzinfo=UTC), "active"),
                       (datetime(2026, 11, 21, 12, 0, tzinfo=UTC), "expired")):
        model = build_model(validated.typed, now)
        assert model.notice_state(model.notice_by_id["fog-alert"]) == state


def test_a_certification_expires_when_its_date_passes(tmp_path):
    model = model_at(tmp_path, NOW)
    hotel = next(c for c in model.certifications if c.id == "sample-hotel")
    assert hotel.status_on(date(2026, 5, 31)) == "valid"
    assert hotel.status_on(date(2026, 6, 2)) == "expired"


def test_routes_know_their_stops_distance_and_time(tmp_path):
    model = model_at(tmp_path, NOW)
    route = model.routes[0]
    assert route.spot_ids == ("deng-xiaoping-guli", "huayingshan", "diaoyucheng")
    assert (route.distance_km, route.travel_minutes) == (130.0, 150)
    assert route.stops[-1].leg is None
    assert [r.id for r in model.routes_through("huayingshan")] == ["red-route"]


def test_warning_scheme_levels_by_occupancy(tmp_path):
    scheme = model_at(tmp_path, NOW).scheme_by_id["lbt-068-2017"]
    assert [scheme.level_for(p).level for p in (0, 79.9, 80, 90, 94.9, 95, 120)] == \
        ["normal", "normal", "yellow", "orange", "orange", "red", "red"]
