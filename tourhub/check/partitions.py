"""Check CSV partitions (a month of visitor counts per file) on every core, each in one pass,
and keep only what later stages need, so a year of hourly counts for a whole region (10 M
rows) is checked in bounded memory.

Frictionless stays the judge: each file is validated by `Resource.validate` against its Table
Schema, with the foreign-key lookups, and its rows are seen once, through `on_row`, as
Frictionless cast them. From those rows a partition keeps:

- its problems (file:line:column) and those of our per-row rules;
- its row count, temporal span and first rows (for the catalog);
- for each series (the primary key less its time field: an area and a window), the rows of its
  last `RECENT` days: all the model needs for levels, charts and warnings.

Each result is cached in `cache_dir` under a key made of the file's sha256 and everything else
the check depends on (schema, lookup keys, areas with a capacity, this code, Frictionless), so
an unchanged month is validated once. The one input that moves by itself, the clock, is kept
out of the key: a partition remembers its rows later than the time it was checked, and rule
`obs-future` is applied to those whenever the result is used (a clock that went back is a miss).
"""
from __future__ import annotations

import gc
import hashlib
import json
import multiprocessing
import os
import threading
import time
from bisect import bisect_left
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from importlib.metadata import version
from operator import itemgetter
from pathlib import Path

from frictionless import Package, Resource, Schema

from tourhub.check import rules
from tourhub.check.descriptor import PackageSpec, rel
from tourhub.check.frictionless_errors import csv_problems
from tourhub.check.problems import Problem
from tourhub.check.tables import Tables
from tourhub.core.files import write_atomically


def project_cache(root: Path) -> Path:
    """Where a project's partition results are remembered (build/ is never committed)."""
    return root / "build" / "cache" / "partitions"


RECENT = timedelta(days=7)      # rows kept per series, back from its latest (crowd charts: 7 days)
PREVIEW_ROWS = 5
_CODE = [Path(__file__), Path(rules.__file__), Path(__file__).with_name("frictionless_errors.py"),
         Path(__file__).with_name("problems.py")]


@dataclass(frozen=True)
class Job:
    """Everything one partition's check needs; small, so it travels to a worker cheaply."""

    root: str                       # the datasets folder, or the overlay holding the file
    file: str                       # project-relative, as problems cite it
    path: str                       # relative to root
    name: str                       # resource name
    schema: dict
    lookups: tuple                  # (resource, schema, rows incl. header) of foreign-key targets
    titles: dict                    # resource -> (title_zh, title_en), for foreign-key messages
    with_capacity: frozenset        # area ids that have a capacity (rule obs-no-capacity)
    now: datetime
    demo: bool = False              # the file is in the demo overlay (file names it, so the cache key too)
    size: int = 0                   # of the file, and its sha256, as the cache key saw them
    sha256: str = ""
    cache: str = ""                 # where the worker remembers its result (no cache: "")


@dataclass(frozen=True)
class Partition:
    """What one checked file contributes."""

    file: str
    size: int
    sha256: str
    checked_at: datetime
    rows: int                                     # valid rows
    problems: tuple[Problem, ...]                 # all but obs-future
    late: tuple[tuple[int, datetime], ...]        # (line, time) of rows after checked_at (+ tolerance)
    span: tuple[date, date] | None
    preview: tuple[tuple, ...]                    # first rows, cast, in field order
    series_last: dict = field(default_factory=dict)   # series key -> its latest time here
    recent: dict = field(default_factory=dict)   # series key -> rows (field order), oldest first


@dataclass
class PartitionedTable:
    """A CSV-partitioned resource as later stages see it: never all its rows at once."""

    name: str
    field_names: list[str]
    parts: list[Partition]
    recent: list[dict]              # each series' rows of its last RECENT, oldest first

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts)

    @property
    def span(self) -> tuple[date, date] | None:
        spans = [p.span for p in self.parts if p.span]
        return (min(s[0] for s in spans), max(s[1] for s in spans)) if spans else None

    @property
    def preview(self) -> list[dict]:
        rows = [row for p in self.parts for row in p.preview][:PREVIEW_ROWS]
        return [dict(zip(self.field_names, row)) for row in rows]


