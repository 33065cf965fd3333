"""A message whose handling keeps ending without a settlement is dead-lettered after the delivery limit."""

from __future__ import annotations

import asyncio

import pytest
from burrow.sdk import Client, Topology
from burrow.sdk._transport import QueueType
from burrow.server import Context, DeadLetters, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile, cleanup
from tests.conftest import Vhost
from tests.integration._raw import WAIT, message_count


@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
async def test_a_message_that_loses_the_worker_its_connection_is_dead_lettered_after_the_delivery_limit(
    vhost: Vhost, queue_type: QueueType
) -> None:
    started: asyncio.Queue[str] = asyncio.Queue()
    handled: asyncio.Queue[str] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await started.put(task.path)
        if task.path == "/tmp/poison":
            await asyncio.Event().wait()  # as if it hung the worker, which then loses its connection
        await handled.put(task.path)

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    # On a quorum queue RabbitMQ counts and moves it; on a classic one the worker does.
    topology = Topology(queue_type=queue_type, delivery_limit=2)
    worker = Worker(vhost.url, topology=topology, grace_period=0.5)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with Client.connect(vhost.url, topology=topology) as client, worker:
        await client.send(DeleteFile(path="/tmp/poison"))
        for _ in range(3):  # the first delivery and two returns
            assert await asyncio.wait_for(started.get(), WAIT) == "/tmp/poison"
            # The broker drops the worker's connection: the unsettled delivery goes back to the queue.
            async with asyncio.timeout(WAIT):
                while not await asyncio.to_thread(vhost.broker.close_connections, vhost.name):  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
        async with DeadLetters.connect(vhost.url, cleanup, topology=topology) as dead:
            async with asyncio.timeout(WAIT):
                while not (letters := await dead.list()):  # noqa: ASYNC110 - polling the broker
                    await asyncio.sleep(0.1)
        await client.send(DeleteFile(path="/tmp/next"))
        assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/next"
    assert started.get_nowait() == "/tmp/next"  # the poison message did not start a fourth time
    (letter,) = letters
    assert (letter.reason, letter.error_type, letter.message) == (
        "delivery-limit",
        "DeliveryLimit",
        DeleteFile(path="/tmp/poison"),
    )
    if queue_type == "classic":
        assert letter.error_message == (
            "came back unsettled 3 times, more than the delivery limit of 2: "
            "its worker died, hung or lost its connection while handling it"
        )
    else:
        assert letter.error_message == (
            "came back unsettled more times than the delivery limit of queue 'cleanup' allows: "
            "its worker died, hung or lost its connection while handling it; RabbitMQ dead-lettered it"
        )
    assert letter.failed_at is not None
    assert await message_count(vhost.url, "cleanup") == 0
