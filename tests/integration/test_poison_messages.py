"""A message whose handling keeps ending without a settlement is dead-lettered after a bounded number of deliveries."""

from __future__ import annotations

import asyncio

import pytest
from burrow.sdk import Client, Topology
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from tests.conftest import Vhost
from tests.integration._raw import WAIT, message_count, next_message


@pytest.mark.parametrize("queue_type", ["classic", "quorum"])
async def test_a_message_that_loses_the_worker_its_connection_is_dead_lettered_after_max_deliveries(
    vhost: Vhost, queue_type: str
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

    topology = Topology(queue_type="quorum" if queue_type == "quorum" else "classic")
    worker = Worker(vhost.url, topology=topology, max_deliveries=3, grace_period=0.5)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with Client.connect(vhost.url, topology=topology) as client, worker:
        await client.send(DeleteFile(path="/tmp/poison"))
        for _ in range(3):
            assert await asyncio.wait_for(started.get(), WAIT) == "/tmp/poison"
            # The broker drops the worker's connection: the unsettled delivery goes back to the queue.
            async with asyncio.timeout(WAIT):
                while not await asyncio.to_thread(vhost.broker.close_connections, vhost.name):  # noqa: ASYNC110
                    await asyncio.sleep(0.1)
        dead = await next_message(vhost.url, "cleanup.dead")
        await client.send(DeleteFile(path="/tmp/next"))
        assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/next"
    assert started.get_nowait() == "/tmp/next"  # the poison message did not start a fourth time
    assert dead.headers["x-burrow-dead-reason"] == "redelivered"
    assert "delivered 4 times without being settled" in str(dead.headers["x-burrow-error-message"])
    assert await message_count(vhost.url, "cleanup") == 0
