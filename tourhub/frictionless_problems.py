"""Frictionless errors as our Problems: the place (file:line:column) and a message in Chinese
and English that an editor can act on."""
from __future__ import annotations

import re
from pathlib import Path

from .load import Pos
from .problems import Problem

TYPE_NAMES = {
    "string": ("文本", "text"),
    "integer": ("整数", "whole number"),
    "number": ("数字", "number"),
    "boolean": ("布尔值（true 或 false）", "boolean (true or false)"),
    "date": ("日期（YYYY-MM-DD）", "date (YYYY-MM-DD)"),
    "datetime": ("日期时间（如 2026-05-01T09:00:00+08:00）", "date-time (e.g. 2026-05-01T09:00:00+08:00)"),
}
_CONSTRAINT = re.compile(r'constraint "(\w+)" is "(.*)"', re.S)


def cell_problem(error, field: dict, pos: Pos) -> Problem:
    name, value = field["name"], error.cell
    if error.type == "type-error":
        zh, en = TYPE_NAMES.get(field["type"], (field["type"], field["type"]))
        if field.get("format") == "uri":
            zh, en = "网址", "web address"
        return Problem(*pos_tuple(pos), "value-type", {"field": name, "value": value, "type_zh": zh, "type_en": en})
    match = _CONSTRAINT.search(error.note)
    constraint, limit = (match.group(1), match.group(2)) if match else ("", "")
    if constraint == "required":
        return Problem(*pos_tuple(pos), "value-required", {"field": name})
    if constraint == "enum":
        allowed = ", ".join(field["constraints"]["enum"])
        return Problem(*pos_tuple(pos), "value-enum", {"field": name, "value": value, "allowed": allowed})
    if constraint == "pattern":
        return Problem(*pos_tuple(pos), "value-pattern", {"field": name, "value": value, "pattern": limit})
    if constraint in ("minLength", "maxLength"):
        sign = "≥" if constraint == "minLength" else "≤"
        return Problem(*pos_tuple(pos), "value-length", {"field": name, "constraint": sign, "limit": limit})
    sign = {"minimum": "≥", "maximum": "≤", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}.get(constraint, constraint)
    return Problem(*pos_tuple(pos), "value-range", {"field": name, "value": value, "constraint": sign, "limit": limit})


def table_problem(error, pos: Pos) -> Problem:
    return Problem(*pospos_tuple(pos), "table-invalid", {"detail": error.message})


def pos_tuple(pos: Pos) -> tuple[str, int, int]:
    return pos.file, pos.line, pos.column


def csv_problem(error, fields: dict[str, dict], primary_key: list[str], titles: dict[str, tuple[str, str]],
                path: Path, file: str) -> Problem:
    """One error in a CSV file; `fields` by name, `titles` (zh, en) of the resources its foreign
    keys refer to."""
    number = getattr(error, "row_number", None) or 1
    field_number = getattr(error, "field_number", None) or 1
    column = _csv_column(path, number, field_number)
    if error.type in ("type-error", "constraint-error"):
        return cell_problem(error, fields[error.field_name], Pos(file, number, column))
    if error.type == "foreign-key":
        title_zh, title_en = titles[error.reference_name]
        return Problem(file, number, 1, "ref-missing",
                       {"field": error.field_names[0], "value": ",".join(error.field_cells),
                        "target_zh": title_zh, "target_en": title_en})
    if error.type == "primary-key":
        first = re.search(r"row at position (\d+)", error.note or "")
        return Problem(file, number, 1, "key-duplicate",
                       {"key_name": "+".join(primary_key), "value": "/".join(error.cells[:3]),
                        "first": f"{file}:{first.group(1)}" if first else file})
    return table_problem(error, Pos(file, number, column))


def _csv_column(path: Path, line_number: int, field_number: int) -> int:
    """1-based character column where field `field_number` starts on a CSV line."""
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            for number, line in enumerate(handle, start=1):
                if number == line_number:
                    return _field_start(line, field_number)
    except OSError:
        pass
    return 1


def _field_start(line: str, field_number: int) -> int:
    field, quoted = 1, False
    for index, char in enumerate(line):
        if field == field_number:
            return index + 1
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            field += 1
    return 1


