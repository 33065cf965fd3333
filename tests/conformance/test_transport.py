"""The transport seam itself: what a program reaching the broker directly observes."""

from __future__ import annotations

import asyncio

import pytest
from burrow.sdk import QueueSpec, TopologyError, TopologySpec

from tests.conformance.conftest import WAIT, Stack, raw


async def test_a_message_past_its_queue_ttl_is_dead_lettered_where_the_queue_says(stack: Stack) -> None:
    holding = QueueSpec(
        "holding",
        arguments={"x-message-ttl": 100, "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "target"},
    )
    admin = stack.transport()
    await admin.open()
    try:
        await admin.declare(TopologySpec(queues=(holding, QueueSpec("target"))))
        await admin.publish(raw("holding", b"late", type="t.t"))
    finally:
        await admin.close()
    arrived = await stack.next_message("target")
    assert (arrived.body, arrived.type, arrived.message_id) == (b"late", "t.t", "raw-1")
    assert arrived.headers["x-first-death-reason"] == "expired"
    assert arrived.headers["x-first-death-queue"] == "holding"
    (death,) = arrived.headers["x-death"]
    assert {key: death[key] for key in ("count", "reason", "queue", "exchange", "routing-keys")} == {
        "count": 1,
        "reason": "expired",
        "queue": "holding",
        "exchange": "",
        "routing-keys": ["holding"],
    }
    assert await stack.count("holding") == 0


async def test_an_expired_message_is_never_delivered(stack: Stack) -> None:
    admin = stack.transport()
    await admin.open()
    try:
        await admin.declare(TopologySpec(queues=(QueueSpec("q"),)))
        await admin.publish(raw("q", b"stale", type="t.t", expiration=50))
        await admin.publish(raw("q", b"fresh", type="t.t"))
        await asyncio.sleep(0.2)
    finally:
        await admin.close()
    assert [message.body for message in await stack.take_all("q")] == [b"fresh"]


async def test_a_rejected_message_goes_to_the_queues_dead_letter_exchange(stack: Stack) -> None:
    spec = QueueSpec("q", arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "parked"})
    admin = stack.transport()
    await admin.open()
    try:
        await admin.declare(TopologySpec(queues=(spec, QueueSpec("parked"))))
        await admin.publish(raw("q", b"no", type="t.t"))
        delivery = await admin.get("q")
        assert delivery is not None
        await delivery.reject(requeue=False)
    finally:
        await admin.close()
    arrived = await asyncio.wait_for(stack.next_message("parked"), WAIT)
    assert arrived.body == b"no"
    assert arrived.headers["x-first-death-reason"] == "rejected"
    assert arrived.redelivered is False


async def test_reading_a_missing_queue_is_a_topology_error(stack: Stack) -> None:
    admin = stack.transport()
    await admin.open()
    try:
        with pytest.raises(TopologyError):
            await admin.get("nowhere")
    finally:
        await admin.close()


async def test_purge_empties_a_queue_and_counts(stack: Stack) -> None:
    admin = stack.transport()
    await admin.open()
    try:
        await admin.declare(TopologySpec(queues=(QueueSpec("q"),)))
        for n in range(3):
            await admin.publish(raw("q", b"%d" % n, type="t.t"))
        assert await admin.purge("q") == 3
        assert await admin.get("q") is None
    finally:
        await admin.close()
