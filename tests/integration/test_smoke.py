from __future__ import annotations

import asyncio

from burrow.sdk import Client
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile


async def test_a_sent_task_is_handled(amqp_url: str) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await handled.put(task.path)

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(amqp_url)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with Client.connect(amqp_url) as client, worker:
        await client.send(DeleteFile(path="/tmp/a"))
        assert await asyncio.wait_for(handled.get(), 10) == "/tmp/a"
