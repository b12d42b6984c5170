"""`fetch` against real partner servers on 127.0.0.1: every good row kept, every bad payload
refused whole, one failing partner never costs another's data, and the demo runs end to end."""
from __future__ import annotations

import csv
import json
import threading
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_project
from tourhub import pipeline
from tourhub.model.build import build_model
from tourhub.partners.fetch import fetch_all

CST = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)   # the fixture project's build time
GOOD = ("spot_id,observed_at,window,count,method\n"
        "huayingshan,2026-11-20T15:00:00+08:00,daily,1200,gate-count\n"
        "huayingshan,2026-11-20T16:00:00+08:00,daily,1500,gate-count\n")


class Partner(BaseHTTPRequestHandler):
    """Serves whatever the test put in `routes`: path -> (status, content type, body, headers)."""

    routes: dict = {}
    seen: list = []

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append((self.path, dict(self.headers)))
        status, content_type, body, headers = self.routes.get(self.path, (404, "text/plain", b"no", {}))
        if headers.get("ETag") and self.headers.get("If-None-Match") == headers["ETag"]:
            status, body = 304, b""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def partner():
    Partner.routes, Partner.seen = {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Partner)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", Partner
    server.shutdown()
    server.server_close()


def source(sid: str, url: str, fmt: str = "csv", token_env: str | None = None) -> str:
    token = f"  token_env: {token_env}\n" if token_env else ""
    return (f"- id: {sid}\n  name_zh: 测试\n  name_en: Test\n  url: {url}\n  resource: visitor_observations\n"
            f"  format: {fmt}\n{token}  timeout_s: 2\n  max_bytes: 100000\n  expected_every: PT1H\n"
            "  maintainer: 测试\n  allow_private_network: true\n")     # the partners run on 127.0.0.1


def project_with(tmp_path: Path, *sources: str) -> Path:
    project = make_project(tmp_path / "project")
    (project / "datasets" / "sources.yaml").write_text("".join(sources), encoding="utf-8")
    return project


def stored_rows(project: Path) -> list[dict]:
    rows = []
    for file in sorted((project / "datasets" / "observations").glob("*.csv")):
        rows += list(csv.DictReader(file.open(encoding="utf-8")))
    return rows


def test_a_good_feed_is_merged_and_recorded_and_the_build_shows_it(partner, tmp_path):
    url, server = partner
    server.routes["/counts.csv"] = (200, "text/csv", GOOD.encode(), {"ETag": '"v1"'})
    project = project_with(tmp_path, source("city", f"{url}/counts.csv"))
    before = len(stored_rows(project))
    outcomes, stopped = fetch_all(project, NOW, env={})
    assert stopped == [] and [(o.status, o.added) for o in outcomes] == [("fetched", 2)]
    assert len(stored_rows(project)) == before + 2
    state = json.loads((project / "datasets" / "fetch-state.json").read_text("utf-8"))
    assert state["city"]["etag"] == '"v1"' and state["city"]["areas"] == ["huayingshan"]
    assert pipeline.check(project, NOW).problems == []


def test_fetching_again_is_idempotent_and_uses_the_etag(partner, tmp_path):
    url, server = partner
    server.routes["/counts.csv"] = (200, "text/csv", GOOD.encode(), {"ETag": '"v1"'})
    project = project_with(tmp_path, source("city", f"{url}/counts.csv"))
    fetch_all(project, NOW, env={})
    rows = stored_rows(project)
    outcomes, _ = fetch_all(project, NOW, env={})
    assert outcomes[0].status == "not-modified" and server.seen[-1][1].get("If-None-Match") == '"v1"'
    server.routes["/counts.csv"] = (200, "text/csv", GOOD.encode(), {})        # no ETag: full body again
    outcomes, _ = fetch_all(project, NOW, env={})
    assert (outcomes[0].added, outcomes[0].unchanged) == (0, 2) and stored_rows(project) == rows


