"""The change log partners subscribe to (data/<dataset>.atom and the dataset page's history):
what changed in the data, by name and in both languages, computed from the data in git; never
the developers' commit messages; nothing for a commit that changed nothing."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import feedparser

from tests.conftest import make_project
from tourhub.check.descriptor import load_package
from tourhub.publish.history import dataset_history

SUBJECTS = ("Refactor loader internals", "Reformat the areas file", "Area schema v2 and a new area")


def commit(project: Path, subject: str, when: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", "-C", str(project), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(project), "commit", "-q", "-m", subject], check=True, env=env)


def history_of(project: Path, dataset: str = "scenic_areas"):
    package, _ = load_package(project / "datasets")
    return dataset_history(project, package)[dataset]


def test_each_commit_that_changed_the_data_is_one_entry_naming_the_records(tmp_path: Path):
    project = make_project(tmp_path / "project")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    commit(project, "Initial import", "2026-11-01T10:00:00+08:00")
    areas = project / "datasets/spots/test-areas.yaml"
    text = areas.read_text("utf-8")
    areas.write_text(text.replace("name_zh: 钓鱼城", "name_zh: 合川钓鱼城"), "utf-8")
    commit(project, SUBJECTS[0], "2026-11-02T10:00:00+08:00")
    areas.write_text("# 景区列表 / scenic areas\n" + areas.read_text("utf-8"), "utf-8")     # no record changes
    commit(project, SUBJECTS[1], "2026-11-03T10:00:00+08:00")
    schema = project / "datasets/schemas/scenic_areas.yaml"
    redefined = schema.read_text("utf-8").replace("title: Opening hours (Chinese)", "title: Opening hours, Chinese")
    schema.write_text(redefined, "utf-8")
    last = areas.read_text("utf-8")
    new_area = (last[last.index("- id: diaoyucheng"):].replace("- id: diaoyucheng", "- id: laojundong")
                .replace("name_zh: 合川钓鱼城", "name_zh: 老君洞")
                .replace("name_en: Diaoyu Fortress", "name_en: Laojun Cave"))
    areas.write_text(last + new_area, "utf-8")
    commit(project, SUBJECTS[2], "2026-11-04T10:00:00+08:00")

    history = history_of(project)
    assert [c.when.day for c in history.changes] == [4, 2, 1]          # the reformatting commit is no change
    newest, edit, first = history.changes
    assert newest.added == 1 and [n.in_("zh") for n in newest.added_names] == ["老君洞"]
    assert [n.in_("en") for n in newest.added_names] == ["Laojun Cave"]
    assert newest.schema_changed and newest.fields_changed and not newest.fields_added
    assert edit.changed == 1 and [n.in_("zh") for n in edit.changed_names] == ["合川钓鱼城"] and not edit.added
    assert first.added == 3
    assert history.data_changed == newest.when

    from tourhub.publish.publication import change_feed
    facts = type("Facts", (), {"name": "scenic_areas", "title": {"zh": "A级景区", "en": "Scenic areas"}})()
    feed = feedparser.parse(change_feed(facts, history, "https://travel.example.gov.cn/", newest.when))
    assert feed.bozo == 0 and len(feed.entries) == 3
    assert len({entry.updated for entry in feed.entries}) == 3 and len({entry.id for entry in feed.entries}) == 3
    titles = [entry.title for entry in feed.entries]
    assert titles[1] == "修改 1 条 / 1 changed"
    assert titles[0].startswith("新增 1 条；字段定义修改 ") and " / 1 added; fields redefined: " in titles[0]
    assert "新增：老君洞" in feed.entries[0].summary.splitlines()
    assert "Added: Laojun Cave" in feed.entries[0].summary.splitlines()
    assert feed.entries[1].summary.splitlines() == ["修改：合川钓鱼城", "Changed: Diaoyu Fortress"]
    everything = str(feed)
    assert not any(subject in everything for subject in SUBJECTS)
