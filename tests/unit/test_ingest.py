"""Partners' counts: a payload is accepted whole or rejected whole, and merging is safe to repeat."""
from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from frictionless import Resource, Schema

from tourhub.check.descriptor import load_package
from tourhub.partners import ingest
from tourhub.partners.ingest import FIELDS, merge_observations, parse_observations

ROOT = Path(__file__).parents[2]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CHINA = timezone(timedelta(hours=8))
HEADER = "spot_id,observed_at,window,count,method,source\n"
ROW = "jiuzhaigou,2026-11-15T09:00:00+08:00,instant,1200,gate-count,feed-a\n"


@pytest.fixture(scope="module")
def schema() -> dict:
    package, problems = load_package(ROOT / "datasets")
    assert package is not None, problems
    return package.resource("visitor_observations").schema


def parse(body: bytes | str, schema: dict, fmt: str = "csv", **options) -> ingest.Payload:
    if isinstance(body, str):
        body = body.encode("utf-8")
    settings = dict(schema=schema, areas_with_capacity={"jiuzhaigou", "emeishan"},
                    known_areas={"jiuzhaigou", "emeishan", "no-capacity-park"},
                    source_id="feed-a", now=NOW)
    return parse_observations(body, fmt, **(settings | options))


def codes(payload: ingest.Payload) -> list[tuple[str, int | None, str | None]]:
    return [(p.code, p.row, p.field) for p in payload.problems]


def row(spot: str = "jiuzhaigou", at: datetime | None = None, window: str = "instant",
        count: int = 100, method: str = "gate-count", source: str = "feed-a") -> dict:
    return {"spot_id": spot, "observed_at": at or datetime(2026, 11, 15, 9, tzinfo=CHINA),
            "window": window, "count": count, "method": method, "source": source}


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


# Parsing -------------------------------------------------------------------------------------


def test_the_module_writes_the_columns_of_the_schema_in_its_order(schema):
    assert list(FIELDS) == [f["name"] for f in schema["fields"]]


def test_a_valid_csv_payload_is_accepted_with_typed_rows(schema):
    payload = parse(HEADER + ROW + "emeishan,2026-11-15T01:05:00Z,daily,30,ticketing,feed-a\n", schema)
    assert payload.accepted and codes(payload) == []
    first, second = payload.rows
    assert first == {"spot_id": "jiuzhaigou", "observed_at": datetime(2026, 11, 15, 9, tzinfo=CHINA),
                     "window": "instant", "count": 1200, "method": "gate-count", "source": "feed-a"}
    assert second["observed_at"] == datetime(2026, 11, 15, 1, 5, tzinfo=UTC)
    assert second["count"] == 30


def test_a_valid_json_payload_is_accepted_as_a_list_or_wrapped(schema):
    record = {"spot_id": "emeishan", "observed_at": "2026-11-15T09:00:00+08:00", "window": "daily",
              "count": 5000, "method": "ticketing", "source": "feed-a"}
    for document in ([record], {"observations": [record]}):
        payload = parse(json.dumps(document), schema, "json")
        assert payload.accepted, codes(payload)
        assert payload.rows[0]["count"] == 5000
        assert payload.rows[0]["observed_at"] == datetime(2026, 11, 15, 1, tzinfo=UTC)


def test_columns_may_come_in_any_order(schema):
    payload = parse("count,spot_id,window,observed_at,method\n7,emeishan,instant,2026-11-15T09:00:00+08:00,camera\n",
                    schema)
    assert payload.accepted
    assert payload.rows[0]["count"] == 7 and payload.rows[0]["spot_id"] == "emeishan"


def test_a_byte_order_mark_is_accepted_and_removed(schema):
    payload = parse(b"\xef\xbb\xbf" + (HEADER + ROW).encode(), schema)
    assert payload.accepted and payload.rows[0]["spot_id"] == "jiuzhaigou"


def test_invalid_utf8_is_rejected_with_the_byte_offset(schema):
    body = (HEADER + "jiuzhaigou,2026-11-15T09:00:00+08:00,instant,1,camera,").encode() + b"\xff\xfe\n"
    payload = parse(body, schema)
    assert not payload.accepted and payload.rows == ()
    assert codes(payload) == [("encoding", None, None)]
    assert str(body.index(b"\xff")) in payload.problems[0].message_en