def check_partitions(package: PackageSpec, tables: Tables, typed: dict[str, list[dict]], now: datetime,
                     cache_dir: Path | None = None) -> tuple[dict[str, PartitionedTable], list[Problem]]:
    """Check every CSV partition of every CSV resource, cached files first, the rest on all cores."""
    jobs = partition_jobs(package, tables, typed, now)
    digests = _Digests(cache_dir)
    jobs = [replace(job, size=size, sha256=sha) for job in jobs for size, sha in [digests.of(job)]]
    digests.save()
    keys = {job.file: _cache_key(job) for job in jobs}
    done: dict[str, Partition] = {}
    todo = []
    for job in jobs:
        cached = _cached(cache_dir, keys[job.file], job.now)
        if cached:
            done[job.file] = cached
        else:
            todo.append(replace(job, cache=str(cache_dir / keys[job.file]) if cache_dir and keys[job.file] else ""))
    for job, result in zip(todo, _run(todo)):
        done[job.file] = result
    found: dict[str, PartitionedTable] = {}
    problems: list[Problem] = []
    for name, paths in tables.csv_files.items():
        spec = package.resource(name)
        parts = [done[rel(package.root, p)] for p in paths]
        for part in parts:
            problems += part.problems
            problems += rules.future_observations(part.file, part.late, now)
        recent = []
        for part in _contributing(parts):
            rows = part.recent if part.recent or not part.series_last else _cached_recent(cache_dir, keys[part.file])
            if rows is None:     # the remembered rows are gone: check the file again
                rows = check_partition(next(job for job in jobs if job.file == part.file)).recent
            recent.append(rows)
        found[name] = PartitionedTable(name, spec.field_names, [replace(p, recent={}) for p in parts],
                                       merge_recent(spec.schema, recent))
    return found, problems


def _contributing(parts: list[Partition]) -> list[Partition]:
    """The partitions holding some series' rows of its last RECENT: for a year of months, the
    last one or two. Decided from each partition's latest time per series, so the rows of the
    others are never loaded."""
    latest: dict = {}
    for part in parts:
        for key, at in part.series_last.items():
            if key not in latest or at > latest[key]:
                latest[key] = at
    return [part for part in parts
            if any(at >= latest[key] - RECENT for key, at in part.series_last.items())]


def partition_jobs(package: PackageSpec, tables: Tables, typed: dict[str, list[dict]], now: datetime) -> list[Job]:
    """One job per CSV partition of every CSV resource, in file order."""
    return [job for name, paths in tables.csv_files.items()
            for job in _jobs(package, tables, typed, name, paths, now)]


def _jobs(package: PackageSpec, tables: Tables, typed, name: str, paths: list[Path], now: datetime) -> list[Job]:
    spec = package.resource(name)
    lookups, titles = [], {}
    for fk in spec.schema.get("foreignKeys", []):
        target = fk["reference"]["resource"]
        if target in ("", name) or target not in tables.rows:
            continue
        target_spec = package.resource(target)
        key_fields = [target_spec.field(n) for n in fk["reference"]["fields"]]
        data = [[f["name"] for f in key_fields]] + [[row.text(f["name"]) for f in key_fields]
                                                     for row in tables.rows[target]]
        lookups.append((target, {"fields": key_fields}, data))
        titles[target] = (target_spec.title_zh, target_spec.title_en)
    with_capacity = frozenset(c["spot_id"] for c in typed.get("capacities", [])
                              if c.get("capacity_instant") or c.get("capacity_daily"))
    jobs = []
    for path in paths:
        folder = next(f for f in package.folders if path.is_relative_to(f))   # datasets/ or the overlay
        jobs.append(Job(str(folder), rel(package.root, path), path.relative_to(folder).as_posix(), name,
                        spec.schema, tuple(lookups), titles, with_capacity, now, demo=folder != package.root))
    return jobs


def _run(jobs: list[Job]) -> list[Partition]:
    """Check the jobs, largest files first, on as many processes as there are cores."""
    if len(jobs) <= 1:
        return [check_and_remember(job) for job in jobs]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    order = sorted(range(len(jobs)), key=lambda i: -jobs[i].size)
    # fork is quickest; from a process with other threads (build.py serve) a fork would copy their
    # locks, so the workers start afresh there
    start = "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(max_workers=min(cores, len(jobs)), mp_context=multiprocessing.get_context(start)) as pool:
        results = dict(zip(order, pool.map(check_and_remember, [jobs[i] for i in order])))
    return [results[i] for i in range(len(jobs))]


