"""`python build.py deploy s3://BUCKET[/PREFIX]`: the built site onto S3-compatible object storage
(Aliyun OSS, Tencent COS, Huawei OBS, AWS S3, SeaweedFS, MinIO …), incrementally and in an order
that keeps the site whole for a visitor who loads a page mid-deploy.

- Only what changed is uploaded: each object's sha256 and headers are kept in a manifest object
  (`_deploy/manifest.json` under the prefix) and in the object's own metadata; a lost manifest
  is rebuilt from the objects' metadata.
- Order: files that pages refer to first (styles, scripts, images, index fragments, downloads),
  then the pages, then what changes between builds (live JSON, feeds, CAP alerts), then the
  manifest; only then are objects of the previous site that are gone deleted. A deploy that
  stops anywhere leaves every page of the old or the new site with what it refers to.
- Headers: Content-Type with charset for text; Cache-Control by kind (a year and immutable for
  content-hashed files, five minutes for pages, one minute for live data); text worth
  compressing is stored gzipped with Content-Encoding: gzip (every browser accepts it).
- Credentials come from the usual variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
  AWS_SESSION_TOKEN, AWS_REGION) through boto3; they are never printed or written.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from tourhub.site.incremental import BUILD_RECORD

MANIFEST = "_deploy/manifest.json"
MANIFEST_VERSION = 1
GZIP_MIN_BYTES = 1024
GZIP_MIN_SAVING = 0.1           # store gzipped only when it saves at least a tenth
WORKERS = 8

LONG = "public, max-age=31536000, immutable"
PAGE = "public, max-age=300"
LIVE = "public, max-age=60"
ASSET = "public, max-age=3600"
NO_CACHE = "no-cache"

TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript", ".mjs": "text/javascript",
         ".json": "application/json", ".jsonld": "application/ld+json", ".geojson": "application/geo+json",
         ".webmanifest": "application/manifest+json", ".atom": "application/atom+xml", ".xml": "application/xml",
         ".ttl": "text/turtle", ".csv": "text/csv", ".txt": "text/plain", ".md": "text/markdown",
         ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".ico": "image/x-icon",
         ".woff2": "font/woff2", ".wasm": "application/wasm", ".zip": "application/zip",
         ".gz": "application/gzip", ".parquet": "application/vnd.apache.parquet", ".map": "application/json",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         ".yml": "application/yaml"}             # the editors' admin's configuration (RFC 9512)
TEXT = re.compile(r"^(text/|application/(json|ld\+json|geo\+json|manifest\+json|atom\+xml|xml|javascript|yaml)"
                  r"|image/svg)")
COMPRESSIBLE = re.compile(r"^(text/|application/(json|ld\+json|geo\+json|manifest\+json|atom\+xml|xml|wasm)|image/svg)")
# Content-hashed names (Material's bundle.a5f9d56c.min.js, Pagefind's fragments and index
# chunks, pinned dataset versions): the same name never holds other bytes.
HASHED = re.compile(r"(\.[0-9a-f]{8,}\.(min\.)?(js|css)$)|(^|/)pagefind/(fragment|index)/|\.pf_meta$|"
                    r"(^|/)data/versions/")
# What changes between builds without the pages changing, uploaded last.
LIVE_FILES = re.compile(r"(^|/)(data/crowd/|cap/|latest\.json$)|\.atom$")
# Files that name other files a page needs (uploaded with the pages, after what they name).
INDEXES = re.compile(r"(^|/)(pagefind/pagefind-entry\.json|sw\.js|sitemap\.xml(\.gz)?|.*\.webmanifest)$")

PHASES = ("assets", "pages", "live")


class DeployFailed(Exception):
    """Why a deploy stopped, in Chinese and English (never with a credential in it)."""


@dataclass(frozen=True)
class Target:
    bucket: str
    prefix: str          # "" or "path/" (always ending in a slash)

    def key(self, relative: str) -> str:
        return self.prefix + relative


def parse_target(url: str) -> Target:
    """s3://BUCKET or s3://BUCKET/PREFIX; ValueError for anything else."""
    parts = urlsplit(url)
    bucket = parts.netloc
    if parts.scheme != "s3" or not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", bucket) or parts.query:
        raise ValueError(f"not s3://BUCKET[/PREFIX]: {url}")
    prefix = parts.path.strip("/")
    if any(part in ("", ".", "..") for part in prefix.split("/")) and prefix:
        raise ValueError(f"the prefix must be plain folder names: {url}")
    return Target(bucket, prefix + "/" if prefix else "")


@dataclass(frozen=True)
class Policy:
    """How one object is stored: what is compared to decide whether it changed."""

    content_type: str
    cache_control: str
    encoding: str | None            # "gzip" or None

    def as_dict(self) -> dict:
        return {"type": self.content_type, "cache": self.cache_control, "encoding": self.encoding}


def content_type(relative: str) -> str:
    suffix = PurePosixPath(relative).suffix.lower()
    media = TYPES.get(suffix) or mimetypes.guess_type(relative)[0] or "application/octet-stream"
    return f"{media}; charset=utf-8" if TEXT.match(media) else media


