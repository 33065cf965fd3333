"""``send_many`` streams: every task sent once, a bounded window of confirms, failures by index."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from burrow.sdk import (
    Client,
    ConfigurationError,
    Delivery,
    OutgoingMessage,
    QueueSpec,
    Service,
    Task,
    TopologySpec,
    Transport,
    Unroutable,
)
from burrow.sdk._transport import OnDelivery, ReplyListener, Subscription
from burrow.server import Context

from contracts.cleanup import DeleteFile, FileInfo, StatFile, cleanup
from tests.conformance.conftest import WAIT, Stack

elsewhere = Service("send_many_elsewhere")


@elsewhere.task("note")
class Note(Task, frozen=True, kw_only=True):
    """A task of a service whose queue the tests below never bind."""

    text: str


class Watched(Transport):
    """A transport that counts the publishes waiting for their confirm, around a real one."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.in_flight = 0
        self.most_in_flight = 0
        self.started = 0
        self.confirmed = 0
        self.bodies: Counter[bytes] = Counter()

    async def publish(self, message: OutgoingMessage) -> None:
        self.started += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await self.inner.publish(message)
        finally:
            self.in_flight -= 1
        self.confirmed += 1
        self.bodies[message.body] += 1

    async def open(self) -> None:
        await self.inner.open()

    async def close(self) -> None:
        await self.inner.close()

    async def declare(self, topology: TopologySpec) -> None:
        await self.inner.declare(topology)

    async def consume(
        self, queue: QueueSpec, on_delivery: OnDelivery, *, prefetch: int, topology: TopologySpec | None = None
    ) -> Subscription:
        return await self.inner.consume(queue, on_delivery, prefetch=prefetch, topology=topology)

    async def get(self, queue: str) -> Delivery | None:
        return await self.inner.get(queue)

    async def purge(self, queue: str) -> int:
        return await self.inner.purge(queue)

    async def open_replies(self, listener: ReplyListener) -> str:
        return await self.inner.open_replies(listener)


async def test_a_streamed_send_many_sends_every_task_once_with_a_bounded_window(stack: Stack) -> None:
    # 50,000 through the in-memory broker; on RabbitMQ 10,000 show the same window for a fifth of the time.
    count, window = (50_000 if stack.memory is not None else 10_000), 100
    transport = Watched(stack.transport())
    taken = 0
    ahead: list[int] = []  # tasks taken from the stream but not yet confirmed, at each take
    taken_at_first_publish: list[int] = []

    def tasks() -> Iterator[DeleteFile]:
        nonlocal taken
        for n in range(count):
            ahead.append(taken - transport.confirmed)
            taken += 1
            yield DeleteFile(path=str(n))
            if transport.started and not taken_at_first_publish:
                taken_at_first_publish.append(taken)

    async with Client(transport) as client:
        await client.send_many(tasks(), window=window)
        assert transport.in_flight == 0
        assert window // 2 < transport.most_in_flight <= window  # pipelined, and never more than the window
        assert max(ahead) <= window  # the stream is read as the window frees up: never held whole
        assert taken_at_first_publish == [1]  # the first task was on its way before the second was taken
        assert transport.bodies == Counter({f'{{"path":"{n}"}}'.encode(): 1 for n in range(count)})
        assert await transport.purge("cleanup") == count


async def test_send_many_reads_an_async_iterable_and_delivers_every_delayed_task_none_early(stack: Stack) -> None:
    count, delay = 200, 1.0
    handled: dict[str, float] = {}
    done = asyncio.Event()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        handled[task.path] = time.monotonic()
        if len(handled) == count:
            done.set()

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    async def tasks() -> AsyncIterator[DeleteFile]:
        for n in range(count):
            if n % 50 == 0:
                await asyncio.sleep(0.01)  # a stream that awaits between tasks
            yield DeleteFile(path=str(n))

    worker = stack.worker(concurrency=64)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with stack.client() as client, worker:
        sent = time.monotonic()
        await client.send_many(tasks(), delay=delay, window=32)
        await asyncio.wait_for(done.wait(), WAIT)
    assert sorted(handled, key=int) == [str(n) for n in range(count)]
    early = [path for path, at in handled.items() if at - sent < delay]
    assert early == []


async def test_failures_part_way_through_report_exactly_their_indices(stack: Stack) -> None:
    failing = {3, 17, 18, 41}
    async with stack.client(declare=False) as client:
        admin = stack.transport()
        await admin.open()
        try:
            await admin.declare(client.topology.service(cleanup))
        finally:
            await admin.close()
        stream = (Note(text=str(n)) if n in failing else DeleteFile(path=str(n)) for n in range(50))
        with pytest.raises(ExceptionGroup) as caught:
            await client.send_many(stream, window=8)
    assert str(caught.value) == "4 of 50 tasks were not sent (4 sub-exceptions)"
    errors = caught.value.exceptions
    assert all(isinstance(error, Unroutable) for error in errors)
    assert sorted(error.__notes__[-1] for error in errors) == sorted(f"task #{n}" for n in failing)
    stored = [message.body for message in await stack.take_all("cleanup")]
    assert stored == [f'{{"path":"{n}"}}'.encode() for n in range(50) if n not in failing]


async def test_an_error_raised_by_the_stream_comes_out_after_the_tasks_before_it_are_sent(stack: Stack) -> None:
    def tasks() -> Iterator[DeleteFile]:
        yield from (DeleteFile(path=str(n)) for n in range(10))
        raise LookupError("the source ran dry")

    async with stack.client() as client:
        with pytest.raises(LookupError, match="the source ran dry"):
            await client.send_many(tasks(), window=4)
    stored = [message.body for message in await stack.take_all("cleanup")]
    assert stored == [f'{{"path":"{n}"}}'.encode() for n in range(10)]


async def test_a_stream_that_raises_after_failed_sends_reports_both(stack: Stack) -> None:
    def tasks() -> Iterator[DeleteFile | Note]:
        yield DeleteFile(path="0")
        yield Note(text="1")  # its service's queue was never declared: unroutable
        yield DeleteFile(path="2")
        raise LookupError("the source ran dry")

    async with stack.client(declare=False) as client:
        admin = stack.transport()
        await admin.open()
        try:
            await admin.declare(client.topology.service(cleanup))
        finally:
            await admin.close()
        with pytest.raises(ExceptionGroup) as caught:
            await client.send_many(tasks(), window=4)
    unroutable, stream_error = caught.value.exceptions
    assert isinstance(unroutable, Unroutable)
    assert unroutable.__notes__[-1] == "task #1"
    assert isinstance(stream_error, LookupError)
    stored = [message.body for message in await stack.take_all("cleanup")]
    assert stored == [b'{"path":"0"}', b'{"path":"2"}']


@pytest.mark.parametrize("window", [0, -1, 1.5, True])
async def test_a_wrong_window_or_delay_is_refused_before_anything_is_sent(stack: Stack, window: object) -> None:
    async with stack.client() as client:
        with pytest.raises(ConfigurationError, match="window must be a positive number of sends"):
            await client.send_many([DeleteFile(path="/tmp/a")], window=window)  # type: ignore[arg-type]
        with pytest.raises(ConfigurationError, match="pass delay= or at=, not both"):
            await client.send_many([DeleteFile(path="/tmp/a")], delay=1, at=datetime.now(UTC))
        await client.send(DeleteFile(path="/tmp/ok"))
    assert [message.body for message in await stack.take_all("cleanup")] == [b'{"path":"/tmp/ok"}']
