"""Validate every dataset: Frictionless judges types, constraints and keys; our rules do the rest.

Frictionless sees each table exactly as the editors wrote it (text cells, cast by the Table
Schema), and each of its errors is mapped back to the file:line:column of the cell it is about.
The cross-dataset rules in `rules.py` then run on the rows Frictionless cast.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from frictionless import Package, Resource, Schema

from .load import Pos
from .package import PackageSpec, ResourceSpec, load_package, rel
from .problems import Problem, sort_problems
from . import rules
from .tables import Row, Tables, read_tables

TYPE_NAMES = {
    "string": ("文本", "text"),
    "integer": ("整数", "whole number"),
    "number": ("数字", "number"),
    "boolean": ("布尔值（true 或 false）", "boolean (true or false)"),
    "date": ("日期（YYYY-MM-DD）", "date (YYYY-MM-DD)"),
    "datetime": ("日期时间（如 2026-05-01T09:00:00+08:00）", "date-time (e.g. 2026-05-01T09:00:00+08:00)"),
}
_CONSTRAINT = re.compile(r'constraint "(\w+)" is "(.*)"', re.S)


@dataclass
class Validated:
    package: PackageSpec
    tables: Tables
    typed: dict[str, list[dict]]       # rows cast by Frictionless, in the order of tables.rows
    problems: list[Problem]


def frictionless_schema(spec: ResourceSpec) -> Schema:
    return Schema.from_descriptor({k: v for k, v in spec.schema.items()})


def inline_resource(spec: ResourceSpec, rows: list[Row]) -> Resource:
    names = spec.field_names
    data = [names] + [[row.text(name) for name in names] for row in rows]
    return Resource(name=spec.name, data=data, schema=frictionless_schema(spec))


def check_yaml_tables(package: PackageSpec, tables: Tables) -> tuple[dict[str, list[dict]], list[Problem]]:
    specs = [package.resource(name) for name in tables.rows]
    resources = [inline_resource(spec, tables.rows[spec.name]) for spec in specs]
    report = Package(resources=resources).validate()
    problems = []
    for spec, task in zip(specs, report.tasks):
        rows = tables.rows[spec.name]
        for error in task.errors:
            problem = _yaml_problem(error, spec, rows, package)
            if problem:
                problems.append(problem)
    typed = {spec.name: [row.to_dict() for row in resource.read_rows()]
             for spec, resource in zip(specs, resources)}
    return typed, problems


def _yaml_problem(error, spec: ResourceSpec, rows: list[Row], package: PackageSpec) -> Problem | None:
    number = getattr(error, "row_number", None)
    if not number:
        return _table_problem(error, Pos(rel(package.root, package.root / "datapackage.yaml"), 1, 1))
    row = rows[number - 2]
    if error.type in ("type-error", "constraint-error"):
        name = error.field_name
        if name not in row.cells and error.type == "constraint-error" and "required" in error.note:
            return None  # reported by tables.py as record-missing-key, at the record
        return _cell_problem(error, spec.field(name), row.pos_of(name))
    if error.type in ("primary-key", "unique-error"):
        names = spec.primary_key if error.type == "primary-key" else [error.field_name]
        return _duplicate_problem(names, row, rows)
    if error.type == "foreign-key":
        name = error.field_names[0]
        target = package.resource(error.reference_name) if error.reference_name else spec
        return Problem(*_tuple(row.pos_of(name)), "ref-missing",
                       {"field": name, "value": ",".join(error.field_cells),
                        "target_zh": target.title_zh, "target_en": target.title_en})
    return _table_problem(error, row.pos)


def _cell_problem(error, field: dict, pos: Pos) -> Problem:
    name, value = field["name"], error.cell
    if error.type == "type-error":
        zh, en = TYPE_NAMES.get(field["type"], (field["type"], field["type"]))
        if field.get("format") == "uri":
            zh, en = "网址", "web address"
        return Problem(*_tuple(pos), "value-type", {"field": name, "value": value, "type_zh": zh, "type_en": en})
    match = _CONSTRAINT.search(error.note)
    constraint, limit = (match.group(1), match.group(2)) if match else ("", "")
    if constraint == "required":
        return Problem(*_tuple(pos), "value-required", {"field": name})
    if constraint == "enum":
        allowed = ", ".join(field["constraints"]["enum"])
        return Problem(*_tuple(pos), "value-enum", {"field": name, "value": value, "allowed": allowed})
    if constraint == "pattern":
        return Problem(*_tuple(pos), "value-pattern", {"field": name, "value": value, "pattern": limit})
    if constraint in ("minLength", "maxLength"):
        sign = "≥" if constraint == "minLength" else "≤"
        return Problem(*_tuple(pos), "value-length", {"field": name, "constraint": sign, "limit": limit})
    sign = {"minimum": "≥", "maximum": "≤", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}.get(constraint, constraint)
    return Problem(*_tuple(pos), "value-range", {"field": name, "value": value, "constraint": sign, "limit": limit})


def _duplicate_problem(names: list[str], row: Row, rows: list[Row]) -> Problem:
    key = tuple(row.text(n) for n in names)
    first = next(r for r in rows if tuple(r.text(n) for n in names) == key)
    where = first.pos_of(names[-1])
    return Problem(*_tuple(row.pos_of(names[-1])), "key-duplicate",
                   {"key_name": "+".join(names), "value": "/".join(str(k) for k in key),
                    "first": f"{where.file}:{where.line}"})


def _table_problem(error, pos: Pos) -> Problem:
    return Problem(*_tuple(pos), "table-invalid", {"detail": error.message})


def _tuple(pos: Pos) -> tuple[str, int, int]:
    return pos.file, pos.line, pos.column


def check_csv_partitions(package: PackageSpec, tables: Tables) -> tuple[dict[str, list[dict]], list[Problem]]:
    """Validate each CSV partition against its schema, with the YAML tables it refers to."""
    typed: dict[str, list[dict]] = {}
    problems: list[Problem] = []
    for name, paths in tables.csv_files.items():
        spec = package.resource(name)
        referenced = {fk["reference"]["resource"] for fk in spec.schema.get("foreignKeys", [])} - {"", name}
        lookups = [inline_resource(package.resource(r), tables.rows[r]) for r in sorted(referenced)]
        typed[name] = []
        for path in paths:
            file = rel(package.root, path)
            resource = Resource(name=name, path=path.relative_to(package.root).as_posix(),
                                basepath=str(package.root), schema=frictionless_schema(spec),
                                encoding="utf-8", format="csv")
            report = Package(resources=[*lookups, resource]).validate()
            errors = [*report.errors, *(e for task in report.tasks if task.name == name for e in task.errors)]
            problems.extend(_csv_problem(error, spec, path, file, package) for error in errors)
            if not errors or all(getattr(e, "row_number", None) for e in errors):
                typed[name].extend(row.to_dict() | {"_file": file, "_line": row.row_number}
                                   for row in resource.read_rows() if row.valid)
    return typed, problems


def _csv_problem(error, spec: ResourceSpec, path: Path, file: str, package: PackageSpec) -> Problem:
    number = getattr(error, "row_number", None) or 1
    field_number = getattr(error, "field_number", None) or 1
    column = _csv_column(path, number, field_number)
    if error.type in ("type-error", "constraint-error"):
        return _cell_problem(error, spec.field(error.field_name), Pos(file, number, column))
    if error.type == "foreign-key":
        target = package.resource(error.reference_name)
        return Problem(file, number, 1, "ref-missing",
                       {"field": error.field_names[0], "value": ",".join(error.field_cells),
                        "target_zh": target.title_zh, "target_en": target.title_en})
    if error.type == "primary-key":
        first = re.search(r"row at position (\d+)", error.note or "")
        return Problem(file, number, 1, "key-duplicate",
                       {"key_name": "+".join(spec.primary_key), "value": "/".join(error.cells[:3]),
                        "first": f"{file}:{first.group(1)}" if first else file})
    return _table_problem(error, Pos(file, number, column))


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


def validate_datasets(datasets: Path, now=None) -> Validated:
    """Everything wrong with the datasets, in one run (package None if the descriptor is unusable)."""
    package, problems = load_package(datasets)
    if package is None:
        return Validated(None, Tables({}, {}), {}, sort_problems(problems))
    tables, found = read_tables(package)
    problems += found
    typed, found = check_yaml_tables(package, tables)
    problems += found
    csv_typed, found = check_csv_partitions(package, tables)
    problems += found
    typed.update(csv_typed)
    validated = Validated(package, tables, typed, problems)
    problems += rules.check_rules(validated, now)
    validated.problems = sort_problems(problems)
    return validated