def test_a_gbk_payload_is_not_guessed_but_rejected(schema):
    body = (HEADER + "jiuzhaigou,2026-11-15T09:00:00+08:00,instant,1,camera,九寨沟\n").encode("gbk")
    assert codes(parse(body, schema)) == [("encoding", None, None)]


def test_an_extra_column_is_rejected_by_name(schema):
    payload = parse(HEADER.strip() + ",weather\n" + ROW.strip() + ",sunny\n", schema)
    assert codes(payload) == [("columns-extra", None, "weather")]
    assert "weather" in payload.problems[0].message_en and "weather" in payload.problems[0].message_zh


def test_a_missing_column_is_rejected_by_name(schema):
    payload = parse("spot_id,observed_at,window,method,source\njiuzhaigou,2026-11-15T09:00:00+08:00,instant,camera,x\n",
                    schema)
    assert codes(payload) == [("columns-missing", None, "count")]
    assert "count" in payload.problems[0].message_en


def test_a_repeated_column_is_an_extra_column(schema):
    payload = parse("spot_id,spot_id,observed_at,window,count,method\n", schema)
    assert codes(payload) == [("columns-extra", None, "spot_id")]


def test_json_records_follow_the_same_key_rule(schema):
    good = {"spot_id": "emeishan", "observed_at": "2026-11-15T09:00:00+08:00", "window": "daily",
            "count": 1, "method": "ticketing"}
    extra = good | {"observed_at": "2026-11-15T10:00:00+08:00", "weather": "sunny"}
    missing = {k: v for k, v in good.items() if k != "count"} | {"observed_at": "2026-11-15T11:00:00+08:00"}
    payload = parse(json.dumps([good, extra, missing]), schema, "json")
    assert codes(payload) == [("columns-extra", 2, "weather"), ("columns-missing", 3, "count")]


def test_a_missing_source_is_filled_with_the_feed_id(schema):
    payload = parse("spot_id,observed_at,window,count,method\n"
                    "jiuzhaigou,2026-11-15T09:00:00+08:00,instant,1200,gate-count\n", schema,
                    source_id="sichuan-gateway")
    assert payload.accepted and payload.rows[0]["source"] == "sichuan-gateway"


def test_a_partner_cannot_claim_another_source(schema):
    payload = parse(HEADER + ROW.replace("feed-a", "official-bureau"), schema, source_id="feed-b")
    assert payload.accepted and payload.rows[0]["source"] == "feed-b"


def test_an_unknown_area_is_rejected_once_with_its_first_row(schema):
    payload = parse(HEADER + ROW + ROW.replace("jiuzhaigou", "atlantis") +
                    ROW.replace("jiuzhaigou", "atlantis").replace("09:00", "09:05"), schema)
    assert codes(payload) == [("unknown-area", 2, "spot_id")]
    assert payload.rows == ()
    assert "2 rows" in payload.problems[0].message_en


def test_an_area_without_capacity_is_rejected(schema):
    payload = parse(HEADER + ROW.replace("jiuzhaigou", "no-capacity-park"), schema)
    assert codes(payload) == [("no-capacity", 1, "spot_id")]


def test_a_negative_count_breaks_the_schema_minimum(schema):
    payload = parse(HEADER + ROW.replace("1200", "-3"), schema)
    assert codes(payload) == [("constraint", 1, "count")]
    assert "≥ 0" in payload.problems[0].message_en


@pytest.mark.parametrize("count", ["12.5", "many", "", "1e3"])
def test_a_count_that_is_not_a_whole_number_is_a_type_problem(schema, count):
    payload = parse(HEADER + ROW.replace("1200", count), schema)
    expected = "constraint" if count == "" else "type"  # empty means missing: required
    assert codes(payload) == [(expected, 1, "count")]


def test_a_json_count_must_be_a_number_not_a_boolean(schema):
    record = {"spot_id": "emeishan", "observed_at": "2026-11-15T09:00:00+08:00", "window": "daily",
              "count": True, "method": "ticketing"}
    assert codes(parse(json.dumps([record]), schema, "json")) == [("type", 1, "count")]


def test_a_window_outside_the_enum_is_a_constraint_problem(schema):
    payload = parse(HEADER + ROW.replace("instant", "hourly"), schema)
    assert codes(payload) == [("constraint", 1, "window")]
    assert "instant, daily" in payload.problems[0].message_en


