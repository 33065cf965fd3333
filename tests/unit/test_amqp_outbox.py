"""The outbox writes one loop iteration's publishes and settlements as one write, with exact multiple acks.

The channel here is aiormq's own ``Channel`` class with its connection left out:
the outbox's frames are read back with pamqp, as the broker would read them.
The behaviour against RabbitMQ itself is in the conformance and integration
tests (every delivery acked once, every publish confirmed).
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiormq.exceptions
import pamqp.frame
import pytest
from aiormq.abc import ChannelFrame
from burrow.sdk._amqp_consume import OutboxSettlement
from burrow.sdk._amqp_outbox import Outbox
from pamqp import body, commands, header

CHANNEL = 7


class _Channel:
    """What the outbox uses of an aiormq channel, with a write queue a test reads."""

    def __init__(self, queue_size: int = 0) -> None:
        self.number = CHANNEL
        self.is_closed = False
        self.delivery_tag = 0
        self.confirmations: dict[int, Any] = {}
        self.message_id_delivery_tag: dict[str, int] = {}
        self.max_content_size = 131072 - 8
        self.write_queue: asyncio.Queue[ChannelFrame] = asyncio.Queue(maxsize=queue_size)
        self.tasks: list[asyncio.Task[Any]] = []

    def create_future(self) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().create_future()

    def create_task(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.append(task)
        return task


def _frames(entry: ChannelFrame) -> list[Any]:
    """The frames of one write queue entry, as pamqp reads them."""
    payload, frames = entry.payload, []
    while payload:
        consumed, channel, frame = pamqp.frame.unmarshal(payload)
        assert channel == CHANNEL
        frames.append(frame)
        payload = payload[consumed:]
    return frames


def _settlements(entry: ChannelFrame) -> list[tuple[str, int, bool]]:
    found = []
    for frame in _frames(entry):
        assert isinstance(frame, (commands.Basic.Ack, commands.Basic.Reject))
        assert frame.delivery_tag is not None
        if isinstance(frame, commands.Basic.Ack):
            found.append(("ack", frame.delivery_tag, frame.multiple))
        else:
            found.append(("reject", frame.delivery_tag, frame.requeue))
    return found


async def _next_iteration() -> None:
    await asyncio.sleep(0)


def _written(channel: _Channel) -> list[ChannelFrame]:
    entries = []
    while not channel.write_queue.empty():
        entries.append(channel.write_queue.get_nowait())
    return entries


async def test_acks_of_one_iteration_that_run_on_from_the_oldest_delivery_are_one_multiple_ack() -> None:
    channel = _Channel()
    outbox = Outbox(channel)  # type: ignore[arg-type]
    for tag in range(1, 6):
        outbox.delivered(tag)
    written = [outbox.ack(tag) for tag in (3, 1, 2, 5, 4)]
    await _next_iteration()
    (entry,) = _written(channel)
    assert _settlements(entry) == [("ack", 5, True)]
    assert len(set(map(id, written))) == 1  # one write, one future for all five
    assert not written[0].done()  # resolved when the writer has written it
    entry.drain()
    assert written[0].done()


async def test_an_ack_behind_a_delivery_still_being_handled_names_its_own_tag() -> None:
    channel = _Channel()
    outbox = Outbox(channel)  # type: ignore[arg-type]
    for tag in range(1, 6):
        outbox.delivered(tag)
    for tag in (1, 2, 4):
        outbox.ack(tag)
    await _next_iteration()
    assert _settlements(_written(channel)[0]) == [("ack", 2, True), ("ack", 4, False)]

    outbox.ack(3)
    await _next_iteration()
    # 4 was acked already: a multiple ack up to 3 must not name it, nor be held for 5.
    assert _settlements(_written(channel)[0]) == [("ack", 3, True)]

    outbox.ack(5)
    await _next_iteration()
    assert _settlements(_written(channel)[0]) == [("ack", 5, True)]


async def test_rejects_are_written_before_a_multiple_ack_that_passes_them() -> None:
    channel = _Channel()
    outbox = Outbox(channel)  # type: ignore[arg-type]
    for tag in range(1, 5):
        outbox.delivered(tag)
    outbox.ack(1)
    outbox.reject(2, requeue=True)
    outbox.ack(3)
    outbox.reject(4, requeue=False)
    await _next_iteration()
    assert _settlements(_written(channel)[0]) == [("reject", 2, True), ("reject", 4, False), ("ack", 3, True)]


async def test_after_a_delivery_it_was_not_told_of_every_ack_names_its_own_tag() -> None:
    channel = _Channel()
    outbox = Outbox(channel)  # type: ignore[arg-type]
    outbox.delivered(1)
    outbox.delivered(3)  # 2 was delivered too, somewhere the outbox does not see
    outbox.ack(1)
    outbox.ack(3)
    await _next_iteration()
    assert _settlements(_written(channel)[0]) == [("ack", 1, False), ("ack", 3, False)]


async def test_an_explicit_multiple_ack_settles_every_earlier_delivery() -> None:
    channel = _Channel()
    outbox = Outbox(channel)  # type: ignore[arg-type]
    for tag in range(1, 5):
        outbox.delivered(tag)
    outbox.ack(3, multiple=True)
    await _next_iteration()
    assert _settlements(_written(channel)[0]) == [("ack", 3, True)]
    outbox.ack(4)
    await _next_iteration()
    assert _settlements(_written(channel)[0]) == [("ack", 4, True)]


async def test_publishes_of_one_iteration_are_one_write_with_sequence_numbers_in_order() -> None:
    channel = _Channel()
    outbox = Outbox(channel)  # type: ignore[arg-type]
    properties = commands.Basic.Properties(message_id="m-1", delivery_mode=2).marshal()
    first = outbox.publish(
        b'{"a":1}',
        exchange="orders",
        routing_key="orders.place",
        mandatory=True,
        properties=properties,
        message_id="m-1",
    )
    dropped = outbox.publish(
        b"{}", exchange="orders", routing_key="orders.place", mandatory=True, properties=properties, message_id="m-2"
    )
    dropped.cancel()  # cancelled before it was written: never sent
    third = outbox.publish(
        b"", exchange="", routing_key="replies", mandatory=False, properties=properties, message_id="m-3"
    )
    await _next_iteration()
    (entry,) = _written(channel)
    frames = _frames(entry)
    assert [type(frame) for frame in frames] == [
        commands.Basic.Publish,
        header.ContentHeader,
        body.ContentBody,
        commands.Basic.Publish,
        header.ContentHeader,  # an empty body has no body frame
    ]
    publish, content, content_body, reply, _ = frames
    assert (publish.exchange, publish.routing_key, publish.mandatory) == ("orders", "orders.place", True)
    assert (content.body_size, content.properties.message_id, content_body.value) == (7, "m-1", b'{"a":1}')
    assert (reply.exchange, reply.routing_key, reply.mandatory) == ("", "replies", False)
    assert channel.confirmations == {1: first, 2: third}
    assert channel.message_id_delivery_tag == {"m-1": 1, "m-3": 2}
    assert entry.drain_future is None  # a publish waits for its confirm, not for the write


async def test_a_body_larger_than_a_frame_is_split_as_the_broker_negotiated() -> None:
    channel = _Channel()
    channel.max_content_size = 10
    outbox = Outbox(channel)  # type: ignore[arg-type]
    outbox.publish(b"x" * 25, exchange="", routing_key="q", mandatory=True, properties=b"\x00\x00", message_id="m")
    await _next_iteration()
    frames = _frames(_written(channel)[0])
    assert [frame.value for frame in frames[2:]] == [b"x" * 10, b"x" * 10, b"x" * 5]


async def test_forget_keeps_the_entry_of_a_later_publish_of_the_same_message_id() -> None:
    channel = _Channel()
    outbox = Outbox(channel)  # type: ignore[arg-type]
    first = outbox.publish(b"1", exchange="", routing_key="q", mandatory=True, properties=b"\x00\x00", message_id="m")
    await _next_iteration()
    second = outbox.publish(b"2", exchange="", routing_key="q", mandatory=True, properties=b"\x00\x00", message_id="m")
    await _next_iteration()
    channel.confirmations.pop(1)
    first.set_result(None)
    outbox.forget("m")
    assert channel.message_id_delivery_tag == {"m": 2}
    channel.confirmations.pop(2)
    second.set_result(None)
    outbox.forget("m")
    assert channel.message_id_delivery_tag == {}


async def test_writes_wait_in_order_when_the_write_queue_is_full() -> None:
    channel = _Channel(queue_size=1)
    outbox = Outbox(channel)  # type: ignore[arg-type]
    for index in range(3):
        outbox.publish(
            b"x", exchange="", routing_key=f"q{index}", mandatory=True, properties=b"\x00\x00", message_id=f"m{index}"
        )
        await _next_iteration()  # a write per iteration: the second and third find the queue full
    keys = []
    for _ in range(3):
        entry = await asyncio.wait_for(channel.write_queue.get(), 5)
        keys.append(_frames(entry)[0].routing_key)
    assert keys == ["q0", "q1", "q2"]
    assert channel.confirmations.keys() == {1, 2, 3}


async def test_a_closed_channel_fails_what_was_not_written_and_refuses_more() -> None:
    channel = _Channel()
    outbox = Outbox(channel)  # type: ignore[arg-type]
    outbox.delivered(1)
    confirmation = outbox.publish(
        b"x", exchange="", routing_key="q", mandatory=True, properties=b"\x00\x00", message_id="m"
    )
    written = outbox.ack(1)
    channel.is_closed = True
    await _next_iteration()
    assert _written(channel) == []
    for future in (confirmation, written):
        with pytest.raises(aiormq.exceptions.ChannelInvalidStateError):
            future.result()
    with pytest.raises(aiormq.exceptions.ChannelInvalidStateError):
        outbox.ack(1)


async def test_a_cancelled_settlement_does_not_cancel_the_write_it_shares() -> None:
    channel = _Channel()
    outbox = Outbox(channel)  # type: ignore[arg-type]
    outbox.delivered(1)
    outbox.delivered(2)
    cancelled = asyncio.create_task(OutboxSettlement(outbox, 1).ack())
    waiting = asyncio.create_task(OutboxSettlement(outbox, 2).ack())
    await _next_iteration()  # both queued their ack
    await _next_iteration()  # the outbox wrote them, as one
    (entry,) = _written(channel)
    cancelled.cancel()
    await asyncio.sleep(0)
    entry.drain()  # the writer wrote it
    await asyncio.wait_for(waiting, 5)
    assert cancelled.cancelled()
    assert _settlements(entry) == [("ack", 2, True)]
