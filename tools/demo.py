#!/usr/bin/env python3
"""`make demo`: the whole partner-feed flow on one machine, in one command.

1. Starts two demo partners on 127.0.0.1: 成都 (CSV, open) and 重庆 (JSON, bearer token), each
   serving invented hourly counts (method `illustrative`) for today up to now; 重庆 pushes 大足石刻
   into red (97 %).
2. Copies the project into build/demo/ (the shipped data is never touched), with the demo
   overlay (demo/: invented notices and capacities) moved to today's dates, lists the two
   partners in build/demo/demo/sources.yaml, and runs `fetch` there: counts are validated and
   merged into the overlay, never into datasets/.
3. Builds the demo site (every page says it is a demo; the red area raises a crowd warning:
   banner, notices page, CAP feed, all marked 示例 / DEMO) and serves it at
   http://127.0.0.1:8000/ until Ctrl-C.

    python tools/demo.py [--port 8000] [--no-serve]
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import functools
import io
import json
import os
import re
import shutil
import sys
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tourhub import pipeline  # noqa: E402
from tourhub.core.dates import CHINA as CST
from tourhub.partners.fetch import fetch_all  # noqa: E402

TOKEN_ENV, TOKEN = "DEMO_CHONGQING_TOKEN", "demo-token-not-a-secret"
# area id -> (daily capacity, share of it reached by the latest hour): the published capacity in
# datasets/capacities where there is one, else the invented one in demo/capacities.
CHENGDU = {"dujiangyan": (60000, 0.62), "qingchengshan": (32000, 0.48), "anren-ancient-town": (30000, 0.35)}
CHONGQING = {"dazu-rock-carvings": (35000, 0.97), "wulong-karst": (40000, 0.71), "jinfoshan": (30000, 0.83)}
DEMO_NOTICE_ANCHOR = "jinfoshan-road-ice-2026-11"   # moved so that it was sent two days before the demo runs
TIME_KEYS = re.compile(r"^(sent|effective|expires): ([0-9T:+\-]+)$", re.M)


def hourly_counts(areas: dict, now: datetime) -> list[dict]:
    """Cumulative visitors today, every hour from 08:00 (China time; before then, from midnight)
    up to now: never a row of yesterday (a new day's count starts afresh, and its month may be
    another file) and never one after now."""
    now = now.astimezone(CST).replace(minute=0, second=0, microsecond=0)
    start = now.replace(hour=8) if now.hour >= 8 else now.replace(hour=0)
    hours = int((now - start) / timedelta(hours=1))
    rows = []
    for step in range(hours + 1):
        at = start + timedelta(hours=step)
        for area, (capacity, share) in areas.items():
            rows.append({"spot_id": area, "observed_at": at.isoformat(), "window": "daily",
                         "count": int(capacity * share * (step + 1) / (hours + 1)), "method": "illustrative"})
    return rows


class Partners(BaseHTTPRequestHandler):
    """/chengdu/counts.csv (open) and /chongqing/counts.json (needs the bearer token)."""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        now = datetime.now(UTC)
        if self.path == "/chengdu/counts.csv":
            out = io.StringIO()
            writer = csv.DictWriter(out, ["spot_id", "observed_at", "window", "count", "method"], lineterminator="\n")
            writer.writeheader()
            writer.writerows(hourly_counts(CHENGDU, now))
            self._send(200, "text/csv; charset=utf-8", out.getvalue().encode())
        elif self.path == "/chongqing/counts.json":
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, "application/json", b'{"error": "token required"}')
                return
            body = json.dumps({"observations": hourly_counts(CHONGQING, now)}, ensure_ascii=False).encode()
            self._send(200, "application/json", body)
        else:
            self._send(404, "text/plain", b"not found")

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def start(server: ThreadingHTTPServer) -> str:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def shift_notices(folder: Path, now: datetime) -> None:
    """Move the demo notices' times by whole days, so that the demo always shows one active,
    one upcoming and the rest in the archive, whatever day it runs."""
    anchor = TIME_KEYS.search((folder / f"{DEMO_NOTICE_ANCHOR}.yaml").read_text("utf-8"))
    sent = datetime.fromisoformat(anchor.group(2))
    days = (now.astimezone(CST).date() - sent.astimezone(CST).date()).days - 2
    for path in folder.glob("*.yaml"):
        def moved(match: re.Match) -> str:
            return f"{match.group(1)}: {(datetime.fromisoformat(match.group(2)) + timedelta(days=days)).isoformat()}"
        text = TIME_KEYS.sub(moved, path.read_text("utf-8"))
        path.write_text(text, "utf-8")


def write_demo_counts(project: Path, now: datetime) -> Path:
    """The counts both demo partners would serve at `now`, written straight into the demo
    overlay (for tests and offline previews: no HTTP, the same invented rows)."""
    rows = hourly_counts(CHENGDU, now) + hourly_counts(CHONGQING, now)
    month = rows[0]["observed_at"][:7]
    folder = project / "demo" / "observations"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{month}.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, ["spot_id", "observed_at", "window", "count", "method", "source"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(sorted((row | {"source": "demo-offline"} for row in rows),
                                key=lambda r: (r["spot_id"], r["observed_at"])))
    return path


def demo_project(target: Path, partners_url: str | None, now: datetime) -> Path:
    """A copy of the project with the demo overlay moved to `now`'s dates; with a partners URL,
    the demo partners listed in demo/sources.yaml, without one, no feeds."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", target / "mkdocs.yml")
    shutil.copytree(ROOT / "site_src", target / "site_src")
    shutil.copytree(ROOT / "datasets", target / "datasets",
                    ignore=shutil.ignore_patterns("fetch-state.json"))
    shutil.copytree(ROOT / "demo", target / "demo", ignore=shutil.ignore_patterns("fetch-state.json", "observations"))
    shift_notices(target / "demo" / "notices", now)
    if partners_url is None:
        return target
    (target / "demo" / "sources.yaml").write_text(f"""# Demo partners (tools/demo.py), on this machine only.
- id: demo-chengdu
  name_zh: 成都景区闸机（演示，虚构数据）
  name_en: Chengdu gate counts (demo)
  url: {partners_url}/chengdu/counts.csv
  resource: visitor_observations
  format: csv
  timeout_s: 5
  max_bytes: 1048576
  expected_every: PT1H
  maintainer: 演示 / demo
  allow_private_network: true
- id: demo-chongqing
  name_zh: 重庆智慧旅游平台（演示，虚构数据）
  name_en: Chongqing smart-tourism platform (demo)
  url: {partners_url}/chongqing/counts.json
  resource: visitor_observations
  format: json
  token_env: {TOKEN_ENV}
  timeout_s: 5
  max_bytes: 1048576
  expected_every: PT1H
  maintainer: 演示 / demo
  allow_private_network: true
""", encoding="utf-8")
    return target


