"""Each rule's fixture pair: the checker reports exactly what the case expects, the
directions it claims really break on the wire (msgspec, JSON and MessagePack), and the
directions it does not claim really hold for generated messages."""

from __future__ import annotations

import pytest
from burrow.codegen._breaking import compare_locks

from tests.breaking._catalogue import CASES
from tests.breaking._probe import assert_reads_everything, breaks, probe


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_checker_reports_exactly_the_expected_changes(name: str) -> None:
    case = CASES[name]
    locks = case.locks()
    found = [(c.rule, c.path, c.breaks) for c in compare_locks(locks["old"], locks["new"])]
    assert sorted(found) == sorted(case.expected)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_claimed_direction_has_a_witness_that_breaks(name: str) -> None:
    case = CASES[name]
    sides = case.sides()
    witnesses = {"backward": case.backward, "forward": case.forward}
    assert {d for d, w in witnesses.items() if w is not None} == case.claimed, "one witness per claimed direction"
    for direction, witness in witnesses.items():
        if witness is not None:
            message, reader = probe(witness(sides), sides.new if direction == "backward" else sides.old)
            assert breaks(message, reader), f"{direction}: {reader.label} reads {message.value!r} unchanged"


@pytest.mark.parametrize("name", sorted(CASES))
def test_directions_not_claimed_really_hold(name: str) -> None:
    case = CASES[name]
    sides = case.sides()
    if "backward" not in case.claimed:
        assert_reads_everything(sides.old, sides.new)
    if "forward" not in case.claimed:
        assert_reads_everything(sides.new, sides.old)
