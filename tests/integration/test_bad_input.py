"""Every case in tests/fixtures/bad/ fails `check` with exactly the expected problems.

A case is a folder whose `datasets/` files are laid over the small valid project, and whose
`expect.txt` lists one expected problem a line: `CODE datasets/file.yaml:LINE`.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, NOW, make_project
from tourhub import pipeline

CASES = sorted(p for p in (FIXTURES / "bad").iterdir() if p.is_dir())


def expected(case: Path) -> set[tuple[str, str, int]]:
    found = set()
    for line in (case / "expect.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            code, where = line.split()
            file, number = where.rsplit(":", 1)
            found.add((code, file, int(number)))
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_case_reports_exactly_the_expected_problems(case: Path, tmp_path: Path):
    project = make_project(tmp_path)
    shutil.copytree(case / "datasets", project / "datasets", dirs_exist_ok=True)
    problems = pipeline.check(project, NOW).problems
    assert {(p.code, p.file, p.line) for p in problems} == expected(case)


def test_a_50_mb_file_is_refused_and_the_other_problems_still_reported(tmp_path: Path):
    project = make_project(tmp_path)
    with (project / "datasets" / "spots" / "huge.yaml").open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    shutil.copytree(FIXTURES / "bad" / "duplicate-key" / "datasets", project / "datasets", dirs_exist_ok=True)
    codes = {(p.code, p.file) for p in pipeline.check(project, NOW).problems}
    assert ("file-too-large", "datasets/spots/huge.yaml") in codes
    assert ("yaml-duplicate-key", "datasets/spots/dup.yaml") in codes


def test_a_symlink_out_of_the_datasets_folder_is_not_followed(tmp_path: Path):
    project = make_project(tmp_path / "project")
    secret = tmp_path / "secret.yaml"
    secret.write_text("- id: secret\n", encoding="utf-8")
    (project / "datasets" / "spots" / "link.yaml").symlink_to(secret)
    (project / "datasets" / "observations" / "2026-12.csv").symlink_to(secret)
    problems = {(p.code, p.file) for p in pipeline.check(project, NOW).problems}
    assert problems == {("file-path-outside", "datasets/spots/link.yaml"),
                        ("file-path-outside", "datasets/observations/2026-12.csv")}


def test_the_corpus_has_at_least_thirty_cases_each_expecting_a_problem():
    assert len(CASES) >= 30
    assert all(expected(case) for case in CASES)
