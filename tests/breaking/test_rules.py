"""Each rule's fixture pair: the checker reports exactly what the case expects (rule, path,
directions and category), the directions it claims really break on the wire (msgspec,
JSON and MessagePack), the checker's own witnesses really fail, and the directions it does
not claim really hold for generated messages."""

from __future__ import annotations

import msgspec
import pytest
from burrow.codegen import RefType, TypeExpr, rebuild_type
from burrow.codegen._breaking import Change, Witness, compare_locks, prove
from burrow.codegen._breaking._witness import rendered

from tests.breaking._case import Case
from tests.breaking._catalogue import CASES
from tests.breaking._probe import assert_reads_everything, breaks, probe, refuses
from tests.breaking._wire import Side


def _proven(case: Case) -> list[Change]:
    locks = case.locks()
    return prove(locks["old"], locks["new"], compare_locks(locks["old"], locks["new"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_checker_reports_exactly_the_expected_changes(name: str) -> None:
    case = CASES[name]
    found = [(c.rule, c.path, c.breaks, c.meaning, c.category) for c in _proven(case)]
    assert sorted(found) == sorted(case.verdicts)


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
            if direction in case.refused:
                assert refuses(message, reader), f"{direction}: {reader.label} reads {message.value!r}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_checkers_own_witnesses_fail_with_msgspec(name: str) -> None:
    sides = CASES[name].sides()
    for change in _proven(CASES[name]):
        assert set(change.possible) <= set(CASES[name].possible), f"{change.rule} {change.path}: {change.witnesses}"
        assert {w.direction for w in change.witnesses} == set(change.affected)
        scope = change.scope
        for witness in change.witnesses:
            if witness.direction in change.possible:
                continue
            if scope is not None and scope.old is not None and scope.new is not None:
                reader = sides.new if witness.direction == "backward" else sides.old
                _replay(witness, reader, scope.new if witness.direction == "backward" else scope.old)


def _replay(witness: Witness, reader: Side, expr: TypeExpr) -> None:
    """Decode the witness's bytes with the reader's rebuilt type: refused, or read as the witness says."""
    body = witness.message.encode() if witness.codec == "json" else bytes.fromhex(witness.message)
    decode = msgspec.json.decode if witness.codec == "json" else msgspec.msgpack.decode
    kind = rebuild_type(reader.lock, expr, reader.types)
    if witness.field:
        assert isinstance(expr, RefType)
        kind = msgspec.structs.fields(reader.types[expr.name])  # the reader's field, decoded alone
        kind = next(f.type for f in kind if f.name == witness.field)
    if witness.error or witness.first:
        with pytest.raises(msgspec.ValidationError) as caught:
            decode(body, type=kind)
        assert str(caught.value) == (witness.first or witness.error)
    else:
        assert rendered(decode(body, type=kind)) == witness.read


@pytest.mark.parametrize("name", sorted(CASES))
def test_directions_not_claimed_really_hold(name: str) -> None:
    case = CASES[name]
    sides = case.sides()
    if "backward" not in case.claimed:
        assert_reads_everything(sides.old, sides.new)
    if "forward" not in case.claimed:
        assert_reads_everything(sides.new, sides.old)


def test_without_hypothesis_every_direction_is_possible_and_still_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from burrow.codegen._breaking import BreakingConfig, judge

    monkeypatch.setitem(sys.modules, "hypothesis", None)  # as if it were not installed
    locks = CASES["fields:required-field-added"].locks()
    (change,) = prove(locks["old"], locks["new"], compare_locks(locks["old"], locks["new"]))
    assert (change.breaks, change.possible) == (("backward",), ("backward",))
    assert change.witnesses[0].error == "no witness searched: install burrow-mq[breaking] (hypothesis) to find one"
    assert judge([change], BreakingConfig(), old="old", new="new").breaking
