"""The SQL page (data/sql/): partners query the published visitor counts in their own browser
with DuckDB-WASM, self-hosted. The engine comes from npm (`@duckdb/duckdb-wasm` and
`apache-arrow`, pinned in package.json) at build time and is published under
assets/duckdb/<version>/ (the version in the path: cacheable forever); a build without it
(`make site` needs Python only) still succeeds, and the page then says SQL is not available in
this build and lists the plain downloads.

The tables the page defines and its ready queries live here, once: sql.js runs them in the
browser, the tests run the very same text in Python's DuckDB over the same files.

Why @duckdb/duckdb-wasm 1.28.0 (DuckDB 0.9.1, from 2023) and not a newer one: from 1.29.0 on, the Parquet
reader is no longer built into the WebAssembly; DuckDB loads it at run time from
extensions.duckdb.org, another host (tried: 1.29.0 and 1.32.0 fail with "read_parquet ... exists
in the parquet extension" once that host is out of reach), and no npm package ships that
extension. 1.28.0 has it built in and takes apache-arrow 13.

Times: `observed_at` is TIMESTAMPTZ. Extensions that are not built in (the time-zone extension,
ICU, among them) would come from extensions.duckdb.org, which the page never contacts
(autoloading is switched off); China time is UTC+8 all year (no daylight saving since 1991), so
the ready queries compute it as the instant plus 8 hours in microseconds:
`make_timestamp(epoch_us(observed_at) + 28800000000)`.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from tourhub.core.files import write_atomically
from tourhub.core.npm import NODE_MODULES, package_version
from tourhub.core.page import Page
from tourhub.site.i18n import STRINGS

ENGINE_PACKAGE = "@duckdb/duckdb-wasm"
ARROW_PACKAGE = "apache-arrow"
ENGINE_DIR = "assets/duckdb"             # + /<version>/ in the site
# What the page loads: the module, the worker and WebAssembly built with WebAssembly exceptions
# (every current browser has them; the plain "mvp" build would add 22 MB to the site, and a
# browser without them is told so and offered the downloads), and Arrow as a classic script.
ENGINE_FILES = ("duckdb-browser-eh.worker.js", "duckdb-eh.wasm")
# The WebAssembly is published gzipped (18 MB -> 4 MB, on disk and on the wire whatever the host
# compresses) and unzipped in the browser (DecompressionStream); the gzip is made once per
# engine file and kept in the build cache.
GZIPPED = ("duckdb-eh.wasm",)
ARROW_SCRIPT = "Arrow.es2015.min.js"
MODULE = "duckdb-browser.mjs"
ARROW_SHIM = "arrow.mjs"
ARROW_IMPORT = 'from"apache-arrow"'
ARROW_IMPORTS_EXPECTED = 2
# The names duckdb-browser.mjs takes from apache-arrow, from the global the classic script sets.
ARROW_SHIM_TEXT = """/* apache-arrow for duckdb-browser.mjs, from the global `Arrow` that Arrow.es2015.min.js (a
   classic script, loaded first) sets: no import map, so no inline script (tourhub/site/sql_console.py). */