def test_a_changed_value_is_a_reported_conflict_and_the_stored_one_stays(partner, tmp_path):
    url, server = partner
    server.routes["/counts.csv"] = (200, "text/csv", GOOD.encode(), {})
    project = project_with(tmp_path, source("city", f"{url}/counts.csv"))
    fetch_all(project, NOW, env={})
    server.routes["/counts.csv"] = (200, "text/csv", GOOD.replace(",1500,", ",9999,").encode(), {})
    outcomes, _ = fetch_all(project, NOW, env={})
    assert not outcomes[0].ok and [p.code for p in outcomes[0].problems] == ["merge-conflict"]
    assert [r["count"] for r in stored_rows(project) if r["observed_at"].startswith("2026-11-20T16")] == ["1500"]


@pytest.mark.parametrize("body, code", [
    (GOOD.replace("huayingshan,2026-11-20T16", "nowhere,2026-11-20T16"), "payload-unknown-area"),
    (GOOD.replace(",1500,", ",-5,"), "payload-constraint"),
    (GOOD.replace("2026-11-20T16:00:00+08:00", "2026-11-20T16:00:00"), "payload-time-offset"),
    (GOOD.replace("2026-11-20T16:00:00+08:00", "2026-12-24T16:00:00+08:00"), "payload-future"),
    (GOOD + GOOD.splitlines()[1] + "\n", "payload-duplicate"),
])
def test_a_payload_with_one_bad_row_is_refused_whole(partner, tmp_path, body, code):
    url, server = partner
    server.routes["/counts.csv"] = (200, "text/csv", body.encode(), {})
    project = project_with(tmp_path, source("city", f"{url}/counts.csv"))
    before = stored_rows(project)
    outcomes, _ = fetch_all(project, NOW, env={})
    assert outcomes[0].status == "rejected" and code in {p.code for p in outcomes[0].problems}
    assert stored_rows(project) == before


def test_one_failing_partner_never_costs_the_others_their_rows(partner, tmp_path):
    url, server = partner
    server.routes["/good.csv"] = (200, "text/csv", GOOD.encode(), {})
    server.routes["/down.csv"] = (503, "text/plain", b"busy", {"Retry-After": "0"})
    server.routes["/page.csv"] = (200, "text/html", b"<!doctype html><p>error</p>", {})
    project = project_with(tmp_path, source("down", f"{url}/down.csv"), source("good", f"{url}/good.csv"),
                           source("page", f"{url}/page.csv"), source("locked", f"{url}/good.csv",
                                                                     token_env="NO_SUCH_TOKEN"))
    outcomes, _ = fetch_all(project, NOW, env={}, sleep=lambda seconds: None)
    by_id = {o.source_id: o for o in outcomes}
    assert by_id["good"].added == 2 and by_id["good"].ok
    assert by_id["down"].problems[0].code == "fetch-http-status-retry" and not by_id["down"].ok
    assert by_id["page"].problems[0].code in ("fetch-html-page", "fetch-content-type")
    assert by_id["locked"].problems[0].code == "fetch-token-missing"
    assert sum(1 for path, _ in Partner.seen if path == "/good.csv") == 1     # no request without the token
    state = json.loads((project / "datasets" / "fetch-state.json").read_text("utf-8"))
    assert state["down"]["last_error"]["code"] == "fetch-http-status-retry" and state["good"]["last_error"] is None


def test_a_token_is_sent_as_bearer_to_its_own_host(partner, tmp_path):
    url, server = partner
    server.routes["/counts.json"] = (200, "application/json", json.dumps([
        {"spot_id": "huayingshan", "observed_at": "2026-11-20T15:00:00+08:00", "window": "daily",
         "count": 10, "method": "ticketing"}]).encode(), {})
    project = project_with(tmp_path, source("cq", f"{url}/counts.json", "json", token_env="CQ_TOKEN"))
    outcomes, _ = fetch_all(project, NOW, env={"CQ_TOKEN": "s3cret"})
    assert outcomes[0].added == 1 and server.seen[-1][1]["Authorization"] == "Bearer s3cret"


