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

Before that, one pass over the file's bytes takes the sha256 the catalogue publishes for it and
notices a BOM or CRLF line breaks (a file published byte for byte must not have them).

Each result is cached in `cache_dir` under a key made of the file's sha256 and everything else
the check depends on (schema, lookup keys, areas with a capacity, this code, Frictionless), so
an unchanged month is validated once. The one input that moves by itself, the clock, is kept
out of the key: a partition remembers its rows later than the time it was checked, and rule
`obs-future` is applied to those whenever the result is used (a clock that went back is a miss).
A remembered result is only used when it is exactly what was stored (see the cache below).
"""
from __future__ import annotations

import gc
import hashlib
import json
import math
import multiprocessing
import os
import re
import stat
import threading
import time
from bisect import bisect_left
from collections.abc import Callable
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
from tourhub.check.problems import RULES, Problem
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
    keys = {job.file: _cache_key(job) for job in jobs}
    by_file = {job.file: job for job in jobs}
    done: dict[str, Partition] = {}
    todo = []
    for job in jobs:
        cached = _cached(cache_dir, keys[job.file], job)
        if cached:
            done[job.file] = cached
        else:
            todo.append(replace(job, cache=str(cache_dir / keys[job.file]) if cache_dir and keys[job.file] else ""))
    for job, result in zip(todo, _run(todo)):
        done[job.file] = result
        if result.sha256 != job.sha256:     # a remembered digest that was wrong, or a file changed meanwhile
            digests.forget(job.file)
    digests.save()
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
            job = by_file[part.file]
            rows = (part.recent if part.recent or not part.series_last
                    else _cached_recent(cache_dir, keys[part.file], job, part))
            if rows is None:     # the remembered rows are gone or in doubt: check the file again
                again = check_partition(job)
                if cache_dir and keys[part.file] and again.sha256 == job.sha256:
                    _store(cache_dir / keys[part.file], again)      # and remember them, for next time
                rows = again.recent
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


@dataclass(frozen=True)
class _Bytes:
    """What one pass over a file's bytes tells: its size and sha256 (what the catalogue
    publishes), whether it starts with a BOM, and where its first CRLF line break is."""

    size: int
    sha256: str
    bom: bool
    crlf_at: int | None          # byte offset of the first "\r\n"


def _read_bytes(path: Path) -> _Bytes | None:
    """A file's _Bytes, in one streaming pass (a "\r" is looked for with memchr: an LF-only
    month costs nothing more than its sha256); None if it cannot be read (Frictionless says why)."""
    digest, size, bom, crlf_at, after_cr = hashlib.sha256(), 0, False, None, False
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                if not size:
                    bom = chunk.startswith(b"\xef\xbb\xbf")
                if crlf_at is None and (after_cr or b"\r" in chunk):
                    at = (b"\r" + chunk if after_cr else chunk).find(b"\r\n")
                    crlf_at = None if at < 0 else size + at - (1 if after_cr else 0)
                after_cr = chunk.endswith(b"\r")
                size += len(chunk)
    except OSError:
        return None
    return _Bytes(size, digest.hexdigest(), bom, crlf_at)


def _file_digest(job: Job) -> tuple[int, str]:
    found = _read_bytes(Path(job.root) / job.path)
    return (found.size, found.sha256) if found else (0, "")


def _position(path: Path, offset: int) -> tuple[int, int]:
    """The line and column (1-based; the column in characters) of a byte offset in a file."""
    newlines, line_start, done = 0, 0, 0
    try:
        with open(path, "rb") as handle:
            while done < offset:
                chunk = handle.read(min(1 << 20, offset - done))
                if not chunk:
                    break
                newlines += chunk.count(b"\n")
                last = chunk.rfind(b"\n")
                line_start = done + last + 1 if last >= 0 else line_start
                done += len(chunk)
            handle.seek(line_start)
            before = handle.read(offset - line_start)
    except OSError:
        return 1, 1
    return newlines + 1, len(before.decode("utf-8", errors="replace")) + 1


def _byte_problems(path: Path, file: str, found: _Bytes) -> list[Problem]:
    """A BOM (which a partner's CSV reader would take into the first column's name) and CRLF line
    breaks (a file that mixes them once rows are appended): the file is published byte for byte."""
    problems = [Problem(file, 1, 1, "file-bom")] if found.bom else []
    if found.crlf_at is not None:
        line, column = _position(path, found.crlf_at)
        problems.append(Problem(file, line, column, "file-line-endings"))
    return problems


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
    if job.cache and part.sha256 == job.sha256 and _store(Path(job.cache), part):
        return replace(part, recent={})
    return part


def check_partition(job: Job) -> Partition:
    """Validate one file with Frictionless and keep its summary (runs in a worker process). Its
    size and sha256 are those of the bytes read here, never a remembered digest."""
    path = Path(job.root) / job.path
    found = _read_bytes(path)
    size, sha256 = (found.size, found.sha256) if found else (job.size, job.sha256)
    byte_problems = _byte_problems(path, job.file, found) if found else []
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
    problems = byte_problems + csv_problems(errors, fields, primary_key, job.titles, path, job.file)
    if not all(getattr(e, "row_number", None) for e in errors):    # a table-level error: rows unusable
        return Partition(job.file, size, sha256, job.now, 0, tuple(problems), (), None, (), {})
    recent = summary.recent()
    return Partition(job.file, size, sha256, job.now, summary.rows, tuple(problems + summary.problems),
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


# The cache: one JSON document per partition result, named by its key, one for the rows of its
# series' last days, and digests.json. Only this build writes there (build/ is ignored by git).
# A document carries its format version, its own file name and the sha256 of its payload, and is
# decoded strictly: every value must come back exactly as it was written (canonical times and
# numbers, known problem codes), fit the partition's Table Schema, and agree with the file it
# describes (name, size, sha256) and with the other document of its pair. Anything unreadable,
# altered, of another version or merely odd is a miss, and the file is simply checked again:
# loading never raises. Never pickle: a cache folder that is ever shared or restored from
# elsewhere must not be able to run code.

CACHE_VERSION = 3
SETTLE_NS = 2_000_000_000      # a file changed more recently than this may change again unseen
_HEX64 = re.compile(r"[0-9a-f]{64}")
# _document writes every character as itself (ensure_ascii=False): an escaped surrogate, which would
# decode to a text no file or page can hold, is no payload of ours
_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_MAX_DEPTH = 8                 # a cached value nests four deep at most (problems, problem, params, value)
# what reading a damaged document can raise; each of them only means "not a result"
_DOUBT = (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError, ArithmeticError)


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


_TAGGED: dict[str, Callable[[str], object]] = {"t": datetime.fromisoformat, "d": date.fromisoformat,
                                              "n": Decimal}


def _decode(value, depth: int = 0):
    """A value as _encode wrote it, or ValueError: each type only in its canonical text (the one
    _encode writes), numbers only finite, problems only of known codes and as they were made."""
    if depth > _MAX_DEPTH:
        raise ValueError("nested too deep")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("not a finite number")
        return value
    if isinstance(value, list):
        return tuple(_decode(item, depth + 1) for item in value)
    if type(value) is dict and len(value) == 1:
        (tag, body), = value.items()
        if tag == "p":
            return _decode_problem(body, depth + 1)
        if tag in _TAGGED and isinstance(body, str):
            decoded = _TAGGED[tag](body)
            if _encode(decoded) == value and (not isinstance(decoded, Decimal) or decoded.is_finite()):
                return decoded
    raise ValueError("not a cached value")


def _decode_problem(body, depth: int) -> Problem:
    if not (type(body) is list and len(body) == 5):
        raise ValueError("not a problem")
    file, line, column, code, params = body
    if not (isinstance(file, str) and type(line) is int and type(column) is int and line >= 1 and column >= 1
            and isinstance(code, str) and code in RULES and type(params) is dict):
        raise ValueError("not a problem")
    decoded = {key: _decode(value, depth + 1) for key, value in params.items()}
    problem = Problem(file, line, column, code, decoded)
    if problem.params != decoded:      # not as a Problem keeps it (a long text is cut to an excerpt)
        raise ValueError("not a problem as made")
    return problem


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a cached value")


def _document(payload, name: str) -> bytes:
    """The cache document `name` (its own file name) holding `payload`."""
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return json.dumps({"version": CACHE_VERSION, "name": name, "payload": body,
                       "sha256": hashlib.sha256(body.encode("utf-8")).hexdigest()},
                      ensure_ascii=False).encode("utf-8")


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file, never through a link (a FIFO, a device, a folder: OSError)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        return handle.read()


def _payload(path: Path):
    """The payload of a cache document, or None when it cannot be trusted: not a regular file,
    not JSON, another version, another file's document, or a payload that does not match its sha256."""
    try:
        document = json.loads(_read_regular(path), parse_constant=_no_constant)
        if not (type(document) is dict and document.keys() == {"version", "name", "payload", "sha256"}
                and type(document["version"]) is int and document["version"] == CACHE_VERSION
                and document["name"] == path.name and isinstance(document["payload"], str)):
            return None
        body = document["payload"]
        if hashlib.sha256(body.encode("utf-8")).hexdigest() != document["sha256"] or _SURROGATE.search(body):
            return None
        return json.loads(body, parse_constant=_no_constant)
    except _DOUBT:
        return None


