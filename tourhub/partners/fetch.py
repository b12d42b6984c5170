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
import re
from collections.abc import Callable, Mapping
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
from tourhub.core.lock import remove_leftovers, repository_lock
from tourhub.partners.http import Endpoint, Fetched, FetchError, fetch
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


MAX_STATE_BYTES = 16 * 1024 * 1024


def read_fetch_state(path: Path) -> tuple[dict, list[Problem]]:
    """What `fetch` recorded per source (a missing file: never fetched). Every entry is checked
    against STATE_SCHEMA: an unreadable file, or an entry that does not fit it (a field of the
    wrong type, an unknown or repeated key, a source named twice), counts as never fetched and is
    reported at its line; the other entries are kept. The build then marks those areas stale and
    `fetch` starts those sources afresh, instead of either failing."""
    if not path.exists():
        return {}, []
    where = f"datasets/{path.name}"
    try:
        if not path.is_file():
            raise OSError("not a regular file")
        with path.open("rb") as handle:
            data = handle.read(MAX_STATE_BYTES + 1)
        if len(data) > MAX_STATE_BYTES:
            raise ValueError(f"larger than {MAX_STATE_BYTES} bytes")
        text = data.decode("utf-8")
        state = json.loads(text, object_pairs_hook=_JsonObject.of, parse_int=_json_int,
                           parse_constant=lambda name: _NOT_A_COUNT)
        if not isinstance(state, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError, RecursionError) as error:
        return {}, [Problem(where, 1, 1, "fetch-state-unreadable", {"reason": str(error)[:200]})]
    kept, problems = {}, []
    for source_id, entry in state.items():
        reason = ("is named twice" if source_id in getattr(state, "repeated", ())
                  else "is not UTF-8 text" if not _utf8(source_id) else _entry_problem(entry))
        if reason:
            line, column = _entry_position(text, source_id)
            problems.append(Problem(where, line, column, "fetch-state-unreadable",
                                    {"reason": f"{_shown(source_id)}: {reason}"}))
        else:
            kept[source_id] = {name: dict(value) if isinstance(value, dict) else value for name, value in entry.items()}
    return kept, problems


class _JsonObject(dict):
    """A JSON object, knowing the keys it named more than once (json.loads keeps the last silently)."""

    repeated: frozenset = frozenset()

    @classmethod
    def of(cls, pairs: list[tuple[str, object]]) -> _JsonObject:
        found = cls(pairs)
        if len(found) != len(pairs):
            seen: set[str] = set()
            repeated: set[str] = set()
            for key, _ in pairs:
                (repeated if key in seen else seen).add(key)
            found.repeated = frozenset(repeated)
        return found


_NOT_A_COUNT = float("inf")     # what NaN, Infinity or a number of a hundred digits is read as: no field's value


def _json_int(text: str) -> int | float:
    return int(text) if len(text) <= 100 else _NOT_A_COUNT


_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")


def _utf8(text: str) -> bool:
    """Whether a text can be written back as UTF-8 (JSON can spell a lone surrogate, UTF-8 cannot)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _plain_text(value) -> bool:
    return isinstance(value, str) and not _CONTROL_CHARS.search(value) and _utf8(value)


def _time_or_null(value) -> str | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None:
        return "is not an ISO 8601 time"
    return None if moment.utcoffset() is not None else "has no UTC offset"


def _error_or_null(value) -> str | None:
    if value is None or (isinstance(value, dict) and not getattr(value, "repeated", ())
                         and value.keys() == {"code", "zh", "en"}
                         and all(isinstance(v, str) and _utf8(v) for v in value.values())):
        return None
    return "is not null or an object of the texts code, zh and en"


def _header_or_null(value) -> str | None:
    if value is None or _plain_text(value):
        return None
    return "is not null or a text without control characters"


def _count(value) -> str | None:
    return None if type(value) is int and value >= 0 else "is not a whole number ≥ 0"


def _area_ids(value) -> str | None:
    if isinstance(value, list) and all(_plain_text(area) and area for area in value):
        return None
    return "is not a list of area ids"


# Every field an entry of fetch-state.json may have, and why a value does not fit (None: it does).
STATE_SCHEMA: dict[str, Callable[[object], str | None]] = {
    "last_attempt": _time_or_null,       # ISO 8601 with an offset, or null
    "last_success": _time_or_null,
    "last_error": _error_or_null,        # null or {"code", "zh", "en"}: the first problem of the last failure
    "etag": _header_or_null,             # validators sent back in the next request's headers
    "last_modified": _header_or_null,
    "rows_last": _count,                 # whole numbers >= 0 (not true, not "7")
    "rows_added_total": _count,
    "areas": _area_ids,                  # ids of the areas the source has delivered counts for
}


def _entry_problem(entry) -> str | None:
    """Why an entry does not fit STATE_SCHEMA, or None."""
    if not isinstance(entry, dict):
        return "is not a JSON object"
    repeated = sorted(getattr(entry, "repeated", ()))
    if repeated:
        return f"repeats the key {_shown(repeated[0])}"
    for name, value in entry.items():
        check = STATE_SCHEMA.get(name) if _utf8(name) else None
        reason = check(value) if check else "is not a field of the fetch state"
        if reason:
            return f"{_shown(name)} {reason}"
    return None


def _entry_position(text: str, source_id: str) -> tuple[int, int]:
    """Where a source's entry is (its id written as a key, first at the start of a line), else 1:1."""
    key = json.dumps(source_id, ensure_ascii=False)
    match = re.search(r"^[ \t]*(" + re.escape(key) + r")[ \t]*:", text, re.M) if len(key) <= 200 else None
    if match is None:
        return 1, 1
    start = match.start(1)
    return text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start)


