"""Partners' visitor counts: check a payload, then merge it into the monthly CSV partitions.

A partner sends counts as CSV or JSON. `parse_observations` decodes the bytes strictly, checks
the columns, lets Frictionless judge types, constraints and the primary key (with the Table
Schema of `datasets/schemas/visitor_observations.yaml`, foreign keys left out), then applies the
hub's own rules: a UTC offset on every time, nothing from the future, a known area that has a
capacity, no markup. A payload with any problem is rejected whole, so a partition never holds
half a delivery.

`merge_observations` adds accepted rows to `observations/YYYY-MM.csv`, the month taken in China
time (+08:00). A row is identified by (spot_id, observed_at as an instant, window); every time
is written in one canonical form (ISO 8601 with +08:00), so the canonical text *is* the instant
and the merge works on plain strings, tuples and the csv module. Re-sending a payload adds
nothing; a different value for a known key is reported as a conflict and the existing value
stays. Each partition is replaced atomically (temp file in the same folder, fsync, os.replace),
and always written as UTF-8 without BOM with LF line breaks (one saved otherwise is rewritten so).
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from dateutil.parser import isoparse  # what Frictionless itself parses datetimes with
from frictionless import Resource, Schema

from tourhub.check.frictionless_errors import broken_constraint, first_row
from tourhub.check.problems import FeedMessage
from tourhub.check.rules import MARKUP
from tourhub.core.dates import CHINA
from tourhub.core.files import atomic_writer
from tourhub.partners.http import excerpt

FIELDS = ("spot_id", "observed_at", "window", "count", "method", "source")  # schema order
FILLED = "source"                      # the one column a partner may leave out
MAX_PROBLEMS = 1000                    # Frictionless stops at 1000 errors too

SortKey = tuple[str, str, str]         # (observed_at canonical, spot_id, window): order and identity
Values = tuple[int, str, str]          # (count, method, source)


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class PayloadProblem(FeedMessage):
    """Why a payload is rejected: the `rule` of the problem catalogue (payload-…) with its
    `params`; `code` is the kind (encoding, parse, columns-missing, columns-extra, type,
    constraint, unknown-area, no-capacity, time-offset, future, duplicate, markup)."""

    code: str
    row: int | None      # 1-based data row of the payload; None for the whole payload
    field: str | None
    rule: str
    params: dict


@dataclass(frozen=True)
class Payload:
    rows: tuple[dict, ...]   # spot_id, observed_at (aware datetime), window, count, method, source
    problems: tuple[PayloadProblem, ...]

    @property
    def accepted(self) -> bool:
        """True only without any problem: one bad row rejects the whole payload."""
        return not self.problems


@dataclass(frozen=True)
class Conflict:
    """A key already in a partition with other values; the existing values were kept."""

    key: tuple[str, str, str]    # spot_id, observed_at (ISO 8601, +08:00), window
    existing: dict[str, Any]     # count, method, source
    incoming: dict[str, Any]


@dataclass(frozen=True)
class MergeResult:
    added: int
    unchanged: int
    conflicts: tuple[Conflict, ...]
    files: tuple[str, ...]       # names of the partitions written, e.g. "2026-11.csv"


# ---------------------------------------------------------------------------------------------
# Parsing and checking a payload


@dataclass(frozen=True)
class _Table:
    """A payload as Frictionless will see it: cells in schema order, and where each row came from."""

    cells: list[list[Any]]
    numbers: list[int]                         # payload row number of each entry of `cells`
    problems: list[PayloadProblem]
    reported: frozenset[tuple[int, str]]       # (row, field) already explained (missing key)
    fatal: bool = False                        # the rows cannot be read at all


def parse_observations(body: bytes, fmt: str, *, schema: dict, areas_with_capacity: set[str],
                       known_areas: set[str], source_id: str, now: datetime,
                       future_slack: timedelta = timedelta(minutes=10)) -> Payload:
    """Check a partner's payload (`fmt` "csv" or "json") and return its normalised rows.

    `schema` is the visitor_observations Table Schema as loaded from YAML. Every accepted row's
    source becomes `source_id`: a partner cannot file counts under another source.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    names = [f["name"] for f in schema["fields"]]
    if sorted(names) != sorted(FIELDS):
        raise ValueError(f"schema fields {names} are not the observation fields {list(FIELDS)}")
    _check_source_id(source_id, schema)
    text, problem = decode_payload(body)
    if problem:
        return Payload((), (problem,))
    if fmt == "csv":
        table = _csv_table(text, names, source_id)
    elif fmt == "json":
        table = _json_table(text, names, source_id)
    else:
        raise ValueError(f"unknown payload format {fmt!r} (csv or json)")
    if table.fatal:
        return Payload((), tuple(table.problems))
    flagged: set[tuple[int, str]] = set()
    problems = _dedupe([*table.problems, *_frictionless_problems(table, names, schema, flagged)])
    typed, rule_problems = _hub_rules(table, names, schema, flagged, known_areas,
                                      areas_with_capacity, now + future_slack, check_markup=_has_markup(text, fmt))
    problems += rule_problems
    if problems:
        return Payload((), tuple(sorted(problems, key=_problem_order)[:MAX_PROBLEMS]))
    rows = tuple({"spot_id": spot, "observed_at": at, "window": window, "count": count,
                  "method": method, "source": source_id}
                 for spot, at, window, count, method in typed)
    return Payload(rows, ())


