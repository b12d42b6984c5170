"""The SQL page, in real Chromium on the demo site: a partner runs a ready query over the
published counts and gets the numbers Python's DuckDB gives for the same query on the same
files; the engine is self-hosted, loaded by that page alone, and reads the Parquet by range."""
from __future__ import annotations

import csv
import io
import math
import re
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from tourhub.serve import RangeFiles
from tourhub.site.sql_console import READY_QUERIES, TABLE_SOURCES, ready_query, table_sql

pytestmark = pytest.mark.browser

ENGINE_TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def range_url(built):
    handler = type("Handler", (RangeFiles,), {"ranges": [], "log_message": lambda self, *args: None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), lambda *a: handler(*a, directory=str(built.folder)))
    server.handle_error = lambda *a: None     # a browser dropping a connection is no failure
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", handler
    server.shutdown()
    server.server_close()


def python_duckdb(site: Path) -> duckdb.DuckDBPyConnection:
    """The page's tables over the built site's local files, in Python's DuckDB."""
    con = duckdb.connect()
    data = site / "data"
    files = {"counts": sorted(str(p) for p in (data / "visitor_observations").glob("*.parquet")),
             "capacities": [str(data / f"{TABLE_SOURCES['capacities']}.csv")],
             "areas": [str(data / f"{TABLE_SOURCES['areas']}.csv")]}
    for table, names in files.items():
        con.execute(table_sql(table, names))
    return con


def run_ready(page, query: str) -> None:
    """Pick a ready query and run it (the first action loads the engine)."""
    page.select_option("[data-th-sql-ready]", query)
    page.click("[data-th-sql-run]")
    page.wait_for_selector("[data-th-sql-result] table", timeout=ENGINE_TIMEOUT_MS)


def shown_rows(page) -> list[list[str]]:
    return page.eval_on_selector_all("[data-th-sql-result] tbody tr",
                                     "rows => rows.map(r => [...r.cells].map(c => c.textContent))")


def same(shown: str, expected) -> bool:
    if expected is None:
        return shown == ""
    if isinstance(expected, float):
        return math.isclose(float(shown), expected, abs_tol=1e-9)
    return shown == str(expected)


def test_busiest_hour_per_area_matches_python_duckdb_row_for_row(visit, range_url, built):
    url, handler = range_url
    v = visit()
    page = v.page
    page.goto(f"{url}data/sql/", wait_until="load")
    run_ready(page, "busiest_hour")
    rows = shown_rows(page)
    shown_sql = page.input_value("[data-th-sql-text]")    # Chinese comments above the one SQL text
    assert shown_sql == ready_query("busiest_hour", "zh") and shown_sql.endswith(READY_QUERIES["busiest_hour"])
    expected = python_duckdb(built.folder).execute(shown_sql).fetchall()
    assert expected and len(rows) == len(expected)
    for got, want in zip(rows, expected, strict=True):
        assert all(same(g, w) for g, w in zip(got, want, strict=True)), (got, want)
    assert re.search(rf"{len(expected)} 行，用时 [\d.]+ 秒", page.inner_text("[data-th-sql-status]"))
    assert any("visitor_observations/" in r and ".parquet" in r for r in handler.ranges), handler.ranges
    assert not v.foreign_requests and not v.errors
    v.screenshot("sql-busiest-hour-phone")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_orange_days_and_months_match_python_duckdb(visit, range_url, built):
    url, _ = range_url
    page = visit().page
    page.goto(f"{url}data/sql/", wait_until="load")
    con = python_duckdb(built.folder)
    for query in ("orange_days", "rows_per_month"):
        run_ready(page, query)
        page.wait_for_function("() => /\\d/.test(document.querySelector('[data-th-sql-status]').textContent)")
        expected = con.execute(READY_QUERIES[query]).fetchall()
        rows = shown_rows(page)
        assert len(rows) == len(expected), query
        for got, want in zip(rows, expected, strict=True):
            assert all(same(g, str(w) if hasattr(w, "isoformat") else w) for g, w in zip(got, want, strict=True)), \
                (query, got, want)


def test_english_page_errors_in_words_and_csv_download(visit, range_url):
    url, _ = range_url
    v = visit()
    page = v.page
    page.goto(f"{url}en/data/sql/", wait_until="load")
    assert page.locator("[data-th-sql-download]").is_hidden()      # nothing to download before a query ran
    assert page.inner_text("label[for=th-sql-text]") == "SQL query"
    assert page.inner_text("[data-th-sql-run]") == "Run"
    page.fill("[data-th-sql-text]", "SELECT nonsense FROM nowhere")
    page.click("[data-th-sql-run]")
    page.wait_for_selector("[data-th-sql-status][data-kind=error]", timeout=ENGINE_TIMEOUT_MS)
    assert page.inner_text("[data-th-sql-status]").startswith("The query failed: ")
    assert not v.errors
    page.fill("[data-th-sql-text]", "SELECT id, name_en FROM areas ORDER BY id LIMIT 5")
    page.click("[data-th-sql-run]")
    page.wait_for_selector("[data-th-sql-download]:not([hidden])")
    shown = shown_rows(page)
    with page.expect_download() as download:
        page.click("[data-th-sql-download]")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8"))))
    assert rows[0] == ["id", "name_en"] and rows[1:] == shown and len(shown) == 5
    assert not v.errors and not v.foreign_requests


def test_the_engine_loads_on_the_sql_page_only_once_the_visitor_starts(visit, range_url):
    url, _ = range_url
    v = visit()
    requested: list[str] = []
    v.page.on("request", lambda request: requested.append(request.url))
    for path in ("", "routes/huayingshan-red-hongyan/", "data/"):
        v.page.goto(url + path, wait_until="load")
    v.page.wait_for_timeout(500)
    assert requested and not [r for r in requested if "assets/duckdb/" in r]
    v.page.goto(f"{url}data/sql/", wait_until="load")
    v.page.wait_for_timeout(500)
    assert not [r for r in requested if "assets/duckdb/" in r]      # not even here until the visitor starts
    v.page.focus("[data-th-sql-text]")
    v.page.wait_for_selector("[data-th-sql-schema-of=counts] table", timeout=ENGINE_TIMEOUT_MS)
    assert [r for r in requested if "assets/duckdb/" in r and r.endswith(".wasm.gz")]
    assert not v.foreign_requests and not v.errors
