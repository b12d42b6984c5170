#!/usr/bin/env python3
"""Lighthouse (mobile) on the demo site: the four category scores of the home page, a route page
and a notice page, as a visitor's phone would see them.

    python bench/bench_lighthouse.py [--runs 3] [--no-gzip] [--keep DIR]

Builds the demo (the invented overlay and counts laid over the shipped data, as `make demo` shows
it: a banner, crowd levels, active notices) into a temp folder, serves it on 127.0.0.1 and runs
the Lighthouse CLI (npm `lighthouse`, pinned in package-lock.json; `make bench` installs it) in
Debian's Chromium. The notice page is /notices/<id>/ of the first active notice where the build
has pages per notice, else the notices list. Scores are medians over the runs (Lighthouse's
simulated throttling varies from run to run). The server gzips text like any real static host
(GitHub Pages, nginx, an object store behind a CDN); --no-gzip serves the bytes as they are.
Budget (issue 14): 100 in every category on all three pages.
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tourhub import pipeline  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
COMPRESSIBLE = (".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".webmanifest")
CHINA = timezone(timedelta(hours=8))


class _StaticHost(SimpleHTTPRequestHandler):
    """A plain static host, quiet, gzipping text when the browser accepts it (as hosts do)."""

    gzip_text = True
    folder = "."

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=type(self).folder, **kwargs)

    def log_message(self, *args) -> None:
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()       # the redirect to the folder's URL
            path = path / "index.html"
        if not (self.gzip_text and "gzip" in self.headers.get("Accept-Encoding", "")
                and path.suffix in COMPRESSIBLE and path.is_file()):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def bind(gzip_text: bool) -> tuple[ThreadingHTTPServer, type[_StaticHost], str]:
    """A server bound (not yet serving) before the build, so that the site is built for its
    address, as the publishing workflow builds for its host ($HUB_SITE_URL)."""
    handler = type("Host", (_StaticHost,), {"gzip_text": gzip_text, "folder": "."})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    return server, handler, f"http://127.0.0.1:{server.server_address[1]}/"


def build_demo(scratch: Path, now: datetime) -> tuple[Path, object]:
    """The demo site as the browser tests see it (tests/conftest.py build_demo)."""
    spec = importlib.util.spec_from_file_location("demo", ROOT / "tools" / "demo.py")
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    project = demo.demo_project(scratch / "project", None, now)
    demo.write_demo_counts(project, now)
    result = pipeline.build(project, now=now, demo=True, site=project / "site")
    if not result.ok:
        raise SystemExit(result.error or "\n".join(p.to_text() for p in result.problems))
    return project / "site", result.model


def pages_to_measure(site: Path, model) -> dict[str, str]:
    route = sorted(r.id for r in model.routes)[0]
    active = [n.id for n in model.notices if model.notice_state(n) == "active"]
    notice = next((f"notices/{i}/" for i in active if (site / "notices" / i / "index.html").is_file()), "notices/")
    return {"home": "", "route": f"routes/{route}/", "notice": notice}


def lighthouse(url: str) -> dict[str, int]:
    """One Lighthouse run (mobile, its default), the four category scores out of 100."""
    if not LIGHTHOUSE.is_file():
        raise SystemExit(f"{LIGHTHOUSE} is missing: run `make bench` (it runs npm ci)")
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as profile:
        done = subprocess.run(
            [str(LIGHTHOUSE), url, "--quiet", "--output=json", "--output-path=stdout",
             f"--only-categories={','.join(CATEGORIES)}", "--form-factor=mobile",
             "--chrome-flags=" + " ".join(CHROME_FLAGS + [f"--user-data-dir={profile}"])],
            capture_output=True, text=True, timeout=300,
            env=os.environ | {"CHROME_PATH": CHROMIUM, "TMPDIR": profile})
    if done.returncode != 0:
        raise SystemExit(f"lighthouse failed ({done.returncode}) on {url}:\n{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    if report.get("runtimeError"):
        raise SystemExit(f"lighthouse: {report['runtimeError']}")
    scores = {key: round(100 * (report["categories"][key]["score"] or 0)) for key in CATEGORIES}
    if os.environ.get("BENCH_TRACE"):
        for audit_id in ("errors-in-console", "inspector-issues"):
            for item in (report["audits"][audit_id].get("details") or {}).get("items", [])[:8]:
                print("   ", audit_id, json.dumps(item, ensure_ascii=False)[:300], file=sys.stderr)
    scores["failing"] = sorted(  # type: ignore[assignment]
        audit_id for key in CATEGORIES for ref in report["categories"][key]["auditRefs"]
        if ref["weight"] and (audit := report["audits"][ref["id"]])["score"] is not None
        and audit["score"] < 0.9 and (audit_id := f"{key}:{ref['id']}"))
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-gzip", action="store_true", help="serve files uncompressed")
    parser.add_argument("--keep", type=Path, help="build into this folder and keep it")
    args = parser.parse_args()
    now = datetime.now(CHINA).replace(minute=0, second=0, microsecond=0)
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="bench-lighthouse-"))
    server, handler, base = bind(not args.no_gzip)
    os.environ["HUB_SITE_URL"] = base
    try:
        site, model = build_demo(scratch, now)
        handler.folder = str(site)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        print(f"Lighthouse mobile, demo site, {'plain' if args.no_gzip else 'gzip'} static host, "
              f"median of {args.runs} run(s)")
        worst = 100
        for name, path in pages_to_measure(site, model).items():
            runs = [lighthouse(base + path) for _ in range(args.runs)]
            median = {key: int(statistics.median(r[key] for r in runs)) for key in CATEGORIES}
            failing = sorted({a for r in runs for a in r["failing"]})   # type: ignore[attr-defined]
            worst = min(worst, *median.values())
            print(f"  {name:7s} /{path:40s} " + "  ".join(f"{k} {v:3d}" for k, v in median.items())
                  + (f"\n          below 0.9 in some run: {', '.join(failing)}" if failing else ""))
        print(f"  budget 100 in every category: {'met' if worst == 100 else 'NOT met'}")
    finally:
        server.shutdown()
        server.server_close()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