def write_state(path: Path, state: dict) -> None:
    """Atomically: a crash leaves the previous state file whole."""
    write_atomically(path, json.dumps(state, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))


def _problem(pos, code: str, source: str, **params) -> Problem:
    """A partner-feed problem at the source's entry in the sources file."""
    return Problem(pos.file, pos.line, pos.column, code, {"source": source, **params})


def areas_with_capacity(typed: dict[str, list[dict]]) -> set[str]:
    """Ids of the areas with an approved capacity: the only ones whose counts can be graded."""
    return {c["spot_id"] for c in typed.get("capacities", []) if c.get("capacity_daily") or c.get("capacity_instant")}


def download(source: dict, pos, entry: dict, env: Mapping[str, str], **fetch_options) -> Fetched | SourceOutcome:
    """One source's request, touching no file (so it runs without the repository's lock): the
    response, or the failed outcome. `entry` is the source's recorded state (its validators)."""
    sid = source["id"]
    token = None
    if source.get("token_env"):
        token = env.get(source["token_env"])
        if not token:
            return SourceOutcome(sid, False, "failed", problems=[_problem(
                pos, "fetch-token-missing", sid, variable=source["token_env"])])
        if urlsplit(source["url"]).scheme != "https" and not (source.get("allow_private_network")
                                                             and _is_loopback(source["url"])):
            return SourceOutcome(sid, False, "failed", problems=[_problem(pos, "fetch-token-insecure", sid)])
    try:
        return fetch(_endpoint(source, token, dict(entry)), **fetch_options)
    except FetchError as error:
        return SourceOutcome(sid, False, "failed", problems=[_problem(pos, error.rule, sid, **error.params)])


def apply_download(source: dict, pos, state: dict, got: Fetched | SourceOutcome, *, observations: Path,
                   schema: dict, known: set[str], with_capacity: set[str], now: datetime, project: Path,
                   overlay: Path | None = None) -> SourceOutcome:
    """What `download` brought, checked and merged into the data (under the lock); `state` (this
    source's entry) is updated in place."""
    sid = source["id"]
    state["last_attempt"] = now.isoformat()
    if isinstance(got, SourceOutcome):
        return _failed(state, got)
    fetched = got
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
                    max_bytes=int(source["max_bytes"]), token=token,
                    allow_private_network=source.get("allow_private_network") is True)
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


SECRETS_VARIABLE = "HUB_FEED_SECRETS"
FEED_TOKEN_NAME = re.compile(r"[A-Z][A-Z0-9_]*_FEED_TOKEN")


def feed_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment a source's `token_env` is looked up in: the process's own, plus the
    partner tokens among the CI secrets the publish workflow hands over as one JSON object in
    $HUB_FEED_SECRETS (`toJSON(secrets)`). Only names ending in _FEED_TOKEN are taken from it, so
    no other secret (the repository's own token, say) can ever be sent to a partner."""
    found = {name: value for name, value in environ.items() if name != SECRETS_VARIABLE}
    try:
        secrets = json.loads(environ.get(SECRETS_VARIABLE) or "{}")
    except ValueError:
        secrets = {}
    if isinstance(secrets, dict):
        found |= {name: value for name, value in secrets.items()
                  if isinstance(name, str) and FEED_TOKEN_NAME.fullmatch(name) and isinstance(value, str) and value}
    return found


def fetch_all(root: Path, now: datetime, *, sources_file: Path | None = None, env=None,
              overlay: Path | None = None, **fetch_options) -> tuple[list[SourceOutcome], list[Problem]]:
    """Every source in turn. Returns what happened to each, and the problems of no one source:
    errors that stopped it all, or a warning that a damaged state entry was started afresh.
    With `overlay` (the demo), what the feeds deliver is merged into the overlay, never into
    datasets/.

    Each source's request runs without the repository's lock; checking and merging what it
    brought, and recording it, run under the lock, so a build never sees a merge half done and
    waits at most for one source's merge."""
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
    environment = feed_environment(os.environ) if env is None else env
    recorded, state_problems = read_fetch_state(state_path)      # damaged entries: reported, started afresh
    outcomes = []
    for source, row in zip(sources, positions):
        got = download(source, row.pos, recorded.get(source["id"], {}), environment, **fetch_options)
        with repository_lock(root, f"fetch {source['id']}"):
            remove_leftovers(root, (target,))
            state, _ = read_fetch_state(state_path)    # as the last writer left it
            outcomes.append(apply_download(source, row.pos, state.setdefault(source["id"], {}), got,
                                           observations=observations, schema=schema, known=known,
                                           with_capacity=with_capacity, now=now, project=root, overlay=overlay))
            write_state(state_path, state)  # after each source: a crash later keeps this one's record
    return outcomes, problems + state_problems


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
