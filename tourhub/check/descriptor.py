"""The hub's Data Package descriptor (datasets/datapackage.yaml) and its Table Schemas.

A descriptor names files; every such name is checked to stay inside the datasets folder.
An overlay (the demo/ folder) has the same layout: its files are read after datasets/ and
every record in it must be marked illustrative (rules.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from yaml.nodes import MappingNode, SequenceNode

from tourhub.check.load import Document, Pos, load_yaml, to_python
from tourhub.check.problems import Problem
from tourhub.core.files import outside

DESCRIPTOR = "datapackage.yaml"


@dataclass(frozen=True)
class Source:
    """How a resource's rows come from the editors' files (`x-source` in the descriptor)."""

    files: str | None = None   # glob of files, relative to datasets/
    each: str | None = None    # list | mapping | csv
    parent: str | None = None  # resource whose records hold this one's rows
    key: str | None = None     # key in the parent record holding the rows
    inherit: dict = field(default_factory=dict)  # child field -> parent field
    index: str | None = None   # field numbering the rows 1, 2, 3 … in file order
    value: str | None = None   # field for a list of plain values
    allow_single: bool = False  # one mapping may stand for a list of one (a stop's `leg`)


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    title_en: str
    title_zh: str
    schema: dict
    source: Source
    schema_path: str = ""       # relative to datasets/, e.g. schemas/routes.yaml

    @property
    def fields(self) -> list[dict]:
        return self.schema["fields"]

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]

    def field(self, name: str) -> dict:
        return next(f for f in self.fields if f["name"] == name)

    @property
    def required(self) -> list[str]:
        return [f["name"] for f in self.fields if f.get("constraints", {}).get("required")]

    @property
    def primary_key(self) -> list[str]:
        return list(self.schema.get("primaryKey", []))


@dataclass(frozen=True)
class PackageSpec:
    root: Path                 # the datasets folder
    descriptor: dict
    resources: tuple[ResourceSpec, ...]
    overlay: Path | None = None   # demo/: invented records laid over the datasets

    @property
    def folders(self) -> tuple[Path, ...]:
        """Where editors' files are read from: datasets/, then the overlay if there is one."""
        return (self.root,) + ((self.overlay,) if self.overlay else ())

    def from_overlay(self, file: str) -> bool:
        """Whether a file (named as problems name it) belongs to the overlay."""
        return self.overlay is not None and file.startswith(rel(self.root, self.overlay) + "/")

    def resource(self, name: str) -> ResourceSpec:
        return next(r for r in self.resources if r.name == name)

    def entry(self, name: str) -> dict:
        """The resource's own entry in the descriptor (title, description, x-frequency …)."""
        return next(r for r in self.descriptor["resources"] if r["name"] == name)

    def children(self, parent: str) -> list[ResourceSpec]:
        return [r for r in self.resources if r.source.parent == parent]

    @property
    def region(self) -> dict:
        return self.descriptor.get("x-region", {})


def safe_relative(path: str) -> bool:
    """True when `path` is relative and stays inside its folder (no .., no absolute, no drive)."""
    if not path or "\\" in path or ":" in path or "\0" in path:
        return False
    pure = PurePosixPath(path)
    return not pure.is_absolute() and ".." not in pure.parts


def rel(root: Path, path: Path) -> str:
    """A file's name as problems show it: relative to the project folder above datasets/."""
    try:
        return path.relative_to(root.parent).as_posix()
    except ValueError:
        return path.as_posix()


