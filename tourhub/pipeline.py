"""The stages strung together: validate -> model -> pages -> MkDocs -> swap into site/."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .catalog import catalog_entries
from .client import client_files, theme_extra
from .model import Model, build_model
from .pages import render_pages
from .problems import Problem, has_errors
from .site import SiteBuildFailed, discard, index_search, mkdocs_build, new_site_dir, publish, stage
from .validate import Validated, validate_datasets


@dataclass
class BuildResult:
    problems: list[Problem]
    timings: dict[str, float] = field(default_factory=dict)   # stage -> seconds
    error: str | None = None                                  # why MkDocs failed, if it did
    model: Model | None = None

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems) and self.error is None


def check(root: Path, now: datetime | None = None) -> Validated:
    return validate_datasets(root / "datasets", now)


def build(root: Path, now: datetime | None = None, site: Path | None = None,
          staging: Path | None = None) -> BuildResult:
    now = now or datetime.now(timezone.utc)
    site = site or root / "site"
    staging = staging or root / "build" / "staging"
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage_name: str) -> None:
        nonlocal clock
        timings[stage_name] = time.perf_counter() - clock
        clock = time.perf_counter()

    validated = check(root, now)
    lap("validate")
    if has_errors(validated.problems):
        return BuildResult(validated.problems, timings)
    model = build_model(validated.typed, now)
    lap("model")
    pages = render_pages(model, catalog_entries(validated.package, validated.typed)) + client_files(model)
    docs = stage(root, staging, pages)
    lap("pages")
    new = new_site_dir(site)
    try:
        mkdocs_build(root / "mkdocs.yml", docs, new, theme_extra(model))
        lap("mkdocs")
        index_search(new)
        lap("search")
    except SiteBuildFailed as error:
        discard(new)
        return BuildResult(validated.problems, timings, str(error), model)
    publish(new, site)
    lap("publish")
    return BuildResult(validated.problems, timings, None, model)