def _file_digest(job: Job) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    try:
        with open(Path(job.root) / job.path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
    except OSError:
        return 0, ""     # unreadable: Frictionless says why
    return size, digest.hexdigest()


def _layout(schema: dict) -> tuple[list[str], int | None, list[int]]:
    """Field names, the index of the primary key's time field, and the indexes of the rest of
    the key (a series: for counts, an area and a window)."""
    names = [f["name"] for f in schema["fields"]]
    types = {f["name"]: f["type"] for f in schema["fields"]}
    key = schema.get("primaryKey", [])
    key = [key] if isinstance(key, str) else key
    time_field = next((n for n in key if types.get(n) == "datetime"), None)
    return (names, names.index(time_field) if time_field else None,
            [names.index(n) for n in key if n != time_field and n in types])


def check_and_remember(job: Job) -> Partition:
    """Check one file and remember the result (in a worker). The rows of the series' last days
    stay in the cache file, not sent back: the caller reads them only if they matter."""
    part = check_partition(job)
    if job.cache and _store(Path(job.cache), part):
        return replace(part, recent={})
    return part


def check_partition(job: Job) -> Partition:
    """Validate one file with Frictionless and keep its summary (runs in a worker process)."""
    path = Path(job.root) / job.path
    names, time_index, series_fields = _layout(job.schema)
    fields = {f["name"]: f for f in job.schema["fields"]}
    primary_key = job.schema.get("primaryKey", [])
    primary_key = [primary_key] if isinstance(primary_key, str) else primary_key
    summary = _Summary(names, time_index, series_fields, job.now + rules.FUTURE_TOLERANCE,
                       rules.partition_row_rules(job.name, job.file, names, job.with_capacity, job.demo))
    pending: list[tuple[int, tuple]] = []
    # a valid row: every field, cast
    cells_of = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))

    def on_row(row) -> None:      # as little as possible per row; the rest in batches
        if row.valid:
            pending.append((row.row_number, cells_of(row)))
            if len(pending) >= BATCH_ROWS:
                summary.add(pending)
                pending.clear()

    resource = frictionless_resource(job)
    collecting = gc.isenabled()
    gc.disable()      # millions of short-lived rows and a growing key index: the cyclic GC only costs time
    try:
        report = resource.validate(on_row=on_row)
        summary.add(pending)
    finally:
        if collecting:
            gc.enable()
    errors = [*report.errors, *(e for task in report.tasks for e in task.errors)]
    problems = csv_problems(errors, fields, primary_key, job.titles, path, job.file)
    if not all(getattr(e, "row_number", None) for e in errors):    # a table-level error: rows unusable
        return Partition(job.file, job.size, job.sha256, job.now, 0, tuple(problems), (), None, (), {})
    recent = summary.recent()
    return Partition(job.file, job.size, job.sha256, job.now, summary.rows, tuple(problems + summary.problems),
                     tuple(summary.late), summary.span, tuple(summary.preview),
                     {key: rows[-1][summary.time_index] for key, rows in recent.items()}, recent)


BATCH_ROWS = 20_000


def frictionless_resource(job: Job) -> Resource:
    """The partition as a Frictionless resource, in a package with its foreign-key lookups."""
    resource = Resource(name=job.name, path=job.path, basepath=job.root, schema=Schema.from_descriptor(job.schema),
                        encoding="utf-8", format="csv")
    Package(resources=[*(Resource(name=n, data=rows, schema=Schema.from_descriptor(s)) for n, s, rows in job.lookups),
                       resource])
    return resource


class _Summary:
    """What a partition keeps of its valid rows, added a batch at a time."""

    def __init__(self, names: list[str], time_index: int | None, series_fields: list[int],
                 late_after: datetime, row_rules) -> None:
        self.time_index, self.late_after, self.row_rules = time_index, late_after, row_rules
        self.series_of = itemgetter(*series_fields) if series_fields else (lambda cells: ())
        self.rows, self.first, self.last = 0, None, None
        self.preview: list[tuple] = []
        self.series: dict = {}
        self.limits: dict = {}
        self.late: list[tuple[int, datetime]] = []
        self.problems: list[Problem] = []

    def add(self, batch: list[tuple[int, tuple]]) -> None:
        if not batch:
            return
        self.rows += len(batch)
        if len(self.preview) < PREVIEW_ROWS:
            self.preview += [cells for _, cells in batch[:PREVIEW_ROWS - len(self.preview)]]
        if self.row_rules:
            self.problems += self.row_rules(batch)
        if self.time_index is None:
            return
        t, series, series_of, late_after = self.time_index, self.series, self.series_of, self.late_after
        aware = [(line, cells) for line, cells in batch if cells[t].tzinfo is not None]
        if not aware:
            return
        times = [cells[t] for _, cells in aware]
        first, last = min(times), max(times)
        self.first = first if self.first is None or first < self.first else self.first
        self.last = last if self.last is None or last > self.last else self.last
        if last > late_after:
            self.late += [(line, cells[t]) for line, cells in aware if cells[t] > late_after]
        for _, cells in aware:
            key = series_of(cells)
            rows = series.get(key)
            if rows is None:
                rows = series[key] = []
            rows.append(cells)
        limits = self.limits
        for key, rows in series.items():      # memory stays small: cut a long series to its tail
            if len(rows) > limits.get(key, 512):
                series[key] = _tail(rows, t)
                limits[key] = len(series[key]) + 256

    @property
    def span(self) -> tuple[date, date] | None:
        return (self.first.date(), self.last.date()) if self.first else None

    def recent(self) -> dict:
        if self.time_index is None:
            return {}
        index = self.time_index
        return {key: _tail(rows, index) for key, rows in self.series.items()}