def _summary_payload(part: Partition) -> dict:
    return {"file": part.file, "size": part.size, "sha256": part.sha256, "checked_at": _encode(part.checked_at),
            "rows": part.rows, "problems": _encode(part.problems), "late": _encode(part.late),
            "span": _encode(part.span), "preview": _encode(part.preview),
            "series_last": [[_encode(key), _encode(at)] for key, at in part.series_last.items()]}


@dataclass(frozen=True)
class _Shape:
    """What a partition's remembered rows must look like, from its Table Schema."""

    fields: tuple[tuple[str, bool], ...]     # each field's type, and whether a value is required
    time_index: int | None
    series: tuple[int, ...]                  # the fields of a series key


def _shape(schema: dict) -> _Shape:
    _, time_index, series = _layout(schema)
    return _Shape(tuple((f["type"], bool(f.get("constraints", {}).get("required"))) for f in schema["fields"]),
                  time_index, tuple(series))


# what Frictionless casts a valid cell of each type to; of other types, any value _decode accepts
_CELL_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "year": (int,), "number": (Decimal, int, float), "boolean": (bool,),
    "date": (date,), "datetime": (datetime,)}


def _cell_fits(value, kind: str, required: bool) -> bool:
    if value is None:
        return not required
    allowed = _CELL_TYPES.get(kind)
    if allowed is None:
        return not isinstance(value, (tuple, Problem))
    return (isinstance(value, allowed) and isinstance(value, bool) == (kind == "boolean")
            and not (kind == "date" and isinstance(value, datetime)))


