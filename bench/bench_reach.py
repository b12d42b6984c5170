#!/usr/bin/env python3
"""Issue 16's figures on the region corpus: published size, Parquet against CSV, and deploys.

    python bench/bench_reach.py [--project DIR] [--days N]

Generates the region corpus (bench/synthetic_region.py: 1,200 areas, 300 routes, a year of
hourly counts; all invented, in a temp folder) unless --project names one, builds it once, and
prints:

1. the published site's size, split into the monthly counts (gzip CSV, Parquet) and the rest,
   against the 300 MB budget;
2. DuckDB answering "the busiest hour per area" over the year: from the published Parquet files
   and from the same months as CSV (the validated month files), in one process, each query run
   three times (median); the ratio is held to >= 10; and the SQL page running that query in
   headless Chromium (bench_sql.py: <= 5 s, <= 20 MB of counts fetched; issue 17);
3. deploys to a real S3-compatible server (SeaweedFS, `weed` from the test requirements, on
   127.0.0.1): the first (objects and bytes), a second with nothing changed (PUTs: must be 0),
   and one after one route file changed and the site was rebuilt (objects uploaded: <= 100).
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

MB = 1e6
BUSIEST = ("SELECT spot_id, arg_max(hour(observed_at), count) AS busiest_hour, max(count) AS visitors "
           "FROM {source} GROUP BY spot_id ORDER BY spot_id")


def build(project: Path) -> Path:
    from tourhub import pipeline
    started = time.perf_counter()
    result = pipeline.build(project, demo=True, site=project / "site")
    if not result.ok:
        raise SystemExit(f"build failed: {result.error or [p.to_text() for p in result.problems[:5]]}")
    print(f"build: {time.perf_counter() - started:.0f} s", flush=True)
    return project / "site"


def sizes(site: Path) -> None:
    files = [p for p in site.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    counts = site / "data" / "visitor_observations"
    gz = sum(p.stat().st_size for p in counts.glob("*.csv.gz"))
    parquet = sum(p.stat().st_size for p in counts.glob("*.parquet"))
    zipped = sum(p.stat().st_size for p in (site / "data").glob("*.zip"))
    html = sum(p.stat().st_size for p in files if p.suffix == ".html")
    print(f"published site: {total / MB:.1f} MB in {len(files)} files (budget 300 MB): counts gzip CSV "
          f"{gz / MB:.1f} MB, Parquet {parquet / MB:.1f} MB, zip {zipped / MB:.1f} MB, HTML {html / MB:.1f} MB, "
          f"the rest {(total - gz - parquet - zipped - html) / MB:.1f} MB", flush=True)


def queries(project: Path, site: Path) -> None:
    import duckdb
    parquet = f"'{site}/data/visitor_observations/*.parquet'"
    months = sorted(str(p) for p in (project / "demo" / "observations").glob("*.csv"))
    csv = ("read_csv([" + ", ".join(f"'{m}'" for m in months) + "], header = true, columns = {'spot_id': 'VARCHAR', "
           "'observed_at': 'TIMESTAMPTZ', 'window': 'VARCHAR', 'count': 'BIGINT', 'method': 'VARCHAR', "
           "'source': 'VARCHAR'}, auto_detect = false)")
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'Asia/Shanghai'")
    timings, answers = {}, {}
    for name, source in (("parquet", parquet), ("csv", csv)):
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            answers[name] = connection.execute(BUSIEST.format(source=source)).fetchall()
            runs.append(time.perf_counter() - started)
        timings[name] = statistics.median(runs)
    same = answers["parquet"] == answers["csv"]
    csv_bytes = sum(Path(m).stat().st_size for m in months)
    print(f"busiest hour per area over {len(months)} months ({len(answers['csv'])} areas; answers equal: {same}): "
          f"Parquet {timings['parquet']:.2f} s, CSV ({csv_bytes / MB:.0f} MB) {timings['csv']:.2f} s, "
          f"ratio {timings['csv'] / timings['parquet']:.1f}x (>= 10)", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def deploys(project: Path, site: Path, scratch: Path) -> None:
    import boto3
    from botocore.config import Config

    from tourhub.deploy.s3 import Target, deploy
    ports = {name: free_port() for name in ("master.port", "volume.port", "filer.port", "s3.port", "admin.port",
                                            "webdav.port", "debug.port")}
    keys = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench-secret"}
    weed = subprocess.Popen([str(Path(sys.executable).with_name("weed")), "mini", "-ip=127.0.0.1",
                             "-ip.bind=127.0.0.1", f"-dir={scratch}", "-admin.ui=false", "-webdav=false",
                             *(f"-{k}={v}" for k, v in ports.items())],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **keys})
    try:
        client = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{ports['s3.port']}", region_name="us-east-1",
                              aws_access_key_id=keys["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=keys["AWS_SECRET_ACCESS_KEY"],
                              config=Config(s3={"addressing_style": "path"}))
        deadline = time.monotonic() + 60
        while True:
            try:
                client.create_bucket(Bucket="region")
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        puts = {"count": 0}
        client.meta.events.register("before-call.s3.PutObject",
                                    lambda **_: puts.__setitem__("count", puts["count"] + 1))

        def run(label: str) -> None:
            puts["count"] = 0
            started = time.perf_counter()
            report = deploy(site, Target("region", ""), client, say=lambda line: None)
            print(f"deploy, {label}: {report.uploaded} objects uploaded ({report.uploaded_bytes / MB:.1f} MB), "
                  f"{report.skipped} unchanged, {report.deleted} deleted, {puts['count']} PUTs, "
                  f"{time.perf_counter() - started:.1f} s", flush=True)

        run("first")
        run("nothing changed (budget: 0 PUTs)")
        from synthetic_region import git, touch_one
        print(f"changed {touch_one(project).relative_to(project)}", flush=True)
        git(project, "commit", "-q", "-a", "-m", "one route edited")
        build(project)
        run("after one route changed (budget: <= 100 objects)")
    finally:
        weed.terminate()
        weed.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a region project made by synthetic_region.py")
    parser.add_argument("--days", type=int, help="days of counts instead of 12 months (a quicker run)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tourhub-reach-") as temp:
        project = Path(temp) / "region"
        if args.project:
            shutil.copytree(args.project, project)
        else:
            from synthetic_region import main as generate
            generate([str(project), *(["--days", str(args.days)] if args.days else [])])
        from synthetic_region import as_repository
        as_repository(project)
        site = build(project)
        sizes(site)
        queries(project, site)
        from bench_sql import measure, report
        report(measure(site))              # the same query on the SQL page, in Chromium
        deploys(project, site, Path(temp) / "seaweed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
