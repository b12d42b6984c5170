"""The stages strung together: validate -> model -> pages -> MkDocs -> swap into site/."""
from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from tourhub.check.containment import site_source_problems
from tourhub.check.partitions import project_cache
from tourhub.check.problems import Problem, has_errors
from tourhub.check.validate import Validated, validate_datasets
from tourhub.core.files import write_atomically
from tourhub.core.lock import remove_leftovers, repository_lock
from tourhub.core.npm import NODE_MODULES
from tourhub.model.build import build_model
from tourhub.model.crowd_warnings import with_crowd_warnings
from tourhub.model.records import Model
from tourhub.partners.fetch import STATE_FILE, read_fetch_state
from tourhub.publish.history import dataset_history
from tourhub.publish.publication import build_publication, live_files
from tourhub.site import incremental
from tourhub.site.admin_site import admin_files
from tourhub.site.browser_data import client_files, theme_extra
from tourhub.site.mkdocs_build import SiteBuildFailed, discard, index_search, mkdocs_build, new_site_dir, publish, stage
from tourhub.site.offline import offline_files, write_service_worker
from tourhub.site.pages import render_pages
from tourhub.site.share import data_licence, share_files
from tourhub.site.sql_console import EngineChanged, engine_files


@dataclass
class BuildResult:
    problems: list[Problem]
    timings: dict[str, float] = field(default_factory=dict)   # stage -> seconds
    error: str | None = None                                  # why MkDocs failed, if it did
    model: Model | None = None
    validation: dict[str, float] = field(default_factory=dict)   # validate's own steps -> seconds
    plan: str = ""                                            # full or incremental, and why (site/incremental.py)

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems) and self.error is None


def site_url(root: Path) -> str:
    """Where the site is published: $HUB_SITE_URL (set by the publishing workflow), else
    mkdocs.yml's site_url. Absolute URLs in the catalog and feeds start with it."""
    return site_url_and_origin(root)[0]


def site_url_and_origin(root: Path) -> tuple[str, str]:
    """The site URL and where it came from (HUB_SITE_URL, mkdocs.yml, or the local default)."""
    if os.environ.get("HUB_SITE_URL"):
        return os.environ["HUB_SITE_URL"].rstrip("/") + "/", "HUB_SITE_URL"
    config = yaml.safe_load((root / "mkdocs.yml").read_text("utf-8")) or {}
    if config.get("site_url"):
        return str(config["site_url"]).rstrip("/") + "/", "mkdocs.yml site_url"
    return "http://127.0.0.1:8000/", "default"


LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1", "0.0.0.0", "")


def local_url(url: str) -> bool:
    """A URL only this machine can open (a loopback address, or none): every canonical link,
    feed entry and catalog IRI of a site built with it would point nowhere once published."""
    from urllib.parse import urlsplit
    host = (urlsplit(url).hostname or "").lower()
    return host in LOCAL_HOSTS or host.startswith("127.") or host.endswith(".localhost")


DEMO_DIR = "demo"


def overlay_of(root: Path, demo: bool) -> Path | None:
    """The demo overlay (demo/, the same layout as datasets/) when asked for, else None."""
    return root / DEMO_DIR if demo else None


def check(root: Path, now: datetime | None = None, cache_dir: Path | None = None, demo: bool = False) -> Validated:
    """Validate the project's datasets (with the demo overlay laid over them if `demo`) and what
    the site is made of; CSV partitions checked before are reused from `cache_dir` (default
    build/cache/partitions)."""
    validated = validate_datasets(root / "datasets", now, cache_dir or project_cache(root), overlay_of(root, demo))
    validated.problems += site_source_problems(root)
    return validated


def build(root: Path, now: datetime | None = None, site: Path | None = None,
          staging: Path | None = None, dev_reload: bool = False, cache_dir: Path | None = None,
          demo: bool = False, incremental: bool = True, node_modules: Path | None = None) -> BuildResult:
    """Validate and build. A demo build (the overlay of invented records laid over the real data)
    goes to build/demo-site/ unless `site` says otherwise, never to site/. `incremental`: reuse
    the previous build's output where the sources are unchanged (the same bytes either way).
    `node_modules`: where npm put the SQL page's engine (default: the hub's own; without it the
    page offers the downloads instead).

    The whole build holds the repository's lock: the partitions it checks are the ones it
    publishes (a fetch merges only between builds), and two builds never share build/staging.
    What an interrupted run left behind is removed first."""
    with repository_lock(root, "build --demo" if demo else "build"):
        remove_leftovers(root, (root / "datasets", root / DEMO_DIR))
        return _build(root, now, site, staging, dev_reload, cache_dir, demo, incremental, node_modules)


def _build(root: Path, now: datetime | None, site: Path | None, staging: Path | None, dev_reload: bool,
           cache_dir: Path | None, demo: bool, incremental: bool, node_modules: Path | None = None) -> BuildResult:
    now = now or datetime.now(UTC)
    site = site or (root / "build" / "demo-site" if demo else root / "site")
    staging = staging or root / "build" / ("demo-staging" if demo else "staging")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(stage_name: str) -> None:
        nonlocal clock
        timings[stage_name] = time.perf_counter() - clock
        clock = time.perf_counter()

    validated = check(root, now, cache_dir, demo)
    lap("validate")
    timings["load"] = validated.timings.get("load", 0.0)      # load: reading the YAML; validate: the checks
    timings["validate"] = timings.pop("validate") - timings["load"]
    if has_errors(validated.problems):
        return BuildResult(validated.problems, timings, validation=validated.timings)
    model, state_problems = model_of(root, validated, now, demo)
    validated.problems += state_problems
    gc.collect()
    gc.freeze()      # the tables and the model live to the end: the collector need not walk them again and again
    try:
        lap("model")
        error, build_plan = _views_and_site(root, model, validated, site, staging, dev_reload, incremental, lap,
                                            node_modules or NODE_MODULES)
    finally:
        gc.unfreeze()
    return BuildResult(validated.problems, timings, error, model, validated.timings, build_plan)


