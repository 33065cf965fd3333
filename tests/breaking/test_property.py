"""Property: for pairs the checker calls compatible under a policy, messages generated from
the old lock's rebuilt types decode with the new ones (and back) in the directions the
policy requires."""

from __future__ import annotations

import pytest
from burrow.codegen import build_lock
from burrow.codegen._breaking import BreakingConfig, compare_locks, judge

from tests.breaking._catalogue import CASES
from tests.breaking._probe import assert_reads_everything
from tests.breaking._wire import Side
from tests.codegen import rich_contracts

BACKWARD_ONLY = BreakingConfig(requests="backward", replies="backward")


def _compatible(config: BreakingConfig) -> list[str]:
    names = []
    for name, case in sorted(CASES.items()):
        locks = case.locks()
        if not judge(compare_locks(locks["old"], locks["new"]), config, old="old", new="new").breaking:
            names.append(name)
    return names


@pytest.mark.parametrize("name", _compatible(BreakingConfig()))
def test_compatible_pairs_read_each_other_both_ways(name: str) -> None:
    sides = CASES[name].sides()
    assert_reads_everything(sides.old, sides.new, examples=150)
    assert_reads_everything(sides.new, sides.old, examples=150)


@pytest.mark.parametrize("name", sorted(set(_compatible(BACKWARD_ONLY)) - set(_compatible(BreakingConfig()))))
def test_pairs_compatible_backward_only_read_old_messages(name: str) -> None:
    sides = CASES[name].sides()
    assert_reads_everything(sides.old, sides.new, examples=150)


def test_a_backward_only_policy_accepts_forward_breaks() -> None:
    accepted = set(_compatible(BACKWARD_ONLY)) - set(_compatible(BreakingConfig()))
    assert {"fields:field-added-forbid", "types:type-widened-int-float", "values:enum-value-added"} <= accepted


def test_every_shape_of_the_rich_contracts_reads_itself() -> None:
    # The generators cover tagged unions, enums, constraints, renames and array_like Structs.
    rich_lock = build_lock([rich_contracts.shapes], source="tests.codegen.rich_contracts")
    assert compare_locks(rich_lock, rich_lock) == []
    side = Side(rich_lock, "rich")
    assert_reads_everything(side, Side(rich_lock, "rich again"), examples=150)
