"""The code follows the flow: each stage imports only the stages below it, never one above or
beside it, so that a newcomer can read the hub from check to site and a change in the pages can
never break the checker."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "tourhub"
# Lower numbers come first in the flow; a module may import its own package and lower ones.
LAYERS = {"core": 0, "check": 1, "model": 2, "partners": 3, "publish": 3, "editors": 3, "site": 4,
          "pipeline": 5, "deploy": 5, "serve": 6}


def layer_of(module: str) -> str:
    """tourhub.check.rules -> check; tourhub.pipeline -> pipeline."""
    return module.split(".")[1]


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "tourhub":
                found |= {f"tourhub.{alias.name}" for alias in node.names}
            elif node.module.startswith("tourhub."):
                found.add(node.module)
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}: use absolute imports (tourhub.<stage>.<module>)")
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("tourhub.")}
    return found


def modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


def test_every_module_belongs_to_a_known_stage():
    for path in modules():
        stage = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        assert stage in LAYERS, path


def test_imports_only_go_down_the_stack():
    wrong = []
    for path in modules():
        own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        for target in imports(path):
            other = layer_of(target)
            if other != own and LAYERS[other] >= LAYERS[own]:
                wrong.append(f"{path.relative_to(ROOT)} imports {target} ({own} -> {other})")
    assert wrong == []


def test_the_checker_alone_imports_pyyaml_internals_never():
    for path in modules():
        text = path.read_text("utf-8")
        assert "yaml._yaml" not in text and "CParser" not in text, path
