"""Property: for random pairs of versions of a Struct, the checker's verdict per direction
(refused, read with another meaning, or read alike) is what encoding with one version and
decoding with the other observes, in JSON and MessagePack.

The pairs are drawn once (seeded, derandomized) and each is judged on generated samples
plus the checker's own witnesses replayed through an independent reader model.
``BURROW_VERSION_PAIRS`` raises the number of pairs for a longer local run.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from burrow.codegen._breaking import Change, compare_locks, prove
from hypothesis import HealthCheck, given, settings

from tests.breaking._probe import messages
from tests.breaking._versions import Version, versions
from tests.breaking._wire import CODECS, Message, Side, Unreadable, same_meaning

PAIRS = int(os.environ.get("BURROW_VERSION_PAIRS", "60"))
SAMPLES = 40


def _pairs(count: int) -> list[tuple[Version, Version]]:
    drawn: list[tuple[Version, Version]] = []

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(versions())
    def collect(pair: tuple[Version, Version]) -> None:
        drawn.append(pair)

    collect()
    return drawn


def _claimed(changes: list[Change], direction: str) -> str:
    if any(direction in c.breaks for c in changes):
        return "refused"
    if any(direction in c.meaning for c in changes):
        return "meaning"
    return "alike"


def _observed(writer: Side, reader: Side, extra: list[Message]) -> str:
    worst = "alike"
    for message in [*messages(writer, reader, SAMPLES), *extra]:
        for codec in CODECS:
            try:
                value = reader.read(message, codec)
            except Unreadable:
                return "refused"
            if not same_meaning(message.value, value):
                worst = "meaning"
    return worst


def _replayed(change: Change, direction: str, writer: Side) -> list[Message]:
    """The checker's whole-message witnesses, as the writer's messages (independently re-read)."""
    found = []
    for witness in change.witnesses:
        if witness.direction != direction or witness.field or not witness.codec or witness.direction in change.possible:
            continue
        value: Any = writer.decode_request("send", witness.message, witness.codec)
        found.append(writer.request_value("send", value))
    return found


def test_the_checker_agrees_with_the_wire_on_random_version_pairs() -> None:
    disagreements = []
    for old, new in _pairs(PAIRS):
        try:
            locks = old.lock(), new.lock()
        except Exception as exc:
            pytest.fail(f"{old.show()} or {new.show()} cannot be locked: {exc}")
        changes = prove(locks[0], locks[1], compare_locks(*locks), examples=100)
        sides = Side(locks[0], "old"), Side(locks[1], "new")
        for direction, (writer, reader) in (("backward", sides), ("forward", sides[::-1])):
            extra = [m for c in changes for m in _replayed(c, direction, writer)]
            claimed, observed = _claimed(changes, direction), _observed(writer, reader, extra)
            if claimed != observed:
                found = [(c.rule, c.path, c.breaks, c.meaning, c.possible) for c in changes]
                disagreements.append(f"{old.show()} -> {new.show()}: {direction} {claimed=} {observed=} {found}")
    assert disagreements == [], "\n".join(disagreements)
