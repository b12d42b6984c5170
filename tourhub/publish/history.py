"""Change history of each dataset, computed from git at build time.

For every commit that touched a dataset's files: rows added, removed and changed (rows matched by
primary key), and whether its schema changed (fields added or removed). "Data last changed" and
"metadata last changed" (schema or descriptor) are kept apart. In a checkout without history (a
shallow clone, an export without .git) the build still works and says so.
"""
from __future__ import annotations

import csv
import fnmatch
import io
import subprocess
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import yaml

from tourhub.check.descriptor import DESCRIPTOR, PackageSpec

MAX_COMMITS = 30        # per dataset; older changes are summarised by the count only
_SEP = "\x1f"


@dataclass(frozen=True)
class Change:
    commit: str
    when: datetime
    subject: str
    added: int
    removed: int
    changed: int
    fields_added: tuple[str, ...] = ()
    fields_removed: tuple[str, ...] = ()
    schema_changed: bool = False


@dataclass(frozen=True)
class History:
    available: bool
    reason: str | None                   # why not: "shallow", "no-git"
    changes: tuple[Change, ...]          # newest first: data changes and schema changes
    data_changed: datetime | None
    metadata_changed: datetime | None
    total_commits: int = 0
    recorded_with: str | None = None     # a child table's changes are counted on its parent's rows


class _Git:
    def __init__(self, root: Path):
        self.root = root

    def run(self, *args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(self.root), *args], capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.decode("utf-8", "replace") if done.returncode == 0 else None

    def show(self, commit: str, path: str) -> bytes | None:
        try:
            done = subprocess.run(["git", "-C", str(self.root), "show", f"{commit}:{path}"],
                                  capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None


def _log(git: _Git, paths: list[str]) -> list[tuple[str, str | None, datetime, str]]:
    """Commits touching `paths`, newest first: (commit, first parent or None, time, subject)."""
    out = git.run("log", f"--format=%H{_SEP}%P{_SEP}%cI{_SEP}%s", "--", *paths)
    if not out:
        return []
    entries = []
    for line in out.splitlines():
        commit, parents, when, subject = line.split(_SEP, 3)
        entries.append((commit, parents.split()[0] if parents else None, datetime.fromisoformat(when), subject))
    return entries


def _files_at(git: _Git, commit: str, folder: str, pattern: str) -> list[str]:
    out = git.run("ls-tree", "-r", "--name-only", commit, "--", folder) or ""
    return [name for name in out.splitlines() if fnmatch.fnmatch(name, pattern)]


def _records(git: _Git, commit: str | None, prefix: str, spec) -> dict[tuple, dict]:
    """Rows of a top-level resource at a commit, keyed by primary key (empty before it existed)."""
    if commit is None:
        return {}
    pattern = f"{prefix}{spec.source.files}"
    folder = pattern.rsplit("/", 1)[0]
    key_names = spec.primary_key or ["id"]
    found: dict[tuple, dict] = {}
    for path in _files_at(git, commit, folder, pattern):
        data = git.show(commit, path)
        if data is None:
            continue
        for record in _parse(data, spec.source.each):
            if isinstance(record, dict):
                found[tuple(str(record.get(k)) for k in key_names)] = record
    return found


def _parse(data: bytes, each: str | None) -> list:
    text = data.decode("utf-8", "replace")
    if each == "csv":
        return list(csv.DictReader(io.StringIO(text)))
    try:
        loaded = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return []
    if each == "list":
        return loaded if isinstance(loaded, list) else []
    return [loaded] if isinstance(loaded, dict) else []


def _schema_fields(git: _Git, commit: str | None, path: str) -> set[str]:
    data = git.show(commit, path) if commit else None
    if not data:
        return set()
    try:
        schema = yaml.safe_load(data)
    except yaml.YAMLError:
        return set()
    return {str(f["name"]) for f in (schema or {}).get("fields", []) if isinstance(f, dict) and f.get("name")}


def _diff(before: dict, after: dict) -> tuple[int, int, int]:
    added = len(after.keys() - before.keys())
    removed = len(before.keys() - after.keys())
    changed = sum(1 for key in after.keys() & before.keys() if after[key] != before[key])
    return added, removed, changed


def dataset_history(root: Path, package: PackageSpec) -> dict[str, History]:
    """History of every resource; child resources (route stops …) report their parent's."""
    shallow = _Git(root).run("rev-parse", "--is-shallow-repository")
    top = _Git(root).run("rev-parse", "--show-toplevel")
    if shallow is None or top is None:
        return {spec.name: History(False, "no-git", (), None, None) for spec in package.resources}
    git = _Git(Path(top.strip()))
    datasets = package.root.resolve().relative_to(git.root.resolve()).as_posix() + "/"
    histories: dict[str, History] = {}
    for spec in package.resources:
        if spec.source.files is None:
            continue
        schema_path = datasets + spec.schema_path if spec.schema_path else None
        data_log = _log(git, [f":(glob){datasets}{spec.source.files}"])
        meta_paths = [datasets + DESCRIPTOR] + ([schema_path] if schema_path else [])
        meta_log = _log(git, meta_paths)
        changes = []
        for commit, parent, when, subject in data_log[:MAX_COMMITS]:
            before, after = _records(git, parent, datasets, spec), _records(git, commit, datasets, spec)
            changes.append(Change(commit, when, subject, *_diff(before, after)))
        if schema_path:
            for commit, parent, when, subject in _log(git, [schema_path])[:MAX_COMMITS]:
                old, new = _schema_fields(git, parent, schema_path), _schema_fields(git, commit, schema_path)
                changes.append(Change(commit, when, subject, 0, 0, 0, tuple(sorted(new - old)),
                                      tuple(sorted(old - new)), schema_changed=True))
        changes.sort(key=lambda c: c.when, reverse=True)
        reason = "shallow" if shallow.strip() == "true" else None
        histories[spec.name] = History(
            reason is None, reason, tuple(changes),
            data_log[0][2] if data_log else None, meta_log[0][2] if meta_log else None, len(data_log))
    for spec in package.resources:
        if spec.name not in histories:
            top = _top(package, spec).name
            histories[spec.name] = replace(histories[top], recorded_with=top)
    return histories


def _top(package: PackageSpec, spec):
    while spec.source.parent:
        spec = package.resource(spec.source.parent)
    return spec