def _tail(rows: list[tuple], time_index: int) -> list[tuple]:
    """A series' rows within RECENT of its latest, oldest first (times all aware)."""
    rows = sorted(rows, key=itemgetter(time_index))
    since = rows[-1][time_index] - RECENT
    return rows[bisect_left(rows, since, key=itemgetter(time_index)):]


def merge_recent(schema: dict, recents: list[dict]) -> list[dict]:
    """Each series' rows of its last RECENT across partitions, as dicts, oldest first."""
    field_names, time_index, _ = _layout(schema)
    merged: dict[tuple, list[tuple]] = {}
    for recent in recents:
        for key, rows in recent.items():
            merged.setdefault(key, []).extend(rows)
    if time_index is None:
        return []
    return [dict(zip(field_names, row)) for key in sorted(merged)
            for row in _tail(merged[key], time_index)]


# The cache: one JSON document per partition result, named by its key, and one for the rows of its
# series' last days. Only this build writes there (build/ is ignored by git). A document carries
# its format version and the sha256 of its payload, and is decoded strictly: anything unreadable,
# altered or of another version is simply checked again. Never pickle: a cache folder that is ever
# shared or restored from elsewhere must not be able to run code.

CACHE_VERSION = 2


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """This code's own fingerprint, read once per process: a change to it invalidates the cache."""
    return hashlib.sha256(b"".join(path.read_bytes() for path in _CODE)).hexdigest()


