"""Safety notices as OASIS CAP 1.2 alerts: valid against the official schema, in Chinese and
English, with references to the messages they update or cancel, and circles in CAP's
"lat,lon radius" order (the reverse of GeoJSON)."""
from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree

from tests.conftest import ROOT
from tourhub import pipeline
from tourhub.model.build import build_model
from tourhub.model.records import Model, Notice, Text
from tourhub.publish.cap import cap_alert, cap_files, cap_time, circle, identifier

CST = timezone(timedelta(hours=8))
SHIPPED_AT = datetime(2026, 11, 30, 12, 0, tzinfo=CST)
BASE_URL = "https://data.example.org/hub/"
XSD = Path(__file__).resolve().parent.parent / "specs" / "cap-1.2" / "CAP-v1.2-schema.xsd"
NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
CIRCLE = re.compile(r"^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$")


@pytest.fixture(scope="module")
def model() -> Model:
    validated = pipeline.check(ROOT, SHIPPED_AT, demo=True)
    assert not validated.problems
    return build_model(validated.typed, SHIPPED_AT)


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


@pytest.fixture(scope="module")
def files(model) -> dict[str, bytes]:
    return {page.path: page.content for page in cap_files(model, BASE_URL)}


@pytest.fixture(scope="module")
def alerts(model, files) -> dict[str, etree._Element]:
    """Notice id -> parsed CAP alert."""
    return {notice.id: etree.fromstring(files[f"cap/{notice.id}.xml"]) for notice in model.notices}


def texts(alert: etree._Element, path: str) -> list[str]:
    return [element.text for element in alert.iterfind(path, NS)]


def only(alert: etree._Element, path: str) -> str:
    found = texts(alert, path)
    assert len(found) == 1, (path, found)
    return found[0]


def test_every_notice_is_a_valid_cap_1_2_alert(model, files, schema):
    xml_files = {path for path in files if path.endswith(".xml")}
    assert xml_files == {f"cap/{notice.id}.xml" for notice in model.notices}
    assert {model.notice_state(n) for n in model.notices} >= {"active", "upcoming", "expired", "cancelled", "updated"}
    for path in sorted(xml_files):
        document = etree.fromstring(files[path])
        assert schema.validate(document), (path, str(schema.error_log))


def test_alerts_are_utf8_documents_with_an_xml_declaration(files):
    for path, content in files.items():
        assert isinstance(content, bytes)
        assert content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), path
        content.decode("utf-8")


def test_a_cancel_references_the_alert_it_cancels(alerts):
    cancel = alerts["wulong-road-closure-2026-09-cancel"]
    assert only(cancel, "cap:msgType") == "Cancel"
    assert only(cancel, "cap:references").split() == [
        "bashu-travel-open-data,bashu-travel-open-data:wulong-road-closure-2026-09,2026-09-12T06:00:00+08:00"]


def test_an_update_references_the_alert_it_updates(alerts):
    update = alerts["leshan-holiday-crowd-2026-10-update"]
    assert only(update, "cap:msgType") == "Update"
    assert only(update, "cap:references").split() == [
        "bashu-travel-open-data,bashu-travel-open-data:leshan-holiday-crowd-2026-10,2026-09-28T10:00:00+08:00"]


def test_every_reference_names_sender_identifier_and_sent_of_a_shipped_alert(model, alerts):
    by_identifier = {only(alert, "cap:identifier"): alert for alert in alerts.values()}
    for notice in model.notices:
        triples = texts(alerts[notice.id], "cap:references")
        if notice.msg_type == "Alert":
            assert triples == []
            continue
        for triple in triples[0].split():
            sender, ident, sent = triple.split(",")
            referenced = by_identifier[ident]
            assert (sender, sent) == (only(referenced, "cap:sender"), only(referenced, "cap:sent"))


