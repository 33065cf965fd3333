"""Message ids: the protocol's 32 hex digits, never repeated, not even by a forked child."""

from __future__ import annotations

import multiprocessing
import re

from burrow.sdk._ids import new_message_id


def _child_id(queue: multiprocessing.Queue[str]) -> None:
    queue.put(new_message_id())


def test_ids_are_32_hex_digits_and_unique() -> None:
    ids = [new_message_id() for _ in range(10_000)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[str] = context.Queue()
    child = context.Process(target=_child_id, args=(queue,))
    child.start()
    from_child = queue.get(timeout=30)
    child.join(timeout=30)
    from_parent = new_message_id()
    assert from_child[:16] != from_parent[:16]