def run(port: int, serve: bool, target: Path = ROOT / "build" / "demo") -> int:
    partners = ThreadingHTTPServer(("127.0.0.1", 0), Partners)
    url = start(partners)
    print(f"demo partners: {url}/chengdu/counts.csv, {url}/chongqing/counts.json", file=sys.stderr)
    now = datetime.now(UTC)
    project = demo_project(target, url, now)
    outcomes, stopped = fetch_all(project, now, env={**os.environ, TOKEN_ENV: TOKEN},
                                  overlay=project / pipeline.DEMO_DIR)
    for problem in stopped + [p for o in outcomes for p in o.problems]:
        print(problem.to_text(), file=sys.stderr)
    for o in outcomes:
        print(f"fetch {o.source_id}: {o.status}, {o.added} rows added", file=sys.stderr)
    result = pipeline.build(project, now=now, demo=True, site=project / "site")
    partners.shutdown()
    if not result.ok or stopped or not all(o.ok for o in outcomes):
        print(result.error or "demo failed", file=sys.stderr)
        return 1
    warnings = [n for n in result.model.notices
                if n.id.startswith("crowd-") and result.model.notice_state(n) == "active"]
    for notice in warnings:
        print(f"crowd warning: {notice.severity} · {notice.headline.zh}", file=sys.stderr)
    print(f"site: {project / 'site'}", file=sys.stderr)
    if serve:
        handler = functools.partial(SimpleHTTPRequestHandler, directory=str(project / "site"))
        with ThreadingHTTPServer(("127.0.0.1", port), handler) as site:
            print(f"serving http://127.0.0.1:{port}/ (Ctrl-C to stop)", file=sys.stderr)
            with contextlib.suppress(KeyboardInterrupt):
                site.serve_forever()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--no-serve", action="store_true", help="fetch and build, then stop")
    args = parser.parse_args()
    return run(args.port, not args.no_serve)


if __name__ == "__main__":
    sys.exit(main())
