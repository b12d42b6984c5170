#!/usr/bin/env python3
"""How fast do hourly fetch commits grow the git history? (issue 16)

    python bench/bench_repo_growth.py [--areas 100 300] [--days 30] [--out DIR]

The publish workflow commits the observations fetched every hour. This simulates that for one
month: a repository whose datasets/observations/YYYY-MM.csv gains one hour of counts (one row a
day-cumulative count per area) per commit, written as `fetch` writes them (appended, LF, sorted by
time), then packed as a host packs it (`git gc`). It reports, per number of areas, the packed size
of the month's history, the size of the month's file itself (plain and gzip), and the time of a
clone over the file protocol (`git clone --no-local`); and it extrapolates linearly in the number
of areas to the region (1,200 areas) and to a year. The counts are invented (never committed);
only the sizes matter. Standard library and git only.
"""
from __future__ import annotations

import argparse
import gzip
import shutil
import subprocess
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

CST = timezone(timedelta(hours=8))
HEADER = "spot_id,observed_at,window,count,method,source\n"
REGION_AREAS = 1200


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, text=True).stdout


def hour_rows(areas: int, at: datetime) -> str:
    stamp = at.isoformat()
    share = (at.hour + 1) / 24
    return "".join(f"synthetic-area-{i:04d},{stamp},daily,{int((3000 + 37 * i % 9000) * share)},illustrative,"
                   f"synthetic-feed-{i % 12:02d}\n" for i in range(areas))


def simulate(areas: int, days: int, folder: Path) -> dict:
    """One month of hourly commits for `areas` areas; sizes and clone time."""
    repo = folder / f"repo-{areas}"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "bench@example.invalid")
    git(repo, "config", "user.name", "bench")
    git(repo, "config", "gc.auto", "0")
    month = repo / "datasets" / "observations" / "2026-11.csv"
    month.parent.mkdir(parents=True)
    month.write_text(HEADER, "utf-8")
    start = datetime(2026, 11, 1, tzinfo=CST)
    clock = time.perf_counter()
    with month.open("a", encoding="utf-8", newline="\n") as out:
        for hour in range(days * 24):
            out.write(hour_rows(areas, start + timedelta(hours=hour)))
            out.flush()
            git(repo, "add", "datasets/observations")
            git(repo, "commit", "-q", "-m", f"fetch {hour}")
    committing = time.perf_counter() - clock
    git(repo, "gc", "-q", "--prune=now")
    packed = sum(p.stat().st_size for p in (repo / ".git" / "objects").rglob("*") if p.is_file())
    clone = folder / f"clone-{areas}"
    clock = time.perf_counter()
    subprocess.run(["git", "clone", "-q", "--no-local", str(repo), str(clone)], check=True)
    cloning = time.perf_counter() - clock
    data = month.read_bytes()
    return {"areas": areas, "commits": days * 24, "rows": days * 24 * areas, "file_bytes": len(data),
            "gzip_bytes": len(gzip.compress(data, 6)), "packed_bytes": packed, "clone_s": cloning,
            "commit_s": committing}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--areas", type=int, nargs="+", default=[100, 300])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    folder = args.out or Path(tempfile.mkdtemp(prefix="repo-growth-"))
    results = []
    try:
        for areas in args.areas:
            result = simulate(areas, args.days, folder)
            results.append(result)
            print(f"{areas:>5} areas, {result['commits']} hourly commits, {result['rows']:,} rows: month file "
                  f"{result['file_bytes'] / 1e6:.1f} MB (gzip {result['gzip_bytes'] / 1e6:.2f} MB); packed history "
                  f"{result['packed_bytes'] / 1e6:.2f} MB; clone {result['clone_s']:.2f} s "
                  f"(committing took {result['commit_s']:.0f} s)", flush=True)
    finally:
        if args.out is None:
            shutil.rmtree(folder, ignore_errors=True)
    if len(results) >= 2:
        first, last = results[0], results[-1]
        per_area = (last["packed_bytes"] - first["packed_bytes"]) / (last["areas"] - first["areas"])
        fixed = first["packed_bytes"] - per_area * first["areas"]
        month = fixed + per_area * REGION_AREAS
        scale = 30 / args.days
        print(f"linear in areas: {per_area / 1e3:.1f} KB per area-month + {fixed / 1e3:.0f} KB; region "
              f"({REGION_AREAS} areas): {month * scale / 1e6:.1f} MB per month, {12 * month * scale / 1e6:.0f} MB "
              f"per year of history")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
