"""`python build.py fetch`: pull every partner feed, keep every good row, lose nothing.

For each source in datasets/sources.yaml (or --sources PATH): a safe GET (tourhub/fetch_http.py),
the payload checked whole against the observation schema and the hub's rules
(tourhub/ingest.py), accepted rows merged into the monthly partitions idempotently, conflicts
reported. What happened is kept per source in datasets/fetch-state.json, which the build reads
to mark the areas of a quiet feed stale. One source failing never stops the others or undoes
what they delivered.
"""
from __future__ import annotations

import fcntl
import ipaddress
import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tourhub.check.descriptor import PackageSpec
from tourhub.check.partitions import project_cache
from tourhub.check.problems import Problem, has_errors
from tourhub.check.tables import read_tables
from tourhub.check.validate import check_yaml_tables, validate_datasets
from tourhub.core.dates import CHINA
from tourhub.core.files import write_atomically
from tourhub.partners.http import Endpoint, FetchError, fetch
from tourhub.partners.ingest import merge_observations, parse_observations

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


def load_sources(validated, sources_file: Path | None) -> tuple[list[dict], list, list[Problem]]:
    """Validated source rows and their positions: those the full check already read from
    datasets/sources.yaml, or another file checked against the same schema."""
    if sources_file is None:
        return validated.typed.get("sources", []), validated.tables.rows.get("sources", []), []
    spec = validated.package.resource("sources")
    spec = replace(spec, source=replace(spec.source, files=sources_file.name))
    package = PackageSpec(sources_file.resolve().parent, validated.package.descriptor, (spec,))
    tables, problems = read_tables(package)
    typed, found = check_yaml_tables(package, tables)
    return typed.get("sources", []), tables.rows.get("sources", []), problems + found


def read_fetch_state(path: Path) -> tuple[dict, list[Problem]]:
    """What `fetch` recorded per source (a missing file: never fetched). An unreadable file, or
    an entry that is not a record with a valid last_success, counts as never fetched and is
    reported, so the build marks those areas stale instead of failing."""
    if not path.exists():
        return {}, []
    where = f"datasets/{path.name}"
    try:
        state = json.loads(path.read_text("utf-8"))
        if not isinstance(state, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as error:
        return {}, [Problem(where, 1, 1, "fetch-state-unreadable", {"reason": str(error)[:200]})]
    kept, problems = {}, []
    for source_id, entry in state.items():
        reason = _entry_problem(entry)
        if reason:
            problems.append(Problem(where, 1, 1, "fetch-state-unreadable", {"reason": f"{source_id}: {reason}"}))
        else:
            kept[source_id] = entry
    return kept, problems


def _entry_problem(entry) -> str | None:
    if not isinstance(entry, dict):
        return "not a JSON object"
    success = entry.get("last_success")
    if success is not None:
        try:
            if datetime.fromisoformat(success).utcoffset() is None:
                return "last_success has no UTC offset"
        except (TypeError, ValueError):
            return "last_success is not an ISO 8601 time"
    areas = entry.get("areas", [])
    if not isinstance(areas, list) or not all(isinstance(a, str) for a in areas):
        return "areas is not a list of area ids"
    return None


def write_state(path: Path, state: dict) -> None:
    """Atomically: a crash leaves the previous state file whole."""
    write_atomically(path, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))


def _problem(pos, code: str, source: str, **params) -> Problem:
    """A partner-feed problem at the source's entry in the sources file."""
    return Problem(pos.file, pos.line, pos.column, code, {"source": source, **params})


def areas_with_capacity(typed: dict[str, list[dict]]) -> set[str]:
    """Ids of the areas with an approved capacity: the only ones whose counts can be graded."""
    return {c["spot_id"] for c in typed.get("capacities", []) if c.get("capacity_daily") or c.get("capacity_instant")}


