"""What a hostile or broken environment cannot do: make the build publish a file from outside the
project, leave a site that disagrees with its own catalogue when a fetch merges during a build,
crash two builds started at once, leave debris from a killed run behind, or crash the preview
server. (Partner-feed addresses: test_outbound_policy.py; damaged state: test_damaged_state.py.)"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.conftest import NOW, ROOT, make_project
from tests.integration.test_partner_feeds import partner  # noqa: F401 - a fixture
from tourhub import pipeline
from tourhub.partners.ingest import merge_observations

SECRET = "hub-test-secret-6f1d0c"


def build_cli(project: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--project", str(project), *args, "build"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def every_byte(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


# Containment ------------------------------------------------------------------------------------


@pytest.fixture
def leaky_project(tmp_path: Path, monkeypatch) -> Path:
    """A project whose site sources link to a process's environment, the system's accounts, the
    checkout's git credentials and a file beside the project."""
    monkeypatch.setenv("HUB_TEST_SECRET", SECRET)
    project = make_project(tmp_path / "project")
    (project / ".git").mkdir()
    (project / ".git" / "config").write_text(f'[http]\n\textraheader = AUTHORIZATION: basic {SECRET}\n', "utf-8")
    beside = tmp_path / "beside.md"
    beside.write_text(f"# {SECRET}\n", "utf-8")
    pages, assets = project / "site_src" / "pages", project / "site_src" / "assets"
    (pages / "environ.md").symlink_to("/proc/self/environ")
    (assets / "passwd.txt").symlink_to("/etc/passwd")
    (pages / "git-config.md").symlink_to("../../.git/config")
    (pages / "beside").symlink_to(tmp_path)                       # a folder link out of the project
    (project / "site_src" / "overrides" / "leak.html").symlink_to(beside)
    return project


def test_a_link_out_of_the_project_under_site_src_fails_the_build_and_is_never_published(leaky_project: Path):
    site = leaky_project / "site"
    result = pipeline.build(leaky_project, now=NOW)
    assert not result.ok and not site.exists()
    outside = {p.file for p in result.problems if p.code == "file-path-outside"}
    assert outside == {"site_src/pages/environ.md", "site_src/assets/passwd.txt", "site_src/pages/git-config.md",
                       "site_src/pages/beside", "site_src/overrides/leak.html"}
    staged = leaky_project / "build"
    assert SECRET.encode() not in every_byte(staged) and b"root:" not in every_byte(staged)


def test_the_copy_itself_refuses_a_link_out_even_when_the_check_did_not_see_it(tmp_path: Path):
    """A link that appears after the check (or a caller that skips it) is refused by the copy."""
    from tourhub.site.mkdocs_build import SiteBuildFailed, stage
    project = make_project(tmp_path / "project")
    (project / "site_src" / "pages" / "passwd.md").symlink_to("/etc/passwd")
    with pytest.raises(SiteBuildFailed, match="file-path-outside"):
        stage(project, tmp_path / "staging", [])
    assert not list((tmp_path / "staging").rglob("passwd.md"))


def test_a_link_that_stays_inside_the_project_is_published_with_its_content(tmp_path: Path):
    project = make_project(tmp_path / "project")
    (project / "site_src" / "pages" / "about-copy.md").symlink_to("about.md")
    result = pipeline.build(project, now=NOW)
    assert result.ok, result.error or [p.to_text() for p in result.problems]
    assert (project / "site" / "about-copy" / "index.html").is_file()


@pytest.mark.parametrize("target", ["valid-schema-outside", "/etc/passwd", "/proc/self/environ"])
def test_a_schema_linked_from_outside_the_project_is_refused_at_its_line(tmp_path: Path, target: str):
    project = make_project(tmp_path / "project")
    schema = project / "datasets" / "schemas" / "service_standards.yaml"
    if target == "valid-schema-outside":
        target = str(shutil.copy(schema, tmp_path / "service_standards.yaml"))
    schema.unlink()
    schema.symlink_to(target)
    problems = pipeline.check(project, NOW).problems
    descriptor = (project / "datasets" / "datapackage.yaml").read_text("utf-8").splitlines()
    line = next(number for number, text in enumerate(descriptor, 1) if "schemas/service_standards.yaml" in text)
    assert [(p.code, p.file, p.line) for p in problems] == [("file-path-outside", "datasets/datapackage.yaml", line)]


