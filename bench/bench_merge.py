#!/usr/bin/env python3
"""Benchmark partner ingest: checking payloads and merging them, against plain Frictionless.

    python bench/bench_merge.py [--areas 1200] [--days 30] [--step-minutes 5] [--chunk area-day|hour]
                                [--skip parse,baseline]

Synthetic data, all in memory: `areas` areas (all known, all with a capacity) report an
instantaneous count every `step` minutes for `days` days from 1 October 2026 (China time); the
default is a full month of the target size, 1,200 areas × 288 × 30 = 10.4 M rows. Stages:

  (a) parse    parse_observations on CSV payloads. `--chunk area-day` (default) sends one payload
               per area and day (288 rows at 5 minutes), as a partner's daily upload per area;
               `--chunk hour` one payload per hour for all areas, as a provincial gateway's feed.
               Building the payload bytes is not timed.
  (b) merge    merge_observations of all accepted rows at once into an empty folder.
  (c) again    the same merge again: nothing to add, so a read of the partition and no write.
  (d) append   one more hour for all areas merged into the full partition (the steady state).
  baseline     Frictionless validation of the same rows as one CSV file with the schema.

`--skip parse,baseline` leaves out the slow Frictionless stages, to time the merge at full size
(the rows are then built directly, as parse would return them).
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import resource
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from frictionless import Resource  # noqa: E402

from tourhub.check.descriptor import load_package  # noqa: E402
from tourhub.core.dates import CHINA
from tourhub.partners.ingest import FIELDS, frictionless_schema, merge_observations, parse_observations  # noqa: E402

START = datetime(2026, 10, 1, tzinfo=CHINA)  # October has 31 days: (d) stays in it
SOURCE = "bench-feed"


def area_ids(count: int) -> list[str]:
    return [f"area-{index:04d}" for index in range(count)]


def instants(days: int, step_minutes: int) -> list[datetime]:
    steps = days * 24 * 60 // step_minutes
    return [START + timedelta(minutes=step_minutes * n) for n in range(steps)]


def count_at(area: int, step: int) -> int:
    return (area * 7919 + step * 104729) % 5000


def csv_payload(areas: list[tuple[int, str]], steps: list[tuple[int, str]]) -> bytes:
    """A partner's CSV (no source column: the hub fills it in) for these areas and instants."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIELDS[:5])
    writer.writerows((area, at, "instant", count_at(a, s), "camera") for a, area in areas for s, at in steps)
    return out.getvalue().encode("utf-8")


