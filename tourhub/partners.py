"""`python build.py fetch`: pull every partner feed, keep every good row, lose nothing.

For each source in datasets/sources.yaml (or --sources PATH): a safe GET (tourhub/fetch_http.py),
the payload checked whole against the observation schema and the hub's rules
(tourhub/ingest.py), accepted rows merged into the monthly partitions idempotently, conflicts
reported. What happened is kept per source in datasets/fetch-state.json, which the build reads
to mark the areas of a quiet feed stale. One source failing never stops the others or undoes
what they delivered.
"""
from __future__ import annotations

import ipaddress
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from .fetch_http import Endpoint, FetchError, fetch
from .ingest import merge_observations, parse_observations
from .package import PackageSpec, load_package
from .problems import Problem, has_errors
from .tables import read_tables
from .validate import check_yaml_tables, validate_datasets

STATE_FILE = "fetch-state.json"


@dataclass
class SourceOutcome:
    source_id: str
    ok: bool
    status: str                      # fetched, not-modified, rejected, failed
    accepted: int = 0
    added: int = 0
    unchanged: int = 0
    conflicts: int = 0
    problems: list[Problem] = field(default_factory=list)


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def load_sources(datasets: Path, sources_file: Path | None) -> tuple[list[dict], list, list[Problem]]:
    """Validated source rows and their positions, from datasets/sources.yaml or another file."""
    package, problems = load_package(datasets)
    if package is None:
        return [], [], problems
    spec = package.resource("sources")
    if sources_file is not None:
        spec = replace(spec, source=replace(spec.source, files=sources_file.name))
        package = PackageSpec(sources_file.resolve().parent, package.descriptor, (spec,))
    else:
        package = PackageSpec(package.root, package.descriptor, (spec,))
    tables, problems = read_tables(package)
    typed, found = check_yaml_tables(package, tables)
    return typed.get("sources", []), tables.rows.get("sources", []), problems + found


def read_state(path: Path) -> dict:
    try:
        state = json.loads(path.read_text("utf-8"))
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def write_state(path: Path, state: dict) -> None:
    """Atomically: a crash leaves the previous state file whole."""
    handle, temp = tempfile.mkstemp(prefix=".fetch-state-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(state, out, ensure_ascii=False, indent=1, sort_keys=True)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def _problem(pos, code: str, source: str, zh: str, en: str, line: int | None = None) -> Problem:
    return Problem(pos.file, line or pos.line, pos.column if line is None else 1, code,
                   {"source": source, "message_zh": zh, "message_en": en})


def fetch_source(source: dict, pos, state: dict, *, observations: Path, schema: dict, known: set[str],
                 with_capacity: set[str], now: datetime, env, **fetch_options) -> SourceOutcome:
    """One source, start to end; `state` (this source's entry) is updated in place."""
    sid = source["id"]
    state["last_attempt"] = now.isoformat()
    token = None
    if source.get("token_env"):
        token = env.get(source["token_env"])
        if not token:
            return _failed(state, SourceOutcome(sid, False, "failed", problems=[_problem(
                pos, "fetch-token-missing", sid, f"环境变量 {source['token_env']} 未设置，未发出请求",
                f"environment variable {source['token_env']} is not set; no request was made")]))
        if urlsplit(source["url"]).scheme != "https" and not _is_loopback(source["url"]):
            return _failed(state, SourceOutcome(sid, False, "failed", problems=[_problem(
                pos, "fetch-token-insecure", sid, "令牌只能通过 https 发送", "a token is only ever sent over https")]))
    endpoint = Endpoint(url=source["url"], format=source["format"], timeout_s=float(source["timeout_s"]),
                        max_bytes=int(source["max_bytes"]), token=token, etag=state.get("etag"),
                        last_modified=state.get("last_modified"))
    try:
        fetched = fetch(endpoint, **fetch_options)
    except FetchError as error:
        return _failed(state, SourceOutcome(sid, False, "failed", problems=[_problem(
            pos, f"fetch-{error.code}", sid, error.message_zh, error.message_en)]))
    state.update(etag=fetched.etag, last_modified=fetched.last_modified)
    if fetched.status == 304:
        state.update(last_success=now.isoformat(), last_error=None, rows_last=0)
        return SourceOutcome(sid, True, "not-modified")
    payload = parse_observations(fetched.body, source["format"], schema=schema, areas_with_capacity=with_capacity,
                                 known_areas=known, source_id=sid, now=now)
    if not payload.accepted:
        where = source["url"].split("?", 1)[0]
        header = 1 if source["format"] == "csv" else 0
        problems = [Problem(where, (p.row + header) if p.row else 1, 1, f"payload-{p.code}",
                            {"source": sid, "message_zh": p.message_zh, "message_en": p.message_en})
                    for p in payload.problems]
        state.pop("etag", None)          # ask for the whole payload again next time
        state.pop("last_modified", None)
        return _failed(state, SourceOutcome(sid, False, "rejected", problems=problems))
    merged = merge_observations(observations, payload.rows)
    conflicts = [_problem(pos, "merge-conflict", sid,
                          f"{c.key[0]} {c.key[1]} {c.key[2]}：已有 {c.existing}，新值 {c.incoming}，保留已有值",
                          f"{c.key[0]} {c.key[1]} {c.key[2]}: have {c.existing}, got {c.incoming}; kept the existing")
                 for c in merged.conflicts]
    areas = sorted(set(state.get("areas", [])) | {row["spot_id"] for row in payload.rows})
    state.update(last_success=now.isoformat(), last_error=None, rows_last=len(payload.rows), areas=areas,
                 rows_added_total=state.get("rows_added_total", 0) + merged.added)
    return SourceOutcome(sid, not conflicts, "fetched", len(payload.rows), merged.added, merged.unchanged,
                         len(conflicts), conflicts)


def _failed(state: dict, outcome: SourceOutcome) -> SourceOutcome:
    first = outcome.problems[0]
    state["last_error"] = {"code": first.code, "zh": first.zh, "en": first.en}
    return outcome


def fetch_all(root: Path, now: datetime, *, sources_file: Path | None = None, env=None,
              **fetch_options) -> tuple[list[SourceOutcome], list[Problem]]:
    """Every source in turn. Returns what happened to each, and problems that stopped it all."""
    datasets = root / "datasets"
    validated = validate_datasets(datasets, now)
    if has_errors(validated.problems):
        return [], validated.problems        # never merge into data that does not validate
    sources, positions, problems = load_sources(datasets, sources_file)
    if has_errors(problems):
        return [], problems
    schema = validated.package.resource("visitor_observations").schema
    areas = validated.typed["scenic_areas"]
    known = {a["id"] for a in areas}
    with_capacity = {a["id"] for a in areas if a.get("capacity_daily") or a.get("capacity_instant")}
    state_path = datasets / STATE_FILE
    state = read_state(state_path)
    observations = datasets / "observations"
    observations.mkdir(exist_ok=True)
    outcomes = []
    for source, row in zip(sources, positions):
        entry = state.setdefault(source["id"], {})
        outcomes.append(fetch_source(source, row.pos, entry, observations=observations, schema=schema,
                                     known=known, with_capacity=with_capacity, now=now,
                                     env=os.environ if env is None else env, **fetch_options))
        write_state(state_path, state)      # after each source: a crash later keeps this one's record
    return outcomes, []
