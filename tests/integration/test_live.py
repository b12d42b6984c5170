"""`build.py live`: a partner's new reading reaches the built site in seconds, without MkDocs:
only the live files are rewritten (each atomically), every page stays byte for byte as built,
and bad data or no built site writes nothing."""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tests.conftest import NOW, ROOT, make_project
from tests.integration.test_partner_feeds import partner, project_with, source  # noqa: F401 (fixture)
from tourhub import pipeline
from tourhub.partners.ingest import merge_observations
from tourhub.site.incremental import BUILD_RECORD

CST = timezone(timedelta(hours=8))
# and cap/*: the CAP alerts and their index; the build's own record (never deployed) learns their digests
LIVE_FILES = {"data/crowd/latest.json", "data/quality.json", BUILD_RECORD}


def digests(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in site.rglob("*") if p.is_file()}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


def live_command(project: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "build.py"), "--project", str(project), "live", *extra],
                          capture_output=True, text=True, timeout=300)


def huayingshan(site: Path) -> dict:
    latest = json.loads((site / "data" / "crowd" / "latest.json").read_text("utf-8"))
    return next(entry for entry in latest["areas"] if entry["id"] == "huayingshan")


def reading(at: datetime, count: int) -> dict:
    return {"spot_id": "huayingshan", "observed_at": at, "window": "daily", "count": count,
            "method": "gate-count", "source": "city"}


def test_a_partners_new_reading_reaches_the_live_files_and_no_page_changes(partner, tmp_path):  # noqa: F811
    url, server = partner
    project = project_with(tmp_path, source("city", f"{url}/counts.csv"))
    assert pipeline.build(project).ok
    before = digests(project / "site")
    observed = datetime.now(CST).replace(second=0, microsecond=0) - timedelta(minutes=5)
    body = f"spot_id,observed_at,window,count,method\nhuayingshan,{observed.isoformat()},daily,15432,gate-count\n"
    server.routes["/counts.csv"] = (200, "text/csv", body.encode(), {})

    done = live_command(project)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "live files: " in done.stderr and "data/crowd/latest.json" in done.stderr
    rewritten = changed(before, digests(project / "site"))
    assert "data/crowd/latest.json" in rewritten
    assert all(path in LIVE_FILES or path.startswith("cap/") for path in rewritten), rewritten
    entry = huayingshan(project / "site")
    assert entry["count"] == 15432 and datetime.fromisoformat(entry["observed_at"]) == observed
    assert entry["percent"] == round(15432 / 20000 * 100, 1) and entry["stale"] is False


def test_a_second_run_with_nothing_new_leaves_the_alerts_and_their_index_alone(project):
    assert pipeline.build(project, now=NOW).ok
    first = pipeline.live(project, now=NOW + timedelta(minutes=5))
    before = digests(project / "site")
    second = pipeline.live(project, now=NOW + timedelta(minutes=10))
    assert first.ok and second.ok
    assert changed(before, digests(project / "site")) <= LIVE_FILES      # their "built_at" says when they were made
    assert not any(path.startswith("cap/") for path in second.written)


def test_a_crowd_warning_raised_by_a_reading_is_published_as_a_cap_alert_without_a_rebuild(project):
    assert pipeline.build(project, now=NOW).ok
    alerts_before = {p.name for p in (project / "site" / "cap").glob("*.xml")}
    later = NOW + timedelta(minutes=20)
    merged = merge_observations(project / "datasets" / "observations", [reading(later, 19_500)])   # 97.5 %
    assert merged.added == 1

    result = pipeline.live(project, now=later + timedelta(minutes=1))

    assert result.ok, [p.to_text() for p in result.problems]
    raised = {p.name for p in (project / "site" / "cap").glob("*.xml")} - alerts_before
    assert raised and all(f"cap/{name}" in result.written for name in raised)
    assert "cap/index.atom" in result.written
    index = (project / "site" / "cap" / "index.atom").read_text("utf-8")
    assert all(name in index for name in raised)
    assert huayingshan(project / "site")["level_rank"] > 0


def test_with_an_error_in_the_data_nothing_is_written(project):
    assert pipeline.build(project, now=NOW).ok
    before = digests(project / "site")
    spots = project / "datasets" / "spots" / "test-areas.yaml"
    spots.write_text(spots.read_text("utf-8").replace("lat: ", "lat: north ", 1), "utf-8")

    done = live_command(project, "--no-fetch")

    assert done.returncode == 1
    assert "test-areas.yaml:" in done.stdout and "The live files are unchanged" in done.stderr
    assert changed(before, digests(project / "site")) == set()


def test_before_any_build_it_says_to_build_first_and_writes_nothing(project):
    done = live_command(project, "--no-fetch")
    assert done.returncode == 1 and "run build.py build first" in done.stderr
    assert not (project / "site").exists()


def test_the_live_run_waits_for_the_repository_lock(project, monkeypatch):
    """A build swapping site/ and a live run rewriting its files never interleave."""
    from tourhub.core.lock import RepositoryBusy, repository_lock
    assert pipeline.build(project, now=NOW).ok
    monkeypatch.setenv("HUB_LOCK_WAIT_S", "0.5")
    with repository_lock(project, "build"), pytest.raises(RepositoryBusy, match="build"):
        pipeline.live(project, now=NOW)


def test_the_live_file_keeps_to_the_json_schema_published_next_to_it(demo_site):
    from jsonschema import Draft202012Validator
    schema = json.loads((demo_site.folder / "data" / "crowd" / "latest.schema.json").read_text("utf-8"))
    latest = json.loads((demo_site.folder / "data" / "crowd" / "latest.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert latest["areas"] and list(validator.iter_errors(latest)) == []
    broken = {**latest, "areas": [{**latest["areas"][0], "percent": "97%"}]}
    assert [error.validator for error in validator.iter_errors(broken)] == ["type"]


def test_two_builds_of_unchanged_data_differ_only_in_the_live_files(tmp_path):
    """Time lives in the live files (and in the visitor's clock), not in the pages: a rebuild an
    hour later with the same data (a repository, as published) changes no page, export, feed or
    search file, so a deploy uploads nothing but the live files."""
    project = make_project(tmp_path / "project")
    git = ["git", "-C", str(project), "-c", "user.name=editor", "-c", "user.email=editor@example.org"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "data"], check=True)
    assert pipeline.build(project, now=NOW, site=tmp_path / "first").ok
    assert pipeline.build(project, now=NOW + timedelta(hours=1), site=tmp_path / "second").ok
    differ = changed(digests(tmp_path / "first"), digests(tmp_path / "second"))
    assert differ <= LIVE_FILES, sorted(differ - LIVE_FILES)


def test_one_changed_dataset_changes_only_its_own_dataset_pages(tmp_path):
    """A deploy after one edit uploads what the edit touched: the other datasets' pages do not
    carry the whole package's sizes and hashes (the data page does)."""
    project = make_project(tmp_path / "project")
    assert pipeline.build(project, now=NOW, site=tmp_path / "first").ok
    route = next((project / "datasets" / "routes").glob("*.yaml"))
    route.write_text(route.read_text("utf-8").replace("summary_en: ", "summary_en: Edited. ", 1), "utf-8")
    assert pipeline.build(project, now=NOW, site=tmp_path / "second").ok
    differ = changed(digests(tmp_path / "first"), digests(tmp_path / "second"))
    dataset_pages = {path.split("/")[-2] for path in differ if path.endswith("/index.html") and "data/" in path}
    assert dataset_pages == {"data", "routes"}, sorted(differ)