def fetch_source(source: dict, pos, state: dict, *, observations: Path, schema: dict, known: set[str],
                 with_capacity: set[str], now: datetime, env, project: Path, overlay: Path | None = None,
                 **fetch_options) -> SourceOutcome:
    """One source, start to end; `state` (this source's entry) is updated in place."""
    sid = source["id"]
    state["last_attempt"] = now.isoformat()
    token = None
    if source.get("token_env"):
        token = env.get(source["token_env"])
        if not token:
            return _failed(state, SourceOutcome(sid, False, "failed", problems=[_problem(
                pos, "fetch-token-missing", sid, variable=source["token_env"])]))
        if urlsplit(source["url"]).scheme != "https" and not _is_loopback(source["url"]):
            return _failed(state, SourceOutcome(sid, False, "failed", problems=[_problem(
                pos, "fetch-token-insecure", sid)]))
    try:
        endpoint = _endpoint(source, token, state)
        fetched = fetch(endpoint, **fetch_options)
    except FetchError as error:
        return _failed(state, SourceOutcome(sid, False, "failed", problems=[_problem(
            pos, error.rule, sid, **error.params)]))
    state.update(etag=fetched.etag, last_modified=fetched.last_modified)
    if fetched.status == 304:
        state.update(last_success=now.isoformat(), last_error=None, rows_last=0)
        return SourceOutcome(sid, True, "not-modified")
    if source["resource"] == "safety_notices":
        return _notices_outcome(source, state, fetched.body, project, now, overlay)
    payload = parse_observations(fetched.body, source["format"], schema=schema, areas_with_capacity=with_capacity,
                                 known_areas=known, source_id=sid, now=now)
    if not payload.accepted:
        where = source["url"].split("?", 1)[0]
        header = 1 if source["format"] == "csv" else 0
        problems = [Problem(where, (p.row + header) if p.row else 1, 1, p.rule, {"source": sid, **p.params})
                    for p in payload.problems]
        state.pop("etag", None)          # ask for the whole payload again next time
        state.pop("last_modified", None)
        return _failed(state, SourceOutcome(sid, False, "rejected", problems=problems))
    merged = merge_observations(observations, payload.rows)
    conflicts = [_problem(pos, "merge-conflict", sid, spot=c.key[0], at=c.key[1], window=c.key[2],
                          existing=c.existing, incoming=c.incoming)
                 for c in merged.conflicts]
    areas = sorted(set(state.get("areas", [])) | {row["spot_id"] for row in payload.rows})
    state.update(last_success=now.isoformat(), last_error=None, rows_last=len(payload.rows), areas=areas,
                 rows_added_total=state.get("rows_added_total", 0) + merged.added)
    return SourceOutcome(sid, not conflicts, "fetched", len(payload.rows), merged.added, merged.unchanged,
                         len(conflicts), conflicts)


def _endpoint(source: dict, token: str | None, state: dict) -> Endpoint:
    """The request to make; validators a server sent that cannot go back in a header are dropped."""
    settings = dict(url=source["url"], format=source["format"], timeout_s=float(source["timeout_s"]),
                    max_bytes=int(source["max_bytes"]), token=token)
    try:
        return Endpoint(**settings, etag=state.get("etag"), last_modified=state.get("last_modified"))
    except ValueError:
        state.pop("etag", None)
        state.pop("last_modified", None)
    try:
        return Endpoint(**settings)
    except ValueError as error:
        raise FetchError("fetch-bad-url-settings", {"reason": str(error)}) from error


def _notices_outcome(source: dict, state: dict, body: bytes, project: Path, now: datetime,
                     overlay: Path | None = None) -> SourceOutcome:
    sid, where = source["id"], source["url"].split("?", 1)[0]
    records = notice_records(body) if source["format"] == "json" else "notice feeds are JSON"
    if isinstance(records, str):
        return _failed(state, SourceOutcome(sid, False, "rejected", problems=[Problem(
            where, 1, 1, "payload-notices-unreadable", {"source": sid, "detail": records})]))
    added, unchanged, problems = merge_notices(project, sid, source["url"], records, now, overlay)
    if problems:
        state.pop("etag", None)
        state.pop("last_modified", None)
        return _failed(state, SourceOutcome(sid, False, "rejected", problems=problems))
    state.update(last_success=now.isoformat(), last_error=None, rows_last=len(records),
                 rows_added_total=state.get("rows_added_total", 0) + added)
    return SourceOutcome(sid, True, "fetched", len(records), added, unchanged)


def _failed(state: dict, outcome: SourceOutcome) -> SourceOutcome:
    first = outcome.problems[0]
    state["last_error"] = {"code": first.code, "zh": first.zh, "en": first.en}
    return outcome


