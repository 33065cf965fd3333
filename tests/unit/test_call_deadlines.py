"""Where a call's deadline comes from, and how it travels (in-memory transport)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import msgspec
import pytest
from burrow.sdk import Call, Client, ConfigurationError, MemoryBroker, OutgoingMessage, Service, Topology
from burrow.sdk._wire import HEADER_DEADLINE
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile

plain = Service("plain")


@plain.call("echo")
class Echo(Call[str], frozen=True):
    """A call whose contract sets no timeout."""

    text: str


async def stat_file(task: StatFile, ctx: Context) -> FileInfo:
    return FileInfo(path=task.path, size=0, modified_at=0.0)


async def delete_file(task: DeleteFile, ctx: Context) -> None:
    return None


async def echo(request: Echo, ctx: Context) -> str:
    return request.text


def requests(broker: MemoryBroker) -> list[OutgoingMessage]:
    return [message for message in broker.published if message.reply_to is not None]


@pytest.fixture
def broker() -> MemoryBroker:
    return MemoryBroker()


@pytest.fixture
def worker(broker: MemoryBroker) -> Worker:
    worker = Worker(transport=broker.transport())
    worker.bind(StatFile, stat_file)
    worker.bind(DeleteFile, delete_file)
    worker.bind(Echo, echo)
    return worker


@pytest.mark.parametrize(
    ("request_", "timeout", "expected_ms"),
    [
        (StatFile(path="a"), 2.5, 2_500),  # the call's own
        (StatFile(path="a"), timedelta(milliseconds=1500), 1_500),
        (StatFile(path="a"), None, 10_000),  # the contract's (@cleanup.call(..., timeout=10.0))
        (Echo(text="a"), None, 7_000),  # the client's default_timeout
    ],
)
async def test_the_deadline_travels_as_expiration_and_header(
    broker: MemoryBroker,
    request_: Call[Any],
    timeout: float | timedelta | None,
    expected_ms: int,
) -> None:
    classic = Topology(queue_type="classic")
    worker = Worker(transport=broker.transport(), topology=classic)
    worker.bind(StatFile, stat_file)
    worker.bind(DeleteFile, delete_file)
    worker.bind(Echo, echo)
    async with Client(broker.transport(), default_timeout=7.0, topology=classic) as client, worker:
        before = time.time() * 1000
        await client.call(request_, timeout=timeout)
        after = time.time() * 1000

    (sent,) = requests(broker)
    assert sent.expiration is not None
    # What is left of the deadline when the request leaves: all of it, bar scheduling.
    assert expected_ms - 100 <= sent.expiration <= expected_ms
    assert before + expected_ms - 1 <= sent.headers[HEADER_DEADLINE] <= after + expected_ms
    assert sent.persistent is False
    assert sent.correlation_id == sent.message_id
    assert sent.reply_to is not None
    assert sent.reply_to.startswith("burrow.reply.")


async def test_on_quorum_queues_the_deadline_travels_as_a_header_only(broker: MemoryBroker, worker: Worker) -> None:
    # A quorum queue dead-letters what expires: expired requests would fill <service>.dead.
    async with Client(broker.transport()) as client, worker:
        before = time.time() * 1000
        await client.call(StatFile(path="a"), timeout=2.5)
        after = time.time() * 1000

    (sent,) = requests(broker)
    assert sent.expiration is None
    assert before + 2_500 - 1 <= sent.headers[HEADER_DEADLINE] <= after + 2_500


async def test_a_call_reply_carries_its_correlation_id_back(broker: MemoryBroker, worker: Worker) -> None:
    async with Client(broker.transport()) as client, worker:
        await client.call(Echo(text="hi"))

    (request,) = requests(broker)
    (reply,) = [message for message in broker.published if message.exchange == "" and message.reply_to is None]
    assert (reply.routing_key, reply.correlation_id) == (request.reply_to, request.correlation_id)
    assert reply.headers == {"x-burrow-reply": "result"}
    assert msgspec.json.decode(reply.body) == "hi"


@pytest.mark.parametrize("timeout", [0, -1.0, timedelta(0)])
async def test_a_timeout_must_be_positive(broker: MemoryBroker, timeout: float | timedelta) -> None:
    async with Client(broker.transport()) as client:
        with pytest.raises(ConfigurationError, match=r"cleanup\.stat_file: timeout must be positive"):
            await client.call(StatFile(path="a"), timeout=timeout)


def test_the_default_timeout_must_be_positive(broker: MemoryBroker) -> None:
    with pytest.raises(ConfigurationError, match="default_timeout must be positive, got 0"):
        Client(broker.transport(), default_timeout=0)


async def test_a_task_cannot_be_called(broker: MemoryBroker) -> None:
    async with Client(broker.transport()) as client:
        with pytest.raises(ConfigurationError, match=r"cleanup.delete_file is a task: use client.send\(...\)"):
            await client.call(DeleteFile(path="a"))  # type: ignore[arg-type]