def payloads(ids: list[str], times: list[datetime], step_minutes: int, chunk: str):
    """Payload bytes and their row counts, chunk by chunk (generated lazily, not timed)."""
    texts = [(s, at.isoformat()) for s, at in enumerate(times)]
    per_day = 24 * 60 // step_minutes
    per_hour = max(1, 60 // step_minutes)
    areas = list(enumerate(ids))
    if chunk == "area-day":
        for day in range(0, len(texts), per_day):
            for area in areas:
                yield csv_payload([area], texts[day: day + per_day])
    else:
        for hour in range(0, len(texts), per_hour):
            yield csv_payload(areas, texts[hour: hour + per_hour])


def direct_rows(ids: list[str], times: list[datetime]) -> list[dict]:
    return [{"spot_id": area, "observed_at": at, "window": "instant", "count": count_at(a, s),
             "method": "camera", "source": SOURCE}
            for s, at in enumerate(times) for a, area in enumerate(ids)]


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - started


def stage_parse(ids, times, args, schema) -> tuple[list[dict], float, int]:
    known = set(ids)
    now = times[-1] + timedelta(hours=2)
    rows: list[dict] = []
    spent = 0.0
    count = 0
    for body in payloads(ids, times, args.step_minutes, args.chunk):
        started = time.perf_counter()
        payload = parse_observations(body, "csv", schema=schema, areas_with_capacity=known, known_areas=known,
                                     source_id=SOURCE, now=now)
        spent += time.perf_counter() - started
        count += 1
        if not payload.accepted:
            raise SystemExit(f"payload rejected: {payload.problems[:3]}")
        rows.extend(payload.rows)
    return rows, spent, count


def stage_baseline(rows: list[dict], schema: dict, scratch: Path) -> float:
    path = scratch / "baseline.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FIELDS)
        writer.writerows((r["spot_id"], r["observed_at"].isoformat(), r["window"], r["count"], r["method"],
                          r["source"]) for r in rows)
    started = time.perf_counter()
    report = Resource(path=path.name, basepath=str(scratch), schema=frictionless_schema(schema),
                      format="csv", encoding="utf-8").validate()
    spent = time.perf_counter() - started
    if not report.valid:
        raise SystemExit(f"baseline invalid: {report.flatten(['rowNumber', 'type', 'note'])[:3]}")
    path.unlink()
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--areas", type=int, default=1200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--step-minutes", type=int, default=5)
    parser.add_argument("--chunk", choices=("area-day", "hour"), default="area-day")
    parser.add_argument("--skip", default="", help="comma-separated stages to leave out: parse, baseline")
    args = parser.parse_args()
    skip = {s for s in args.skip.split(",") if s}
    package, problems = load_package(ROOT / "datasets")
    if package is None:
        raise SystemExit(problems)
    schema = package.resource("visitor_observations").schema
    ids = area_ids(args.areas)
    times = instants(args.days, args.step_minutes)
    total = len(ids) * len(times)
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{len(os.sched_getaffinity(0))} cores")
    print(f"data: {args.areas} areas x {len(times)} instants ({args.days} days every {args.step_minutes} min) "
          f"= {total:,} rows; payloads: {args.chunk}")
    results: dict[str, tuple[float, int]] = {}

    if "parse" in skip:
        rows = direct_rows(ids, times)
    else:
        rows, spent, count = stage_parse(ids, times, args, schema)
        results["(a) parse"] = (spent, len(rows))
        print(f"  {count:,} payloads of {len(rows) // max(count, 1):,} rows")

    with tempfile.TemporaryDirectory(prefix="tourhub-bench-merge-") as scratch:
        folder = Path(scratch) / "observations"
        folder.mkdir()
        merged, spent = timed(merge_observations, folder, rows)
        assert merged.added == total, merged
        results["(b) merge"] = (spent, total)
        size = sum(p.stat().st_size for p in folder.glob("*.csv"))
        again, spent = timed(merge_observations, folder, rows)
        assert again.added == 0 and again.unchanged == total, again
        results["(c) again"] = (spent, total)
        last = times[-1]
        hour = [last + timedelta(minutes=args.step_minutes * n) for n in range(1, max(1, 60 // args.step_minutes) + 1)]
        extra = [{**r, "source": SOURCE} for r in direct_rows(ids, hour)]
        appended, spent = timed(merge_observations, folder, extra)
        assert appended.added == len(extra), appended
        results["(d) append"] = (spent, len(extra))
        if "baseline" not in skip:
            results["baseline"] = (stage_baseline(rows, schema, Path(scratch)), total)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"partition(s) after (b): {size / 1e6:.1f} MB; peak RSS {peak:,.0f} MB")
    base = results.get("baseline")
    base_speed = base[1] / base[0] if base else None
    print(f"  {'stage':<11} {'seconds':>9} {'rows':>12} {'rows/s':>12}   vs baseline (speed)")
    for stage, (spent, count) in results.items():
        speed = count / spent if spent else float("inf")
        ratio = f"{speed / base_speed:8.2f}x" if base_speed else "       -"
        print(f"  {stage:<11} {spent:9.2f} {count:12,} {speed:12,.0f}   {ratio}")
    if "(d) append" in results:
        spent = results["(d) append"][0]
        print(f"  (d) reads the whole partition ({total:,} rows) to add {results['(d) append'][1]:,}: "
              f"{total / spent:,.0f} partition rows/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
