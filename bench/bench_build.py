#!/usr/bin/env python3
"""Benchmark the build: time per stage, and the whole build against a plain `mkdocs build` of
the very same staged pages, both run in this process, cold each time (fresh output folders).

    python bench/bench_build.py [--project DIR] [--runs N]

Prints medians over N runs. It never touches the project's own site/: output goes to a temp dir.
"""
from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tourhub import pipeline  # noqa: E402
from tourhub.site import mkdocs_build  # noqa: E402


def one_run(project: Path, scratch: Path) -> tuple[dict[str, float], float, float]:
    staging = scratch / "staging"
    started = time.perf_counter()
    result = pipeline.build(project, site=scratch / "site", staging=staging)
    whole = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"build failed: {result.error or result.problems[:5]}")
    started = time.perf_counter()
    mkdocs_build(project / "mkdocs.yml", staging / "docs", scratch / "plain-site")
    plain = time.perf_counter() - started
    return result.timings, whole, plain


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    runs = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="tourhub-bench-") as scratch:
            runs.append(one_run(args.project, Path(scratch)))
            pages = sum(1 for _ in (Path(scratch) / "site").rglob("*.html"))
            size = sum(p.stat().st_size for p in (Path(scratch) / "site").rglob("*") if p.is_file())

    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{len(__import__('os').sched_getaffinity(0))} cores; project: {args.project}; runs: {args.runs} (medians)")
    print(f"site: {pages} HTML pages, {size / 1e6:.1f} MB")
    for stage in runs[0][0]:
        print(f"  {stage:<10} {statistics.median(r[0][stage] for r in runs):8.3f} s")
    whole = statistics.median(r[1] for r in runs)
    plain = statistics.median(r[2] for r in runs)
    print(f"  {'whole':<10} {whole:8.3f} s")
    print(f"plain mkdocs build of the same staged pages: {plain:.3f} s")
    print(f"ratio whole build / plain mkdocs build: {whole / plain:.2f}")
    print(f"peak memory (max RSS of this process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