def decode_payload(body: bytes) -> tuple[str, PayloadProblem | None]:
    """Strict UTF-8; a leading BOM is dropped. Offsets in problems count bytes of `body`."""
    start = 3 if body.startswith(b"\xef\xbb\xbf") else 0
    try:
        return body[start:].decode("utf-8"), None
    except UnicodeDecodeError as error:
        offset = error.start + start
        return "", _problem("encoding", None, None, offset=offset)


def _check_source_id(source_id: str, schema: dict) -> None:
    limit = next(f for f in schema["fields"] if f["name"] == FILLED).get("constraints", {}).get("maxLength")
    if not source_id or MARKUP.search(source_id) or (limit and len(source_id) > limit):
        raise ValueError(f"unusable source id {source_id!r}")


def _problem(rule: str, row: int | None, field: str | None, /, **params) -> PayloadProblem:
    """A problem of the catalogue's rule payload-<rule>; its kind is the rule's first part. Text
    values (cells, column names, a parser's detail: the partner's words) become short excerpts
    with control characters escaped, so a payload never writes more than that into a log."""
    kind = next((k for k in KINDS if rule == k or rule.startswith(k + "-")), rule)
    shown = {name: excerpt(value) if isinstance(value, str) else value for name, value in params.items()}
    return PayloadProblem(kind, row, field, f"payload-{rule}", shown)


KINDS = ("columns-missing", "columns-extra", "unknown-area", "no-capacity", "time-offset", "encoding", "parse",
         "type", "constraint", "duplicate", "future", "markup")


def _problem_order(problem: PayloadProblem) -> tuple:
    return (problem.row is not None, problem.row or 0, problem.field or "", problem.code)


def _dedupe(problems: Iterable[PayloadProblem]) -> list[PayloadProblem]:
    seen: set[tuple] = set()
    unique = []
    for problem in problems:
        mark = (problem.code, problem.row, problem.field)
        if mark not in seen:
            seen.add(mark)
            unique.append(problem)
    return unique


def _column_problems(columns: Sequence[str], names: Sequence[str], row: int | None,
                     times: int = 1) -> list[PayloadProblem]:
    """Missing and extra (or repeated) columns; `source` may be missing."""
    counts = Counter(columns)
    missing = [n for n in names if n not in counts and n != FILLED]
    extra = [c for c in counts if c not in names] + [c for c in counts if c in names and counts[c] > 1]
    where = {"where_zh": f"（共 {times} 条记录）" if times > 1 else "",
             "where_en": f" (in {times} records)" if times > 1 else ""}
    problems = []
    if missing:
        problems.append(_problem("columns-missing", row, missing[0], columns=", ".join(missing), **where))
    if extra:
        problems.append(_problem("columns-extra", row, extra[0], columns=", ".join(extra),
                                 expected=", ".join(names), **where))
    return problems