def cache_control(relative: str) -> str:
    if relative.endswith("sw.js"):
        return NO_CACHE                       # a service worker must always be checked for updates
    if HASHED.search(relative):
        return LONG
    if LIVE_FILES.search(relative):
        return LIVE
    if relative.endswith(".html") or INDEXES.search(relative):
        return PAGE
    return ASSET


def phase(relative: str) -> int:
    """0: referred to by pages; 1: pages and indexes; 2: live data."""
    if LIVE_FILES.search(relative):
        return 2
    if relative.endswith(".html") or INDEXES.search(relative):
        return 1
    return 0


@dataclass(frozen=True)
class LocalObject:
    relative: str                   # path in the site, "/"-separated
    path: Path
    sha256: str                     # of the file as built
    size: int
    policy: Policy

    @property
    def record(self) -> dict:
        return {"sha256": self.sha256, "size": self.size, **self.policy.as_dict()}

    def body(self) -> bytes:
        data = self.path.read_bytes()
        return gzip.compress(data, compresslevel=9, mtime=0) if self.policy.encoding == "gzip" else data


def local_objects(site: Path) -> list[LocalObject]:
    """Every file of the built site with its digest and storage policy (links are not followed:
    the build never makes any)."""
    found = []
    for path in sorted(p for p in site.rglob("*") if p.is_file() and not p.is_symlink()):
        relative = path.relative_to(site).as_posix()
        if relative == BUILD_RECORD:          # the build's own record (site/incremental.py), not for visitors
            continue
        data = path.read_bytes()
        media = content_type(relative)
        encoding = "gzip" if _worth_compressing(media, data) else None
        found.append(LocalObject(relative, path, hashlib.sha256(data).hexdigest(), len(data),
                                 Policy(media, cache_control(relative), encoding)))
    return found


def _worth_compressing(media: str, data: bytes) -> bool:
    if len(data) < GZIP_MIN_BYTES or not COMPRESSIBLE.match(media):
        return False
    return len(gzip.compress(data, compresslevel=6, mtime=0)) <= len(data) * (1 - GZIP_MIN_SAVING)


@dataclass
class Plan:
    uploads: list[LocalObject]               # in phase order
    unchanged: list[LocalObject]
    deletions: list[str]                     # keys
    manifest: dict

    @property
    def upload_bytes(self) -> int:
        return sum(item.size for item in self.uploads)


def make_plan(objects: list[LocalObject], remote: dict[str, dict], existing_keys: Iterable[str],
              target: Target) -> Plan:
    """What to upload (changed or new, assets before pages before live data) and what to delete
    (keys under the prefix that the new site no longer has), against `remote` (relative path ->
    record, from the manifest or the objects' metadata)."""
    uploads = [item for item in objects if remote.get(item.relative) != item.record]
    uploads.sort(key=lambda item: (phase(item.relative), item.relative))
    unchanged = [item for item in objects if remote.get(item.relative) == item.record]
    wanted = {target.key(item.relative) for item in objects} | {target.key(MANIFEST)}
    deletions = sorted(key for key in existing_keys if key.startswith(target.prefix) and key not in wanted)
    manifest = {"version": MANIFEST_VERSION, "objects": {item.relative: item.record for item in objects}}
    return Plan(uploads, unchanged, deletions, manifest)


@dataclass
class Report:
    uploaded: int = 0
    uploaded_bytes: int = 0
    skipped: int = 0
    deleted: int = 0
    by_phase: dict[str, int] = field(default_factory=dict)

    def text(self, dry_run: bool) -> str:
        verb_zh, verb_en = ("将上传", "would upload") if dry_run else ("已上传", "uploaded")
        phases = ", ".join(f"{name} {count}" for name, count in self.by_phase.items())
        return (f"{verb_zh} {self.uploaded} 个文件（{self.uploaded_bytes:,} 字节），未变 {self.skipped} 个，"
                f"{'将删除' if dry_run else '已删除'} {self.deleted} 个 / {verb_en} {self.uploaded} files "
                f"({self.uploaded_bytes:,} bytes; {phases or 'none'}), {self.skipped} unchanged, "
                f"{'would delete' if dry_run else 'deleted'} {self.deleted}")


def deploy(site: Path, target: Target, client, *, dry_run: bool = False,
           say: Callable[[str], object] = print) -> Report:
    """Bring the bucket in line with `site`; see the module's docstring for the order."""
    if not (site / "index.html").is_file():
        raise DeployFailed(f"{site} 里没有构建好的网站（缺 index.html），请先运行 build / "
                           f"{site} holds no built site (no index.html): run the build first")
    objects = local_objects(site)
    existing = _existing_keys(client, target)
    remote, from_manifest = _remote_records(client, target, existing)
    plan = make_plan(objects, remote, existing, target)
    report = Report(len(plan.uploads), plan.upload_bytes, len(plan.unchanged), len(plan.deletions))
    for number, name in enumerate(PHASES):
        batch = [item for item in plan.uploads if phase(item.relative) == number]
        if batch:
            report.by_phase[name] = len(batch)
        if not dry_run:
            _upload_all(client, target, batch)
    if not dry_run and (plan.uploads or plan.deletions or not from_manifest):
        client.put_object(Bucket=target.bucket, Key=target.key(MANIFEST), ContentType="application/json",
                          CacheControl=NO_CACHE, Body=json.dumps(plan.manifest, sort_keys=True).encode("utf-8"))
        _delete_all(client, target, plan.deletions)
    for key in plan.deletions[:20]:
        say(f"  {'将删除' if dry_run else '已删除'} / {'would delete' if dry_run else 'deleted'}: {key}")
    say(report.text(dry_run))
    return report


