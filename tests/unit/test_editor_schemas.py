"""The JSON Schemas editors' VS Code uses: generated from the Table Schemas, up to date, accepting
every shipped file and flagging the mistakes editors make."""
from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from tourhub.check.descriptor import load_package
from tourhub.editors.json_schemas import OUT_DIR, editor_schemas, vscode_settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGE, _ = load_package(ROOT / "datasets")


class _TextTimes(yaml.SafeLoader):
    """YAML as an editor's language server reads it: dates and times stay text."""


_TextTimes.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def schema_for(path: Path) -> dict:
    relative = path.relative_to(ROOT).as_posix()
    for schema_file, pattern in vscode_settings(PACKAGE)["yaml.schemas"].items():
        if fnmatch.fnmatch(relative, pattern):
            return json.loads((ROOT / schema_file).read_text("utf-8"))
    raise LookupError(relative)


def test_the_committed_schemas_and_vscode_settings_are_up_to_date():
    for name, text in editor_schemas(PACKAGE).items():
        assert (ROOT / OUT_DIR / name).read_text("utf-8") == text, f"run: python build.py schemas ({name})"
    settings = json.loads((ROOT / ".vscode" / "settings.json").read_text("utf-8"))
    assert settings == vscode_settings(PACKAGE)


YAML_FILES = sorted(p for p in (ROOT / "datasets").rglob("*.yaml")
                    if "schemas" not in p.parts and p.name != "datapackage.yaml")


@pytest.mark.parametrize("path", YAML_FILES, ids=[p.relative_to(ROOT / "datasets").as_posix() for p in YAML_FILES])
def test_every_shipped_file_is_valid_against_its_editor_schema(path):
    document = yaml.load(path.read_text("utf-8"), Loader=_TextTimes)
    jsonschema.validate(document, schema_for(path), format_checker=jsonschema.FormatChecker())


def test_the_editor_schema_flags_a_typo_a_missing_key_and_a_bad_value():
    route = yaml.load((ROOT / "datasets" / "routes" / "huayingshan-red-hongyan.yaml").read_text("utf-8"),
                      Loader=_TextTimes)
    schema = schema_for(ROOT / "datasets" / "routes" / "huayingshan-red-hongyan.yaml")
    validator = jsonschema.Draft202012Validator(schema)
    typo = dict(route, difficulty="medium", sumary_zh="x")
    del typo["source"]
    typo["days"][0]["stops"][0]["leg"]["mode"] = "rocket"
    messages = " ".join(error.message for error in validator.iter_errors(typo))
    assert "'sumary_zh' was unexpected" in messages and "'source' is a required property" in messages
    assert "'medium' is not one of" in messages and "'rocket' is not one of" in messages
