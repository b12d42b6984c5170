"""Shared fixtures: a small valid project tree in a temp folder, built from the real descriptor,
schemas and site sources plus the files in tests/fixtures/good/; and the shipped data built once
per test session, as `make site` builds it (production_site) and as `make demo` shows it
(demo_site). Those two are read-only: a test that changes a site builds its own."""
from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# The shipped data's build time in tests: the day it was last checked (a check date is never in
# the future); the demo's counts run up to this hour.
SHIPPED_AT = datetime(2026, 11, 30, 20, 30, tzinfo=timezone(timedelta(hours=8)))


def make_project(target: Path) -> Path:
    """A project folder with the real config and schemas and the small good datasets."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("mkdocs.yml",):
        shutil.copy(ROOT / name, target / name)
    shutil.copytree(ROOT / "site_src", target / "site_src")
    datasets = target / "datasets"
    datasets.mkdir()
    shutil.copy(ROOT / "datasets" / "datapackage.yaml", datasets)
    shutil.copy(ROOT / "datasets" / "warning_schemes.yaml", datasets)
    shutil.copytree(ROOT / "datasets" / "schemas", datasets / "schemas")
    shutil.copytree(FIXTURES / "good", datasets, dirs_exist_ok=True)
    (datasets / "README.md").unlink()
    return target


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path)


def demo_tool():
    """tools/demo.py as a module (`make demo`'s code: the overlay, the demo partners' counts)."""
    spec = importlib.util.spec_from_file_location("demo", ROOT / "tools" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_demo(target: Path, now: datetime):
    """The demo as `make demo` shows it, built into target/site: a copy of the project with the
    demo overlay moved to `now` and the demo partners' counts written offline (no HTTP)."""
    from tourhub import pipeline
    tool = demo_tool()
    project = tool.demo_project(target, None, now)
    tool.write_demo_counts(project, now)
    result = pipeline.build(project, now=now, demo=True, site=project / "site")
    assert result.ok, result.error or [p.to_text() for p in result.problems]
    return project, result


@dataclass(frozen=True)
class BuiltSite:
    folder: Path            # the built site
    model: object           # the tourhub Model it was built from
    project: Path           # the project folder it was built from


@pytest.fixture(scope="session")
def production_site(tmp_path_factory) -> BuiltSite:
    """The shipped data alone, built at SHIPPED_AT (what `make site` publishes)."""
    from tourhub import pipeline
    out = tmp_path_factory.mktemp("production")
    result = pipeline.build(ROOT, now=SHIPPED_AT, site=out / "site", staging=out / "staging", cache_dir=out / "cache")
    assert result.ok, result.error or [p.to_text() for p in result.problems]
    return BuiltSite(out / "site", result.model, ROOT)


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory) -> BuiltSite:
    """The demo at SHIPPED_AT: the invented overlay and partner counts laid over the shipped data."""
    project, result = build_demo(tmp_path_factory.mktemp("demo") / "project", SHIPPED_AT)
    return BuiltSite(project / "site", result.model, project)


def dcat_ap_shapes():
    """The official DCAT-AP 3.0.1 shapes (tests/specs/, unchanged) as pyshacl can load them: the
    release's DataServiceShape lists property shapes it never defines (reported upstream,
    https://github.com/SEMICeu/DCAT-AP/issues/448, open), and SHACL engines refuse the whole
    file once a catalog has a dcat:DataService. Only those dangling references are dropped."""
    from rdflib import Graph
    from rdflib.namespace import SH
    shapes = Graph().parse(ROOT / "tests" / "specs" / "dcat-ap-3.0.1" / "dcat-ap-SHACL.ttl", format="turtle")
    dangling = [(shape, prop) for shape, prop in shapes.subject_objects(SH.property)
                if (prop, SH.path, None) not in shapes]
    for shape, prop in dangling:
        shapes.remove((shape, SH.property, prop))
    return shapes
