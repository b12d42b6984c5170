"""`python build.py check` as editors and CI run it: exit codes, text and JSON output."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def run(project: Path, *args: str) -> subprocess.CompletedProcess:
    (project / "build.py").write_text((ROOT / "build.py").read_text(encoding="utf-8"), encoding="utf-8")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "build.py", *args], cwd=project, capture_output=True,
                          text=True, env=env, timeout=300)


def test_check_passes_on_valid_data(project: Path):
    result = run(project, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No problems found" in result.stderr


def test_check_reports_every_problem_and_exits_1(project: Path):
    (project / "datasets/spots/a.yaml").write_text("- id: x\n  id: y\n", encoding="utf-8")
    (project / "datasets/spots/b.yaml").write_text("\tbad: tab\n", encoding="utf-8")
    result = run(project, "check")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(line.startswith("datasets/spots/a.yaml:2:3  yaml-duplicate-key  ") for line in lines)
    assert any(line.startswith("datasets/spots/b.yaml:1:1  yaml-tab  ") for line in lines)


def test_check_json_is_machine_readable(project: Path):
    (project / "datasets/spots/a.yaml").write_text("- id: x\n  id: y\n", encoding="utf-8")
    result = run(project, "check", "--format", "json")
    assert result.returncode == 1
    problems = json.loads(result.stdout)
    duplicate = next(p for p in problems if p["code"] == "yaml-duplicate-key")
    assert duplicate | {"zh": "", "en": ""} == {"file": "datasets/spots/a.yaml", "line": 2, "column": 3,
                                                  "code": "yaml-duplicate-key", "severity": "error", "zh": "", "en": ""}
    assert "重复" in duplicate["zh"] and "Duplicate key" in duplicate["en"]


def test_check_can_annotate_problems_for_github(tmp_path):
    import shutil
    import subprocess
    import sys

    from tests.conftest import FIXTURES, ROOT, make_project
    project = make_project(tmp_path / "project")
    shutil.copytree(FIXTURES / "bad" / "duplicate-key" / "datasets", project / "datasets", dirs_exist_ok=True)
    summary = tmp_path / "summary.md"
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "check",
                           "--format", "github", "--summary", str(summary)], capture_output=True, text=True)
    assert done.returncode == 1
    assert re.search(r"^::error file=datasets/spots/dup\.yaml,line=\d+,col=\d+,title=yaml-duplicate-key::.+ / .+$",
                     done.stdout, re.M)
    assert "| `datasets/spots/dup.yaml:" in summary.read_text("utf-8")


def test_new_files_fail_the_check_on_each_placeholder_until_it_is_filled_in(tmp_path):
    from tests.conftest import make_project
    project = make_project(tmp_path / "project")
    for kind, record_id in (("route", "my-new-route"), ("notice", "my-fog-notice"), ("area", "my-new-area")):
        done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "new", kind,
                               record_id],
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    files = [project / "datasets" / folder / name for folder, name in (
        ("routes", "my-new-route.yaml"), ("notices", "my-fog-notice.yaml"), ("spots", "my-new-area.yaml"))]
    placeholders = {(f"datasets/{f.parent.name}/{f.name}", number) for f in files
                    for number, line in enumerate(f.read_text("utf-8").splitlines(), start=1)
                    if "TODO" in line.split("#")[0]}
    assert len(placeholders) >= 25
    check = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "check",
                            "--format", "json"], capture_output=True, text=True)
    reported = json.loads(check.stdout)
    assert check.returncode == 1
    assert {p["code"] for p in reported} == {"value-placeholder"}
    assert {(p["file"], p["line"]) for p in reported} == placeholders

    for f in files:   # an editor fills every placeholder in with a real value and its source
        text = f.read_text("utf-8").replace("https://example.invalid/TODO", "https://www.gov.cn/")
        f.write_text(text.replace('"TODO ', '"filled in: '), "utf-8")
    check = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "check"],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout
    again = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "new", "route",
                            "my-new-route"], capture_output=True, text=True)
    assert again.returncode == 1 and "exists" in again.stderr
    bad = subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "new", "route",
                          "../escape"], capture_output=True, text=True)
    assert bad.returncode == 1 and not (project / "datasets" / "escape.yaml").exists()


def test_serve_rebuilds_on_save_and_keeps_the_last_good_site_when_a_save_breaks_it(tmp_path):
    import socket
    import time

    import requests

    from tests.conftest import make_project
    project = make_project(tmp_path / "project")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--project", str(project), "serve",
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}/"

    def wait_for_build(number: str) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "__build", timeout=2).text == number:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        raise AssertionError(f"build {number} never came")

    try:
        wait_for_build("1")
        page = requests.get(base + "areas/huayingshan/", timeout=5).content.decode("utf-8")
        assert "dev-reload.js" in page
        spots = project / "datasets" / "spots" / "test-areas.yaml"
        text = spots.read_text("utf-8")
        spots.write_text(text.replace("华蓥山", "华蓥山（已改）", 1), encoding="utf-8")
        wait_for_build("2")
        assert "华蓥山（已改）" in requests.get(base + "areas/huayingshan/", timeout=5).content.decode("utf-8")
        spots.write_text(text + "\n  - broken: [\n", encoding="utf-8")
        time.sleep(4)
        assert requests.get(base + "__build", timeout=2).text == "2"
        assert "华蓥山（已改）" in requests.get(base + "areas/huayingshan/", timeout=5).content.decode("utf-8")
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=30)
    assert "yaml-syntax" in errors or "yaml-" in errors


def run_with(project: Path, environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    (project / "build.py").write_text((ROOT / "build.py").read_text(encoding="utf-8"), encoding="utf-8")
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", **environment}
    return subprocess.run([sys.executable, "build.py", *args], cwd=project, capture_output=True,
                          text=True, env=env, timeout=300)


def test_a_publishing_build_refuses_a_site_url_only_this_machine_can_open(project: Path):
    """Every canonical link, feed entry and catalog IRI starts with the site URL: a site built for
    127.0.0.1 and published would point every partner at nothing."""
    refused = run(project, "build", "--publish")
    assert refused.returncode == 1
    assert "HUB_SITE_URL" in refused.stderr and "http://127.0.0.1:8000/" in refused.stderr
    assert "请设置" in refused.stderr
    assert not (project / "site").exists()            # refused before anything was built

    built = run_with(project, {"HUB_SITE_URL": "https://travel.example.gov.cn/hub"}, "build", "--publish")
    assert built.returncode == 0, built.stderr
    assert "site URL: https://travel.example.gov.cn/hub/ (HUB_SITE_URL)" in built.stderr
    assert "<loc>https://travel.example.gov.cn/hub/" in (project / "site/sitemap.xml").read_text("utf-8")


def test_a_local_build_says_which_url_it_used_and_cannot_be_deployed_by_mistake(project: Path):
    built = run(project, "build")
    assert built.returncode == 0, built.stderr
    assert "site URL: http://127.0.0.1:8000/ (mkdocs.yml site_url)" in built.stderr
    deploy = run(project, "deploy", "s3://bucket", "--endpoint", "http://127.0.0.1:9", "--dry-run")
    assert deploy.returncode == 1
    assert "only works on this machine" in deploy.stderr and "Traceback" not in deploy.stderr


def test_the_preview_server_answers_range_requests_as_static_hosts_do(tmp_path: Path):
    """The SQL page's engine reads the Parquet counts by range: `build.py serve` must answer them."""
    import threading
    import urllib.request
    from http.server import ThreadingHTTPServer

    from tourhub.serve import Builds, handler_class
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "counts.parquet").write_bytes(bytes(range(256)) * 4)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class(tmp_path / "site", Builds()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/counts.parquet"
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=10-19"})) as part:
            assert part.status == 206 and part.headers["Content-Range"] == "bytes 10-19/1024"
            assert part.read() == bytes(range(10, 20))
        with urllib.request.urlopen(url) as whole:
            assert whole.status == 200 and whole.headers["Accept-Ranges"] == "bytes" and len(whole.read()) == 1024
    finally:
        server.shutdown()
        server.server_close()