def model_of(root: Path, validated: Validated, now: datetime, demo: bool) -> tuple[Model, list[Problem]]:
    """The model of validated data at `now`, with the partners' fetch state and the crowd
    warnings its readings raise; and the fetch state's problems (it is recomputed if damaged)."""
    fetch_state, state_problems = read_fetch_state((overlay_of(root, demo) or root / "datasets") / STATE_FILE)
    return with_crowd_warnings(build_model(validated.rows, now, fetch_state, demo)), state_problems


def _views_and_site(root: Path, model: Model, validated: Validated, site: Path, staging: Path,
                    dev_reload: bool, reuse_previous: bool, lap, node_modules: Path) -> tuple[str | None, str]:
    """Exports, pages, MkDocs, search, and the swap into site/; why MkDocs failed, if it did,
    and what was built (everything, or what changed)."""
    base_url = site_url(root)
    publication = build_publication(validated, model, dataset_history(root, validated.spec), base_url)
    lap("exports")
    try:
        engine = engine_files(node_modules, root / "build" / "cache" / "engine")
    except EngineChanged as error:
        return f"SQL 引擎 / SQL engine: {error}", ""
    pages = (render_pages(model, publication.datasets, base_url, engine.path if engine else None)
             + (engine.files if engine else []) + client_files(model) + share_files(model, base_url)
             + offline_files() + admin_files(validated.spec, node_modules, base_url) + publication.files)
    try:
        docs = stage(root, staging, pages)
    except SiteBuildFailed as error:
        return str(error), ""
    del pages, publication      # staged on disk now
    hub = theme_extra(model, dev_reload, data_licence(validated.spec.descriptor))
    staged = incremental.staged_digests(docs)
    previous = incremental.read_build_record(site) if reuse_previous else None
    shapes_every_page = incremental.fingerprint(root, hub, base_url)
    build_plan = (incremental.plan(previous, shapes_every_page, staged) if reuse_previous
                  else incremental.Plan(None, reason="asked for / 按要求"))
    lap("pages")
    new = new_site_dir(site)
    try:
        if not build_plan.full:
            incremental.link_previous(site, new, build_plan.removed)
        styles = mkdocs_build(root / "mkdocs.yml", docs, new, hub, base_url, build_plan.changed,
                              previous.styles if previous and not build_plan.full else None)
        lap("mkdocs")
        if build_plan.pages_changed:
            index_search(new)
        else:
            incremental.link_search_index(site, new)
        write_service_worker(new, retire=dev_reload)   # last: it names what it precaches by their bytes
        record = incremental.BuildRecord(shapes_every_page, staged, styles)
        (new / incremental.BUILD_RECORD).write_bytes(record.to_json())
        lap("search")
    except SiteBuildFailed as error:
        discard(new)
        return str(error), build_plan.summary(len(staged))
    publish(new, site)
    lap("publish")
    return None, build_plan.summary(len(staged))


@dataclass
class LiveResult:
    problems: list[Problem]
    written: list[str] = field(default_factory=list)      # site paths rewritten (their bytes changed)
    unchanged: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None                              # why nothing could be written, if so

    @property
    def ok(self) -> bool:
        return not has_errors(self.problems) and self.error is None


def live(root: Path, now: datetime | None = None, site: Path | None = None, cache_dir: Path | None = None,
         demo: bool = False) -> LiveResult:
    """Rewrite the live files of the built site (publication.live_files: crowd levels, quality,
    CAP alerts and their Atom index) from the data as it is now, without MkDocs or Pagefind: only
    files whose bytes changed, each atomically, so a visitor never reads half a file. The data is
    validated first, as for a build; with an error, nothing is written. Under the repository lock,
    so it never interleaves with a build's swap or a fetch's merge."""
    with repository_lock(root, "live --demo" if demo else "live"):
        return _live(root, now or datetime.now(UTC), site or (root / "build" / "demo-site" if demo else root / "site"),
                     cache_dir, demo)


def _live(root: Path, now: datetime, site: Path, cache_dir: Path | None, demo: bool) -> LiveResult:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if not (site / "index.html").is_file():
        return LiveResult([], error=f"{site.name}/ 尚未构建，请先运行 build.py build / "
                                    f"{site.name}/ has not been built: run build.py build first")
    validated = check(root, now, cache_dir, demo)
    timings["validate"] = time.perf_counter() - started
    if has_errors(validated.problems):
        return LiveResult(validated.problems, timings=timings)
    model, state_problems = model_of(root, validated, now, demo)
    timings["model"] = time.perf_counter() - started - timings["validate"]
    result = LiveResult(validated.problems + state_problems, timings=timings)
    written = {}
    for page in live_files(model, site_url(root)):
        data, target = page.data(), site / page.path
        try:
            if target.read_bytes() == data:
                result.unchanged += 1
                continue
        except OSError:
            target.parent.mkdir(parents=True, exist_ok=True)      # a new file: a crowd warning just raised
        write_atomically(target, data)
        written[page.path] = data
    incremental.record_rewritten(site, written)
    result.written = list(written)
    timings["write"] = time.perf_counter() - started - timings["validate"] - timings["model"]
    return result
