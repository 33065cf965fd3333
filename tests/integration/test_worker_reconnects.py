"""A worker whose connection the broker closes consumes again once it has reconnected."""

from __future__ import annotations

import asyncio

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from sdk import Client
from server import Context, Worker
from tests.conftest import Vhost


async def wait_for_connections(vhost: Vhost) -> None:
    # The management API lists a connection only after its next statistics refresh.
    while not await asyncio.to_thread(vhost.broker.connections, vhost.name):  # noqa: ASYNC110
        await asyncio.sleep(0.2)


async def test_the_worker_consumes_again_after_the_broker_closed_its_connection(vhost: Vhost) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await handled.put(task.path)

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(vhost.url)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with worker:
        await asyncio.wait_for(wait_for_connections(vhost), timeout=30)
        assert await asyncio.to_thread(vhost.broker.close_connections, vhost.name) == 1
        async with Client.connect(vhost.url) as client:
            await client.send(DeleteFile(path="/tmp/after-reconnect"))
            assert await asyncio.wait_for(handled.get(), timeout=60) == "/tmp/after-reconnect"