def test_a_quiet_feed_turns_its_areas_stale(partner, tmp_path):
    url, server = partner
    recent = GOOD.replace("T16:00", "T19:30")          # half an hour before NOW (20:00 +08:00)
    server.routes["/counts.csv"] = (200, "text/csv", recent.encode(), {})
    project = project_with(tmp_path, source("city", f"{url}/counts.csv"))
    fetch_all(project, NOW, env={})
    state = json.loads((project / "datasets" / "fetch-state.json").read_text("utf-8"))
    typed = pipeline.check(project, NOW).rows
    fresh = build_model(typed, NOW, state)
    assert not fresh.occupancy_by_area["huayingshan"].stale
    later = NOW + timedelta(minutes=90)   # the reading is still young; the feed is overdue (PT1H)
    server.routes["/counts.csv"] = (500, "text/plain", b"down", {})
    fetch_all(project, later, env={}, sleep=lambda seconds: None)
    state = json.loads((project / "datasets" / "fetch-state.json").read_text("utf-8"))
    assert build_model(typed, later, state).occupancy_by_area["huayingshan"].stale


def test_the_demo_fetches_two_partners_and_raises_a_red_warning(tmp_path, monkeypatch):
    import importlib.util
    spec = importlib.util.spec_from_file_location("demo", ROOT / "tools" / "demo.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    assert demo.run(0, serve=False, target=tmp_path / "demo") == 0
    feed = (tmp_path / "demo" / "site" / "cap" / "index.atom").read_text("utf-8")
    assert "大足石刻" in feed and "红色预警" in feed and "【示例 · 虚构数据】" in feed
    crowd = json.loads((tmp_path / "demo" / "site" / "data" / "crowd" / "latest.json").read_text("utf-8"))
    assert {a["id"]: a["level"] for a in crowd["areas"]}["dazu-rock-carvings"] == "red"


def partner_notice(nid: str = "cq-feed-fog-1", **changes) -> dict:
    notice = {
        "id": nid, "status": "Actual", "msg_type": "Alert", "category": "Met",
        "event_zh": "大雾", "event_en": "Fog", "urgency": "Expected", "severity": "Moderate", "certainty": "Likely",
        "sent": "2026-11-20T08:00:00+08:00", "effective": "2026-11-20T08:00:00+08:00",
        "expires": "2026-11-21T08:00:00+08:00", "sender_zh": "重庆市气象台（测试）",
        "sender_en": "Chongqing Met (test)",
        "headline_zh": "华蓥山大雾", "headline_en": "Fog on Huaying Mountain",
        "description_zh": "能见度低于 200 米。", "description_en": "Visibility below 200 m.",
        "instruction_zh": "减速慢行。", "instruction_en": "Drive slowly.",
        "area_desc_zh": "华蓥山", "area_desc_en": "Huaying Mountain", "spots": ["huayingshan"],
        "admin_codes": ["511681"], "source": "https://example.invalid/fog", "illustrative": False}
    return notice | changes


def test_a_notice_feed_adds_validated_notices_that_the_site_shows(partner, tmp_path):
    url, server = partner
    server.routes["/notices.json"] = (200, "application/json",
                                      json.dumps({"notices": [partner_notice()]}, ensure_ascii=False).encode(), {})
    project = project_with(tmp_path, source("cq-feed", f"{url}/notices.json", "json").replace(
        "visitor_observations", "safety_notices"))
    outcomes, _ = fetch_all(project, NOW, env={})
    assert outcomes[0].ok and outcomes[0].added == 1
    validated = pipeline.check(project, NOW)
    assert validated.problems == []
    model = build_model(validated.rows, NOW)
    assert model.notice_state(model.notice_by_id["cq-feed-fog-1"]) == "active"
    outcomes, _ = fetch_all(project, NOW, env={})
    assert (outcomes[0].added, outcomes[0].unchanged) == (0, 1)


@pytest.mark.parametrize("notice, code", [
    (partner_notice(expires="2026-11-19T08:00:00+08:00"), "notice-expires-order"),
    (partner_notice("other-fog-1"), "payload-notice-id"),
    (partner_notice(spots=["nowhere"]), "ref-missing"),
    (partner_notice(headline_zh="<script>alert(1)</script>"), "value-markup"),
])
def test_a_bad_notice_is_refused_and_leaves_no_file(partner, tmp_path, notice, code):
    url, server = partner
    server.routes["/notices.json"] = (200, "application/json", json.dumps([notice], ensure_ascii=False).encode(), {})
    project = project_with(tmp_path, source("cq-feed", f"{url}/notices.json", "json").replace(
        "visitor_observations", "safety_notices"))
    before = sorted(p.name for p in (project / "datasets" / "notices").iterdir())
    outcomes, _ = fetch_all(project, NOW, env={})
    assert outcomes[0].status == "rejected" and code in {p.code for p in outcomes[0].problems}
    assert sorted(p.name for p in (project / "datasets" / "notices").iterdir()) == before


def test_the_fetch_command_exits_1_when_a_feed_fails_and_0_when_all_succeed(partner, tmp_path):
    import subprocess
    import sys
    url, server = partner
    server.routes["/counts.csv"] = (200, "text/csv", GOOD.encode(), {})
    project = project_with(tmp_path, source("city", f"{url}/counts.csv"))
    command = [sys.executable, str(ROOT / "build.py"), "--project", str(project), "fetch"]
    ok = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    refused = tmp_path / "refused.yaml"
    refused.write_text(source("gone", "http://127.0.0.1:9/counts.csv"), encoding="utf-8")
    failed = subprocess.run(command + ["--sources", str(refused)], capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1 and "fetch-connection" in failed.stdout


def test_a_feed_token_never_reaches_logs_the_data_or_the_site(partner, tmp_path):
    import os
    import subprocess
    import sys
    url, server = partner
    secret = "tok-3f9a7c1e-never-print-me"
    server.routes["/counts.csv"] = (200, "text/csv", GOOD.encode(), {})
    server.routes["/broken.csv"] = (500, "text/plain", b"down", {"Retry-After": "0"})
    project = project_with(tmp_path, source("city", f"{url}/counts.csv", token_env="CITY_TOKEN"),
                           source("down", f"{url}/broken.csv", token_env="CITY_TOKEN"))
    env = {**os.environ, "CITY_TOKEN": secret}
    fetched = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "fetch"],
                             capture_output=True, text=True, env=env, timeout=120)
    assert server.seen and all(headers.get("Authorization") == f"Bearer {secret}" for _, headers in server.seen)
    built = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "build"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert built.returncode == 0, built.stderr
    assert secret not in fetched.stdout + fetched.stderr + built.stdout + built.stderr
    for file in project.rglob("*"):
        if file.is_file():
            assert secret.encode() not in file.read_bytes(), file


def test_a_validator_that_cannot_be_sent_back_is_dropped_not_fatal(partner, tmp_path):
    url, server = partner
    server.routes["/counts.csv"] = (200, "text/csv", GOOD.encode(), {})
    project = project_with(tmp_path, source("city", f"{url}/counts.csv"))
    (project / "datasets" / "fetch-state.json").write_text(json.dumps({"city": {"etag": "bad\x01etag"}}), "utf-8")
    outcomes, _ = fetch_all(project, NOW, env={})
    assert outcomes[0].added == 2 and "If-None-Match" not in server.seen[-1][1]


def test_a_damaged_fetch_state_is_reported_and_its_areas_show_stale_not_a_crash(tmp_path):
    project = make_project(tmp_path / "project")
    (project / "datasets" / "fetch-state.json").write_text(json.dumps(
        {"city": "oops", "town": {"last_success": "yesterday"}, "ok": {"last_success": "2026-11-20T11:00:00+00:00"}}),
        "utf-8")
    result = pipeline.build(project, NOW, site=tmp_path / "site", staging=tmp_path / "staging")
    assert result.ok
    reported = sorted(p.params["reason"].split(":")[0] for p in result.problems if p.code == "fetch-state-unreadable")
    assert reported == ["city", "town"]
