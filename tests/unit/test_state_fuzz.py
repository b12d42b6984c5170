"""Fuzzing the state the hub reads back (seeded, so every run tries the same cases): thousands of
altered cache documents and fetch-state.json files, each read without an exception, and each read
as a miss, as exactly what was stored, or as a reported entry; never as something else."""
from __future__ import annotations

import copy
import hashlib
import json
import os
import random
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import NOW, make_project
from tourhub import pipeline
from tourhub.check import partitions, rules
from tourhub.check.partitions import PartitionedTable, check_partitions
from tourhub.check.problems import Problem, format_text
from tourhub.partners.fetch import read_fetch_state, write_state
from tourhub.partners.http import Endpoint

CST = timezone(timedelta(hours=8))
MONTH = "datasets/observations/2026-11.csv"
COUNTS = ("spot_id,observed_at,window,count,method,source\n"
          + "".join(f"huayingshan,2026-11-01T{h:02d}:00:00+08:00,instant,{100 + h},gate-count,sample\n"
                    for h in range(8))
          + "deng-xiaoping-guli,2026-11-01T09:00:00+08:00,daily,3000,ticketing,sample\n"
          + "nowhere,2026-11-02T09:00:00+08:00,instant,5,gate-count,sample\n"          # ref-missing
          + "huayingshan,2026-10-31T09:00:00+08:00,daily,5,gate-count,sample\n"         # obs-partition
          + "huayingshan,2026-11-21T09:00:00+08:00,instant,7,gate-count,sample\n")      # late: obs-future

# Values a damaged or hand-made document may hold where the hub wrote something else.
HOSTILE = [None, True, False, 0, -1, 1, 7, 2 ** 63, 10 ** 30, 1.5, 1e308, float("nan"),
           float("inf"), -0.0, "", "x", "sample", "\ud800", "\x00", "2026-13-45", "NaN", "x" * 10_000, [], {}, [[[]]],
           ["huayingshan", "instant"], {"t": "2026-11-01T00:00:00"}, {"t": "2026-11-01 00:00:00+08:00"},
           {"t": "2026-11-01T00:00:00+08:00"}, {"t": "2026-11-30T23:00:00+08:00"}, {"t": 5}, {"d": "2026-11-01"},
           {"d": "2026-02-30"}, {"d": "2026-W01-1"}, {"n": "NaN"}, {"n": "sNaN"}, {"n": "1E+999999"}, {"n": "1.0"},
           {"n": "1e2"}, {"p": [MONTH, 1, 1, "file-empty", {}]}, {"p": [MONTH, 1, 1, "no-such-code", {}]},
           {"p": [MONTH, 0, 1, "file-empty", {}]}, {"p": "abcde"}, {"q": 1}, {"t": "x", "d": "y"}]


def deep(levels: int) -> list:
    value: list = []
    for _ in range(levels):
        value = [value]
    return value


