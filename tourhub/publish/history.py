"""Change history of each dataset, computed from git at build time.

For every commit that touched a dataset's files: rows added, removed and changed (rows matched by
primary key), named by the records' own names, and its schema changes by field (added, removed,
redefined); one change per commit. A commit that changed nothing in the data (a comment, the
layout of a file) is no change. The commit message is kept for developers only: partners read
what the data says. "Data last changed" and "metadata last changed" (schema or descriptor) are
kept apart. In a checkout without history (a shallow clone, an export without .git) the build
still works and says so.
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
NAMED = 5               # records named per kind of change; the rest are counted
_SEP = "\x1f"


@dataclass(frozen=True)
class Name:
    """A record as a partner knows it: its names (either may be empty) and its key."""
    zh: str
    en: str
    key: str

    def in_(self, lang: str) -> str:
        """In Chinese: the Chinese name, else the English, else the key; in English: the English
        name, else the key (a Chinese name on an English page would need marking as such)."""
        return (self.zh or self.en or self.key) if lang == "zh" else (self.en or self.key)


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
    added_names: tuple[Name, ...] = ()      # at most NAMED each
    removed_names: tuple[Name, ...] = ()
    changed_names: tuple[Name, ...] = ()
    fields_changed: tuple[str, ...] = ()    # fields whose definition changed (type, constraints …)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.fields_added or self.fields_removed
                    or self.fields_changed)


@dataclass(frozen=True)
class History:
    available: bool
    reason: str | None                   # why not: "shallow", "no-git"
    changes: tuple[Change, ...]          # newest first: data changes and schema changes
    data_changed: datetime | None
    metadata_changed: datetime | None
    total_commits: int = 0
    first_published: datetime | None = None   # the first commit of its data (not known in a shallow clone)
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


def _schema_fields(git: _Git, commit: str | None, path: str) -> dict[str, dict]:
    data = git.show(commit, path) if commit else None
    if not data:
        return {}
    try:
        schema = yaml.safe_load(data)
    except yaml.YAMLError:
        return {}
    return {str(f["name"]): f for f in (schema or {}).get("fields", []) if isinstance(f, dict) and f.get("name")}


def _label(record: dict, key: tuple) -> Name:
    for stem in ("name", "title", "headline", "holder", "label"):
        if record.get(f"{stem}_zh") or record.get(f"{stem}_en"):
            return Name(str(record.get(f"{stem}_zh") or ""), str(record.get(f"{stem}_en") or ""), " · ".join(key))
    return Name("", "", " · ".join(key))


def _named(records: dict, keys) -> tuple[Name, ...]:
    return tuple(_label(records[key], key) for key in sorted(keys)[:NAMED])


def _data_change(commit: str, when: datetime, subject: str, before: dict, after: dict) -> Change:
    added, removed = after.keys() - before.keys(), before.keys() - after.keys()
    changed = [key for key in after.keys() & before.keys() if after[key] != before[key]]
    return Change(commit, when, subject, len(added), len(removed), len(changed),
                  added_names=_named(after, added), removed_names=_named(before, removed),
                  changed_names=_named(after, changed))


def _schema_change(change: Change, old: dict[str, dict], new: dict[str, dict]) -> Change:
    """`change` (the commit's data change, or an empty one) with the schema's changes by field."""
    return replace(change, schema_changed=True, fields_added=tuple(sorted(new.keys() - old.keys())),
                   fields_removed=tuple(sorted(old.keys() - new.keys())),
                   fields_changed=tuple(sorted(name for name in new.keys() & old.keys() if new[name] != old[name])))


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
        by_commit: dict[str, Change] = {}
        for commit, parent, when, subject in data_log[:MAX_COMMITS]:
            before, after = _records(git, parent, datasets, spec), _records(git, commit, datasets, spec)
            by_commit[commit] = _data_change(commit, when, subject, before, after)
        if schema_path:
            for commit, parent, when, subject in _log(git, [schema_path])[:MAX_COMMITS]:
                old, new = _schema_fields(git, parent, schema_path), _schema_fields(git, commit, schema_path)
                by_commit[commit] = _schema_change(by_commit.get(commit) or Change(commit, when, subject, 0, 0, 0),
                                                   old, new)
        changes = sorted((c for c in by_commit.values() if not c.empty), key=lambda c: (c.when, c.commit),
                         reverse=True)
        data_changes = [c for c in changes if c.added or c.removed or c.changed]
        # when the data last changed: the newest commit that changed a record (one that only
        # reformatted a file does not count), or the newest touch beyond the commits looked at
        data_changed = (data_changes[0].when if data_changes
                        else data_log[0][2] if len(data_log) > MAX_COMMITS else None)
        reason = "shallow" if shallow.strip() == "true" else None
        histories[spec.name] = History(
            reason is None, reason, tuple(changes),
            data_changed, meta_log[0][2] if meta_log else None, len(data_log),
            first_published=data_log[-1][2] if data_log and reason is None else None)
    for spec in package.resources:
        if spec.name not in histories:
            top = _top(package, spec).name
            histories[spec.name] = replace(histories[top], recorded_with=top)
    return histories


def _top(package: PackageSpec, spec):
    while spec.source.parent:
        spec = package.resource(spec.source.parent)
    return spec


_WORDS = {
    "added": {"zh": "新增 {n} 条", "en": "{n} added"},
    "removed": {"zh": "删除 {n} 条", "en": "{n} removed"},
    "changed": {"zh": "修改 {n} 条", "en": "{n} changed"},
    "fields_added": {"zh": "新增字段 {names}", "en": "fields added: {names}"},
    "fields_removed": {"zh": "删除字段 {names}", "en": "fields removed: {names}"},
    "fields_changed": {"zh": "字段定义修改 {names}", "en": "fields redefined: {names}"},
    "added_names": {"zh": "新增：{names}", "en": "Added: {names}"},
    "removed_names": {"zh": "删除：{names}", "en": "Removed: {names}"},
    "changed_names": {"zh": "修改：{names}", "en": "Changed: {names}"},
    "more": {"zh": "等 {n} 条", "en": "and {n} more"},
}
_SEPARATOR = {"zh": "；", "en": "; "}
_LIST = {"zh": "、", "en": ", "}


def change_headline(change: Change, lang: str) -> str:
    """What a change did, counted: "新增 2 条；修改 1 条" / "2 added; 1 changed"."""
    parts = [_WORDS[kind][lang].format(n=getattr(change, kind))
             for kind in ("added", "removed", "changed") if getattr(change, kind)]
    parts += [_WORDS[kind][lang].format(names=_LIST[lang].join(getattr(change, kind)))
              for kind in ("fields_added", "fields_removed", "fields_changed") if getattr(change, kind)]
    return _SEPARATOR[lang].join(parts)


def change_details(change: Change, lang: str) -> list[str]:
    """Which records a change added, removed and changed, by name (at most NAMED of each)."""
    lines = []
    for kind, count in (("added_names", change.added), ("removed_names", change.removed),
                        ("changed_names", change.changed)):
        names = [name.in_(lang) for name in getattr(change, kind)]
        if not names:
            continue
        if count > len(names):
            names.append(_WORDS["more"][lang].format(n=count - len(names)))
        lines.append(_WORDS[kind][lang].format(names=_LIST[lang].join(names)))
    return lines
