"""The hub's Data Package descriptor (datasets/datapackage.yaml) and its Table Schemas.

A descriptor names files; every such name is checked to stay inside the datasets folder.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .load import load_yaml, to_python
from .problems import Problem

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


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    title_en: str
    title_zh: str
    schema: dict
    source: Source

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

    def resource(self, name: str) -> ResourceSpec:
        return next(r for r in self.resources if r.name == name)

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


def load_package(datasets: Path) -> tuple[PackageSpec | None, list[Problem]]:
    descriptor_file = rel(datasets, datasets / DESCRIPTOR)
    document, problems = load_yaml(datasets / DESCRIPTOR, descriptor_file)
    if document.root is None:
        return None, problems or [Problem(descriptor_file, 1, 1, "file-missing", {"path": DESCRIPTOR})]
    descriptor = to_python(document.root)
    resources = []
    for index, resource in enumerate(descriptor.get("resources", [])):
        entry_pos = _resource_pos(document.root, index)
        schema_path = resource.get("schema", "")
        source = Source(**resource.get("x-source", {}))
        for named in (schema_path, source.files or "x"):
            if not safe_relative(named):
                problems.append(Problem(descriptor_file, *entry_pos, "file-path-outside", {"path": named}))
        if problems:
            continue
        schema_file = rel(datasets, datasets / schema_path)
        schema_doc, schema_problems = load_yaml(datasets / schema_path, schema_file)
        if not (datasets / schema_path).exists():
            schema_problems = [Problem(descriptor_file, *entry_pos, "file-missing", {"path": schema_path})]
        problems.extend(schema_problems)
        if schema_doc.root is None:
            continue
        resources.append(ResourceSpec(resource["name"], resource.get("title", resource["name"]),
                                      resource.get("x-title-zh", resource["name"]),
                                      to_python(schema_doc.root), source))
    return PackageSpec(datasets, descriptor, tuple(resources)), problems


def _resource_pos(root, index: int) -> tuple[int, int]:
    for key, value in root.value:
        if key.value == "resources" and index < len(value.value):
            mark = value.value[index].start_mark
            return mark.line + 1, mark.column + 1
    return 1, 1
