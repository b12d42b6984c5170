"""JSON Schemas of the editors' YAML files, generated from the Table Schemas (the one source of
truth), so VS Code (yaml-language-server) completes keys and flags mistakes while typing.

    python build.py schemas       # rewrites schemas/editor/*.schema.json

A test regenerates them and fails when the committed files are out of date.
"""
from __future__ import annotations

import json
from pathlib import Path

from tourhub.check.descriptor import PackageSpec, ResourceSpec

OUT_DIR = Path("schemas") / "editor"
LANG_SUFFIXES = ("zh", "en")


def _field_schema(field: dict) -> dict:
    kind, constraints = field["type"], field.get("constraints", {})
    schema: dict = {"description": f"{field.get('x-title-zh', '')} · {field.get('title', '')}: "
                                   f"{field.get('x-description-zh', '')} / {field.get('description', '')}"}
    if kind == "integer":
        schema["type"] = "integer"
    elif kind == "number":
        schema["type"] = "number"
    elif kind == "boolean":
        schema["type"] = "boolean"
    else:
        schema["type"] = "string"
        if kind == "date":
            schema["pattern"] = r"^\d{4}-\d{2}-\d{2}$"
        elif kind == "datetime":
            schema["pattern"] = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})$"
        elif kind == "duration":
            schema["pattern"] = r"^P"
    if "enum" in constraints:
        schema["enum"] = constraints["enum"]
    if "pattern" in constraints and schema["type"] == "string":
        schema["pattern"] = f"^(?:{constraints['pattern']})$"
    for ours, theirs in (("minimum", "minimum"), ("maximum", "maximum"), ("maxLength", "maxLength"),
                         ("minLength", "minLength")):
        if ours in constraints:
            schema[theirs] = constraints[ours]
    if field.get("format") == "uri":
        schema["format"] = "uri"
    if schema["type"] == "string" and "comma-separated" in field.get("description",
                                                                     "") or field["name"] == "admin_codes":
        item = {k: v for k, v in schema.items() if k != "description"}
        item.pop("pattern", None)
        return {"description": schema["description"], "anyOf": [schema, {"type": "array", "items": item}]}
    return schema


def _groups(names: list[str]) -> dict[str, list[str]]:
    """Fields editors may also write nested, e.g. leg: {mode, minutes, km} for leg_mode …"""
    groups: dict[str, list[str]] = {}
    for name in names:
        prefix, _, rest = name.partition("_")
        if rest and rest not in LANG_SUFFIXES:
            groups.setdefault(prefix, []).append(name)
    return {prefix: fields for prefix, fields in groups.items() if len(fields) >= 2 and prefix not in names}


def record_schema(spec: ResourceSpec, package: PackageSpec) -> dict:
    hidden = set(spec.source.inherit) | ({spec.source.index} if spec.source.index else set())
    fields = [f for f in spec.fields if f["name"] not in hidden]
    properties = {f["name"]: _field_schema(f) for f in fields}
    for prefix, names in _groups([f["name"] for f in fields]).items():
        properties[prefix] = {"type": "object", "additionalProperties": False,
                              "properties": {name[len(prefix) + 1:]: properties[name] for name in names}}
    for child in package.children(spec.name):
        if child.source.value:
            item = _field_schema(child.field(child.source.value))
            properties[child.source.key] = {"type": "array", "items": item}
        elif child.source.allow_single:        # leg: {mode: drive, …} or a list of such ways
            record = record_schema(child, package)     # (object keywords apply to an object only, items to a list)
            properties[child.source.key] = record | {"type": ["object", "array"], "items": record, "minItems": 1}
        else:
            properties[child.source.key] = {"type": "array", "items": record_schema(child, package)}
    required = [name for name in spec.required if name not in hidden]
    required += [c.source.key for c in package.children(spec.name) if c.source.key and not c.source.value
                 and c.source.key not in required and required_child(spec, c)]
    return {"type": "object", "additionalProperties": False, "properties": properties,
            **({"required": required} if required else {})}


def required_child(parent: ResourceSpec, child: ResourceSpec) -> bool:
    """Whether a record must hold at least one of `child` (a route its days, a day its stops)."""
    return parent.name in ("routes", "route_days")      # a route needs days, a day needs stops


def file_schema(spec: ResourceSpec, package: PackageSpec) -> dict:
    record = record_schema(spec, package)
    body = {"type": "array", "items": record} if spec.source.each == "list" else record
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://bashu-travel.invalid/schemas/editor/{spec.name}.schema.json",
            "title": f"{spec.title_zh} · {spec.title_en}", **body}


def editor_schemas(package: PackageSpec) -> dict[str, str]:
    """File name -> JSON text, for every resource editors write as YAML."""
    return {f"{spec.name}.schema.json": json.dumps(file_schema(spec, package), ensure_ascii=False, indent=1) + "\n"
            for spec in package.resources if spec.source.files and spec.source.each in ("list", "mapping")}


def vscode_settings(package: PackageSpec) -> dict:
    """yaml.schemas for .vscode/settings.json: each schema for the files it describes."""
    return {"yaml.schemas": {f"./{OUT_DIR.as_posix()}/{spec.name}.schema.json": f"datasets/{spec.source.files}"
                             for spec in package.resources if spec.source.files and spec.source.each in ("list",
                                                                                                         "mapping")},
            "files.encoding": "utf8", "files.insertFinalNewline": True, "editor.insertSpaces": True,
            "[yaml]": {"editor.tabSize": 2, "editor.insertSpaces": True}}


def write_editor_files(root: Path, package: PackageSpec) -> list[Path]:
    written = []
    folder = root / OUT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in editor_schemas(package).items():
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    settings = root / ".vscode" / "settings.json"
    settings.parent.mkdir(exist_ok=True)
    settings.write_text(json.dumps(vscode_settings(package), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return written + [settings]