@pytest.mark.parametrize("text, at", [('"just a string"\n', "1:1"), ("- a\n- list\n", "1:1"),
                                      ("fields: 7\n", "1:9"), ("fields:\n  - type: string\n", "2:3")])
def test_a_schema_that_is_not_a_table_schema_is_a_problem_not_a_traceback(tmp_path: Path, text: str, at: str):
    project = make_project(tmp_path / "project")
    (project / "datasets" / "schemas" / "service_standards.yaml").write_text(text, "utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "check"],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"datasets/schemas/service_standards.yaml:{at}  yaml-shape" in done.stdout


# One lock per repository ---------------------------------------------------------------------------


def published_month(site: Path, month: str) -> tuple[bytes, dict]:
    """A month of counts as published (gzip CSV), and what datapackage.json says of it (bytes, hash)."""
    package = json.loads((site / "data" / "datapackage.json").read_text("utf-8"))
    resource = next(r for r in package["resources"] if r["name"] == "visitor_observations")
    part = next(p for p in resource["x-parts"] if p["path"].endswith(f"{month}.csv.gz"))
    return (site / "data" / "visitor_observations" / f"{month}.csv.gz").read_bytes(), part


def later_rows(count: int) -> list[dict]:
    start = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)
    return [{"spot_id": "huayingshan", "observed_at": start.replace(minute=i % 60, hour=4 + i // 60),
             "window": "instant", "count": 100 + i, "method": "gate-count", "source": "sample"} for i in range(count)]


def wait_for(process: subprocess.Popen, text: str, seconds: float = 60) -> str:
    """What the process wrote to stderr until `text` appeared (or it ended, or time ran out)."""
    assert process.stderr is not None
    fd, seen = process.stderr.fileno(), b""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and text.encode() not in seen:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            seen += chunk
    return seen.decode("utf-8", "replace")


def test_a_build_waits_while_a_fetch_merges_and_publishes_exactly_the_counts_it_catalogues(project: Path):
    from tourhub.core.lock import repository_lock
    with repository_lock(project, "fetch test-partner"):
        build = build_cli(project)
        waiting = wait_for(build, "waiting")
        assert "fetch test-partner" in waiting and build.poll() is None     # it waits, naming who it waits for
        merged = merge_observations(project / "datasets" / "observations", later_rows(90))
        assert merged.added == 90
    out, err = build.communicate(timeout=300)
    assert build.returncode == 0, out + err
    month_file = (project / "datasets" / "observations" / "2026-11.csv").read_bytes()
    published, described = published_month(project / "site", "2026-11")
    assert gzip.decompress(published) == month_file          # the merge is in, whole
    assert described["bytes"] == len(published)
    assert described["hash"] == "sha256:" + hashlib.sha256(published).hexdigest()


def test_a_fetch_downloads_while_a_build_holds_the_lock_and_merges_only_after_it(tmp_path: Path, partner):  # noqa: F811
    """The lock is held for the merge, not for the network: a slow partner never holds up a build."""
    from tests.integration.test_partner_feeds import GOOD, project_with, source, stored_rows
    from tourhub.core.lock import repository_lock
    from tourhub.partners.fetch import fetch_all
    url, server = partner
    server.routes["/counts.csv"] = (200, "text/csv", GOOD.encode(), {})
    project = project_with(tmp_path, source("city", f"{url}/counts.csv"))
    before = len(stored_rows(project))
    done: list = []
    with repository_lock(project, "build"):
        fetching = threading.Thread(target=lambda: done.append(fetch_all(project, NOW, env={})))
        fetching.start()
        deadline = time.monotonic() + 60
        while not server.seen and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [path for path, _ in server.seen] == ["/counts.csv"]     # downloaded under the build's lock
        time.sleep(0.5)
        assert len(stored_rows(project)) == before and not done          # but not merged
    fetching.join(60)
    (outcomes, problems), = done
    assert problems == [] and [(o.status, o.added) for o in outcomes] == [("fetched", 2)]
    assert len(stored_rows(project)) == before + 2


def test_a_run_that_cannot_get_the_lock_in_time_says_who_holds_it_and_changes_nothing(project: Path):
    from tourhub.core.lock import repository_lock
    assert pipeline.build(project, now=NOW).ok
    before = every_byte(project / "site")
    with repository_lock(project, "fetch slow-partner"):
        build = build_cli(project, env={"HUB_LOCK_WAIT_S": "1"})
        out, err = build.communicate(timeout=120)
    assert build.returncode == 1 and "Traceback" not in err
    assert "fetch slow-partner" in err and "busy" in err
    assert every_byte(project / "site") == before


def test_two_builds_started_together_both_succeed_one_after_the_other(project: Path):
    builds = [build_cli(project), build_cli(project)]
    results = [process.communicate(timeout=600) for process in builds]
    assert [process.returncode for process in builds] == [0, 0], results
    assert not any("Traceback" in err for _, err in results)
    assert any("waiting" in err for _, err in results)
    assert (project / "site" / "index.html").is_file()
    assert not list(project.glob(".site.*")) and not list((project / "build").glob(".*site.*"))


# Leftovers of killed runs ----------------------------------------------------------------------------


def test_what_a_killed_run_left_is_removed_by_the_next_build_and_never_committed(project: Path):
    leftovers = [project / ".site.new-k1ll3d", project / ".site.old-abc_12", project / "build" / ".demo-site.new-x9"]
    for folder in leftovers:
        (folder / "data").mkdir(parents=True)
    temps = [project / "datasets" / "observations" / ".2026-11.csv.q8w7e6.tmp",
             project / "datasets" / ".fetch-state.json.z1x2c3.tmp",
             project / "datasets" / "notices" / ".partner-1.yaml.a1b2c3.tmp"]
    for temp in temps:
        temp.write_text("half written", "utf-8")
    keep = project / "datasets" / "observations" / "notes.tmp"        # not an atomic write's temp name
    keep.write_text("an editor's file", "utf-8")
    result = pipeline.build(project, now=NOW)
    assert result.ok, result.error
    assert not [path for path in leftovers + temps if path.exists()]
    assert keep.exists()
    for temp in temps:       # were one left anyway, the publish workflow's `git add datasets/...` skips it
        ignored = subprocess.run(["git", "check-ignore", "--no-index", "-q",
                                  str(temp.relative_to(project))], cwd=ROOT)
        assert ignored.returncode == 0


# Preview server, site permissions ---------------------------------------------------------------------


@pytest.mark.parametrize("path, status", [("/%00", 400), ("/a%00b/index.html", 400), ("/" + "x" * 5000, 404)])
def test_the_preview_server_answers_a_path_it_cannot_open_with_an_error_and_keeps_serving(tmp_path: Path, capfd,
                                                                                            path: str, status: int):
    from tourhub.serve import Builds, handler_class
    (tmp_path / "index.html").write_text("<p>ok</p>", "utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class(tmp_path, Builds()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        def get(target: str) -> bytes:
            with socket.create_connection(server.server_address, timeout=5) as connection:
                connection.sendall(f"GET {target} HTTP/1.0\r\n\r\n".encode())
                return b"".join(iter(lambda: connection.recv(65536), b""))
        assert get(path).startswith(f"HTTP/1.0 {status}".encode())
        assert get("/").startswith(b"HTTP/1.0 200")
    finally:
        server.shutdown()
        server.server_close()
    assert "Traceback" not in capfd.readouterr().err


def test_the_published_site_is_readable_by_a_web_server_user(production_site):
    assert production_site.folder.stat().st_mode & 0o777 == 0o755


# Partner tokens in CI ----------------------------------------------------------------------------------


def test_the_publish_workflow_hands_fetch_the_feed_tokens_and_no_other_secret():
    from tourhub.partners.fetch import feed_environment
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text("utf-8"))
    fetch_step = next(step for step in workflow["jobs"]["build"]["steps"] if step.get("id") == "fetch")
    assert fetch_step["env"]["HUB_FEED_SECRETS"] == "${{ toJSON(secrets) }}"
    secrets = {"CHENGDU_FEED_TOKEN": "t-1", "GITHUB_TOKEN": "ghs-2", "DEPLOY_KEY": "k-3", "chengdu_feed_token": "t-4"}
    environment = feed_environment({"PATH": "/usr/bin", "HUB_FEED_SECRETS": json.dumps(secrets)})
    assert environment == {"PATH": "/usr/bin", "CHENGDU_FEED_TOKEN": "t-1"}
    assert feed_environment({"HUB_FEED_SECRETS": "not json"}) == {}
