"""`build.py deploy` against a real S3-compatible server (SeaweedFS, started here on 127.0.0.1):
every file arrives with its type and cache policy, a second deploy uploads nothing, a change
uploads only itself, and a deploy killed midway leaves every page with what it refers to. (The
site served from the bucket in a browser: tests/browser/test_bucket_site.py.)"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tourhub.deploy.s3 import MANIFEST, Target, deploy, local_objects

ACCESS, SECRET = "hubtestkey", "hubtestsecret-not-real"
WEED = Path(sys.executable).with_name("weed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory):
    """`weed mini` on 127.0.0.1 (every port chosen free), S3 credentials from the environment."""
    folder = tmp_path_factory.mktemp("seaweed")
    ports = {name: free_port() for name in ("master.port", "volume.port", "filer.port", "s3.port", "admin.port",
                                            "webdav.port", "debug.port")}
    environment = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET}
    process = subprocess.Popen([str(WEED), "mini", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={folder}",
                                "-admin.ui=false", "-webdav=false", *(f"-{k}={v}" for k, v in ports.items())],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    client = s3(endpoint)
    deadline = time.monotonic() + 60
    while True:
        try:
            client.list_buckets()
            break
        except Exception:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise
            time.sleep(0.2)
    yield endpoint
    process.terminate()
    process.wait(30)


def s3(endpoint: str):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ACCESS, aws_secret_access_key=SECRET,
                        region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))


@pytest.fixture
def bucket(seaweed):
    name = f"site-{uuid.uuid4().hex[:12]}"
    s3(seaweed).create_bucket(Bucket=name)
    return name


@pytest.fixture
def site(production_site, tmp_path) -> Path:
    """A copy of the shipped site (the tests change it)."""
    return Path(shutil.copytree(production_site.folder, tmp_path / "site"))


class PutCounter:
    """Counts the PutObject calls a client really makes."""

    def __init__(self, client) -> None:
        self.count = 0
        client.meta.events.register("before-call.s3.PutObject", self._seen)

    def _seen(self, **_) -> None:
        self.count += 1


def objects(client, bucket: str) -> dict[str, dict]:
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            found[item["Key"]] = item
    return found


def test_every_file_arrives_with_its_type_cache_policy_and_encoding(seaweed, bucket, site):
    client = s3(seaweed)
    report = deploy(site, Target(bucket, "hub/"), client, say=lambda line: None)
    files = local_objects(site)
    assert report.uploaded == len(files) and report.deleted == 0
    stored = objects(client, bucket)
    assert set(stored) == {f"hub/{item.relative}" for item in files} | {f"hub/{MANIFEST}"}
    heads = {name: client.head_object(Bucket=bucket, Key=f"hub/{name}") for name in (
        "index.html", "routes/index.html", "assets/css/hub.css", "data/scenic_areas.csv", "cap/index.atom",
        "data/scenic_areas.xlsx")}
    assert heads["index.html"]["ContentType"] == "text/html; charset=utf-8"
    assert heads["index.html"]["CacheControl"] == "public, max-age=300"
    assert heads["index.html"]["ContentEncoding"] == "gzip"
    assert heads["assets/css/hub.css"]["ContentType"] == "text/css; charset=utf-8"
    assert heads["data/scenic_areas.csv"]["ContentType"] == "text/csv; charset=utf-8"
    assert heads["cap/index.atom"]["CacheControl"] == "public, max-age=60"
    assert heads["data/scenic_areas.xlsx"].get("ContentEncoding") is None     # already compressed
    bundle = next(key for key in stored if re.search(r"bundle\.[0-9a-f]{8}\.min\.js$", key))
    assert client.head_object(Bucket=bucket, Key=bundle)["CacheControl"] == "public, max-age=31536000, immutable"
    body = client.get_object(Bucket=bucket, Key="hub/index.html")["Body"].read()
    import gzip
    assert gzip.decompress(body) == (site / "index.html").read_bytes()


def test_a_second_deploy_of_the_same_site_makes_no_put(seaweed, bucket, site):
    deploy(site, Target(bucket, ""), s3(seaweed), say=lambda line: None)
    client = s3(seaweed)
    puts = PutCounter(client)
    report = deploy(site, Target(bucket, ""), client, say=lambda line: None)
    assert (report.uploaded, report.deleted, puts.count) == (0, 0, 0)
    assert report.skipped == len(local_objects(site))


def test_after_a_one_file_change_only_that_file_is_uploaded_and_a_removed_one_deleted(seaweed, bucket, site):
    deploy(site, Target(bucket, ""), s3(seaweed), say=lambda line: None)
    page = site / "about" / "index.html"
    page.write_text(page.read_text("utf-8").replace("</main>", "<p>changed</p></main>", 1), "utf-8")
    removed = next(site.glob("data/*.xlsx"))
    removed.unlink()
    client = s3(seaweed)
    puts = PutCounter(client)
    report = deploy(site, Target(bucket, ""), client, say=lambda line: None)
    assert (report.uploaded, report.deleted) == (1, 1)
    assert puts.count == 2          # the page and the manifest
    stored = objects(client, bucket)
    assert "about/index.html" in stored and removed.relative_to(site).as_posix() not in stored


def test_a_lost_manifest_is_rebuilt_from_the_objects_own_metadata(seaweed, bucket, site):
    client = s3(seaweed)
    deploy(site, Target(bucket, ""), client, say=lambda line: None)
    client.delete_object(Bucket=bucket, Key=MANIFEST)
    puts = PutCounter(client)
    assert deploy(site, Target(bucket, ""), client, say=lambda line: None).uploaded == 0
    assert puts.count == 1          # the manifest again, nothing else


def test_a_dry_run_changes_nothing(seaweed, bucket, site):
    client = s3(seaweed)
    lines: list[str] = []
    report = deploy(site, Target(bucket, ""), client, dry_run=True, say=lines.append)
    assert report.uploaded == len(local_objects(site)) and objects(client, bucket) == {}
    assert "would upload" in lines[-1]


def referred(html: str, key: str) -> set[str]:
    """The same-site files a page needs: stylesheets, scripts, images."""
    base = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    found = set()
    for target in re.findall(r'<(?:link[^>]+rel="stylesheet"[^>]+href|script[^>]+src|img[^>]+src)="([^"#?]+)', html):
        if target.startswith(("http:", "https:", "data:", "//")):
            continue
        parts: list[str] = []
        for part in (base + target if not target.startswith("/") else target.lstrip("/")).split("/"):
            if part == "..":
                parts.pop()
            elif part not in ("", "."):
                parts.append(part)
        found.add("/".join(parts))
    return found


class Crash(Exception):
    """The process dying at this request (nothing after it runs)."""


def crash_after(client, operation: str, calls: int) -> None:
    """Make the client's `calls`+1-th `operation` request fail, as a killed process's would."""
    seen = {"count": 0}

    def count(**_) -> None:
        seen["count"] += 1
        if seen["count"] > calls:
            raise Crash(operation)
    client.meta.events.register(f"before-call.s3.{operation}", count)


def second_version(site: Path, folder: Path) -> Path:
    """The site again with a renamed stylesheet (every page refers to the new name) and every
    page changed: the case where a half-done deploy could leave a page without its styles."""
    new = Path(shutil.copytree(site, folder))
    css = new / "assets" / "css" / "hub.css"
    css.rename(css.with_name("hub.2f6c0a9e.css"))
    for page in new.rglob("*.html"):
        second = page.read_text("utf-8").replace("hub.css", "hub.2f6c0a9e.css") + "\n<!-- second-version -->"
        page.write_text(second, "utf-8")
    return new


@pytest.mark.parametrize("operation, share", [("PutObject", 0.05), ("PutObject", 0.5), ("PutObject", 0.97),
                                              ("PutObject", 1.0), ("DeleteObjects", 0)])
def test_a_deploy_that_dies_midway_leaves_every_page_with_what_it_refers_to(seaweed, bucket, site, tmp_path,
                                                                             operation, share):
    deploy(site, Target(bucket, ""), s3(seaweed), say=lambda line: None)
    before = objects(s3(seaweed), bucket)
    new = second_version(site, tmp_path / "new-site")
    uploads = deploy(new, Target(bucket, ""), s3(seaweed), dry_run=True, say=lambda line: None).uploaded
    client = s3(seaweed)
    crash_after(client, operation, int(uploads * share))      # share 1.0: every file up, the manifest not
    with pytest.raises(Crash):
        deploy(new, Target(bucket, ""), client, say=lambda line: None)
    stored = objects(client, bucket)
    assert set(before) <= set(stored)                                 # nothing of the old site is gone
    pages = [key for key in stored if key.endswith(".html")]
    versions = {b"<!-- second-version -->" in _text(client, bucket, key) for key in pages}
    for key in pages:
        missing = referred(_text(client, bucket, key).decode("utf-8"), key) - set(stored)
        assert not missing, (key, missing)
    if 0 < share < 1:
        assert versions == {True, False}                              # a mix of both versions, each whole
    report = deploy(new, Target(bucket, ""), s3(seaweed), say=lambda line: None)    # the next run finishes it
    assert "assets/css/hub.css" not in objects(s3(seaweed), bucket) and report.deleted >= 1


def test_a_deploy_killed_by_a_signal_leaves_a_bucket_the_next_run_completes(seaweed, bucket, site, tmp_path):
    deploy(site, Target(bucket, ""), s3(seaweed), say=lambda line: None)
    new = second_version(site, tmp_path / "new-site")
    environment = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET,
                   "AWS_REGION": "us-east-1"}
    command = [sys.executable, str(ROOT / "build.py"), "--project", str(tmp_path), "deploy", f"s3://{bucket}",
               "--endpoint", seaweed, "--addressing", "path", "--site", str(new), "--allow-local-url"]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = s3(seaweed)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if "assets/css/hub.2f6c0a9e.css" in objects(client, bucket):
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    process.wait(30)
    stored = objects(client, bucket)
    for key in [k for k in stored if k.endswith(".html")]:
        assert not referred(_text(client, bucket, key).decode("utf-8"), key) - set(stored), key
    assert subprocess.run(command, env=environment, capture_output=True).returncode == 0
    assert "assets/css/hub.css" not in objects(client, bucket)


def _text(client, bucket: str, key: str) -> bytes:
    import gzip
    response = client.get_object(Bucket=bucket, Key=key)
    body = response["Body"].read()
    return gzip.decompress(body) if response.get("ContentEncoding") == "gzip" else body


def test_wrong_credentials_fail_clearly_without_printing_them(seaweed, bucket, site, tmp_path):
    environment = {**os.environ, "AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": "wrong-secret-0b7e",
                   "AWS_REGION": "us-east-1"}
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(tmp_path), "deploy",
                           f"s3://{bucket}", "--endpoint", seaweed, "--addressing", "path", "--site", str(site),
                           "--allow-local-url"],
                          env=environment, capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "deploy failed" in done.stderr and "wrong-secret-0b7e" not in done.stderr + done.stdout


class BucketSite(BaseHTTPRequestHandler):
    """What a CDN in front of the bucket does: / and folder URLs serve index.html; the stored
    headers (type, encoding, cache) pass through."""

    client = None
    bucket = ""

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        key = self.path.split("?", 1)[0].lstrip("/")
        key = key + "index.html" if key == "" or key.endswith("/") else key
        try:
            stored = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception:
            self.send_error(404)
            return
        body = stored["Body"].read()
        self.send_response(200)
        for header, name in (("Content-Type", "ContentType"), ("Content-Encoding", "ContentEncoding"),
                             ("Cache-Control", "CacheControl")):
            if stored.get(name):
                self.send_header(header, stored[name])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
