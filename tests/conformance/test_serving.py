"""Work waits for a worker, and a graceful stop returns unstarted work to its queue."""

from __future__ import annotations

import asyncio
import json
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


async def test_tasks_finishing_out_of_order_some_failing_are_each_settled_once(stack: Stack) -> None:
    # Handlers finish in another order than their deliveries arrived, and some fail into
    # the dead-letter queue. On RabbitMQ the worker acks a run of finished deliveries with
    # one multiple ack: one that passed a delivery still running, or a dead-lettered one,
    # would close the channel or settle a message twice, and show here as a redelivery.
    count = 300
    failing = {index for index in range(count) if index % 9 == 0}
    handled: list[int] = []
    redelivered: list[int] = []
    done = asyncio.Event()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        index = int(task.path)
        if ctx.redelivered:
            redelivered.append(index)
        await asyncio.sleep(index * 7 % 11 / 1000)  # 0 to 10 ms, in an order unlike arrival
        handled.append(index)
        if len(handled) == count:
            done.set()
        if index in failing:
            raise RuntimeError("doomed")

    async with stack.client() as client, cleanup_worker(stack, delete_file, concurrency=64):
        await client.send_many(DeleteFile(path=str(index)) for index in range(count))
        await asyncio.wait_for(done.wait(), WAIT)
    # The worker has stopped: whatever it left unsettled would be back on the queue.
    assert handled != sorted(handled)  # they did finish out of order
    assert sorted(handled) == list(range(count))  # each once
    assert redelivered == []
    dead = await stack.take_all("cleanup.dead")
    assert sorted(int(json.loads(message.body)["path"]) for message in dead) == sorted(failing)
    assert await stack.take_all("cleanup") == []