def _upload_all(client, target: Target, batch: list[LocalObject]) -> None:
    """One phase's objects, several at a time; the phase is complete when this returns."""
    def upload(item: LocalObject) -> None:
        extra = {"ContentEncoding": item.policy.encoding} if item.policy.encoding else {}
        client.put_object(Bucket=target.bucket, Key=target.key(item.relative), Body=item.body(),
                          ContentType=item.policy.content_type, CacheControl=item.policy.cache_control,
                          Metadata={"sha256": item.sha256, "size": str(item.size)}, **extra)
    with ThreadPoolExecutor(WORKERS) as pool:
        for _ in pool.map(upload, batch):
            pass


def _delete_all(client, target: Target, keys: list[str]) -> None:
    for start in range(0, len(keys), 1000):
        chunk = keys[start:start + 1000]
        client.delete_objects(Bucket=target.bucket, Delete={"Objects": [{"Key": key} for key in chunk],
                                                            "Quiet": True})


def _existing_keys(client, target: Target) -> list[str]:
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=target.bucket, Prefix=target.prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys


def _remote_records(client, target: Target, existing: list[str]) -> tuple[dict[str, dict], bool]:
    """What the bucket holds, by relative path, and whether the manifest said so: the manifest
    when it is there and sound, else each object's own metadata (slower: one HEAD per object).
    An object whose record cannot be told is simply uploaded again."""
    manifest_key = target.key(MANIFEST)
    if manifest_key in existing:
        try:
            document = json.loads(client.get_object(Bucket=target.bucket, Key=manifest_key)["Body"].read())
            if document.get("version") == MANIFEST_VERSION and isinstance(document.get("objects"), dict):
                present = set(existing)
                return {relative: record for relative, record in document["objects"].items()
                        if target.key(relative) in present and isinstance(record, dict)}, True
        except (ValueError, KeyError, AttributeError):
            pass
    return _records_from_metadata(client, target, existing), False


def _records_from_metadata(client, target: Target, existing: list[str]) -> dict[str, dict]:
    def record(key: str) -> tuple[str, dict | None]:
        head = client.head_object(Bucket=target.bucket, Key=key)
        meta = head.get("Metadata", {})
        if "sha256" not in meta or "size" not in meta:
            return key, None
        return key, {"sha256": meta["sha256"], "size": int(meta["size"]),
                     "type": head.get("ContentType"), "cache": head.get("CacheControl"),
                     "encoding": head.get("ContentEncoding") or None}
    keys = [key for key in existing if key != target.key(MANIFEST)]
    with ThreadPoolExecutor(WORKERS) as pool:
        found = dict(pool.map(record, keys))
    return {key[len(target.prefix):]: value for key, value in found.items() if value is not None}


def s3_client(endpoint: str | None, addressing: str = "auto"):
    """A boto3 S3 client from the usual environment variables; `endpoint` for a provider other
    than AWS (e.g. https://oss-cn-chengdu.aliyuncs.com, https://cos.ap-chengdu.myqcloud.com)."""
    import boto3
    from botocore.config import Config
    config = Config(s3={"addressing_style": addressing}, retries={"max_attempts": 5, "mode": "standard"},
                    request_checksum_calculation="when_required", response_checksum_validation="when_required")
    return boto3.client("s3", endpoint_url=endpoint or None, config=config)


def run(site: Path, url: str, *, endpoint: str | None, dry_run: bool, addressing: str = "auto",
        say: Callable[[str], object] = print) -> Report:
    """The command: parse, connect, deploy; every failure a DeployFailed with a plain message."""
    from botocore.exceptions import BotoCoreError, ClientError
    try:
        target = parse_target(url)
    except ValueError as error:
        raise DeployFailed(f"目标地址格式应为 s3://存储桶[/前缀] / {error}") from error
    try:
        return deploy(site, target, s3_client(endpoint, addressing), dry_run=dry_run, say=say)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "?")
        raise DeployFailed(f"对象存储拒绝了请求（{code}）：请检查存储桶名称、端点和访问密钥的权限 / "
                           f"the object store refused the request ({code}): check the bucket name, the endpoint "
                           f"and what the access key may do") from error
    except BotoCoreError as error:
        raise DeployFailed(f"无法连接对象存储或缺少访问密钥：{type(error).__name__} / cannot reach the object "
                           f"store or no credentials: {type(error).__name__}") from error