def nodes(tree, path=()):
    """Every (path, value) of a JSON tree, the root first."""
    yield path, tree
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from nodes(value, (*path, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from nodes(value, (*path, index))


def altered(rng: random.Random, tree):
    """`tree` with one structural change: a value replaced (by a hostile one, its neighbour, a
    number nudged, a text cut), a key or item dropped, added or repeated, a container emptied."""
    tree = copy.deepcopy(tree)
    path, node = rng.choice(list(nodes(tree)))
    if not path:
        return rng.choice(HOSTILE + [deep(600), [tree], {"payload": tree}])
    *parent_path, last = path
    parent = tree
    for step in parent_path:
        parent = parent[step]
    action = rng.randrange(9)
    if action == 0:
        parent[last] = copy.deepcopy(rng.choice(HOSTILE))
    elif action == 1:
        parent[last] = deep(rng.choice([9, 50, 600]))
    elif action == 2 and type(node) is int:
        parent[last] = node + rng.choice([-1, 1, -node - 1, 10 ** 12])
    elif action == 3 and isinstance(node, str) and node:
        parent[last] = rng.choice([node[:-1], node + "0", node.upper(), node.replace("+08:00", ""),
                                   node.replace("T", " "), node * 30, " " + node, node + "\ud800", node + "\n"])
    elif action == 4 and isinstance(parent, dict):
        del parent[last]
    elif action == 4:
        parent.pop(last)
    elif action == 5 and isinstance(parent, dict):
        parent[f"{last}_" if rng.random() < 0.5 else "extra"] = copy.deepcopy(node)
    elif action == 5:
        parent.insert(last, copy.deepcopy(node))
    elif action == 6 and isinstance(parent, list) and len(parent) > 1:
        other = rng.randrange(len(parent))
        parent[last], parent[other] = parent[other], parent[last]
    elif action == 7 and isinstance(node, (list, dict)) and node:
        parent[last] = type(node)()
    else:
        parent[last] = copy.deepcopy(rng.choice([v for _, v in nodes(tree)]))     # another value of the tree
    return tree


def flipped(rng: random.Random, data: bytes) -> bytes:
    """`data` with a byte-level accident: a bit flipped, a cut, bytes inserted, a piece dropped or repeated."""
    if not data:
        return bytes([rng.randrange(256)])
    at = rng.randrange(len(data))
    action = rng.randrange(6)
    if action == 0:
        return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1:]
    if action == 1:
        return data[:at]
    if action == 2:
        return data[:at] + rng.choice([b'"', b"\\", b"{", b"[", b"]", b"\xff", b"0", b"\n", b" ", b",", b"\xe4\xb8"]) \
            + data[at:]
    if action == 3:
        return data[:at] + data[at + rng.randrange(1, 50):]
    if action == 4:
        end = min(len(data), at + rng.randrange(1, 80))
        return data[:end] + data[at:end] + data[end:]
    return rng.choice([b"", b"null", b"[]", b"{}", b"\x80\x04\x95", data * 2, b"[" * 100_000,
                       data[:at] + b"9" * 5000 + data[at:]])


def body_of(payload) -> str:
    """A payload as the hub dumps one (non-ASCII escaped only where a lone surrogate forces it)."""
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
        ascii_only = False
    except UnicodeEncodeError:
        ascii_only = True
    return json.dumps(payload, ensure_ascii=ascii_only, sort_keys=True, separators=(",", ":"))


def envelope(body: str, name: str) -> bytes:
    """A cache document as the hub writes one, its checksum made for `body`."""
    return json.dumps({"version": partitions.CACHE_VERSION, "name": name, "payload": body,
                       "sha256": hashlib.sha256(body.encode("utf-8")).hexdigest()}).encode()


def document(payload, name: str) -> bytes:
    """A cache document, checksum recomputed: only what it says is altered."""
    return envelope(body_of(payload), name)


def stretched(rng: random.Random, body: str) -> str:
    """A body with 5,000 digits or 5,000 brackets deep put in somewhere: what no Python value dumps to."""
    at = rng.randrange(len(body))
    return body[:at] + rng.choice(["9" * 5000, "[" * 5000 + "]" * 5000]) + body[at:]


MISS = object()      # what a body no JSON reader can read must be read as


def parsed(body: str):
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return MISS


def unwrapped(data: bytes):
    return json.loads(json.loads(data)["payload"])


class Cache:
    """A month checked once into a cache: its documents, the job that reads them and a fresh result."""

    def __init__(self, folder: Path) -> None:
        self.project = make_project(folder / "project")
        (self.project / MONTH).write_text(COUNTS, encoding="utf-8")
        os.utime(self.project / MONTH, ns=(1_700_000_000_000_000_000,) * 2)     # settled: its digest is remembered
        self.folder = folder / "cache"
        self.validated = pipeline.check(self.project, NOW, self.folder)
        (job,) = [j for j in partitions.partition_jobs(self.validated.package, self.validated.tables,
                                                       self.validated.typed, NOW) if j.file == MONTH]
        size, sha256 = partitions._file_digest(job)
        self.job = replace(job, size=size, sha256=sha256)
        self.key = partitions._cache_key(self.job)
        self.fresh = partitions.check_partition(self.job)
        self.paths = {"summary": self.folder / f"{self.key}.json", "recent": self.folder / f"{self.key}.recent.json",
                      "digests": self.folder / "digests.json"}
        self.genuine = {name: path.read_bytes() for name, path in self.paths.items()}

    def restore(self) -> None:
        for name, path in self.paths.items():
            path.write_bytes(self.genuine[name])


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Cache:
    found = Cache(tmp_path_factory.mktemp("fuzz"))
    assert {p.code for p in found.fresh.problems} == {"ref-missing", "obs-partition"} and found.fresh.late
    return found


CELL_TYPES = {"string": str, "integer": int, "datetime": datetime}


def texts(value):
    """Every text in a value (rows, keys, problems' file, code and parameters)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from texts(item)
    elif isinstance(value, Problem):
        yield from texts([value.file, value.code, *value.params, *value.params.values()])


def usable(part, recent, schema) -> None:
    """A result a fresh check could have produced, as far as types go (restated here, independently
    of the loader), and what later stages do with it (the steps that crashed on a damaged cache)."""
    fields, recent = schema["fields"], recent or {}
    rows = [*part.preview, *(row for series in recent.values() for row in series)]
    assert all(type(row) is tuple and len(row) == len(fields) and all(
        isinstance(cell, CELL_TYPES[field["type"]]) and (type(cell) is not bool) for cell, field in zip(row, fields))
        for row in rows)
    assert all(row[1].utcoffset() is not None for series in recent.values() for row in series)
    assert all(type(key) is tuple and [type(k) for k in key] == [str, str] for key in [*part.series_last, *recent])
    assert all(at.utcoffset() is not None for at in part.series_last.values())
    assert all(type(line) is int and line >= 1 and at.utcoffset() is not None for line, at in part.late)
    assert part.span is None or (len(part.span) == 2 and [type(day) for day in part.span] == [date, date]
                                 and part.span[0] <= part.span[1])
    assert all(type(p) is Problem and p.file == MONTH and p.line >= 1 and p.column >= 1 for p in part.problems)
    assert type(part.rows) is int and part.rows >= len(part.preview)
    for text in texts([rows, list(part.series_last), list(part.problems)]):
        text.encode("utf-8")
    format_text([*part.problems, *rules.future_observations(part.file, part.late, NOW)]).encode("utf-8")
    partitions._contributing([part])
    table = PartitionedTable("visitor_observations", [f["name"] for f in fields], [part],
                             partitions.merge_recent(schema, [recent] if recent else []))
    json.dumps([table.rows, str(table.span), str(table.preview), str(table.recent)], ensure_ascii=False).encode()


def test_the_cache_loader_reads_any_altered_document_as_a_miss_or_as_exactly_what_was_stored(cache):
    rng = random.Random(20261113)
    summary = partitions._summary_payload(cache.fresh)
    assert partitions._summary_payload(partitions._cached(cache.folder, cache.key, cache.job)) == summary
    seen = {"miss": 0, "fresh": 0, "as stored": 0}
    for case in range(2400):
        target = ("summary", "recent", "digests")[case % 3]
        structural = rng.random() < 0.6
        genuine = cache.genuine[target]
        stored = altered(rng, unwrapped(genuine)) if structural else None
        cache.paths[target].write_bytes(document(stored, cache.paths[target].name) if structural
                                        else flipped(rng, genuine))
        if structural and rng.random() < 0.05:     # and what no Python value dumps to
            body = stretched(rng, body_of(stored))
            cache.paths[target].write_bytes(envelope(body, cache.paths[target].name))
            stored = parsed(body)
        if target == "summary":
            got = partitions._cached(cache.folder, cache.key, cache.job)
            if got is not None:
                assert partitions._summary_payload(got) == (stored if structural else summary), case
                usable(got, None, cache.job.schema)
        elif target == "recent":
            got = partitions._cached_recent(cache.folder, cache.key, cache.job, cache.fresh)
            if got is not None:
                as_written = [[partitions._encode(key), partitions._encode(rows)] for key, rows in got.items()]
                assert (as_written == stored) if structural else (got == cache.fresh.recent), case
                usable(replace(cache.fresh, recent={}), got, cache.job.schema)
        else:
            known = partitions._Digests(cache.folder).known
            got = known or None
            assert all(isinstance(file, str) and len(entry) == 4 and [type(n) for n in entry] == [int, int, int, str]
                       and len(entry[3]) == 64 and set(entry[3]) <= set("0123456789abcdef")
                       for file, entry in known.items()), case
            if not structural:
                assert known in ({}, unwrapped(cache.genuine["digests"])), case
        seen["miss" if got is None else "as stored" if structural else "fresh"] += 1
        cache.paths[target].write_bytes(genuine)
    assert seen["miss"] > 1500 and seen["fresh"] > 10 and seen["as stored"] > 10, seen


def test_a_check_over_an_altered_cache_never_fails_and_publishes_the_true_sha256(cache):
    rng = random.Random(7)
    validated = cache.validated
    true = (MONTH, len(COUNTS.encode()), hashlib.sha256(COUNTS.encode()).hexdigest())
    for case in range(240):
        for target in rng.sample(["summary", "recent", "digests"], rng.randint(1, 3)):
            path, genuine = cache.paths[target], cache.genuine[target]
            if target == "digests" and rng.random() < 0.8:     # through the hub's own writer
                digests = partitions._Digests(cache.folder)
                digests.seen = altered(rng, digests.known)
                digests.save()
                continue
            body = body_of(altered(rng, unwrapped(genuine)))
            path.write_bytes(envelope(stretched(rng, body) if rng.random() < 0.05 else body, path.name)
                             if rng.random() < 0.8 else flipped(rng, genuine))
        found, problems = check_partitions(validated.package, validated.tables, validated.typed, NOW, cache.folder)
        table = found["visitor_observations"]
        assert [(p.file, p.size, p.sha256) for p in table.parts if p.file == MONTH] == [true], case
        assert all(isinstance(p, Problem) for p in problems) and table.span and len(table.preview) == 5, case
        format_text(problems).encode("utf-8")
        cache.restore()


# fetch-state.json --------------------------------------------------------------------------------


STATE = {
    "cq-city": {"last_attempt": "2026-11-20T20:00:00+08:00", "last_success": "2026-11-20T20:00:00+08:00",
                "last_error": None, "etag": '"v1"', "last_modified": "Fri, 20 Nov 2026 12:00:00 GMT",
                "rows_last": 2, "rows_added_total": 40, "areas": ["huayingshan", "dazu-rock-carvings"]},
    "sc-parks": {"last_attempt": "2026-11-20T20:00:00+08:00", "last_success": None, "etag": None,
                 "last_error": {"code": "fetch-http-status", "zh": "数据源 sc-parks 抓取失败：服务器返回 HTTP 500",
                                "en": "Feed sc-parks failed: the server answered HTTP 500"}},
    "never": {},
    "quiet": {"last_attempt": "2026-11-19T08:00:00Z", "last_success": "2026-11-19T08:00:00+00:00",
              "rows_last": 0, "rows_added_total": 0, "areas": []},
}


def entry_fits(entry) -> bool:
    """The schema, restated independently: the types each field of a kept entry may have."""
    def time(value) -> bool:
        return value is None or (isinstance(value, str) and datetime.fromisoformat(value).utcoffset() is not None)

    def header(value) -> bool:
        return value is None or (isinstance(value, str) and all(ord(c) >= 32 and c != "\x7f" for c in value))

    def count(value) -> bool:
        return type(value) is int and value >= 0

    fits = {"last_attempt": time, "last_success": time, "etag": header, "last_modified": header,
            "rows_last": count, "rows_added_total": count,
            "last_error": lambda v: v is None or (type(v) is dict and sorted(v) == ["code", "en", "zh"]
                                                  and all(type(t) is str for t in v.values())),
            "areas": lambda v: type(v) is list and all(type(a) is str and a for a in v)}
    return type(entry) is dict and all(name in fits and fits[name](value) for name, value in entry.items())


def test_fetch_state_is_read_whole_or_entry_by_entry_and_what_is_kept_fits_its_schema(tmp_path):
    rng = random.Random(20261120)
    path, again = tmp_path / "fetch-state.json", tmp_path / "again" / "fetch-state.json"
    again.parent.mkdir()
    write_state(path, STATE)
    genuine = path.read_bytes()
    seen = {"kept": 0, "reported": 0, "unreadable": 0}
    for case in range(2400):
        if rng.random() < 0.6:
            text = json.dumps(altered(rng, STATE), ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1]))
            if rng.random() < 0.1:         # a key written twice (json.dumps never does)
                text = text.replace('"cq-city": {', '"cq-city": {"rows_last": 1, ', 1).replace(
                    '"never": {}', '"never": {}, "quiet": {}', 1)
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
        else:
            path.write_bytes(flipped(rng, genuine))
        kept, problems = read_fetch_state(path)
        lines = path.read_bytes().count(b"\n") + 1
        assert all(entry_fits(entry) for entry in kept.values()), (case, kept)
        assert all(p.code == "fetch-state-unreadable" and 1 <= p.line <= lines and p.column >= 1 for p in problems)
        try:
            plain = json.loads(path.read_bytes().decode("utf-8"))
        except (ValueError, RecursionError):
            plain = None
        if isinstance(plain, dict):        # every entry is either kept or reported
            assert len(kept) + len(problems) == len(plain), case
        for entry in kept.values():        # and what is kept is what fetch and the build use
            Endpoint(url="https://example.org/x.csv", format="csv", timeout_s=1, max_bytes=10,
                     etag=entry.get("etag"), last_modified=entry.get("last_modified"))
            assert entry.get("rows_added_total", 0) + 1 > 0
            sorted(set(entry.get("areas", [])) | {"huayingshan"})
            if entry.get("last_success"):
                datetime.fromisoformat(entry["last_success"])
        write_state(again, kept)
        assert read_fetch_state(again) == (kept, []), case
        seen["unreadable" if not isinstance(plain, dict) else "reported" if problems else "kept"] += 1
    assert min(seen.values()) > 200, seen
