"""Cancellation is contained: one sender's, or a handler's own, never spreads or loops."""

from __future__ import annotations

import asyncio

from burrow.sdk import Client, MemoryBroker, MemoryTransport, TopologySpec
from burrow.server import Context, Worker
from burrow.testing import burrow_harness

from contracts.cleanup import DeleteFile, FileInfo, StatFile, cleanup


class SlowDeclaringTransport(MemoryTransport):
    """An in-memory connection whose declarations wait until the test lets them through."""

    def __init__(self, broker: MemoryBroker) -> None:
        super().__init__(broker)
        self.release = asyncio.Event()

    async def declare(self, topology: TopologySpec) -> None:
        await self.release.wait()
        await super().declare(topology)


async def test_cancelling_one_send_does_not_cancel_another_waiting_for_the_same_declaration() -> None:
    broker = MemoryBroker()
    transport = SlowDeclaringTransport(broker)
    async with Client(transport) as client:
        first = asyncio.create_task(client.send(DeleteFile(path="a")))
        second = asyncio.create_task(client.send(DeleteFile(path="b")))
        await asyncio.sleep(0)  # both are now waiting for the declaration
        first.cancel()
        transport.release.set()
        await second
    assert first.cancelled()
    assert [message.body for message in broker.messages("cleanup")] == [b'{"path":"b"}']


async def test_a_handler_that_lets_its_own_cancellation_escape_is_dead_lettered_not_requeued() -> None:
    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        raise asyncio.CancelledError  # e.g. it awaited a task that someone else cancelled

    async def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    def bind(worker: Worker) -> None:
        worker.bind(DeleteFile, delete_file)
        worker.bind(StatFile, stat_file)

    async with burrow_harness(bind) as h:
        await h.client.send(DeleteFile(path="x"))
        await h.drain()
        dead = h.dead_letters(cleanup)
    assert [message.headers["x-burrow-error-type"] for message in dead] == ["HandlerCancelled"]
    assert dead[0].headers["x-burrow-error-message"] == "cleanup.delete_file handler was cancelled from inside"
