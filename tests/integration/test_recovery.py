"""Client and worker reconnect on their own when the broker drops their connections."""

from __future__ import annotations

import asyncio

import pytest

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from sdk import Client, ConnectionLost
from server import Context, Worker
from tests.conftest import Vhost
from tests.integration._raw import WAIT


async def close_connections(vhost: Vhost, expected: int) -> None:
    closed = 0
    async with asyncio.timeout(WAIT):
        while closed < expected:  # the management API lists a connection a moment after it opens
            closed += await asyncio.to_thread(vhost.broker.close_connections, vhost.name)
            await asyncio.sleep(0.2)


async def test_client_and_worker_carry_on_after_the_broker_drops_their_connections(vhost: Vhost) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await handled.put(task.path)

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(vhost.url)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with Client.connect(vhost.url) as client, worker:
        await client.send(DeleteFile(path="/tmp/before"))
        assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/before"

        await close_connections(vhost, expected=2)
        for _ in range(int(WAIT / 0.5)):
            try:  # during the outage a send may fail, but only with ConnectionLost
                await client.send(DeleteFile(path="/tmp/after"))
                break
            except ConnectionLost:
                await asyncio.sleep(0.5)
        else:
            pytest.fail("the client did not reconnect")
        assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/after"