def _row_fits(row, shape: _Shape) -> bool:
    return (isinstance(row, tuple) and len(row) == len(shape.fields)
            and all(_cell_fits(cell, kind, required) for cell, (kind, required) in zip(row, shape.fields)))


def _key_fits(key, shape: _Shape) -> bool:
    """A series key: the values of the series fields (one field: the value itself), none missing."""
    cells = (key,) if len(shape.series) == 1 else key
    return (isinstance(cells, tuple) and len(cells) == len(shape.series)
            and all(cell is not None and _cell_fits(cell, shape.fields[index][0], True)
                    for cell, index in zip(cells, shape.series)))


def _is_aware(value) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def _aware(value) -> datetime:
    if not _is_aware(value):
        raise ValueError("not a time with an offset")
    return value


def _pairs(value) -> list:
    if not (type(value) is list and all(type(pair) is list and len(pair) == 2 for pair in value)):
        raise ValueError("not a list of pairs")
    return value


_SUMMARY_KEYS = {"file", "size", "sha256", "checked_at", "rows", "problems", "late", "span", "preview", "series_last"}


def _summary(payload, job: Job) -> Partition:
    """The remembered summary of `job`'s file, checked field by field against the file and its
    schema; ValueError (or another of _DOUBT) if it is not exactly one."""
    if not (type(payload) is dict and payload.keys() == _SUMMARY_KEYS and payload["file"] == job.file
            and payload["sha256"] == job.sha256 and type(payload["size"]) is int and payload["size"] == job.size
            and type(payload["rows"]) is int and payload["rows"] >= 0):
        raise ValueError("not this file's summary")
    shape = _shape(job.schema)
    checked_at = _aware(_decode(payload["checked_at"]))
    problems, late, span, preview = (_decode(payload[name]) for name in ("problems", "late", "span", "preview"))
    series = [(_decode(key), _decode(at)) for key, at in _pairs(payload["series_last"])]
    series_last = dict(series)
    late_after = checked_at + rules.FUTURE_TOLERANCE
    if not (isinstance(problems, tuple) and all(isinstance(p, Problem) and p.file == job.file for p in problems)
            and isinstance(late, tuple)
            and all(isinstance(entry, tuple) and len(entry) == 2 and type(entry[0]) is int and entry[0] >= 1
                    and _is_aware(entry[1]) and entry[1] > late_after for entry in late)
            and (span is None or (isinstance(span, tuple) and len(span) == 2
                                  and all(type(day) is date for day in span) and span[0] <= span[1]))
            and isinstance(preview, tuple) and len(preview) == min(PREVIEW_ROWS, payload["rows"])
            and all(_row_fits(row, shape) for row in preview)
            and len(series_last) == len(series) and (span is None) == (not series_last)
            and all(_key_fits(key, shape) and _is_aware(at) for key, at in series)):
        raise ValueError("not a partition summary")
    return Partition(job.file, job.size, job.sha256, checked_at, payload["rows"], problems, late, span, preview,
                     series_last)