def _csv_table(text: str, names: list[str], source_id: str) -> _Table:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        return _Table([], [], [_parse_problem(None, str(error))], frozenset(), fatal=True)
    if not header:
        return _Table([], [], [_problem("parse-empty", None, None)], frozenset(), fatal=True)
    header_problems = _column_problems(header, names, None)
    if header_problems:
        return _Table([], [], header_problems, frozenset(), fatal=True)
    width = len(header)
    as_is = header == names
    order = [header.index(n) if n in header else None for n in names]
    cells: list[list[Any]] = []
    numbers: list[int] = []
    problems: list[PayloadProblem] = []
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            if len(record) == width:
                cells.append(record if as_is else [source_id if i is None else record[i] for i in order])
                numbers.append(number)
            elif record:  # a blank line is harmless and skipped
                problems.append(_problem("parse-width", number, None, row=number, values=len(record), width=width))
    except csv.Error as error:
        problems.append(_parse_problem(number + 1, str(error)))
    return _Table(cells, numbers, problems, frozenset())


def _parse_problem(row: int | None, detail: str) -> PayloadProblem:
    return _problem("parse", row, None, detail=detail)


class _Duplicated(dict):
    """A JSON object that named one key twice (json.loads would silently keep the last)."""

    duplicates: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        obj = _Duplicated(pairs)
        obj.duplicates = tuple(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
    return obj


def _json_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _json_table(text: str, names: list[str], source_id: str) -> _Table:
    try:
        document = json.loads(text, object_pairs_hook=_json_object, parse_constant=_json_constant)
    except ValueError as error:  # JSONDecodeError included
        return _Table([], [], [_parse_problem(None, str(error))], frozenset(), fatal=True)
    items = document.get("observations") if isinstance(document, dict) else document
    if not isinstance(items, list):
        return _Table([], [], [_problem("parse-json-shape", None, None)], frozenset(), fatal=True)
    cells: list[list[Any]] = []
    numbers: list[int] = []
    problems: list[PayloadProblem] = []
    shapes: dict[tuple[str, ...], list[int]] = {}   # key set that breaks the rule -> rows
    reported: set[tuple[int, str]] = set()
    allowed = set(names)
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            problems.append(_problem("parse-not-object", number, None, row=number))
            continue
        if isinstance(item, _Duplicated):
            problems.append(_problem("parse-repeated-key", number, item.duplicates[0], row=number,
                                     keys=", ".join(item.duplicates)))
        if item.keys() != allowed:
            keys = tuple(item)
            if set(keys) | {FILLED} != allowed:
                shapes.setdefault(keys, []).append(number)
                reported.update((number, n) for n in names if n not in item)
        cells.append([item.get(n, source_id if n == FILLED else None) for n in names])
        numbers.append(number)
    for keys, rows in shapes.items():
        problems += _column_problems(keys, names, rows[0], len(rows))
    return _Table(cells, numbers, problems, frozenset(reported))


_SCHEMAS: dict[str, Schema] = {}


def frictionless_schema(schema: dict) -> Schema:
    """The Frictionless Schema of a YAML schema, without foreign keys (cached: it costs ~1 ms)."""
    descriptor = {k: v for k, v in schema.items() if k != "foreignKeys"}
    cache_key = json.dumps(descriptor, sort_keys=True, ensure_ascii=False, default=str)
    if cache_key not in _SCHEMAS:
        _SCHEMAS[cache_key] = Schema.from_descriptor(descriptor)
    return _SCHEMAS[cache_key]


def _frictionless_problems(table: _Table, names: list[str], schema: dict,
                           flagged: set[tuple[int, str]]) -> list[PayloadProblem]:
    """Types, constraints and the primary key, judged by Frictionless; `flagged` gets each bad cell."""
    if not table.cells:
        return []
    resource = Resource(data=[list(names), *table.cells], schema=frictionless_schema(schema))
    report = resource.validate(limit_errors=MAX_PROBLEMS)
    problems = []
    fields = {f["name"]: f for f in schema["fields"]}
    for task in report.tasks:
        for error in task.errors:
            problem = _map_error(error, table, fields)
            if problem is None:
                continue
            if problem.row is not None and problem.field:
                flagged.add((problem.row, problem.field))
            if (problem.row, problem.field) not in table.reported:
                problems.append(problem)
    problems += [p for p in (_map_error(error, table, fields) for error in report.errors) if p is not None]
    return problems


def _map_error(error, table: _Table, fields: dict[str, dict]) -> PayloadProblem | None:
    number = getattr(error, "row_number", None)
    if not number:
        return _parse_problem(None, error.message)
    row = table.numbers[number - 2]
    name: str = getattr(error, "field_name", None) or ""
    if error.type == "type-error":
        kind = fields[name]["type"]
        return _problem("type", row, name, row=row, field=name, value=error.cell, type_zh=_TYPE_ZH.get(kind, kind),
                        type_en=kind)
    if error.type == "constraint-error":
        zh, en = _constraint_text(error.note, fields[name])
        return _problem("constraint", row, name, row=row, field=name, value=error.cell, rule_zh=zh, rule_en=en)
    if error.type == "primary-key":
        if "None" in error.note:
            return None  # a key cell is empty: already reported as a required value
        seen = first_row(error.note)
        first = table.numbers[seen - 2] if seen else "?"
        return _problem("duplicate", row, None, row=row, first=first)
    if error.type == "blank-row":
        return None  # only a JSON {} gets here, reported as missing columns
    return _problem("parse-row", row, name, row=row, detail=error.message)


def _constraint_text(note: str, field: dict) -> tuple[str, str]:
    """The broken constraint in words, from the field's own constraints."""
    name, _ = broken_constraint(note)
    limit = field.get("constraints", {}).get(name)
    if name == "required":
        return "必填", "a value is required"
    if name == "enum":
        allowed = ", ".join(map(str, limit))
        return f"只能是 {allowed}", f"must be one of {allowed}"
    if name == "minimum":
        return f"须 ≥ {limit}", f"must be ≥ {limit}"
    if name == "maximum":
        return f"须 ≤ {limit}", f"must be ≤ {limit}"
    if name == "maxLength":
        return f"最多 {limit} 个字符", f"at most {limit} characters"
    if name == "minLength":
        return f"至少 {limit} 个字符", f"at least {limit} characters"
    if name == "pattern":
        return f"须匹配 {limit}", f"must match {limit}"
    return note, note


_TYPE_ZH = {"integer": "整数", "datetime": "带时区的日期时间（如 2026-11-15T09:00:00+08:00）",
            "string": "文本"}


def _has_markup(text: str, fmt: str) -> bool:
    """CSV cells are verbatim in the text (only quotes get doubled), so one scan can rule markup out."""
    return fmt != "csv" or MARKUP.search(text) is not None


def _instant(cell: Any) -> datetime | None:
    """A datetime cell as Frictionless reads it (same guard, same parser), the fast way first."""
    if not isinstance(cell, str) or len(cell) < 19 or cell[16] != ":":
        return None
    try:
        return datetime.fromisoformat(cell)
    except ValueError:
        pass
    try:
        return isoparse(cell)
    except (ValueError, OverflowError):
        return None


def _whole(cell: Any) -> int | None:
    """An integer cell as Frictionless reads it."""
    if isinstance(cell, str):
        try:
            return int(cell.strip())
        except ValueError:
            return None
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    return None


def _hub_rules(table: _Table, names: list[str], schema: dict, flagged: set[tuple[int, str]],
               known: set[str], with_capacity: set[str], latest: datetime,
               check_markup: bool) -> tuple[list[tuple], list[PayloadProblem]]:
    """The rules Frictionless cannot express; returns the typed rows and the problems."""
    i_spot, i_at, i_window, i_count, i_method = (names.index(n) for n in FIELDS[:5])
    texts = [(names.index(f["name"]), f["name"]) for f in schema["fields"] if f["type"] == "string"]
    typed: list[tuple] = []
    problems: list[PayloadProblem] = []
    unknown: dict[str, list[int]] = {}
    no_capacity: dict[str, list[int]] = {}
    for number, cells in zip(table.numbers, table.cells):
        spot, raw_at = cells[i_spot], cells[i_at]
        at = _instant(raw_at)
        count = _whole(cells[i_count])
        if at is None:
            problems += _unread(number, "observed_at", flagged, table.reported)
        elif at.utcoffset() is None:
            problems.append(_problem("time-offset", number, "observed_at", row=number, value=raw_at))
        elif at > latest:
            problems.append(_problem("future", number, "observed_at", row=number, value=raw_at,
                                     now=latest.isoformat(timespec="minutes")))
        if count is None:
            problems += _unread(number, "count", flagged, table.reported)
        if isinstance(spot, str) and spot not in with_capacity:
            (unknown if spot not in known else no_capacity).setdefault(spot, []).append(number)
        if check_markup:
            problems += _markup_problems(number, cells, texts)
        typed.append((spot, at, cells[i_window], count, cells[i_method]))
    problems += _area_problems(unknown, no_capacity)
    return typed, problems


def _unread(number: int, name: str, flagged: set[tuple[int, str]],
            reported: frozenset[tuple[int, str]]) -> list[PayloadProblem]:
    """A cell we cannot read that Frictionless did not report (only past its error limit)."""
    if (number, name) in flagged or (number, name) in reported:
        return []
    return [_problem("type-unread", number, name, row=number, field=name)]


def _markup_problems(number: int, cells: list[Any], texts: list[tuple[int, str]]) -> list[PayloadProblem]:
    found = []
    for index, name in texts:
        value = cells[index]
        match = MARKUP.search(value) if isinstance(value, str) else None
        if match:
            snippet = value[match.start(): match.start() + 20]
            found.append(_problem("markup", number, name, row=number, field=name, snippet=snippet))
    return found


def _rows_en(count: int) -> str:
    return "1 row" if count == 1 else f"{count} rows"


def _area_problems(unknown: dict[str, list[int]], no_capacity: dict[str, list[int]]) -> list[PayloadProblem]:
    """One problem per area (at its first row), not one per row."""
    problems = []
    for spot, rows in unknown.items():
        problems.append(_problem("unknown-area", rows[0], "spot_id", spot=spot, count=len(rows),
                                 rows_en=_rows_en(len(rows))))
    for spot, rows in no_capacity.items():
        problems.append(_problem("no-capacity", rows[0], "spot_id", spot=spot, count=len(rows),
                                 rows_en=_rows_en(len(rows))))
    return problems


# ---------------------------------------------------------------------------------------------
# Merging into the monthly partitions


def china_time(at: datetime) -> str:
    """The canonical text of an instant: ISO 8601 in +08:00; equal texts mean equal instants."""
    if at.utcoffset() is None:
        raise ValueError(f"observed_at {at!r} has no UTC offset")
    return at.astimezone(CHINA).isoformat()



def _canonical(text: str, where: str) -> str:
    """An observed_at as written in a partition, in canonical form (usually it already is)."""
    if len(text) == 25 and text[19:] == "+08:00" and text[10] == "T" and text[11:13] != "24":
        return text
    at = _instant(text)
    if at is None or at.utcoffset() is None:
        raise ValueError(f"{where}: observed_at {text!r} is not a date-time with a UTC offset")
    return china_time(at)


def merge_observations(folder: Path, rows: Sequence[dict]) -> MergeResult:
    """Add `rows` (normalised, as in `Payload.rows`) to the monthly partitions in `folder`.

    Only partitions that gain rows are written. Each write is atomic, but a merge touching
    several months is not one transaction: after a crash, merging the same rows again finishes it.
    """
    incoming, unchanged, conflicts = _incoming(rows)
    added = 0
    files = []
    for name in sorted(incoming):
        path = Path(folder) / name
        result = _merge_partition(path, incoming[name])
        unchanged += result.unchanged
        conflicts += result.conflicts
        if result.added:
            added += result.added
            files.append(name)
    return MergeResult(added, unchanged, tuple(conflicts), tuple(files))


def _incoming(rows: Sequence[dict]) -> tuple[dict[str, dict[SortKey, Values]], int, list[Conflict]]:
    """Rows by partition and key; a key given twice counts once (or as a conflict)."""
    # Aware datetimes hash by instant, so each instant is formatted (and placed) once.
    instants: dict[datetime, tuple[str, dict[SortKey, Values]]] = {}
    by_partition: dict[str, dict[SortKey, Values]] = {}
    unchanged = 0
    conflicts: list[Conflict] = []
    for row in rows:
        at = row["observed_at"]
        seen = instants.get(at)
        if seen is None:
            text = china_time(at)
            seen = instants[at] = (text, by_partition.setdefault(text[:7] + ".csv", {}))
        text, partition = seen
        key = (text, row["spot_id"], row["window"])
        values = (row["count"], row["method"], row["source"])
        known = partition.setdefault(key, values)
        if known is not values:
            if known == values:
                unchanged += 1
            else:
                conflicts.append(_conflict(key, known, values))
    return by_partition, unchanged, conflicts


def _conflict(key: SortKey, existing: Values, incoming: Values) -> Conflict:
    def named(values: Values) -> dict[str, Any]:
        return {"count": values[0], "method": values[1], "source": values[2]}
    return Conflict((key[1], key[0], key[2]), named(existing), named(incoming))


@dataclass(frozen=True)
class _Scan:
    """What one read of an existing partition found out about the incoming rows."""

    new: dict[SortKey, Values]       # incoming rows whose key is not in the partition
    unchanged: int
    conflicts: list[Conflict]
    ordered: bool                    # the partition is sorted by (observed_at, spot_id, window)
    last: SortKey | None             # its greatest key when ordered
    as_written: bool                 # as this module writes: rows can be appended byte for byte


@dataclass(frozen=True)
class _PartitionResult:
    added: int
    unchanged: int
    conflicts: list[Conflict]


def _merge_partition(path: Path, incoming: dict[SortKey, Values]) -> _PartitionResult:
    if not path.exists():
        _write_new(path, sorted(incoming.items()))
        return _PartitionResult(len(incoming), 0, [])
    scan = _scan(path, incoming)
    if scan.new:
        new = sorted(scan.new.items())
        if scan.ordered and scan.as_written and (scan.last is None or new[0][0] > scan.last):
            _append(path, new)            # the usual case: later counts go after the existing ones
        elif scan.ordered:
            _rewrite(path, _records(path), new)
        else:                             # hand-edited out of order: sort it all in memory
            _rewrite(path, sorted(_records(path)), new)
    return _PartitionResult(len(scan.new), scan.unchanged, scan.conflicts)


def _columns(header: list[str] | None, path: Path) -> list[int]:
    if header is None:
        return []
    if sorted(header) != sorted(FIELDS):
        raise ValueError(f"{path}: columns {header} are not {list(FIELDS)}; fix the partition first")
    return [header.index(n) for n in FIELDS]


def _header(path: Path) -> list[str] | None:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return next(csv.reader(handle, strict=True), None)


def _plain_bytes(path: Path) -> bool:
    """No BOM and no carriage return: bytes this module could have written, which new rows may
    follow. A file saved by Excel (BOM, CRLF) is rewritten whole instead: never mixed line breaks."""
    with path.open("rb") as handle:
        head = handle.read(3)
        if head == b"\xef\xbb\xbf" or b"\r" in head:
            return False
        return all(b"\r" not in chunk for chunk in iter(lambda: handle.read(1 << 22), b""))


def _scan(path: Path, incoming: dict[SortKey, Values]) -> _Scan:
    """One pass over a partition: which incoming keys exist, and is it sorted?"""
    pending = dict(incoming)
    unchanged = 0
    conflicts: list[Conflict] = []
    ordered = True
    previous: SortKey = ("", "", "")
    for key, row in _records(path):
        if key < previous:
            ordered = False
        previous = key
        values = pending.pop(key, None)
        if values is not None:
            existing = (int(row[3]), row[4], row[5])
            if existing == values:
                unchanged += 1
            else:
                conflicts.append(_conflict(key, existing, values))
    last = previous if ordered and previous[0] else None
    return _Scan(pending, unchanged, conflicts, ordered, last, _header(path) == list(FIELDS) and _plain_bytes(path))


def _records(path: Path) -> Iterator[tuple[SortKey, tuple]]:
    """An existing partition's rows, each in schema order with a canonical observed_at."""
    canonical: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:       # a BOM is not part of the header
        reader = csv.reader(handle, strict=True)
        columns = _columns(next(reader, None), path)
        if not columns:
            return
        i_spot, i_at, i_window, i_count, i_method, i_source = columns
        for record in reader:
            if not record:
                continue
            at = canonical.get(record[i_at])
            if at is None:
                at = canonical[record[i_at]] = _canonical(record[i_at], f"{path}:{reader.line_num}")
            spot, window = record[i_spot], record[i_window]
            yield (at, spot, window), (spot, at, window, record[i_count], record[i_method], record[i_source])


def _cells(key: SortKey, values: Values) -> tuple:
    return key[1], key[0], key[2], values[0], values[1], values[2]


def _write_rows(handle: BinaryIO, rows: Iterable[tuple], header: bool) -> None:
    """CSV rows (UTF-8, "\\n", minimal quoting) onto a binary handle; the one place that writes.

    A row whose cells need no quoting is joined directly, four times faster than csv.writer;
    any other row goes through csv.writer (with "\\r\\n" so that a lone "\\r" is quoted too).
    """
    quoted = io.StringIO()
    writer = csv.writer(quoted, lineterminator="\r\n")
    lines: list[str] = [",".join(FIELDS) + "\n"] if header else []
    for row in rows:
        line = "%s,%s,%s,%s,%s,%s\n" % row   # noqa: UP031 - the quickest way over millions of rows
        if line.count(",") != 5 or line.count("\n") != 1 or '"' in line or "\r" in line:
            quoted.seek(0)
            quoted.truncate()
            writer.writerow(row)
            line = quoted.getvalue()[:-2] + "\n"
        lines.append(line)
        if len(lines) >= 65536:
            handle.write("".join(lines).encode("utf-8"))
            lines.clear()
    handle.write("".join(lines).encode("utf-8"))


def _write_new(path: Path, new: list[tuple[SortKey, Values]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path) as handle:
        _write_rows(handle, (_cells(key, values) for key, values in new), header=True)


def _append(path: Path, new: list[tuple[SortKey, Values]]) -> None:
    """The existing bytes unchanged, then the new rows (all later than the existing ones)."""
    with atomic_writer(path) as handle, path.open("rb") as old:
        shutil.copyfileobj(old, handle, 1 << 22)
        if old.tell():
            old.seek(-1, os.SEEK_END)
            if old.read(1) != b"\n":
                handle.write(b"\n")
        _write_rows(handle, (_cells(key, values) for key, values in new), header=False)


def _rewrite(path: Path, existing: Iterable[tuple[SortKey, tuple]],
             new: list[tuple[SortKey, Values]]) -> None:
    """Existing rows (in schema column order) and new rows, merged in key order."""
    with atomic_writer(path) as handle:
        _write_rows(handle, _merged(existing, new), header=True)


def _merged(existing: Iterable[tuple[SortKey, tuple]],
            new: list[tuple[SortKey, Values]]) -> Iterator[tuple]:
    index, end = 0, len(new)
    for key, cells in existing:
        while index < end and new[index][0] < key:
            yield _cells(*new[index])
            index += 1
        yield cells
    for key, values in new[index:]:
        yield _cells(key, values)
