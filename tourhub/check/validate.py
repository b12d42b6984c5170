"""Validate every dataset: Frictionless judges types, constraints and keys; our rules do the rest.

Frictionless sees each table exactly as the editors wrote it (text cells, cast by the Table
Schema), and each of its errors is mapped back to the file:line:column of the cell it is about
(`frictionless_problems.py`). The CSV partitions (monthly counts) are checked by `partitions.py`,
in parallel and cached. The cross-dataset rules in `rules.py` then run on the rows Frictionless cast.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from frictionless import Package, Resource, Schema

from tourhub.check import rules
from tourhub.check.descriptor import PackageSpec, ResourceSpec, load_package, rel
from tourhub.check.frictionless_errors import cell_problem, table_problem
from tourhub.check.load import Pos
from tourhub.check.partitions import PartitionedTable, check_partitions
from tourhub.check.problems import Problem, sort_problems
from tourhub.check.tables import Row, Tables, read_tables


@dataclass
class Validated:
    package: PackageSpec | None         # None when the descriptor itself is unusable

    @property
    def spec(self) -> PackageSpec:
        """The descriptor, for stages that run only after a check without errors."""
        if self.package is None:
            raise RuntimeError("the datasets' descriptor is unusable: fix the check's problems first")
        return self.package
    tables: Tables
    typed: dict[str, list[dict]]       # rows cast by Frictionless, in the order of tables.rows
    problems: list[Problem]
    partitioned: dict[str, PartitionedTable] = field(default_factory=dict)   # CSV resources
    timings: dict[str, float] = field(default_factory=dict)                  # step -> seconds

    @property
    def rows(self) -> dict[str, list[dict]]:
        """What the model is built from: every row of the YAML tables, and of each CSV-partitioned
        resource the rows of each series' last days (`partitions.RECENT`)."""
        return self.typed | {name: table.recent for name, table in self.partitioned.items()}


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
    typed = {spec.name: [row.to_dict() for row in resource.read_rows()]  # type: ignore[attr-defined]  # a table resource
             for spec, resource in zip(specs, resources)}
    return typed, problems


def _yaml_problem(error, spec: ResourceSpec, rows: list[Row], package: PackageSpec) -> Problem | None:
    number = getattr(error, "row_number", None)
    if not number:
        return table_problem(error, Pos(rel(package.root, package.root / "datapackage.yaml"), 1, 1))
    row = rows[number - 2]
    if error.type in ("type-error", "constraint-error"):
        name = error.field_name
        if name not in row.cells and error.type == "constraint-error" and "required" in error.note:
            return None  # reported by tables.py as record-missing-key, at the record
        return cell_problem(error, spec.field(name), row.pos_of(name))
    if error.type in ("primary-key", "unique-error"):
        names = spec.primary_key if error.type == "primary-key" else [error.field_name]
        return _duplicate_problem(names, row, rows)
    if error.type == "foreign-key":
        name = error.field_names[0]
        target = package.resource(error.reference_name) if error.reference_name else spec
        return Problem.at(row.pos_of(name), "ref-missing",
                       {"field": name, "value": ",".join(error.field_cells),
                        "target_zh": target.title_zh, "target_en": target.title_en})
    return table_problem(error, row.pos)


def _duplicate_problem(names: list[str], row: Row, rows: list[Row]) -> Problem:
    key = tuple(row.text(n) for n in names)
    first = next(r for r in rows if tuple(r.text(n) for n in names) == key)
    where = first.pos_of(names[-1])
    return Problem.at(row.pos_of(names[-1]), "key-duplicate",
                   {"key_name": "+".join(names), "value": "/".join(str(k) for k in key),
                    "first": f"{where.file}:{where.line}"})


def validate_datasets(datasets: Path, now: datetime | None = None, cache_dir: Path | None = None,
                      overlay: Path | None = None) -> Validated:
    """Everything wrong with the datasets, in one run (package None if the descriptor is unusable).
    With `cache_dir`, CSV partitions checked before (same bytes, same context) are not checked again.
    With `overlay` (the demo folder), its files are read after the datasets' own."""
    now = now or datetime.now(UTC)
    clock = [time.perf_counter()]
    timings: dict[str, float] = {}

    def lap(step: str) -> None:
        timings[step] = time.perf_counter() - clock[0]
        clock[0] = time.perf_counter()

    package, problems = load_package(datasets, overlay)
    if package is None:
        return Validated(None, Tables({}, {}), {}, sort_problems(problems))
    tables, found = read_tables(package)
    problems += found
    lap("load")
    typed, found = check_yaml_tables(package, tables)
    problems += found
    lap("validate_yaml")
    partitioned, found = check_partitions(package, tables, typed, now, cache_dir)
    problems += found
    lap("validate_partitions")
    validated = Validated(package, tables, typed, problems, partitioned, timings)
    problems += rules.check_rules(validated, now)
    validated.problems = sort_problems(problems)
    lap("rules")
    return validated
