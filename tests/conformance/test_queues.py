"""A worker may serve some queues of a service, with a concurrency of its own per queue."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from burrow.sdk import ConfigurationError
from burrow.server import Context, Worker

from tests.conformance._orders import Place, Report
from tests.conformance.conftest import WAIT, Stack


class Recorder:
    """Handlers that record what they handled, and how many ran at once per queue at most."""

    def __init__(self, *, held: bool = False) -> None:
        self.handled: list[tuple[str, int]] = []
        self.running: Counter[str] = Counter()
        self.most: Counter[str] = Counter()
        self.release = asyncio.Event()
        if not held:
            self.release.set()
        self.changed = asyncio.Condition()

    async def _handle(self, queue: str, id: int) -> None:
        async with self.changed:
            self.running[queue] += 1
            self.most[queue] = max(self.most[queue], self.running[queue])
            self.changed.notify_all()
        await self.release.wait()
        async with self.changed:
            self.running[queue] -= 1
            self.handled.append((queue, id))
            self.changed.notify_all()

    async def place(self, task: Place, ctx: Context) -> None:
        await self._handle("orders", task.id)

    async def report(self, task: Report, ctx: Context) -> None:
        await self._handle("orders.reports", task.id)

    async def until(self, check: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT), self.changed:
            await self.changed.wait_for(check)


async def send(stack: Stack, places: int, reports: int) -> None:
    async with stack.client() as client:
        await client.send_many([*(Place(id=i) for i in range(places)), *(Report(id=i) for i in range(reports))])


async def test_a_worker_serving_one_queue_handles_only_that_queues_contracts(stack: Stack) -> None:
    await send(stack, places=3, reports=4)
    recorder = Recorder()
    reports = Worker(transport=stack.transport(), queues=["orders.reports"])
    reports.bind(Report, recorder.report)  # place is served elsewhere: it needs no handler here
    async with reports:
        await recorder.until(lambda: len(recorder.handled) == 4)
    assert sorted(recorder.handled) == [("orders.reports", i) for i in range(4)]
    assert await stack.count("orders") == 3  # waiting for the deployment that serves it
    assert await stack.count("orders.dead") == 0

    orders = Worker(transport=stack.transport(), queues=["orders"])
    orders.bind(Place, recorder.place)
    async with orders:
        await recorder.until(lambda: len(recorder.handled) == 7)
    assert sorted(recorder.handled[4:]) == [("orders", i) for i in range(3)]
    assert await stack.count("orders.reports") == 0


async def test_each_queue_runs_at_most_its_own_concurrency(stack: Stack) -> None:
    await send(stack, places=8, reports=8)
    recorder = Recorder(held=True)
    worker = Worker(transport=stack.transport(), concurrency={"orders": 3, "orders.reports": 1})
    worker.bind(Place, recorder.place)
    worker.bind(Report, recorder.report)
    async with worker:
        await recorder.until(lambda: recorder.running == Counter(orders=3, **{"orders.reports": 1}))
        # The rest is still in the broker's hands: each consumer's prefetch is its queue's concurrency.
        assert await stack.count("orders") == 5
        assert await stack.count("orders.reports") == 7
        recorder.release.set()
        await recorder.until(lambda: len(recorder.handled) == 16)
    assert recorder.most == Counter(orders=3, **{"orders.reports": 1})


async def test_sync_handlers_get_a_thread_for_every_message_their_queues_may_run(stack: Stack) -> None:
    # Five handlers can only meet at the barrier if the pool has a thread for each:
    # 3 for orders and 2 for orders.reports.
    barrier = threading.Barrier(5, timeout=WAIT)
    handled: asyncio.Queue[str] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def place(task: Place, ctx: Context) -> None:
        barrier.wait()  # raises BrokenBarrierError, failing the handler, if the five never meet
        loop.call_soon_threadsafe(handled.put_nowait, f"place {task.id}")

    def report(task: Report, ctx: Context) -> None:
        barrier.wait()
        loop.call_soon_threadsafe(handled.put_nowait, f"report {task.id}")

    await send(stack, places=3, reports=2)
    worker = Worker(transport=stack.transport(), concurrency={"orders": 3, "orders.reports": 2})
    worker.bind(Place, place)
    worker.bind(Report, report)
    async with worker:
        done = [await asyncio.wait_for(handled.get(), 2 * WAIT) for _ in range(5)]
    assert sorted(done) == ["place 0", "place 1", "place 2", "report 0", "report 1"]
    assert await stack.count("orders.dead") == 0


async def test_a_served_queue_needs_a_handler_for_each_of_its_contracts(stack: Stack) -> None:
    worker = Worker(transport=stack.transport(), queues=["orders"])
    worker.bind(Report, Recorder().report)
    with pytest.raises(ConfigurationError) as caught:
        await worker.start()
    assert str(caught.value) == (
        "the worker serves these services but binds no handler for: orders.place "
        "(their messages would only reach the dead-letter queue)"
    )
