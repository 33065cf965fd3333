"""Worker configuration and lifecycle, without a broker."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable

import pytest
from burrow.sdk import (
    BrokerUnreachable,
    Client,
    ClientStateError,
    ConfigurationError,
    Handling,
    Hook,
    MemoryBroker,
    Outcome,
    OutgoingMessage,
    QueueSpec,
    RetryPolicy,
    TopologySpec,
)
from burrow.server import Context, Worker, WorkerState
from burrow.server._dispatch import Dispatcher

from contracts.cleanup import DeleteFile, FileInfo, StatFile


async def delete_file(task: DeleteFile, ctx: Context) -> None:
    pass


def stat_file(task: StatFile, ctx: Context) -> FileInfo:
    return FileInfo(path=task.path, size=0, modified_at=0.0)


def test_a_contract_is_bound_once() -> None:
    worker = Worker(transport=MemoryBroker().transport())
    worker.bind(DeleteFile, delete_file)
    with pytest.raises(ConfigurationError, match=r"^cleanup\.delete_file is already bound to <function delete_file"):
        worker.bind(DeleteFile, delete_file)


def test_a_handler_must_be_callable() -> None:
    worker = Worker(transport=MemoryBroker().transport())
    with pytest.raises(ConfigurationError) as caught:
        worker.bind(DeleteFile, "delete_file")  # type: ignore[arg-type]
    assert str(caught.value) == "the handler for cleanup.delete_file is not callable: 'delete_file'"


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Worker(concurrency=0)
    assert str(caught.value) == "concurrency must be at least 1, got 0"


async def test_a_worker_with_no_handlers_does_not_start() -> None:
    worker = Worker(transport=MemoryBroker().transport())
    with pytest.raises(ConfigurationError) as caught:
        await worker.start()
    assert str(caught.value) == "the worker has no handlers: bind at least one contract"


async def test_handlers_are_bound_before_the_worker_starts() -> None:
    worker = Worker(transport=MemoryBroker().transport())
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with worker:
        states = [worker.state]
        with pytest.raises(ClientStateError, match="bind handlers before the worker starts"):
            worker.bind(DeleteFile, delete_file)
    states.append(worker.state)
    assert states == [WorkerState.RUNNING, WorkerState.STOPPED]


async def test_a_worker_that_cannot_connect_ends_stopped() -> None:
    worker = Worker("amqp://guest:guest@127.0.0.1:1/")  # nothing listens on port 1
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    with pytest.raises(BrokerUnreachable) as caught:
        await worker.start()
    assert str(caught.value) == "cannot reach RabbitMQ at amqp://guest:***@127.0.0.1:1/: Connection refused"
    assert worker.state is WorkerState.STOPPED


async def test_a_stop_requested_before_run_stops_it_once_started() -> None:
    worker = Worker(transport=MemoryBroker().transport())
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    worker.request_stop()  # e.g. SIGTERM while the process was still importing
    await asyncio.wait_for(worker.run(), timeout=5)
    assert worker.state is WorkerState.STOPPED


def test_a_call_cannot_be_bound_with_a_retry_policy() -> None:
    async def stat(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(transport=MemoryBroker().transport())
    with pytest.raises(ConfigurationError) as raised:
        worker.bind(StatFile, stat, retry=RetryPolicy(attempts=3))
    assert str(raised.value) == (
        "cleanup.stat_file is a call: calls are not retried (the caller gets the failure and decides)"
    )


async def test_at_debug_each_handled_message_is_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    async def refuse(task: DeleteFile, ctx: Context) -> None:
        if task.path == "locked":
            raise PermissionError(task.path)

    broker = MemoryBroker()
    worker = Worker(transport=broker.transport())
    worker.bind(DeleteFile, refuse)
    worker.bind(StatFile, stat_file)
    caplog.set_level(logging.DEBUG, logger="burrow.worker")
    async with Client(broker.transport()) as client, worker:
        await client.send(DeleteFile(path="free"))
        await client.send(DeleteFile(path="locked"))
        await broker.drain()
    sent = [message.message_id for message in broker.published if message.type == "cleanup.delete_file"]
    records = [record for record in caplog.records if record.levelno == logging.DEBUG and hasattr(record, "outcome")]
    handled = [record.getMessage() for record in records]
    assert [re.sub(r" in \d+\.\d ms$", "", line) for line in handled] == [
        f"cleanup.delete_file message {sent[0]} attempt 1: ok",
        f"cleanup.delete_file message {sent[1]} attempt 1: dead-lettered",
    ]
    assert [getattr(record, "dead_reason", None) for record in records] == [None, "handler-failed"]
    assert all(re.search(r" in \d+\.\d ms$", line) for line in handled)


async def test_a_message_arriving_while_the_worker_stops_goes_back_and_reaches_the_hooks() -> None:
    seen: list[Handling] = []

    class Seen(Hook):
        async def around_handle(self, message: Handling, proceed: Callable[[], Awaitable[None]]) -> None:
            await proceed()
            seen.append(message)

    transport = MemoryBroker().transport()
    await transport.open()
    await transport.declare(TopologySpec(queues=(QueueSpec("cleanup"),)))
    await transport.publish(
        OutgoingMessage(exchange="", routing_key="cleanup", body=b"{}", type="cleanup.delete_file", message_id="late")
    )
    delivery = await transport.get("cleanup")
    assert delivery is not None
    dispatcher = Dispatcher(
        transport=transport,
        bindings={},
        dead_letter_queue="cleanup.dead",
        executor=None,
        in_flight=set(),
        accepting=lambda: False,  # as once the worker is stopping
        hooks=(Seen(),),
    )
    await dispatcher(delivery)
    assert [(h.message_id, h.outcome) for h in seen] == [("late", Outcome.REQUEUED)]
    back = await transport.get("cleanup")  # untouched, back in its queue
    assert back is not None
    assert (back.message_id, back.redelivered) == ("late", True)
