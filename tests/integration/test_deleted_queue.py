"""A queue deleted under a running worker and its clients: both recover on their own."""

from __future__ import annotations

import asyncio
import contextlib

from burrow.sdk import Client
from burrow.server import Context, Worker, WorkerState

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from tests.integration._raw import WAIT, drain, message_count, publish_raw, raw_channel
from tests.integration._workers import cleanup_worker, recording


async def consumers(url: str, queue: str) -> int:
    async with raw_channel(url) as channel:
        declared = await channel.declare_queue(queue, passive=True)
        count = declared.declaration_result.consumer_count
        assert count is not None
        return count


async def test_a_worker_consumes_again_after_its_queue_was_deleted(amqp_url: str) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()
    worker = cleanup_worker(amqp_url, recording(handled))
    async with Client.connect(amqp_url) as client, worker:
        await client.send(DeleteFile(path="/tmp/before"))
        assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/before"

        async with raw_channel(amqp_url) as channel:
            await channel.queue_delete("cleanup")

        # The worker declares the queue (and its bindings) again and consumes it;
        # the client, whose declaration went stale, declares again on Unroutable.
        async with asyncio.timeout(WAIT):
            while True:
                try:
                    if await consumers(amqp_url, "cleanup") == 1:
                        break
                except Exception:  # the queue is not there yet: the passive declare fails
                    pass
                await asyncio.sleep(0.1)
        await client.send(DeleteFile(path="/tmp/after"))
        assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/after"
        assert worker.state is WorkerState.RUNNING


async def test_a_client_declares_again_when_its_cached_declaration_went_stale(amqp_url: str) -> None:
    async with Client.connect(amqp_url) as client:
        await client.send(DeleteFile(path="/tmp/a"))
        async with raw_channel(amqp_url) as channel:
            await channel.queue_delete("cleanup")
        await client.send(DeleteFile(path="/tmp/b"))  # Unroutable before: the client thought it was declared
        await client.send_many([DeleteFile(path="/tmp/c")])
    async with raw_channel(amqp_url) as channel:
        declared = await channel.declare_queue("cleanup", passive=True)
        assert declared.declaration_result.message_count == 2


async def test_a_dead_letter_queue_deleted_under_a_worker_is_declared_again(amqp_url: str) -> None:
    def delete_file(task: DeleteFile, ctx: Context) -> None:
        raise NotImplementedError

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(amqp_url)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with worker:
        async with raw_channel(amqp_url) as channel:
            await channel.queue_delete("cleanup.dead")
        await publish_raw(amqp_url, "cleanup", b"not json", type="cleanup.delete_file")
        # The copy is refused (no such queue) once; the worker declares the queue again and the next try lands.
        async with asyncio.timeout(WAIT):
            while True:
                with contextlib.suppress(Exception):  # the passive declare fails until the queue is back
                    if await message_count(amqp_url, "cleanup.dead") == 1:
                        break
                await asyncio.sleep(0.1)
    (dead,) = await drain(amqp_url, "cleanup.dead")
    assert dead.headers["x-burrow-dead-reason"] == "undecodable"
    assert await message_count(amqp_url, "cleanup") == 0
