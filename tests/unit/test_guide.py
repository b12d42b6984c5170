"""Every problem code the validator can emit is explained in the editors' guide, with a fix."""
from __future__ import annotations

import re
from pathlib import Path

from tourhub.check.problems import RULES
from tourhub.editors.guide import guide_entries

ROOT = Path(__file__).resolve().parents[2]


def test_every_rule_has_an_entry_with_a_fix_in_both_languages():
    entries = {entry["code"]: entry for entry in guide_entries()}
    assert set(entries) == set(RULES)
    for entry in entries.values():
        assert entry["fix"].zh and entry["fix"].en and entry["message"].zh and entry["message"].en


def test_every_code_the_source_can_emit_is_a_rule():
    """Codes written as literals in the validator's modules, and codes built from families."""
    literals = set()
    for module in (ROOT / "tourhub").rglob("*.py"):
        text = module.read_text("utf-8")
        literals |= set(re.findall(r'Problem\([^)]*?"([a-z]+(?:-[a-z0-9]+)+)"', text))
        literals |= set(re.findall(r'_at\([^)]*?"([a-z]+(?:-[a-z0-9]+)+)"', text))
        if module.name == "ingest.py":      # payload problems are raised by their rule's tail
            literals |= {"payload-" + code for code in re.findall(r'_problem\("([a-z-]+)"', text)}
        if module.name == "http.py":        # fetch errors by their message key, "timeout.body"
            literals |= {"fetch-" + key.replace(".", "-") for key in re.findall(r'_error\("([a-z.-]+)"', text)}
        if module.name == "fetch.py":
            literals |= set(re.findall(r'_problem\(\s*pos, "([a-z-]+)"', text))
    assert len(literals) >= 60 and literals <= set(RULES), literals - set(RULES)
    expected = {line.split()[0] for case in (ROOT / "tests" / "fixtures" / "bad").iterdir()
                for line in (case / "expect.txt").read_text("utf-8").splitlines()
                if line.strip() and not line.startswith("#")}
    assert expected <= set(RULES)
