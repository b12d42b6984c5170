"""Incremental site builds: the previous build is reused for every file whose source is unchanged.

MkDocs builds every page into an empty folder, and its `--dirty` mode decides by file times. Here
the decision is by content:

- every build leaves a build record in the site (BUILD_RECORD): the sha256 of each file it staged, the
  classes each page uses (for the slimmed stylesheets), and a fingerprint of what shapes every
  page at once (mkdocs.yml, the theme overrides, the data the theme reads, the site URL, the
  hub's code and the versions of MkDocs, Material and Pagefind);
- the next build stages everything as before and compares (`plan`): with no usable build record, a
  changed fingerprint or a page gone (a page left as it was might link to it, and only a full
  build checks every link again) it builds everything; otherwise the new site folder starts as
  hard links to the published site's files (`link_previous`), MkDocs renders only the pages whose
  staged source changed and copies only the changed files, each written as a new file (a new
  inode), so the published site is never written through a link and stays whole if the build
  fails.
- Pagefind indexes the site again only when a page changed (it has no incremental index:
  https://github.com/Pagefind/pagefind/issues/71).

An incremental build gives the same bytes as a full build of the same data, file for file
(tests/integration/test_incremental_build.py).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from tourhub.core.files import write_atomically
from tourhub.site.slim_css import Used

BUILD_RECORD = ".hub-build.json"      # a dotfile: deploys and the Pages artifact leave it out
FORMAT = 1
PAGE_SUFFIX = ".md"


@dataclass
class BuildRecord:
    fingerprint: str
    staged: dict[str, str]                                   # docs path -> sha256 of what was staged
    styles: dict[str, Used] = field(default_factory=dict)    # page (docs path) -> what it uses

    def to_json(self) -> bytes:
        """Deterministic JSON; the style sets are stored once each (most pages share one)."""
        sets: dict[str, int] = {}
        page_styles = {}
        for page in sorted(self.styles):
            key = json.dumps(self.styles[page].as_lists(), ensure_ascii=False, separators=(",", ":"))
            page_styles[page] = sets.setdefault(key, len(sets))
        document = {"format": FORMAT, "fingerprint": self.fingerprint,
                    "staged": dict(sorted(self.staged.items())),
                    "style_sets": [json.loads(key) for key in sets], "page_styles": page_styles}
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes) -> BuildRecord:
        document = json.loads(data)
        if document.get("format") != FORMAT:
            raise ValueError(f"build record format {document.get('format')!r}")
        sets = [Used.from_lists(lists) for lists in document["style_sets"]]
        return cls(str(document["fingerprint"]), {str(k): str(v) for k, v in document["staged"].items()},
                   {page: sets[index] for page, index in document["page_styles"].items()})


def read_build_record(site: Path) -> BuildRecord | None:
    """The published build's record, or None when there is none or it cannot be read (then
    the build is a full one: a damaged build record costs time, never correctness)."""
    try:
        return BuildRecord.from_json((site / BUILD_RECORD).read_bytes())
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def staged_digests(docs: Path) -> dict[str, str]:
    """sha256 of every staged file, by its path under docs/."""
    digests = {}
    for folder, _, names in os.walk(docs):
        for name in names:
            path = Path(folder, name)
            with path.open("rb") as handle:
                digests[path.relative_to(docs).as_posix()] = hashlib.file_digest(handle, "sha256").hexdigest()
    return digests


def fingerprint(root: Path, theme_data: dict, site_url: str) -> str:
    """What every page depends on at once: a change here rebuilds everything."""
    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(label.encode() + b"\0" + hashlib.sha256(data).digest())

    add("mkdocs.yml", (root / "mkdocs.yml").read_bytes())
    add("theme", json.dumps(theme_data, sort_keys=True, ensure_ascii=False, default=str).encode())
    add("site_url", site_url.encode())
    add("python", sys.version.encode())
    for package in ("mkdocs", "mkdocs-material", "pagefind", "Markdown", "Jinja2"):
        try:
            add(package, metadata.version(package).encode())
        except metadata.PackageNotFoundError:
            add(package, b"")
    overrides = root / "site_src" / "overrides"
    code = Path(__file__).resolve().parent.parent          # the tourhub package
    for base in (overrides, code):
        for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            add(f"{base.name}/{path.relative_to(base).as_posix()}", path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Plan:
    """What a build renders: everything (`changed` None) or only the staged files in `changed`."""
    changed: frozenset[str] | None
    removed: frozenset[str] = frozenset()
    reason: str = ""

    @property
    def full(self) -> bool:
        return self.changed is None

    @property
    def pages_changed(self) -> bool:
        return self.changed is None or any(path.endswith(PAGE_SUFFIX) for path in self.changed)

    def summary(self, staged: int) -> str:
        if self.changed is None:
            return f"全部构建 / full build ({self.reason})"
        return (f"增量构建 / incremental: {len(self.changed)} 个文件变化、{len(self.removed)} 个删除（共 {staged} 个）"
                f" / {len(self.changed)} changed, {len(self.removed)} removed of {staged} staged files")


def plan(previous: BuildRecord | None, current_fingerprint: str, staged: dict[str, str]) -> Plan:
    if previous is None:
        return Plan(None, reason="no previous build / 没有上次的构建")
    if previous.fingerprint != current_fingerprint:
        return Plan(None, reason="configuration, theme data or code changed / 配置、主题数据或代码有变")
    removed = frozenset(previous.staged.keys() - staged.keys())
    if any(path.endswith(PAGE_SUFFIX) for path in removed):
        return Plan(None, reason="a page was removed / 有页面被删除")
    changed = frozenset(path for path, digest in staged.items() if previous.staged.get(path) != digest)
    unstyled = [path for path in staged if path.endswith(PAGE_SUFFIX) and path not in changed
                and path not in previous.styles]
    if unstyled:
        return Plan(None, reason="the previous build's record is incomplete / 上次构建的记录不全")
    return Plan(changed, removed)


def link_previous(site: Path, new: Path, leave_out: frozenset[str]) -> None:
    """The new site folder as hard links to the published site's files, less `leave_out` (files
    whose source was removed), the build record and the search index (written again or linked by
    the caller). A copy where a link cannot be made."""
    for folder, folders, names in os.walk(site):
        relative_folder = Path(folder).relative_to(site)
        if relative_folder == Path("."):
            folders[:] = [name for name in folders if name != "pagefind"]
        for name in names:
            relative = (relative_folder / name).as_posix()
            if relative in leave_out or relative == BUILD_RECORD:
                continue
            target = new / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(Path(folder, name), target)
            except OSError:
                shutil.copyfile(Path(folder, name), target)


def link_search_index(site: Path, new: Path) -> None:
    """The published site's Pagefind index, kept as it is (no page changed)."""
    index = site / "pagefind"
    if index.is_dir():
        shutil.copytree(index, new / "pagefind", copy_function=os.link)


def record_rewritten(site: Path, written: dict[str, bytes]) -> None:
    """Files of a built site rewritten outside a build (`build.py live`): the build record learns
    their digests, so that the next build compares its files with what the site now holds."""
    record = read_build_record(site)
    if record is None:
        return
    for path, data in written.items():
        record.staged[path] = hashlib.sha256(data).hexdigest()
    write_atomically(site / BUILD_RECORD, record.to_json(), durable=False)
