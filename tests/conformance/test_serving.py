"""Work waits for a worker, and a graceful stop returns unstarted work to its queue."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from tests.conformance.conftest import WAIT, Stack


def stat_file(task: StatFile, ctx: Context) -> FileInfo:
    raise NotImplementedError


def cleanup_worker(
    stack: Stack,
    delete_file: Callable[[DeleteFile, Context], Awaitable[None]],
    *,
    concurrency: int = 32,
    grace_period: float = 30.0,
) -> Worker:
    worker = stack.worker(concurrency=concurrency, grace_period=grace_period)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    return worker


async def test_a_task_sent_before_any_worker_waits_for_one(stack: Stack) -> None:
    async with stack.client() as client:
        await client.send(DeleteFile(path="/tmp/early"))
    assert await stack.count("cleanup") == 1

    handled: asyncio.Queue[str] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await handled.put(task.path)

    async with cleanup_worker(stack, delete_file):
        assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/early"
    assert await stack.count("cleanup") == 0


class Held:
    """A handler that records what started and waits for the test to let it finish."""

    def __init__(self) -> None:
        self.started: asyncio.Queue[str] = asyncio.Queue()
        self.finished: list[str] = []
        self.release = asyncio.Event()

    async def __call__(self, task: DeleteFile, ctx: Context) -> None:
        await self.started.put(task.path)
        await self.release.wait()
        self.finished.append(task.path)


async def test_a_graceful_stop_finishes_in_flight_work_and_leaves_the_rest_queued(stack: Stack) -> None:
    async with stack.client() as client:
        await client.send_many(DeleteFile(path=f"/tmp/{n}") for n in range(6))
    held = Held()
    worker = cleanup_worker(stack, held, concurrency=2)
    await worker.start()
    started = {await asyncio.wait_for(held.started.get(), WAIT) for _ in range(2)}
    stopping = asyncio.create_task(worker.stop())
    await asyncio.sleep(0)  # let stop() cancel the consumers before the handlers finish
    held.release.set()
    await asyncio.wait_for(stopping, WAIT)

    assert set(held.finished) == started
    assert held.started.empty()  # nothing else was taken
    assert await stack.count("cleanup") == 4
    assert await stack.count("cleanup.dead") == 0


async def test_work_still_running_after_the_grace_period_goes_back_to_its_queue(stack: Stack) -> None:
    async with stack.client() as client:
        await client.send_many(DeleteFile(path=f"/tmp/{n}") for n in range(6))
    held = Held()
    worker = cleanup_worker(stack, held, concurrency=2, grace_period=0.2)
    await worker.start()
    for _ in range(2):
        await asyncio.wait_for(held.started.get(), WAIT)
    await asyncio.wait_for(worker.stop(), WAIT)

    assert held.finished == []
    back = await stack.take_all("cleanup")
    assert sorted(message.body for message in back) == sorted(
        f'{{"path":"/tmp/{n}"}}'.encode() for n in range(6)
    )  # nothing lost: the started ones came back
    assert sum(message.redelivered for message in back) == 2
