"""The GitHub workflows, checked offline: valid against GitHub's workflow schema (vendored in
check-jsonschema), third-party actions pinned by commit, least privilege, and a publish path on
which a failed check or build can never deploy."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def load(name: str) -> dict:
    document = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text("utf-8"))
    document["on"] = document.pop(True, document.get("on"))   # YAML 1.1 reads the key `on` as true
    return document


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_every_workflow_is_valid_against_githubs_schema(workflow):
    done = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(workflow)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=[w.name for w in WORKFLOWS])
def test_actions_are_pinned_by_commit_and_jobs_get_only_what_they_need(workflow):
    text = workflow.read_text("utf-8")
    for action in re.findall(r"uses:\s*([^\s#]+)", text):
        assert action.startswith("./") or re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), action
    document = load(workflow.name)
    assert document["permissions"] == {}
    assert all("permissions" in job for job in document["jobs"].values())


def test_the_schedule_lives_alone_and_avoids_the_top_of_the_hour():
    schedule = load("schedule.yml")
    assert list(schedule["on"]) == ["schedule"]
    for entry in schedule["on"]["schedule"]:
        minute, hour = entry["cron"].split()[:2]
        assert minute != "0" and hour == "*"          # at least hourly, not at minute 0
    assert schedule["jobs"]["publish"]["uses"] == "./.github/workflows/publish.yml"


def test_publishing_checks_and_builds_before_it_deploys_in_one_concurrency_group():
    publish = load("publish.yml")
    assert publish["concurrency"]["group"] == "publish" and not publish["concurrency"]["cancel-in-progress"]
    assert {"push", "workflow_dispatch", "workflow_call"} <= set(publish["on"])
    build, deploy = publish["jobs"]["build"], publish["jobs"]["deploy"]
    names = [step.get("name") or step.get("uses", "") for step in build["steps"]]
    assert names.index("check") < names.index("build") < next(i for i,
                                                              n in enumerate(names) if "upload-pages-artifact" in n)
    engine = next(i for i, step in enumerate(build["steps"]) if step.get("run") == "make node_modules/.installed")
    assert engine < names.index("build")        # the published SQL page has its engine (npm ci)
    assert deploy["needs"] == "build" and deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "contents" not in deploy["permissions"]


def test_pull_requests_get_annotations_and_the_tests():
    check = load("check.yml")
    assert {"push", "pull_request"} <= set(check["on"])
    runs = " ".join(step.get("run", "") for job in check["jobs"].values() for step in job["steps"])
    assert "--format github" in runs and "GITHUB_STEP_SUMMARY" in runs and "make test" in runs


def test_the_check_workflow_command_annotates_a_broken_file_in_a_copy_of_the_repo(tmp_path):
    """Runs the `check` step exactly as check.yml writes it, in a clone with one broken YAML file."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    broken = clone / "datasets" / "spots" / "sichuan-guangan.yaml"
    lines = broken.read_text("utf-8").splitlines()
    key_line = next(i for i, line in enumerate(lines) if line.startswith("  a_level:"))
    lines.insert(key_line + 1, lines[key_line].replace("a_level", "a_levle"))   # a typo'd key
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    command = next(step["run"] for step in load("check.yml")["jobs"]["data"]["steps"] if step.get("name") == "check")
    command = command.replace(".venv/bin/python", sys.executable)
    summary = tmp_path / "summary.md"
    done = subprocess.run(command, shell=True, cwd=clone, capture_output=True, text=True,
                          env={"GITHUB_STEP_SUMMARY": str(summary), "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": str(clone)})
    assert done.returncode == 1, done.stderr
    annotation = (f"::error file=datasets/spots/sichuan-guangan.yaml,line={key_line + 2},col=3,"
                  "title=record-unknown-key::")
    assert annotation in done.stdout, done.stdout
    table = summary.read_text("utf-8")
    assert "| 位置 Where | 规则 Code | 说明 | Message |" in table
    assert f"| `datasets/spots/sichuan-guangan.yaml:{key_line + 2}:3` | `record-unknown-key` |" in table