def load_package(datasets: Path, overlay: Path | None = None) -> tuple[PackageSpec | None, list[Problem]]:
    """The descriptor and its schemas, or None with the problems when any of it is unusable.
    `overlay`: a folder laid over datasets/ (the demo data), or None for the real data alone."""
    descriptor_file = rel(datasets, datasets / DESCRIPTOR)
    if (datasets / DESCRIPTOR).is_symlink() and outside(datasets / DESCRIPTOR, datasets):
        return None, [Problem(descriptor_file, 1, 1, "file-path-outside", {"path": DESCRIPTOR})]
    document, problems = load_yaml(datasets / DESCRIPTOR, descriptor_file)
    if document.root is None:
        return None, problems or [Problem(descriptor_file, 1, 1, "file-missing", {"path": DESCRIPTOR})]
    if problems:
        return None, problems
    descriptor = to_python(document.root)
    if not _descriptor_shape(descriptor):
        return None, [Problem.at(Pos.of(descriptor_file, document.root), "yaml-shape", {
            "expected_zh": "数据包描述：含 resources 列表，每项有 name、schema 和 x-source",
            "expected_en": "a Data Package descriptor: a list of resources, each with a name, a schema and x-source"})]
    resources = []
    for index, resource in enumerate(descriptor.get("resources", [])):
        source = Source(**resource.get("x-source", {}))
        schema_path = resource.get("schema", "")
        named = [("schema", schema_path)] + ([("files", source.files)] if source.files else [])
        unsafe = [(key, path) for key, path in named if not safe_relative(path)]
        for key, path in unsafe:
            line, column = _value_pos(document.root, index, key)
            problems.append(Problem(descriptor_file, line, column, "file-path-outside", {"path": path}))
        if unsafe:
            continue
        schema_file = rel(datasets, datasets / schema_path)
        line, column = _value_pos(document.root, index, "schema")
        if not (datasets / schema_path).is_file():
            problems.append(Problem(descriptor_file, line, column, "file-missing", {"path": schema_path}))
            continue
        if outside(datasets / schema_path, datasets):     # a link out of the project: never read
            problems.append(Problem(descriptor_file, line, column, "file-path-outside", {"path": schema_path}))
            continue
        schema_doc, schema_problems = load_yaml(datasets / schema_path, schema_file)
        problems.extend(schema_problems or _schema_shape(schema_doc))
        if schema_doc.root is not None and not problems:
            resources.append(ResourceSpec(resource["name"], resource.get("title", resource["name"]),
                                          resource.get("x-title-zh", resource["name"]),
                                          to_python(schema_doc.root), source, schema_path))
    if problems:
        return None, problems
    return PackageSpec(datasets, descriptor, tuple(resources), overlay), problems


def _descriptor_shape(descriptor) -> bool:
    known = set(Source.__dataclass_fields__)
    return isinstance(descriptor, dict) and isinstance(descriptor.get("resources", []), list) and all(
        isinstance(r, dict) and isinstance(r.get("name"), str) and isinstance(r.get("schema", ""), str)
        and isinstance(r.get("x-source", {}), dict) and set(r.get("x-source", {})) <= known
        for r in descriptor.get("resources", []))


def _schema_shape(document: Document) -> list[Problem]:
    """A Table Schema is a mapping whose `fields` is a list of mappings, each with a name."""
    root = document.root
    if root is None:
        return []
    fields = next((value for key, value in root.value if key.value == "fields"), None) \
        if isinstance(root, MappingNode) else None
    named = [isinstance(item, MappingNode) and any(key.value == "name" for key, _ in item.value)
             for item in fields.value] if isinstance(fields, SequenceNode) else [False]
    if all(named):
        return []
    where = fields if fields is not None else root
    return [Problem.at(Pos.of(document.file, where), "yaml-shape", {
        "expected_zh": "表结构（Table Schema）：含 fields 列表，每项有 name",
        "expected_en": "a Table Schema: a mapping with a list of fields, each with a name"})]


def _value_pos(root, index: int, key: str) -> tuple[int, int]:
    """Line and column of `key`'s value in resource `index` (in x-source for `files`)."""
    entry = _resource_node(root, index)
    if entry is None:
        return 1, 1
    for name, value in entry.value:
        if name.value == key:
            return value.start_mark.line + 1, value.start_mark.column + 1
        if name.value == "x-source" and key == "files":
            for sub, sub_value in value.value:
                if sub.value == "files":
                    return sub_value.start_mark.line + 1, sub_value.start_mark.column + 1
    return entry.start_mark.line + 1, entry.start_mark.column + 1


def _resource_node(root, index: int):
    for key, value in root.value:
        if key.value == "resources" and index < len(value.value):
            return value.value[index]
    return None
