"""Frictionless errors as our Problems: the place (file:line:column) and a message in Chinese
and English that an editor can act on."""
from __future__ import annotations

import re
from pathlib import Path

from tourhub.check.load import Pos
from tourhub.check.problems import Problem

TYPE_NAMES = {
    "string": ("文本", "text"),
    "integer": ("整数", "whole number"),
    "number": ("数字", "number"),
    "boolean": ("布尔值（true 或 false）", "boolean (true or false)"),
    "date": ("日期（YYYY-MM-DD）", "date (YYYY-MM-DD)"),
    "datetime": ("日期时间（如 2026-05-01T09:00:00+08:00）", "date-time (e.g. 2026-05-01T09:00:00+08:00)"),
}
_CONSTRAINT = re.compile(r'constraint "(\w+)"(?: is "(.*)")?', re.S)
_FIRST_ROW = re.compile(r"row at position (\d+)")


def broken_constraint(note: str | None) -> tuple[str, str]:
    """Which constraint a Frictionless constraint-error note names, and the limit it printed
    ("", "" when the note says neither). The one place that reads Frictionless's wording."""
    match = _CONSTRAINT.search(note or "")
    return (match.group(1), match.group(2) or "") if match else ("", "")


def first_row(note: str | None) -> int | None:
    """The row a primary-key error says holds the first copy of the key (Frictionless numbering)."""
    match = _FIRST_ROW.search(note or "")
    return int(match.group(1)) if match else None


def cell_problem(error, field: dict, pos: Pos) -> Problem:
    name, value = field["name"], error.cell
    if error.type == "type-error":
        zh, en = TYPE_NAMES.get(field["type"], (field["type"], field["type"]))
        if field.get("format") == "uri":
            zh, en = "网址", "web address"
        return Problem.at(pos, "value-type", {"field": name, "value": value, "type_zh": zh, "type_en": en})
    constraint, limit = broken_constraint(error.note)
    if constraint == "required":
        return Problem.at(pos, "value-required", {"field": name})
    if constraint == "enum":
        allowed = ", ".join(field["constraints"]["enum"])
        return Problem.at(pos, "value-enum", {"field": name, "value": value, "allowed": allowed})
    if constraint == "pattern":
        return Problem.at(pos, "value-pattern", {"field": name, "value": value, "pattern": limit})
    if constraint in ("minLength", "maxLength"):
        sign = "≥" if constraint == "minLength" else "≤"
        return Problem.at(pos, "value-length", {"field": name, "constraint": sign, "limit": limit})
    sign = {"minimum": "≥", "maximum": "≤", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}.get(constraint,
                                                                                                  constraint)
    return Problem.at(pos, "value-range", {"field": name, "value": value, "constraint": sign, "limit": limit})


def table_problem(error, pos: Pos) -> Problem:
    return Problem.at(pos, "table-invalid", {"detail": error.message})


def csv_problems(errors, fields: dict[str, dict], primary_key: list[str], titles: dict[str, tuple[str, str]],
                 path: Path, file: str) -> list[Problem]:
    """The errors Frictionless found in one CSV file; `fields` by name, `titles` (zh, en) of the
    resources its foreign keys refer to. The file is read once more only for the lines with an
    error, to point at the column."""
    lines = _lines(path, {getattr(e, "row_number", None) or 1 for e in errors})
    return [csv_problem(e, fields, primary_key, titles, file, lines) for e in errors]


def csv_problem(error, fields: dict[str, dict], primary_key: list[str], titles: dict[str, tuple[str, str]],
                file: str, lines: dict[int, str]) -> Problem:
    number = getattr(error, "row_number", None) or 1
    column = _field_start(lines.get(number, ""), getattr(error, "field_number", None) or 1)
    if error.type in ("type-error", "constraint-error"):
        return cell_problem(error, fields[error.field_name], Pos(file, number, column))
    if error.type == "foreign-key":
        title_zh, title_en = titles[error.reference_name]
        return Problem(file, number, 1, "ref-missing",
                       {"field": error.field_names[0], "value": ",".join(error.field_cells),
                        "target_zh": title_zh, "target_en": title_en})
    if error.type == "primary-key":
        first = first_row(error.note)
        return Problem(file, number, 1, "key-duplicate",
                       {"key_name": "+".join(primary_key), "value": "/".join(error.cells[:3]),
                        "first": f"{file}:{first}" if first else file})
    return table_problem(error, Pos(file, number, column))


def _lines(path: Path, wanted: set[int]) -> dict[int, str]:
    """The text of the wanted lines (1-based) of a file, read up to the last of them."""
    found: dict[int, str] = {}
    last = max(wanted, default=0)
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for number, line in enumerate(handle, start=1):
                if number in wanted:
                    found[number] = line
                if number >= last:
                    break
    except OSError:
        pass
    return found


_DELIMITER = re.compile(r'[",]')


def _field_start(line: str, field_number: int) -> int:
    """The column where a field starts; only quotes and commas are looked at (a cell of 50 MB
    before it costs a scan in C, not a Python loop over each character)."""
    field, quoted = 1, False
    if field == field_number:
        return 1
    for match in _DELIMITER.finditer(line):
        if match.group() == '"':
            quoted = not quoted
        elif not quoted:
            field += 1
            if field == field_number:
                return match.end() + 1 if match.end() < len(line) else 1
    return 1