def _cache_key(job: Job) -> str:
    digest = hashlib.sha256(_code_digest().encode("ascii"))
    context = {"frictionless": version("frictionless"), "sha256": job.sha256, "file": job.file,
               "name": job.name, "schema": job.schema,
               "lookups": job.lookups, "titles": job.titles, "with_capacity": sorted(job.with_capacity)}
    digest.update(json.dumps(context, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8"))
    return digest.hexdigest() if job.sha256 else ""


def _encode(value):
    """A cell, row or problem as JSON, its type tagged so that it decodes to the same value."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"n": str(value)}
    if isinstance(value, (tuple, list)):
        return [_encode(item) for item in value]
    if isinstance(value, Problem):
        return {"p": [value.file, value.line, value.column, value.code,
                      {str(k): _encode(v) for k, v in value.params.items()}]}
    raise TypeError(f"cannot cache a {type(value).__name__}")


def _decode(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return tuple(_decode(item) for item in value)
    if isinstance(value, dict) and len(value) == 1:
        (tag, body), = value.items()
        if tag == "t":
            moment = datetime.fromisoformat(body)
            return moment
        if tag == "d":
            return date.fromisoformat(body)
        if tag == "n":
            return Decimal(body)
        if tag == "p":
            file, line, column, code, params = body
            if not (isinstance(file, str) and isinstance(line, int) and isinstance(column, int)
                    and isinstance(params, dict)):
                raise ValueError("not a problem")
            return Problem(file, line, column, code, {k: _decode(v) for k, v in params.items()})
    raise ValueError("not a cached value")


def _document(payload) -> bytes:
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return json.dumps({"version": CACHE_VERSION, "sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
                       "payload": body}, ensure_ascii=False).encode("utf-8")


def _payload(path: Path):
    """The payload of a cache document, or None when it cannot be trusted."""
    try:
        document = json.loads(path.read_bytes())
        body = document["payload"]
        if (document.get("version") != CACHE_VERSION or not isinstance(body, str)
                or hashlib.sha256(body.encode("utf-8")).hexdigest() != document.get("sha256")):
            return None
        return json.loads(body)
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
        return None


def _summary_payload(part: Partition) -> dict:
    return {"file": part.file, "size": part.size, "sha256": part.sha256, "checked_at": _encode(part.checked_at),
            "rows": part.rows, "problems": _encode(part.problems), "late": _encode(part.late),
            "span": _encode(part.span), "preview": _encode(part.preview),
            "series_last": [[_encode(key), _encode(at)] for key, at in part.series_last.items()]}


def _aware(value) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValueError("not a time with an offset")
    return value


def _summary(payload: dict) -> Partition:
    """A remembered summary, checked field by field; ValueError/TypeError/KeyError if it is not one."""
    problems = _decode(payload["problems"])
    late = tuple((line, _aware(at)) for line, at in _decode(payload["late"]))
    span = _decode(payload["span"])
    preview = _decode(payload["preview"])
    series_last = {_decode(key): _aware(_decode(at)) for key, at in payload["series_last"]}
    if not (isinstance(payload["file"], str) and isinstance(payload["sha256"], str)
            and type(payload["size"]) is int and type(payload["rows"]) is int and payload["rows"] >= 0
            and all(isinstance(p, Problem) for p in problems) and all(type(line) is int for line, _ in late)
            and (span is None or (len(span) == 2 and all(isinstance(d, date) for d in span)))
            and all(isinstance(row, tuple) for row in preview)
            and all(isinstance(key, tuple) for key in series_last)):
        raise ValueError("not a partition summary")
    return Partition(payload["file"], payload["size"], payload["sha256"], _aware(_decode(payload["checked_at"])),
                     payload["rows"], problems, late, span, preview, series_last)


def _cached(cache_dir: Path | None, key: str, now: datetime) -> Partition | None:
    """A partition's remembered summary (its rows of the last days apart, loaded only if needed)."""
    if cache_dir is None or not key:
        return None
    payload = _payload(cache_dir / f"{key}.json")
    try:
        part = _summary(payload) if isinstance(payload, dict) else None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError):
        return None
    if part is None or now < part.checked_at:
        return None
    return part


def _cached_recent(cache_dir: Path | None, key: str) -> dict | None:
    payload = _payload(cache_dir / f"{key}.recent.json") if cache_dir and key else None
    try:
        recent = {_decode(k): [_decode(row) for row in rows] for k, rows in payload} if isinstance(payload,
                                                                                                   list) else None
        if not recent or not all(isinstance(k, tuple) and all(isinstance(r, tuple) for r in rows)
                                 for k, rows in recent.items()):
            return None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return recent


def _store(cache: Path, part: Partition) -> bool:
    """Remember a result at `cache` (+ .json, + .recent.json); False if it could not be."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        recent = [[_encode(key), _encode(rows)] for key, rows in part.recent.items()]
        write_atomically(cache.with_name(f"{cache.name}.recent.json"), _document(recent), durable=False)
        # last: the summary vouches for the rows
        write_atomically(cache.with_name(f"{cache.name}.json"), _document(_summary_payload(part)), durable=False)
    except OSError:
        return False      # no cache is slower, never wrong
    return True


class _Digests:
    """Each partition's size and sha256, remembered with its inode, size and mtime (as git's index
    does), so an unchanged year of counts is not read again just to be hashed."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.path = cache_dir / "digests.json" if cache_dir else None
        try:
            self.known = json.loads(self.path.read_text("utf-8")) if self.path else {}
        except (OSError, ValueError):
            self.known = {}
        if not isinstance(self.known, dict):
            self.known = {}
        self.seen: dict = {}

    def of(self, job: Job) -> tuple[int, str]:
        path = Path(job.root) / job.path
        try:
            status = path.stat()
        except OSError:
            return 0, ""
        stamp = [status.st_ino, status.st_size, status.st_mtime_ns]
        entry = self.known.get(job.file)
        if isinstance(entry, list) and entry[:3] == stamp and len(entry) == 4:
            self.seen[job.file] = entry
            return status.st_size, entry[3]
        size, sha256 = _file_digest(job)
        # a file written this very moment may change again unseen
        settled = time.time_ns() - status.st_mtime_ns > 2_000_000_000
        if size == status.st_size and sha256 and settled:
            self.seen[job.file] = [*stamp, sha256]
        return size, sha256

    def save(self) -> None:
        if self.path is None or self.seen == self.known:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, json.dumps(self.seen, sort_keys=True).encode("utf-8"), durable=False)
        except OSError:
            pass
