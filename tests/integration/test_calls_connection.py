"""Calls when the connection drops: this needs a real broker (the rest is in tests/conformance)."""

from __future__ import annotations

import asyncio
import time

from burrow.sdk import ConnectionLost
from burrow.server import Context

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from tests.conformance.conftest import WAIT, Stack
from tests.conftest import Vhost


async def delete_file(task: DeleteFile, ctx: Context) -> None:
    return None


async def test_a_dropped_connection_fails_pending_calls_at_once_and_later_calls_work(vhost: Vhost) -> None:
    # Reconnect quickly: aio-pika waits 5 s between attempts by default.
    stack = Stack(vhost.url + "?reconnect_interval=0.5")
    release = asyncio.Event()
    entered: asyncio.Queue[str] = asyncio.Queue()

    async def held(task: StatFile, ctx: Context) -> FileInfo:
        await entered.put(task.path)
        await release.wait()
        return FileInfo(path=task.path, size=len(task.path), modified_at=1.5)

    worker = stack.worker()
    worker.bind(StatFile, held)
    worker.bind(DeleteFile, delete_file)
    async with stack.client() as client, worker:
        calls = [asyncio.create_task(client.call(StatFile(path=f"{n}.png"), timeout=WAIT)) for n in range(5)]
        for _ in calls:
            await asyncio.wait_for(entered.get(), WAIT)
        await _wait_for_connections(vhost, 2)  # the management API lists them with a delay

        assert await asyncio.to_thread(vhost.broker.close_connections, vhost.name) == 2
        outcomes = await asyncio.gather(*calls, return_exceptions=True)

        # ConnectionLost, not CallTimeout: they failed when the connection dropped, not after their timeout.
        assert all(isinstance(outcome, ConnectionLost) for outcome in outcomes), outcomes
        assert "the connection to the broker dropped before the reply came" in str(outcomes[0])
        release.set()
        # Waits for the client to reconnect and its reply queue to come back.
        assert await client.call(StatFile(path="after.png"), timeout=WAIT) == FileInfo(
            path="after.png", size=9, modified_at=1.5
        )


async def _wait_for_connections(vhost: Vhost, count: int) -> None:
    deadline = time.monotonic() + WAIT
    while len(await asyncio.to_thread(vhost.broker.connections, vhost.name)) < count:
        assert time.monotonic() < deadline, f"the management API never listed {count} connections"
        await asyncio.sleep(0.2)
