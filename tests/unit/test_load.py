"""The strict reader: every YAML trap an editor can fall into is a clear problem at its line."""
from __future__ import annotations

import tracemalloc
from pathlib import Path

from tourhub.check.load import decode, load_yaml, parse_yaml, read_file


def codes(problems):
    return [(p.code, p.line, p.column) for p in problems]


def test_every_duplicate_key_is_reported_with_the_first_line():
    _, problems = parse_yaml("a: 1\nb: 2\na: 3\nb: 4\n", "f.yaml")
    assert codes(problems) == [("yaml-duplicate-key", 3, 1), ("yaml-duplicate-key", 4, 1)]
    assert problems[0].params["first_line"] == 1


def test_yaml_1_1_booleans_and_leading_zeros_must_be_quoted():
    _, problems = parse_yaml("a: NO\nb: 0571\nc: 'NO'\nd: \"0571\"\ne: 10\nf: true\n", "f.yaml")
    assert codes(problems) == [("yaml-ambiguous-bool", 1, 4), ("yaml-leading-zero", 2, 4)]


def test_scalars_stay_the_text_the_editor_wrote():
    root, problems = parse_yaml("date: 2024-01-01\ntime: 08:30\ncode: '0571'\n", "f.yaml")
    assert not problems
    assert [value.value for _, value in root.value] == ["2024-01-01", "08:30", "0571"]


def test_alias_bomb_fails_at_the_first_anchor_in_bounded_memory():
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]
    tracemalloc.start()
    _, problems = parse_yaml("\n".join(levels) + "\n", "bomb.yaml")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert codes(problems) == [("yaml-alias", 1, 5)]
    assert peak < 5 * 1024 * 1024


def test_tabs_in_indentation_are_reported_on_every_line():
    _, problems = parse_yaml("a:\n\tb: 1\n\tc: 2\n", "f.yaml")
    assert codes(problems) == [("yaml-tab", 2, 1), ("yaml-tab", 3, 1)]


def test_python_tags_are_refused():
    _, problems = parse_yaml("a: !!python/object/apply:os.system ['true']\n", "f.yaml")
    assert [p.code for p in problems] == ["yaml-tag"]


def test_syntax_error_points_at_the_line():
    _, problems = parse_yaml("a: [1, 2\nb: 3\n", "f.yaml")
    assert problems[0].code == "yaml-syntax" and problems[0].line == 1  # where the [ opened


def test_control_characters_are_refused():
    _, problems = parse_yaml("a: ok\nb: bad\x07\n", "f.yaml")
    assert codes(problems) == [("file-control-char", 2, 7)]


def test_bom_non_utf8_and_empty_files():
    assert decode(b"\xef\xbb\xbfa: 1\n", "f", 100)[1][0].code == "file-bom"
    text, problems = decode("a: 好\nb: ".encode() + b"\xb9\xe3\xb0\xb2\n", "f", 100)
    assert text is None and codes(problems) == [("file-not-utf8", 2, 4)]
    assert decode(b"  \n\n", "f", 100)[1][0].code == "file-empty"
    _, problems = parse_yaml("# only a comment\n", "f.yaml")
    assert problems[0].code == "file-empty"


def test_a_huge_file_is_refused_without_being_read(tmp_path: Path):
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)
    tracemalloc.start()
    text, problems = read_file(big, "big.yaml", 2 * 1024 * 1024)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert text is None and problems[0].code == "file-too-large"
    assert peak < 1024 * 1024


def test_missing_file_is_a_problem_not_a_crash(tmp_path: Path):
    document, problems = load_yaml(tmp_path / "nope.yaml", "nope.yaml")
    assert document.root is None and problems[0].code == "file-unreadable"