def test_a_time_without_offset_is_rejected_although_frictionless_reads_it(schema):
    payload = parse(HEADER + ROW.replace("+08:00", ""), schema)
    assert codes(payload) == [("time-offset", 1, "observed_at")]


def test_a_time_that_is_not_a_time_is_a_type_problem(schema):
    payload = parse(HEADER + ROW.replace("2026-11-15T09:00:00+08:00", "15/11/2026 9:00"), schema)
    assert codes(payload) == [("type", 1, "observed_at")]


def test_a_time_in_the_future_is_rejected_beyond_the_slack(schema):
    within = NOW + timedelta(minutes=9)
    beyond = NOW + timedelta(minutes=11)
    body = HEADER + "".join(ROW.replace("2026-11-15T09:00:00+08:00", at.isoformat()) for at in (within, beyond))
    payload = parse(body, schema)
    assert codes(payload) == [("future", 2, "observed_at")]
    assert parse(body, schema, future_slack=timedelta(minutes=15)).accepted


def test_a_key_given_twice_in_a_payload_is_a_duplicate_even_written_differently(schema):
    payload = parse(HEADER + ROW + ROW.replace("1200", "1300") +
                    ROW.replace("2026-11-15T09:00:00+08:00", "2026-11-15T01:00:00Z"), schema)
    assert codes(payload) == [("duplicate", 2, None), ("duplicate", 3, None)]
    assert "row 1" in payload.problems[0].message_en


def test_html_in_method_or_source_is_markup(schema):
    payload = parse(HEADER + ROW.replace("gate-count", "<b>gate-count</b>") +
                    ROW.replace("09:00", "09:05").replace("feed-a", "<script>alert(1)</script>"), schema)
    assert ("markup", 1, "method") in codes(payload)
    assert ("markup", 2, "source") in codes(payload)
    assert payload.rows == ()


def test_markup_hidden_by_json_escapes_is_still_found(schema):
    record = {"spot_id": "emeishan", "observed_at": "2026-11-15T09:00:00+08:00", "window": "daily",
              "count": 1, "method": "ticketing", "source": "<img src=x>"}
    body = json.dumps([record]).replace("<", "\\u003c")
    assert codes(parse(body, schema, "json")) == [("markup", 1, "source")]


def test_one_bad_row_rejects_the_whole_payload(schema):
    good = [ROW.replace("09:00", f"09:{minute:02d}") for minute in range(0, 60, 5)]
    payload = parse(HEADER + "".join(good[:6]) + ROW.replace("1200", "-1").replace("09:00", "10:00")
                    + "".join(good[6:]), schema)
    assert not payload.accepted
    assert payload.rows == ()
    assert codes(payload) == [("constraint", 7, "count")]


def test_broken_csv_and_json_are_parse_problems(schema):
    assert codes(parse(HEADER + "jiuzhaigou,2026-11-15T09:00:00+08:00\n", schema)) == [("parse", 1, None)]
    assert codes(parse(HEADER + 'jiuzhaigou,"2026"x,instant,1,camera,a\n', schema))[0][0] == "parse"
    assert codes(parse("[{", schema, "json")) == [("parse", None, None)]
    assert codes(parse('{"rows": []}', schema, "json")) == [("parse", None, None)]
    assert ("parse", 1, "spot_id") in codes(parse('[{"spot_id": "a", "spot_id": "b"}]', schema, "json"))
    assert codes(parse(b"", schema)) == [("parse", None, None)]


# Merging -------------------------------------------------------------------------------------