def test_circles_put_latitude_first_within_sichuan_and_chongqing(model, alerts):
    for notice in model.notices:
        circles = texts(alerts[notice.id], "cap:info/cap:area/cap:circle")
        assert len(circles) == 2 * len(notice.spot_ids)
        for value, spot_id in zip(circles, notice.spot_ids * 2):
            match = CIRCLE.match(value)
            assert match, value
            lat, lon, radius = map(float, match.groups())
            assert 26 <= lat <= 34.5 and 97 <= lon <= 110.5, value
            area = model.area_by_id[spot_id]
            assert (lat, lon) == pytest.approx((area.lat, area.lon), abs=1e-6)
            assert radius >= 5


def test_a_circle_is_as_wide_as_the_areas_coordinate_uncertainty(model):
    area = model.area_by_id["emeishan"]
    assert circle(dataclasses.replace(area, coord_uncertainty_km=None)).endswith(" 5")
    assert circle(dataclasses.replace(area, coord_uncertainty_km=2.0)).endswith(" 5")
    assert circle(dataclasses.replace(area, coord_uncertainty_km=12.5)).endswith(" 12.5")


def test_areas_carry_gb_t_2260_geocodes(model, alerts):
    for notice in model.notices:
        for area in alerts[notice.id].iterfind("cap:info/cap:area", NS):
            assert texts(area, "cap:geocode/cap:valueName") == ["GB/T 2260"] * len(notice.admin_codes)
            assert texts(area, "cap:geocode/cap:value") == list(notice.admin_codes)


def test_every_alert_speaks_chinese_and_english(model, alerts):
    for notice in model.notices:
        alert = alerts[notice.id]
        assert texts(alert, "cap:info/cap:language") == ["zh-CN", "en-US"]
        headlines = [notice.headline.zh, notice.headline.en]
        if notice.illustrative:
            headlines = ["【示例 · 虚构数据】" + headlines[0], "[DEMO · invented data] " + headlines[1]]
        assert texts(alert, "cap:info/cap:headline") == headlines
        assert texts(alert, "cap:info/cap:instruction") == [notice.instruction.zh, notice.instruction.en]
        assert texts(alert, "cap:info/cap:area/cap:areaDesc") == [notice.area_desc.zh, notice.area_desc.en]
        assert texts(alert, "cap:info/cap:web") == [f"{BASE_URL}notices/{notice.id}/",
                                                      f"{BASE_URL}en/notices/{notice.id}/"]


def test_alert_fields_come_from_the_notice(model, alerts):
    notice = model.notice_by_id["jinfoshan-road-ice-2026-11"]
    alert = alerts[notice.id]
    assert only(alert, "cap:identifier") == "bashu-travel-open-data:jinfoshan-road-ice-2026-11"
    assert only(alert, "cap:sender") == "bashu-travel-open-data"
    assert only(alert, "cap:sent") == "2026-11-27T07:30:00+08:00"
    assert only(alert, "cap:scope") == "Public"
    assert texts(alert, "cap:info/cap:severity") == ["Severe", "Severe"]
    assert texts(alert, "cap:info/cap:expires") == ["2026-12-03T18:00:00+08:00"] * 2
    assert texts(alert, "cap:info/cap:senderName") == [notice.sender.zh, notice.sender.en]


def test_demo_notices_go_out_as_exercises_with_a_note(model, schema):
    notice = model.notice_by_id["huayingshan-forest-fire-2026"]
    demo = etree.fromstring(cap_alert(notice, model, BASE_URL))
    assert notice.illustrative and notice.status == only(demo, "cap:status") == "Exercise"
    note = only(demo, "cap:note")
    assert "示例数据" in note and "Demo data: invented" in note
    slipped = etree.fromstring(cap_alert(dataclasses.replace(notice, status="Actual"), model, BASE_URL))
    assert only(slipped, "cap:status") == "Exercise"     # even if one were marked Actual, it never goes out so
    real = etree.fromstring(cap_alert(dataclasses.replace(notice, illustrative=False, status="Actual"), model,
                                      BASE_URL))
    assert texts(real, "cap:note") == [] and only(real, "cap:status") == "Actual"
    assert schema.validate(real), str(schema.error_log)


