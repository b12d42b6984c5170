#!/usr/bin/env python3
"""Reading-to-page latency of `build.py live` on the region corpus (issue 15).

    python bench/bench_live.py [--days 30] [--runs 3]

Generates the region corpus (bench/synthetic_region.py: 1,200 areas, 300 routes, 300 notices,
--days of hourly counts ending yesterday, so the current month file is as large as it gets),
builds it once (the cold build fills the validation cache), then, --runs times: appends one new
reading of one area to the newest month (as a partner's feed does through `fetch`) and times
`pipeline.live`, which validates the changed month again, rebuilds the model and rewrites the
live files. Prints each run's stages and the median against the budget (<= 30 s), and checks
that the new reading is in data/crowd/latest.json. All data invented, in a temp folder.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BUDGET_S = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import synthetic_region

    from tourhub import pipeline
    from tourhub.partners.ingest import merge_observations
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    with tempfile.TemporaryDirectory(prefix="tourhub-live-") as temp:
        project = Path(temp) / "region"
        synthetic_region.main([str(project), "--days", str(args.days)])
        started = time.perf_counter()
        built = pipeline.build(project, now=now, demo=True, site=project / "site")
        if not built.ok:
            raise SystemExit(built.error or "the region corpus did not build")
        print(f"cold build: {time.perf_counter() - started:.0f} s", flush=True)
        newest = max((project / "demo" / "observations").glob("*.csv"))
        print(f"newest month file: {newest.name}, {newest.stat().st_size / 1e6:.1f} MB", flush=True)
        area = "synthetic-area-0001"
        seconds = []
        for run in range(1, args.runs + 1):
            at = now + timedelta(minutes=5 * run)
            row = {"spot_id": area, "observed_at": at, "window": "daily", "count": 1000 + run,
                   "method": "illustrative", "source": "bench"}
            merge_observations(project / "demo" / "observations", [row])
            started = time.perf_counter()
            result = pipeline.live(project, now=at + timedelta(seconds=30), demo=True, site=project / "site")
            seconds.append(time.perf_counter() - started)
            latest = json.loads((project / "site" / "data" / "crowd" / "latest.json").read_text("utf-8"))
            entry = next((e for e in latest["areas"] if e["id"] == area), None)
            shown = entry is not None and entry["count"] == 1000 + run
            stages = ", ".join(f"{name} {value:.1f} s" for name, value in result.timings.items())
            print(f"run {run}: {seconds[-1]:.1f} s ({stages}); {len(result.written)} files rewritten; "
                  f"new reading in latest.json: {shown}", flush=True)
            if not (result.ok and shown):
                raise SystemExit("the live run failed or lost the reading")
        median = statistics.median(seconds)
        print(f"reading to live files: median {median:.1f} s (budget {BUDGET_S:.0f} s: "
              f"{'met' if median <= BUDGET_S else 'NOT met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
