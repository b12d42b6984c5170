#!/usr/bin/env python3
"""Write the shipped sample visitor observations: illustrative, deterministic, clearly labelled.

No scenic area publishes hourly counts openly, so the shipped observations are invented to
show the hub working: every row has method `illustrative` and source `sample-data`. The shape is
realistic (opening hours, weekends busier, 武隆 reaching red on the last Saturday). Re-running
the script rewrites the same bytes.

    python tools/sample_observations.py            # writes datasets/observations/2026-11.csv
"""
from __future__ import annotations

import csv
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

CST = timezone(timedelta(hours=8))
START = datetime(2026, 11, 15, 0, 0, tzinfo=CST)
DAYS = 14
# area id -> approved daily maximum used to scale the counts (the capacity in spots/*.yaml)
AREAS = {
    "wulong-karst": 40000, "dazu-rock-carvings": 35000, "emeishan": 45000,
    "leshan-giant-buddha": 45000, "qingchengshan": 32000, "dujiangyan": 60000,
    "deng-xiaoping-guli": 40000, "jinfoshan": 30000, "langzhong-ancient-city": 50000,
    "jiuzhaigou": 30000, "simianshan": 30000, "wushan-little-three-gorges": 20000,
}
PEAK_AREA, PEAK_DAY = "wulong-karst", 13          # the last Saturday, 2026-11-28
OPEN, CLOSE = 8, 18
# share of the day's arrivals in each opening hour (sums to 1)
ARRIVALS = [0.10, 0.16, 0.17, 0.14, 0.11, 0.10, 0.09, 0.07, 0.04, 0.02]
STAY_HOURS = 3


def day_total(area: str, capacity: int, day: int, rng: random.Random) -> int:
    weekend = (START + timedelta(days=day)).weekday() >= 5
    share = rng.uniform(0.62, 0.86) if weekend else rng.uniform(0.30, 0.55)
    if area == PEAK_AREA and day == PEAK_DAY:
        share = 0.97
    return int(capacity * share)


def rows():
    rng = random.Random(20261115)
    for area, capacity in AREAS.items():
        for day in range(DAYS):
            total = day_total(area, capacity, day, rng)
            arrivals = [0] * 24
            for offset, share in enumerate(ARRIVALS):
                arrivals[OPEN + offset] = int(total * share)
            cumulative = 0
            for hour in range(24):
                cumulative += arrivals[hour]
                present = sum(arrivals[max(0, hour - STAY_HOURS + 1): hour + 1]) if OPEN <= hour < CLOSE else 0
                at = (START + timedelta(days=day, hours=hour)).isoformat()
                yield [area, at, "instant", present, "illustrative", "sample-data"]
                yield [area, at, "daily", cumulative, "illustrative", "sample-data"]


def main() -> int:
    target = Path(__file__).resolve().parent.parent / "datasets" / "observations" / "2026-11.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["spot_id", "observed_at", "window", "count", "method", "source"])
        writer.writerows(sorted(rows(), key=lambda r: (r[1], r[0], r[2])))
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
