"""Problems read the same way everywhere: file:line:column, a code, Chinese and English."""
from __future__ import annotations

import json
import re

import pytest

from tourhub.check.problems import RULES, Problem, format_json, format_text, sort_problems


def test_every_rule_has_a_code_and_both_languages():
    for code, rule in RULES.items():
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", code)
        assert re.search(r"[\u4e00-\u9fff]", rule.zh), code
        assert rule.en and not re.search(r"[\u4e00-\u9fff]", rule.en), code
        assert rule.severity in ("error", "warning")


def test_text_format_is_file_line_column_code_zh_en():
    problem = Problem("datasets/spots/a.yaml", 3, 5, "yaml-duplicate-key", {"key": "id", "first_line": 2})
    assert format_text([problem]) == (
        "datasets/spots/a.yaml:3:5  yaml-duplicate-key  键“id”重复（第 2 行已出现）；后一个会悄悄覆盖前一个"
        " / Duplicate key \"id\" (first at line 2); the later one would silently win")


def test_json_format_carries_the_same_facts():
    problem = Problem("f.yaml", 1, 1, "file-empty")
    assert json.loads(format_json([problem])) == [{
        "file": "f.yaml", "line": 1, "column": 1, "code": "file-empty", "severity": "error",
        "zh": "文件是空的", "en": "The file is empty"}]


def test_problems_sort_by_place():
    a = Problem("b.yaml", 1, 1, "file-empty")
    b = Problem("a.yaml", 9, 1, "file-empty")
    c = Problem("a.yaml", 2, 1, "file-bom")
    assert sort_problems([a, b, c]) == [c, b, a]


def test_an_unknown_code_cannot_be_raised():
    with pytest.raises(KeyError):
        Problem("f", 1, 1, "no-such-rule")