def test_publishing_also_deploys_to_object_storage_when_a_bucket_is_configured():
    """Mainland visitors reach a domestic bucket behind a CDN; the step runs only when the
    repository says where, after the build, with the keys from secrets and nothing echoed."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text("utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    names = [step.get("name", "") for step in steps]
    deploy = next(step for step in steps if "build.py deploy" in step.get("run", ""))
    assert names.index(deploy["name"]) > next(i for i, n in enumerate(names) if n == "build")
    assert deploy["if"] == "${{ vars.HUB_S3_TARGET != '' }}"
    assert deploy["env"]["AWS_SECRET_ACCESS_KEY"] == "${{ secrets.HUB_S3_SECRET_ACCESS_KEY }}"
    assert "secrets." not in deploy["run"]


@pytest.mark.parametrize("name", ["check.yml", "publish.yml"])
def test_the_validation_cache_is_kept_between_runs_and_never_crosses_code_versions(name):
    """CI used to validate every month cold (build/cache was lost with the runner). The cache is
    restored before the check, saved under this run's key, and only from runs of the same code,
    schemas and lock (the entries are also keyed inside, so a mismatch is a miss, not an error)."""
    steps = next(job["steps"] for job in load(name)["jobs"].values()
                 if any(step.get("name") == "check" for step in job.get("steps", [])))
    names = [step.get("name", "") for step in steps]
    cache = next(step for step in steps if step.get("uses", "").startswith("actions/cache@"))
    assert names.index(cache["name"]) < names.index("check")
    assert cache["with"]["path"] == "build/cache"
    inputs = "hashFiles('requirements.lock', 'tourhub/**', 'datasets/schemas/**', 'datasets/datapackage.yaml')"
    assert cache["with"]["key"] == f"hub-cache-${{{{ runner.os }}}}-${{{{ {inputs} }}}}-${{{{ github.run_id }}}}"
    assert cache["with"]["restore-keys"] == f"hub-cache-${{{{ runner.os }}}}-${{{{ {inputs} }}}}-"


def test_live_levels_run_every_five_minutes_on_the_last_published_site_and_upload_what_changed():
    """build.py live rewrites the live files of the site publish.yml kept; only an object store
    takes single files, so the job runs only when one is configured."""
    workflow = load("live.yml")
    assert workflow["on"]["schedule"] == [{"cron": "*/5 * * * *"}]
    (job,) = workflow["jobs"].values()
    assert job["if"] == "${{ vars.HUB_S3_TARGET != '' && vars.HUB_SITE_URL != '' }}"   # absolute URLs as built
    steps = job["steps"]
    runs = [step.get("run", "") for step in steps]
    live = next(i for i, run in enumerate(runs) if run.endswith("build.py live"))
    deploy = next(i for i, run in enumerate(runs) if "build.py deploy" in run)
    restored = next(i for i, step in enumerate(steps) if step.get("uses", "").startswith("actions/cache/restore@"))
    assert restored < live < deploy
    assert steps[restored]["with"] == {"path": "site", "key": "hub-site-${{ github.run_id }}",
                                       "restore-keys": "hub-site-"}
    saved = next(step for step in load("publish.yml")["jobs"]["build"]["steps"]
                 if step.get("uses", "").startswith("actions/cache/save@"))
    assert saved["with"] == {"path": "site", "key": "hub-site-${{ github.run_id }}"}
    assert not any("secrets." in run for run in runs)


def test_publishing_builds_on_the_previous_site_and_publishes_without_the_build_record():
    """The build reuses the last published site (only pages whose data changed are rendered);
    the build's own record goes with the cached site, not to visitors."""
    from tourhub.site.incremental import BUILD_RECORD
    steps = load("publish.yml")["jobs"]["build"]["steps"]
    names = [step.get("name", "") for step in steps]
    restored = next(i for i, step in enumerate(steps) if step.get("uses", "").startswith("actions/cache/restore@"))
    assert steps[restored]["with"] == {"path": "site", "key": "hub-site-${{ github.run_id }}",
                                       "restore-keys": "hub-site-"}
    assert restored < names.index("build")
    saved = next(i for i, step in enumerate(steps) if step.get("uses", "").startswith("actions/cache/save@"))
    removed = next(i for i, step in enumerate(steps) if f"rm -f site/{BUILD_RECORD}" in step.get("run", ""))
    uploaded = next(i for i, step in enumerate(steps) if "upload-pages-artifact" in step.get("uses", ""))
    assert saved < removed < uploaded