def test_merge_puts_rows_in_the_month_of_china_time(tmp_path):
    # 2026-11-30T16:30Z is already 2026-12-01 00:30 in China.
    late_november = row(at=datetime(2026, 11, 30, 15, 55, tzinfo=UTC))
    early_december = row(at=datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    result = merge_observations(tmp_path, [early_december, late_november])
    assert (result.added, result.unchanged, result.conflicts) == (2, 0, ())
    assert result.files == ("2026-11.csv", "2026-12.csv")
    november, december = read_csv(tmp_path / "2026-11.csv"), read_csv(tmp_path / "2026-12.csv")
    assert november == [list(FIELDS), ["jiuzhaigou", "2026-11-30T23:55:00+08:00", "instant", "100",
                                       "gate-count", "feed-a"]]
    assert december[1][1] == "2026-12-01T00:30:00+08:00"


def test_merge_sorts_rows_by_time_area_and_window(tmp_path):
    at = datetime(2026, 11, 15, 9, tzinfo=CHINA)
    merge_observations(tmp_path, [row("jiuzhaigou", at + timedelta(minutes=5)), row("jiuzhaigou", at, "instant"),
                                  row("emeishan", at, "instant"), row("emeishan", at, "daily")])
    keys = [(r[1][11:16], r[0], r[2]) for r in read_csv(tmp_path / "2026-11.csv")[1:]]
    assert keys == [("09:00", "emeishan", "daily"), ("09:00", "emeishan", "instant"),
                    ("09:00", "jiuzhaigou", "instant"), ("09:05", "jiuzhaigou", "instant")]


def test_merging_the_same_rows_twice_adds_nothing_and_writes_nothing(tmp_path):
    rows = [row(at=datetime(2026, 11, 15, 9, minute, tzinfo=CHINA)) for minute in range(0, 60, 5)]
    merge_observations(tmp_path, rows)
    before = (tmp_path / "2026-11.csv").read_bytes(), (tmp_path / "2026-11.csv").stat().st_mtime_ns
    again = merge_observations(tmp_path, rows)
    assert (again.added, again.unchanged, again.conflicts, again.files) == (0, 12, (), ())
    assert ((tmp_path / "2026-11.csv").read_bytes(), (tmp_path / "2026-11.csv").stat().st_mtime_ns) == before


def test_later_rows_are_appended_after_the_existing_bytes(tmp_path):
    merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 9, tzinfo=CHINA))])
    before = (tmp_path / "2026-11.csv").read_bytes()
    result = merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 9, 5, tzinfo=CHINA))])
    assert result.added == 1
    after = (tmp_path / "2026-11.csv").read_bytes()
    assert after.startswith(before) and after.count(b"\n") == 3


def test_earlier_rows_are_merged_into_place(tmp_path):
    merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 9, minute, tzinfo=CHINA)) for minute in (0, 10)])
    merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 9, 5, tzinfo=CHINA), count=7)])
    rows = read_csv(tmp_path / "2026-11.csv")[1:]
    assert [(r[1][14:16], r[3]) for r in rows] == [("00", "100"), ("05", "7"), ("10", "100")]


def test_a_conflicting_value_is_reported_and_the_existing_one_kept(tmp_path):
    at = datetime(2026, 11, 15, 9, tzinfo=CHINA)
    merge_observations(tmp_path, [row(at=at, count=100)])
    result = merge_observations(tmp_path, [row(at=at, count=999, method="estimate")])
    assert (result.added, result.unchanged, result.files) == (0, 0, ())
    (conflict,) = result.conflicts
    assert conflict.key == ("jiuzhaigou", "2026-11-15T09:00:00+08:00", "instant")
    assert conflict.existing == {"count": 100, "method": "gate-count", "source": "feed-a"}
    assert conflict.incoming == {"count": 999, "method": "estimate", "source": "feed-a"}
    assert read_csv(tmp_path / "2026-11.csv")[1][3:5] == ["100", "gate-count"]


def test_the_same_instant_written_with_z_or_plus_eight_is_the_same_key(tmp_path):
    (tmp_path / "2026-11.csv").write_text(HEADER + "jiuzhaigou,2026-11-15T01:00:00Z,instant,100,gate-count,feed-a\n",
                                          encoding="utf-8")
    result = merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 9, tzinfo=CHINA))])
    assert (result.added, result.unchanged) == (0, 1)
    result = merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 1, tzinfo=UTC), count=5)])
    assert len(result.conflicts) == 1 and result.added == 0


def test_existing_rows_survive_a_rewrite_with_normalised_times_and_columns(tmp_path):
    (tmp_path / "2026-11.csv").write_text(
        "source,spot_id,observed_at,window,count,method\n"
        "bureau,emeishan,2026-11-15T02:00:00Z,daily,50,ticketing\n"
        "bureau,emeishan,2026-11-15T09:00:00+08:00,instant,20,camera\n", encoding="utf-8")
    merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 9, tzinfo=CHINA))])
    assert read_csv(tmp_path / "2026-11.csv") == [
        list(FIELDS),
        ["emeishan", "2026-11-15T09:00:00+08:00", "instant", "20", "camera", "bureau"],
        ["jiuzhaigou", "2026-11-15T09:00:00+08:00", "instant", "100", "gate-count", "feed-a"],
        ["emeishan", "2026-11-15T10:00:00+08:00", "daily", "50", "ticketing", "bureau"],
    ]


