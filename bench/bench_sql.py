#!/usr/bin/env python3
"""The SQL page in headless Chromium: how long "busiest hour per area over the last 30 days"
takes over a built site's counts, and how many bytes of data it fetches (issue 17: <= 5 s and
<= 20 MB over a year of region counts on 2 cores).

    python bench/bench_sql.py SITE          a built site (bench_reach.py builds a year of region counts)

The site is served on 127.0.0.1 by the hub's own file server, which answers Range requests as
static hosts and object stores do. Times: from the click on Run to the result table, with the
engine already loaded (loading it is reported apart); bytes: the bodies of every response for
the counts (Parquet), and apart those of the engine.
"""
from __future__ import annotations

import argparse
import functools
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
MB = 1e6


def measure(site: Path, query: str = "busiest_hour") -> dict:
    from playwright.sync_api import sync_playwright

    from tourhub.serve import RangeFiles
    received = {"data": 0, "engine": 0}

    class Counting(RangeFiles):
        """Counts the bytes it sends (the engine fetches from its worker, which the page's own
        response events do not all show)."""
        ranges: list[str] = []

        def log_message(self, *args) -> None:
            pass

        def copyfile(self, source, outputfile) -> None:
            data = source.read()
            if "/visitor_observations/" in self.path:
                received["data"] += len(data)
            elif "/assets/duckdb/" in self.path:
                received["engine"] += len(data)
            outputfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Counting, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/data/sql/"

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            page = browser.new_page()
            page.goto(url, wait_until="load")
            started = time.perf_counter()
            page.focus("[data-th-sql-text]")
            page.wait_for_selector("[data-th-sql-schema-of=counts] table", timeout=600_000)
            loaded = time.perf_counter() - started
            received["data"] = 0                       # what loading read (the schema) is not the query's
            page.select_option("[data-th-sql-ready]", query)
            started = time.perf_counter()
            page.click("[data-th-sql-run]")
            page.wait_for_selector("[data-th-sql-result] table", timeout=600_000)
            seconds = time.perf_counter() - started
            status = page.inner_text("[data-th-sql-status]")
            rows = page.locator("[data-th-sql-result] tbody tr").count()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return {"engine_load_s": loaded, "query_s": seconds, "data_bytes": received["data"],
            "engine_bytes": received["engine"], "rows": rows, "status": status, "ranges": len(Counting.ranges)}


def report(figures: dict) -> None:
    print(f"SQL page, busiest hour per area (last 30 days): {figures['query_s']:.2f} s from Run to the table "
          f"(budget 5 s), {figures['data_bytes'] / MB:.1f} MB of counts fetched in {figures['ranges']} range "
          f"requests (budget 20 MB); {figures['rows']} rows shown, status \"{figures['status']}\"", flush=True)
    print(f"  engine: {figures['engine_bytes'] / MB:.1f} MB, loaded in {figures['engine_load_s']:.2f} s "
          "(on this page only, when the visitor starts)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="a built site")
    args = parser.parse_args()
    report(measure(args.site))
    return 0


if __name__ == "__main__":
    sys.exit(main())