def test_a_notice_published_with_a_day_only_says_so_and_one_without_an_end_has_no_expires(model, schema):
    day_only = next(n for n in model.notices if n.sent.day_only and n.expires is None and not n.illustrative)
    alert = etree.fromstring(cap_alert(day_only, model, BASE_URL))
    assert only(alert, "cap:sent") == day_only.sent.start.date().isoformat() + "T00:00:00+08:00"
    assert "只公布了发布日期" in only(alert, "cap:note") and "the day only" in only(alert, "cap:note")
    assert texts(alert, "cap:info/cap:expires") == []
    assert schema.validate(alert), str(schema.error_log)


def test_hostile_text_stays_text_in_a_valid_alert(model, schema):
    hostile = '<script>alert("x")</script> & ]]> &amp; 景区'
    notice = dataclasses.replace(model.notices[0], headline=Text(hostile, hostile + " en"))
    content = cap_alert(notice, model, BASE_URL)
    assert b"<script" not in content
    alert = etree.fromstring(content)
    assert schema.validate(alert), str(schema.error_log)
    assert texts(alert, "cap:info/cap:headline") == [hostile, hostile + " en"]


def test_characters_xml_cannot_carry_are_replaced_rather_than_breaking_the_file(model, schema):
    notice = dataclasses.replace(model.notices[0], description=Text("bell\x07 here", "nul\x00 here"))
    alert = etree.fromstring(cap_alert(notice, model, BASE_URL))
    assert schema.validate(alert), str(schema.error_log)
    assert texts(alert, "cap:info/cap:description") == ["bell\ufffd here", "nul\ufffd here"]


@pytest.mark.parametrize("moment, text", [
    (datetime(2026, 11, 29, 12, 0, 0, 987654, tzinfo=CST), "2026-11-29T12:00:00+08:00"),
    (datetime(2026, 11, 29, 4, 0, tzinfo=UTC), "2026-11-29T04:00:00-00:00"),
    (datetime(2026, 11, 29, 4, 0, tzinfo=timezone(-timedelta(hours=5, minutes=30))), "2026-11-29T04:00:00-05:30"),
    (datetime(2026, 11, 29, 4, 0, tzinfo=timezone(timedelta(hours=8, minutes=5, seconds=43))),
     "2026-11-28T19:54:17-00:00"),
])
def test_times_have_whole_seconds_and_a_numeric_offset_with_utc_as_minus_zero(moment, text):
    assert cap_time(moment) == text


def test_a_time_without_offset_is_refused():
    with pytest.raises(ValueError):
        cap_time(datetime(2026, 11, 29, 12, 0))


def test_identifiers_are_stable_and_free_of_characters_cap_forbids(model, alerts):
    identifiers = [only(alerts[n.id], "cap:identifier") for n in model.notices]
    assert len(set(identifiers)) == len(identifiers)
    assert all(not re.search(r"[\s,<&]", value) for value in identifiers)
    assert identifier("emeishan-snow-2026-12") == "bashu-travel-open-data:emeishan-snow-2026-12"
    for bad in ("two words", "a,b", "a<b", "a&b", ""):
        with pytest.raises(ValueError):
            identifier(bad)


def test_a_notice_without_spots_still_has_an_area_with_geocodes(model, schema):
    notice: Notice = dataclasses.replace(model.notices[0], spot_ids=())
    alert = etree.fromstring(cap_alert(notice, model, BASE_URL))
    assert schema.validate(alert), str(schema.error_log)
    assert texts(alert, "cap:info/cap:area/cap:circle") == []
    assert texts(alert, "cap:info/cap:area/cap:geocode/cap:value") == list(notice.admin_codes) * 2


def test_a_relative_base_url_is_refused(model):
    with pytest.raises(ValueError):
        cap_alert(model.notices[0], model, "/hub/")