def test_a_failed_write_leaves_the_old_partition_and_no_temp_file(tmp_path, monkeypatch):
    merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 9, tzinfo=CHINA))])
    before = (tmp_path / "2026-11.csv").read_bytes()

    def disk_full(handle, rows, header):
        handle.write(b"jiuzhaigou,2026-11-15T09:05")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ingest, "_write_rows", disk_full)
    with pytest.raises(OSError):
        merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 8, tzinfo=CHINA)),
                                      row(at=datetime(2026, 11, 15, 9, 5, tzinfo=CHINA))])
    assert (tmp_path / "2026-11.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-11.csv"]


def test_a_failed_fsync_leaves_the_old_partition(tmp_path, monkeypatch):
    merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 9, tzinfo=CHINA))])
    before = (tmp_path / "2026-11.csv").read_bytes()

    def failing_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 9, 5, tzinfo=CHINA))])
    monkeypatch.undo()
    assert (tmp_path / "2026-11.csv").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["2026-11.csv"]


def test_a_partition_with_foreign_columns_is_refused_not_rewritten(tmp_path):
    (tmp_path / "2026-11.csv").write_text("spot_id,observed_at,count\n", encoding="utf-8")
    with pytest.raises(ValueError, match="columns"):
        merge_observations(tmp_path, [row()])
    assert (tmp_path / "2026-11.csv").read_text(encoding="utf-8") == "spot_id,observed_at,count\n"


def test_merge_refuses_a_time_without_offset(tmp_path):
    with pytest.raises(ValueError, match="offset"):
        merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 9))])


def test_a_merged_partition_revalidates_with_frictionless(tmp_path, schema):
    body = HEADER + "".join(
        f"{spot},2026-11-{day:02d}T{hour:02d}:00:00+08:00,{window},{day * hour},camera,x\n"
        for spot in ("jiuzhaigou", "emeishan") for day in (1, 30) for hour in (0, 23) for window in ("instant",
                                                                                                     "daily"))
    payload = parse(body, schema, now=datetime(2026, 12, 1, tzinfo=UTC))
    assert payload.accepted, codes(payload)
    merge_observations(tmp_path, payload.rows)
    merge_observations(tmp_path, [row(at=datetime(2026, 11, 30, 16, 0, tzinfo=UTC))])  # December
    descriptor = {k: v for k, v in schema.items() if k != "foreignKeys"}
    for path in sorted(tmp_path.glob("*.csv")):
        report = Resource(path=path.name, basepath=str(tmp_path), schema=Schema.from_descriptor(descriptor),
                          format="csv", encoding="utf-8").validate()
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert len(read_csv(tmp_path / "2026-11.csv")) == 1 + len(payload.rows)


def test_an_editors_partition_reads_as_sorted_and_canonical(tmp_path):
    source = ROOT / "tests" / "fixtures" / "good" / "observations" / "2026-11.csv"
    target = tmp_path / "2026-11.csv"
    target.write_bytes(source.read_bytes())
    first = read_csv(source)[1]
    existing = row(first[0], datetime.fromisoformat(first[1]), first[2], int(first[3]), first[4], first[5])
    result = merge_observations(tmp_path, [existing])
    assert (result.added, result.unchanged, result.files) == (0, 1, ())
    assert target.read_bytes() == source.read_bytes()


def test_text_that_needs_quoting_survives_a_rewrite(tmp_path):
    awkward = ['bureau, "north"', "line\nbreak", "carriage\rreturn"]
    merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 9, minute, tzinfo=CHINA), source=source)
                                  for minute, source in zip((10, 20, 30), awkward)])
    merge_observations(tmp_path, [row(at=datetime(2026, 11, 15, 9, 0, tzinfo=CHINA), source="plain")])
    assert [r[5] for r in read_csv(tmp_path / "2026-11.csv")[1:]] == ["plain", *awkward]