def _cached(cache_dir: Path | None, key: str, job: Job) -> Partition | None:
    """`job`'s remembered summary (its rows of the last days apart, loaded only if needed)."""
    if cache_dir is None or not key:
        return None
    try:
        part = _summary(_payload(cache_dir / f"{key}.json"), job)
    except _DOUBT:
        return None
    return None if job.now < part.checked_at else part


def _cached_recent(cache_dir: Path | None, key: str, job: Job, part: Partition) -> dict | None:
    """The remembered rows of the series' last days: exactly the series the summary `part` names,
    each in time order and ending at the time the summary remembers; else None."""
    if cache_dir is None or not key:
        return None
    try:
        pairs = _pairs(_payload(cache_dir / f"{key}.recent.json"))
        shape = _shape(job.schema)
        recent = {_decode(series): list(_decode(rows)) for series, rows in pairs}
        at = shape.time_index
        if not (at is not None and len(recent) == len(pairs) and recent.keys() == part.series_last.keys()
                and all(rows and all(_row_fits(row, shape) and _is_aware(row[at]) for row in rows)
                        and all(earlier[at] <= later[at] for earlier, later in zip(rows, rows[1:]))
                        and rows[-1][at] == part.series_last[series] and rows[0][at] >= rows[-1][at] - RECENT
                        for series, rows in recent.items())):
            return None
    except _DOUBT:
        return None
    return recent


def _store(cache: Path, part: Partition) -> bool:
    """Remember a result at `cache` (+ .json, + .recent.json); False if it could not be."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        recent = [[_encode(key), _encode(rows)] for key, rows in part.recent.items()]
        names = f"{cache.name}.recent.json", f"{cache.name}.json"
        write_atomically(cache.with_name(names[0]), _document(recent, names[0]), durable=False)
        # last: the summary vouches for the rows
        write_atomically(cache.with_name(names[1]), _document(_summary_payload(part), names[1]), durable=False)
    except (OSError, ValueError, TypeError):
        return False      # no cache (or a value it cannot hold) is slower, never wrong
    return True


class _Digests:
    """Each partition's size and sha256, remembered with its inode, size and mtime (as git's index
    does), so an unchanged year of counts is not read again just to be hashed. An entry is only
    believed when it is whole (a 64-digit lowercase hex digest) and its file had settled when it
    was hashed; it is then only the way to the remembered result of those bytes, whose own sha256
    must agree. A file checked afresh is hashed as it is read, and that digest replaces a
    remembered one that disagrees."""

    def __init__(self, cache_dir: Path | None) -> None:
        self.path = cache_dir / "digests.json" if cache_dir else None
        self.known = _believable(_payload(self.path) if self.path else None, time.time_ns())
        self.seen: dict = {}

    def of(self, job: Job) -> tuple[int, str]:
        path = Path(job.root) / job.path
        try:
            status = path.stat()
        except OSError:
            return 0, ""
        stamp = [status.st_ino, status.st_size, status.st_mtime_ns]
        entry = self.known.get(job.file)
        if entry is not None and entry[:3] == stamp:
            self.seen[job.file] = entry
            return status.st_size, entry[3]
        size, sha256 = _file_digest(job)
        # a file written this very moment may change again unseen
        settled = time.time_ns() - status.st_mtime_ns > SETTLE_NS
        if size == status.st_size and sha256 and settled:
            self.seen[job.file] = [*stamp, sha256]
        return size, sha256

    def forget(self, file: str) -> None:
        self.seen.pop(file, None)

    def save(self) -> None:
        if self.path is None or self.seen == self.known:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, _document(self.seen, self.path.name), durable=False)
        except (OSError, ValueError):
            pass


def _believable(payload, now_ns: int) -> dict[str, list]:
    """The entries of a digests document that can be believed; the files of the others are hashed again."""
    if type(payload) is not dict:
        return {}
    return {file: entry for file, entry in payload.items()
            if type(entry) is list and len(entry) == 4 and all(type(n) is int for n in entry[:3])
            and entry[0] >= 0 and entry[1] >= 0 and entry[2] <= now_ns - SETTLE_NS
            and type(entry[3]) is str and _HEX64.fullmatch(entry[3])}
