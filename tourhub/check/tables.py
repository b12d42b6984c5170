"""Editors' YAML records as flat table rows, each cell keeping where it was written.

Nesting is declared in the descriptor (`x-source`): a route file's `days` become route_days
rows, each day's `stops` route_stops rows and each stop's `leg` route_legs rows (one way written
as a mapping, or a list of them), inheriting the route's id and numbered in file order. A nested
mapping such as `coords: {source: …}` becomes the fields `coords_source` …; a list of plain
values becomes either child rows (`value:`) or one comma-separated cell (tags, admin codes).
Keys that are not fields are typos, reported with the nearest field name as a hint.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from tourhub.check.descriptor import PackageSpec, ResourceSpec, rel
from tourhub.check.load import Pos, load_yaml, scalar_text
from tourhub.check.problems import Problem


@dataclass(frozen=True)
class Cell:
    text: str | None
    pos: Pos


@dataclass
class Row:
    """One table row from one editor record; `cells` holds only what the file (or parent) gave."""

    resource: str
    pos: Pos
    cells: dict[str, Cell] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        cell = self.cells.get(name)
        return cell.text if cell else None

    def pos_of(self, name: str) -> Pos:
        cell = self.cells.get(name)
        return cell.pos if cell else self.pos


@dataclass
class Tables:
    rows: dict[str, list[Row]]           # resources from YAML files
    csv_files: dict[str, list[Path]]     # resources from CSV partitions


def read_tables(package: PackageSpec) -> tuple[Tables, list[Problem]]:
    tables = Tables({r.name: [] for r in package.resources if r.source.each != "csv"}, {})
    problems: list[Problem] = []
    for spec in package.resources:
        if spec.source.files is None:
            continue
        inside, outside = _files(package, spec.source.files)
        problems += [Problem(rel(package.root, p), 1, 1, "file-path-outside", {"path": rel(package.root, p)})
                     for p in outside]
        if spec.source.each == "csv":
            tables.csv_files[spec.name] = inside
            continue
        for path in inside:
            document, found = load_yaml(path, rel(package.root, path))
            problems.extend(found)
            if document.root is not None:
                _read_document(document.file, document.root, spec, package, tables, problems)
    return tables, problems


def _files(package: PackageSpec, pattern: str) -> tuple[list[Path], list[Path]]:
    """The files matching `pattern` in datasets/ and then the overlay, each folder's sorted: those
    that stay inside their folder, and those that lead out of it (symlinks)."""
    inside: list[Path] = []
    outside: list[Path] = []
    for folder in package.folders:
        for path in sorted(p for p in folder.glob(pattern) if p.is_file()):
            (inside if path.resolve().is_relative_to(folder.resolve()) else outside).append(path)
    return inside, outside


def _read_document(file, root, spec, package, tables, problems) -> None:
    if spec.source.each == "list":
        if not _expect(root, SequenceNode, file, problems, "列表（每条记录以“- ”开头）", "a list of records"):
            return
        for item in root.value:
            if _expect(item, MappingNode, file, problems, "一条记录（键: 值）", "a record (key: value)"):
                _read_record(file, item, spec, package, tables, problems, {})
    elif _expect(root, MappingNode, file, problems, "一条记录（键: 值）", "a record (key: value)"):
        _read_record(file, root, spec, package, tables, problems, {})


def _expect(node: Node, kind: type, file: str, problems: list, zh: str, en: str) -> bool:
    if isinstance(node, kind):
        return True
    problems.append(Problem.at(Pos.of(file, node), "yaml-shape", {"expected_zh": zh, "expected_en": en}))
    return False




def _read_record(file, node: MappingNode, spec: ResourceSpec, package: PackageSpec,
                 tables: Tables, problems: list, inherited: dict[str, Cell]) -> None:
    known = set(spec.field_names)
    children = {child.source.key: child for child in package.children(spec.name)}
    row = Row(spec.name, Pos.of(file, node), dict(inherited))
    nested: list[tuple[ResourceSpec, Node]] = []
    for key_node, value in node.value:
        key = key_node.value
        if key in children:
            nested.append((children[key], value))
        elif key in known:
            _read_cell(file, key, value, row, problems)
        elif isinstance(value, MappingNode) and any(name.startswith(key + "_") for name in known):
            for sub_key, sub_value in value.value:
                name = f"{key}_{sub_key.value}"
                if name in known:
                    _read_cell(file, name, sub_value, row, problems)
                else:
                    subs = [n[len(key) + 1:] for n in known if n.startswith(key + "_")]
                    problems.append(_unknown(file, sub_key, f"{key}.{sub_key.value}", sub_key.value, subs))
        else:
            problems.append(_unknown(file, key_node, key, key, [*known, *children]))
    for name in spec.required:
        if name not in row.cells and name != spec.source.index:
            problems.append(Problem.at(Pos.of(file, node), "record-missing-key", {"key": name}))
    tables.rows[spec.name].append(row)
    for child, value in nested:
        _read_children(file, value, child, package, tables, problems, row)


def _read_cell(file: str, name: str, value: Node, row: Row, problems: list) -> None:
    pos = Pos.of(file, value)
    if isinstance(value, ScalarNode):
        row.cells[name] = Cell(scalar_text(value), pos)
    elif isinstance(value, SequenceNode) and all(isinstance(i, ScalarNode) for i in value.value):
        items = [scalar_text(i) for i in value.value]
        row.cells[name] = Cell(",".join(i for i in items if i) or None, pos)
    else:
        problems.append(Problem.at(Pos.of(file, value), "yaml-shape",
                                {"expected_zh": f"“{name}”的一个值", "expected_en": f"a single value for \"{name}\""}))


def _read_children(file, value: Node, child: ResourceSpec, package, tables, problems, parent: Row) -> None:
    if child.source.allow_single and isinstance(value, MappingNode):
        items: list = [value]                       # `leg: {mode: drive, …}`: a list of one
    elif _expect(value, SequenceNode, file, problems, "列表", "a list"):
        items = value.value
    else:
        return
    for number, item in enumerate(items, start=1):
        cells = {name: parent.cells[source] for name, source in child.source.inherit.items()
                 if source in parent.cells}
        if child.source.index:
            cells[child.source.index] = Cell(str(number), Pos.of(file, item))
        if child.source.value:
            if _expect(item, ScalarNode, file, problems, "一个值", "a single value"):
                cells[child.source.value] = Cell(scalar_text(item), Pos.of(file, item))
                tables.rows[child.name].append(Row(child.name, Pos.of(file, item), cells))
        elif _expect(item, MappingNode, file, problems, "一条记录（键: 值）", "a record (key: value)"):
            _read_record(file, item, child, package, tables, problems, cells)


def _unknown(file: str, key_node: Node, shown: str, key: str, candidates) -> Problem:
    close = difflib.get_close_matches(key, sorted(candidates), n=1, cutoff=0.6)
    hint_zh = f"，是不是“{close[0]}”？" if close else ""
    hint_en = f"; did you mean \"{close[0]}\"?" if close else ""
    return Problem.at(Pos.of(file, key_node), "record-unknown-key",
                   {"key": shown, "hint_zh": hint_zh, "hint_en": hint_en})