const A = globalThis.Arrow;
export const Type = A.Type;
export const RecordBatchReader = A.RecordBatchReader;
export const Table = A.Table;
export const tableToIPC = A.tableToIPC;
"""


class EngineChanged(Exception):
    """The npm package is not what this code was written against."""


@dataclass(frozen=True)
class Engine:
    version: str
    files: list[Page]

    @property
    def path(self) -> str:
        return f"{ENGINE_DIR}/{self.version}/"


def engine_files(node_modules: Path = NODE_MODULES, cache: Path | None = None) -> Engine | None:
    """The engine's files for the site, or None when npm has not installed it (then the page
    falls back to the downloads). Raises EngineChanged when the package no longer looks as
    expected: a build must fail loudly rather than ship a page that cannot load."""
    dist = node_modules / ENGINE_PACKAGE / "dist"
    arrow = node_modules / ARROW_PACKAGE / ARROW_SCRIPT
    if not dist.is_dir() or not arrow.is_file():
        return None
    version = package_version(node_modules, ENGINE_PACKAGE)
    base = f"{ENGINE_DIR}/{version}/"
    missing = [name for name in ENGINE_FILES + (MODULE,) if not (dist / name).is_file()]
    if missing:
        raise EngineChanged(f"{ENGINE_PACKAGE} {version}: missing {', '.join(missing)}")
    def kept(name: str) -> Path | None:
        return cache / version / f"{name}.gz" if cache else None
    return Engine(version, [Page(base + MODULE, module_text((dist / MODULE).read_text("utf-8"))),
                            Page(base + ARROW_SHIM, ARROW_SHIM_TEXT),
                            Page(base + ARROW_SCRIPT, arrow)]
                  + [Page(base + name + ".gz", gzipped(dist / name, kept(name))) if name in GZIPPED
                     else Page(base + name, dist / name) for name in ENGINE_FILES])


def gzipped(source: Path, kept: Path | None) -> bytes | Path:
    """`source` gzipped (level 9, no name or time in the header: the same bytes every time), or
    `kept` when it was made before. `kept` is named by the pinned package version and the file
    (npm checks each file of a version against the lock's integrity hash), so a build that finds
    it reads nothing of the 18 MB source."""
    if kept is not None and kept.is_file():
        return kept
    packed = gzip.compress(source.read_bytes(), 9, mtime=0)
    if kept is not None:
        kept.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(kept, packed, durable=False)
    return packed


def module_text(source: str) -> str:
    """duckdb-browser.mjs importing Arrow from the shim next to it, without its source-map line."""
    found = source.count(ARROW_IMPORT)
    if found != ARROW_IMPORTS_EXPECTED:
        raise EngineChanged(f"{MODULE} imports apache-arrow {found} times, expected {ARROW_IMPORTS_EXPECTED}: "
                            "check the shim in tourhub/site/sql_console.py against the new version")
    lines = source.replace(ARROW_IMPORT, f'from"./{ARROW_SHIM}"').splitlines()
    return "\n".join(line for line in lines if not line.startswith("//# sourceMappingURL=")) + "\n"


# The tables a query can name, each a view over published files: {files} is a list of file
# names registered with the engine (the browser: by URL, read with HTTP range requests;
# Python: local paths).
TABLES = {
    "counts": "CREATE VIEW counts AS SELECT * FROM read_parquet({files})",
    # typed as the Table Schema says (most areas publish no maximum at one time: an empty column
    # would be guessed as text)
    "capacities": ("CREATE VIEW capacities AS SELECT * FROM read_csv({files}, header = true, auto_detect = true, "
                   "types = {'capacity_daily': 'BIGINT', 'capacity_instant': 'BIGINT', 'as_of': 'VARCHAR'})"),
    "areas": ("CREATE VIEW areas AS SELECT id, name_zh, name_en "
              "FROM read_csv({files}, header = true, auto_detect = true, all_varchar = true)"),
}
TABLE_SOURCES = {"counts": "visitor_observations", "capacities": "capacities", "areas": "scenic_areas"}

_CHINA_TIME = "make_timestamp(epoch_us(observed_at) + 28800000000)"   # + 8 hours in µs; see the docstring

# The ready queries: one SQL text for both pages (and for the tests, which run it in Python's
# DuckDB); what each one answers goes above it as SQL comments in the page's language
# (`ready_query`).
READY_QUERIES: dict[str, str] = {
    "busiest_hour": f"""WITH readings AS (
  SELECT spot_id, "window", count, {_CHINA_TIME} AS local_time
  FROM counts
),
recent AS (
  SELECT * FROM readings
  WHERE local_time > (SELECT max(local_time) FROM readings) - INTERVAL 30 DAY
),
visitors AS (
  SELECT spot_id, "window", hour(local_time) AS hour,
         CASE WHEN "window" = 'daily'
              THEN count - coalesce(lag(count) OVER (PARTITION BY spot_id, "window", CAST(local_time AS DATE)
                                                   ORDER BY local_time), 0)
              ELSE count END AS visitors
  FROM recent
),
by_hour AS (
  SELECT spot_id, "window", hour, avg(visitors) AS mean_visitors
  FROM visitors GROUP BY spot_id, "window", hour
),
ranked AS (
  SELECT *, row_number() OVER (PARTITION BY spot_id, "window" ORDER BY mean_visitors DESC, hour) AS place
  FROM by_hour
)
SELECT r.spot_id, a.name_zh, a.name_en, r."window", r.hour AS busiest_hour,
       round(r.mean_visitors, 1) AS mean_visitors
FROM ranked r LEFT JOIN areas a ON a.id = r.spot_id
WHERE r.place = 1
ORDER BY r.spot_id, r."window"
""",
    "orange_days": f"""SELECT c.spot_id, a.name_zh, a.name_en,
       CAST({_CHINA_TIME.replace("observed_at", "c.observed_at")} AS DATE) AS day,
       c."window", max(c.count) AS highest,
       any_value(CASE c."window" WHEN 'daily' THEN k.capacity_daily ELSE k.capacity_instant END) AS maximum,
       round(100 * max(c.count) / any_value(CASE c."window" WHEN 'daily' THEN k.capacity_daily
                                                     ELSE k.capacity_instant END), 1) AS percent
FROM counts c
JOIN capacities k ON k.spot_id = c.spot_id
LEFT JOIN areas a ON a.id = c.spot_id
WHERE c.count * 100 >= 90 * CASE c."window" WHEN 'daily' THEN k.capacity_daily ELSE k.capacity_instant END
GROUP BY c.spot_id, a.name_zh, a.name_en, day, c."window"
ORDER BY day DESC, c.spot_id
""",
    "rows_per_month": f"""SELECT strftime({_CHINA_TIME}, '%Y-%m') AS month, "window", count(*) AS readings
FROM counts
GROUP BY month, "window"
ORDER BY month, "window"
""",
}


# What each ready query answers, in each language of the site: the comment lines the page puts
# above the query's text, one line per sentence (the query box wraps them on a phone).
READY_QUERY_NOTES: dict[str, dict[str, tuple[str, ...]]] = {
    "busiest_hour": {
        "zh": ("各景区最近 30 天（以数据中最新的读数为准）一天中最繁忙的时段，按北京时间计"
               "（UTC+8，无夏令时：时刻加 8 小时，无需时区扩展）。",
               '"instant"（瞬时）读数：该时段的平均在园人数；"daily"（当日累计）读数：该时段平均新到游客数'
               "（本次读数减去当天上一次读数）。"),
        "en": ("Busiest hour of the day per area over the last 30 days of data, in China time (UTC+8, "
               "no daylight saving: the instant plus 8 hours, no time-zone extension needed).",
               '"instant" readings: the mean number present; "daily" (cumulative) readings: the mean '
               "number of arrivals in that hour (the reading minus the day's previous one)."),
    },
    "orange_days": {
        "zh": ("景区有读数达到或超过橙色预警的日子（北京时间）：核定最大承载量的 90 %"
               "（LB/T 068-2017，datasets/warning_schemes.yaml）。",
               "当日累计（daily）读数对照日最大承载量，瞬时（instant）读数对照瞬时最大承载量。"),
        "en": ("Days (China time) on which an area had any reading at or above orange: 90 % of its "
               "approved maximum (LB/T 068-2017, datasets/warning_schemes.yaml).",
               "Daily (cumulative) readings are held against the daily maximum, instant readings "
               "against the maximum at one time."),
    },
    "rows_per_month": {
        "zh": ("每月（北京时间）每种读数（window）的条数。",),
        "en": ("Readings per month (China time) and window.",),
    },
}


def ready_query(name: str, lang: str) -> str:
    """The ready query as the page shows it: what it answers, as SQL comments in `lang`, then the
    one SQL text."""
    comments = "".join(f"-- {sentence}\n" for sentence in READY_QUERY_NOTES[name][lang])
    return comments + READY_QUERIES[name]

def sql_list(names: list[str]) -> str:
    """A DuckDB list of string literals."""
    return "[" + ", ".join("'" + name.replace("'", "''") + "'" for name in names) + "]"


def table_sql(table: str, files: list[str]) -> str:
    return TABLES[table].replace("{files}", sql_list(files))     # as sql.js does


@dataclass(frozen=True)
class SqlFile:
    table: str                 # the table it feeds
    path: str                  # site path
    label: str
    queried: bool              # the file the table reads (the others are plain downloads)


def table_files(dictionary: list, lang: str) -> list[SqlFile]:
    """The published files behind each table, in table order: the monthly Parquet (what `counts`
    reads) and gzip CSV of the counts, and the CSV of capacities and areas."""
    by_name = {dataset.name: dataset for dataset in dictionary}
    found = []
    for table, dataset_name in TABLE_SOURCES.items():
        dataset = by_name.get(dataset_name)
        for download in dataset.downloads if dataset else ():
            queried = download.path.endswith(".parquet") if table == "counts" else download.path.endswith(
                f"/{dataset_name}.csv")
            if queried or (table == "counts" and download.path.endswith(".csv.gz")):
                found.append(SqlFile(table, download.path, download.label.in_(lang), queried))
    return found


def sql_page(dictionary: list, engine_path: str | None, lang: str) -> dict:
    """What the SQL page's template needs."""
    return {
        "engine": engine_path,
        "files": table_files(dictionary, lang),
        "tables": list(TABLES),
        "config": {
            "tables": TABLES,
            "queries": {name: ready_query(name, lang) for name in READY_QUERIES},
            "labels": {key: STRINGS[f"sql_{key}"][lang] for key in LABELS},   # with their {placeholders}
        },
    }


# The strings sql.js shows (i18n keys sql_<name>).
LABELS = ("loading", "running", "rows", "rows_cut", "error", "engine_failed", "no_wasm", "no_counts", "ready",
          "schema_column", "schema_type", "download_name")
