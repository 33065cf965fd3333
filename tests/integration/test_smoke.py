from __future__ import annotations

import asyncio

from burrow.sdk import Client

from contracts.cleanup import DeleteFile
from tests.integration._workers import cleanup_worker, recording


async def test_a_sent_task_is_handled(amqp_url: str) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()
    worker = cleanup_worker(amqp_url, recording(handled))
    async with Client.connect(amqp_url) as client, worker:
        await client.send(DeleteFile(path="/tmp/a"))
        assert await asyncio.wait_for(handled.get(), 10) == "/tmp/a"
