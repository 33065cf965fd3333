"""The rule catalogue, the fixtures and the documentation list the same rules."""

from __future__ import annotations

import re
from pathlib import Path

from burrow.codegen._breaking import RULES

from tests.breaking._case import full
from tests.breaking._catalogue import CASES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "breaking.md"


def test_every_rule_has_a_fixture_pair() -> None:
    covered = {full(expected)[0] for case in CASES.values() for expected in case.expected}
    assert sorted(set(RULES) - covered) == []
    assert sorted(covered - set(RULES)) == []


def test_every_rule_is_documented_in_the_rules_table() -> None:
    table = DOCS.read_text().split("## Rules", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z-]+)` \|", table, flags=re.MULTILINE)
    assert sorted(documented) == sorted(RULES)


def test_the_rules_table_names_every_category_a_fixture_shows() -> None:
    table = DOCS.read_text().split("## Rules", 1)[1].split("\n## ", 1)[0]
    categories = dict(re.findall(r"^\| `([a-z-]+)` \| ([a-z ,]+) \|", table, flags=re.MULTILINE))
    shown = {(rule, category) for case in CASES.values() for rule, _, _, _, category in case.verdicts}
    missing = sorted((rule, c) for rule, c in shown if c != "compatible" and c not in categories.get(rule, ""))
    assert missing == []