def fetch_all(root: Path, now: datetime, *, sources_file: Path | None = None, env=None,
              overlay: Path | None = None, **fetch_options) -> tuple[list[SourceOutcome], list[Problem]]:
    """Every source in turn. Returns what happened to each, and problems that stopped it all.
    With `overlay` (the demo), what the feeds deliver is merged into the overlay, never into
    datasets/."""
    datasets = root / "datasets"
    validated = validate_datasets(datasets, now, project_cache(root), overlay)
    if has_errors(validated.problems):
        return [], validated.problems        # never merge into data that does not validate
    sources, positions, problems = load_sources(validated, sources_file)
    if has_errors(problems):
        return [], problems
    schema = validated.spec.resource("visitor_observations").schema
    known = {a["id"] for a in validated.typed["scenic_areas"]}
    with_capacity = areas_with_capacity(validated.typed)
    target = overlay or datasets
    state_path = target / STATE_FILE
    observations = target / "observations"
    observations.mkdir(parents=True, exist_ok=True)
    outcomes = []
    with open(target / ".fetch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)    # two fetches at once would race on the partitions
        state, _ = read_fetch_state(state_path)   # unreadable entries start afresh
        for source, row in zip(sources, positions):
            entry = state.setdefault(source["id"], {})
            outcomes.append(fetch_source(source, row.pos, entry, observations=observations, schema=schema,
                                         known=known, with_capacity=with_capacity, now=now,
                                         env=os.environ if env is None else env, project=root,
                                         overlay=overlay, **fetch_options))
            write_state(state_path, state)  # after each source: a crash later keeps this one's record
    return outcomes, []


# Safety notices from partners ------------------------------------------------------------------


def notice_records(body: bytes) -> list[dict] | str:
    """The notices of a JSON payload (a list, or {"notices": [...]}), or why it cannot be read."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        return str(error)[:200]
    if isinstance(data, dict) and isinstance(data.get("notices"), list):
        data = data["notices"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        return "expected a JSON list of notice objects"
    return data


def merge_notices(project: Path, source_id: str, url: str, records: list[dict], now: datetime,
                  overlay: Path | None = None) -> tuple[int, int, list[Problem]]:
    """Write the partner's notices as editors' files, run the whole check, and keep them only if
    none of them has a problem; an id already held with other content is a conflict, not an edit."""
    folder = (overlay or project / "datasets") / "notices"
    folder.mkdir(parents=True, exist_ok=True)
    where = url.split("?", 1)[0]
    problems, written, unchanged = [], [], 0
    for index, record in enumerate(records, start=1):
        nid = str(record.get("id", ""))
        if not nid.startswith(f"{source_id}-") or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", nid):
            problems.append(Problem(where, index, 1, "payload-notice-id", {
                "source": source_id, "row": index, "value": nid[:40], "prefix": f"{source_id}-"}))
            continue
        record = dict(record)
        record.setdefault("checked_on", now.astimezone(CHINA).date().isoformat())    # when the hub received it
        record.setdefault("checked_by", f"数据源 {source_id}（自动接收） / partner feed {source_id} (received)")
        text = f"# From partner feed {source_id}: {where}\n" + yaml.safe_dump(
            record, allow_unicode=True, sort_keys=False, default_flow_style=False)
        target = folder / f"{nid}.yaml"
        if target.exists():
            if target.read_text("utf-8") == text:
                unchanged += 1
            else:
                problems.append(Problem(where, index, 1, "merge-conflict-notice", {"source": source_id, "notice": nid}))
            continue
        written.append((index, target, text))
    if problems:
        return 0, unchanged, problems
    for _, target, text in written:
        target.write_text(text, encoding="utf-8")
    found = validate_datasets(project / "datasets", now, project_cache(project), overlay).problems
    names = {target.relative_to(project).as_posix(): index for index, target, _ in written}
    rejected = [Problem(where, names[p.file], 1, p.code, p.params) for p in found if p.file in names]
    if rejected or has_errors(found):
        for _, target, _ in written:
            target.unlink()
        return 0, unchanged, rejected or found
    return len(written), unchanged, []
