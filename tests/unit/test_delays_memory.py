"""Delays, retries and dead-letter tools on the in-memory broker, with a manual clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from burrow.sdk import (
    Client,
    ConfigurationError,
    ManualClock,
    MemoryBroker,
    OutgoingMessage,
    RetryPolicy,
    Service,
    Task,
    Topology,
    TopologyError,
)
from burrow.sdk._wire import HEADER_ATTEMPT
from burrow.server import Context, DeadLetters, Worker

jobs = Service("jobs")


@jobs.task("run")
class Run(Task, frozen=True, kw_only=True):
    name: str


retried = Service("retried")


@retried.task("once_more", retry=RetryPolicy(attempts=2, backoff=3, jitter=0))
class OnceMore(Task, frozen=True, kw_only=True):
    pass


class Flaky(Exception):
    pass


class Broken(Exception):
    pass


@pytest.fixture
def broker() -> MemoryBroker:
    return MemoryBroker(clock=ManualClock())


@pytest.fixture
async def client(broker: MemoryBroker) -> AsyncIterator[Client]:
    async with Client(broker.transport()) as client:
        yield client


async def settle() -> None:
    """Let the deliveries the broker just made run their handlers."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_delayed_task_waits_for_the_clock(broker: MemoryBroker, client: Client) -> None:
    handled: list[str] = []

    async def run(task: Run, ctx: Context) -> None:
        handled.append(task.name)

    worker = Worker(transport=broker.transport())
    worker.bind(Run, run)
    async with worker:
        await client.send(Run(name="later"), delay=timedelta(hours=1))
        broker.advance(3599.9)
        await settle()
        assert handled == []
        broker.advance(0.1)
        await settle()
        assert handled == ["later"]


async def test_a_short_delay_overtakes_a_long_one(broker: MemoryBroker, client: Client) -> None:
    await client.send(Run(name="sixty"), delay=60)
    await client.send(Run(name="one"), delay=1)
    broker.advance(1)
    assert [message.body for message in broker.messages("jobs")] == [b'{"name":"one"}']
    assert [message.body for message in broker.delayed()] == [b'{"name":"sixty"}']


async def test_at_is_a_moment_and_must_be_aware(broker: MemoryBroker, client: Client) -> None:
    with pytest.raises(ConfigurationError, match="no time zone"):
        await client.send(Run(name="x"), at=datetime(2030, 1, 1))
    with pytest.raises(ConfigurationError, match="not both"):
        await client.send(Run(name="x"), delay=1, at=datetime.now(UTC))
    with pytest.raises(ConfigurationError, match="between 0 and"):
        await client.send(Run(name="x"), delay=-1)
    with pytest.raises(ConfigurationError, match=r"about 8\.5 years\) away"):
        await client.send(Run(name="x"), at=datetime(2100, 1, 1, tzinfo=UTC))
    await client.send(Run(name="x"), at=datetime.now(UTC) + timedelta(days=2))
    assert len(broker.delayed()) == 1
    broker.advance(2 * 86400 + 1)
    assert len(broker.messages("jobs")) == 1


async def test_a_failing_handler_is_retried_after_its_backoff(broker: MemoryBroker, client: Client) -> None:
    attempts: list[int] = []

    async def run(task: Run, ctx: Context) -> None:
        attempts.append(ctx.attempt)
        if ctx.attempt < 3:
            raise Flaky(f"attempt {ctx.attempt}")

    worker = Worker(transport=broker.transport())
    worker.bind(Run, run, retry=RetryPolicy(attempts=5, backoff=10, multiplier=2, jitter=0))
    async with worker:
        await client.send(Run(name="x"))
        await settle()
        assert attempts == [1]
        broker.advance(9.9)
        await settle()
        assert attempts == [1]
        broker.advance(0.1)
        await settle()
        assert attempts == [1, 2]
        broker.advance(20)
        await settle()
        assert attempts == [1, 2, 3]
    assert broker.messages("jobs.dead") == []


async def test_listing_keeps_the_order_and_marks_redelivered(broker: MemoryBroker) -> None:
    async with Client(broker.transport()) as client:
        await client.send(Run(name="declare"))  # declares jobs and jobs.dead
    transport = broker.transport()
    await transport.open()
    for index in range(3):
        await transport.publish(_dead(f"m{index}"))
    async with DeadLetters(broker.transport(), "jobs") as dead:
        first = await dead.list(limit=2)
        second = await dead.list()
    assert [letter.message_id for letter in first] == ["m0", "m1"]
    assert [letter.message_id for letter in second] == ["m0", "m1", "m2"]
    assert [letter.message for letter in second] == [None, None, None]  # no contracts given: not decoded
    await transport.close()


async def test_errors_outside_retry_on_fail_at_once(broker: MemoryBroker, client: Client) -> None:
    attempts: list[int] = []

    async def run(task: Run, ctx: Context) -> None:
        attempts.append(ctx.attempt)
        raise KeyError("missing")

    worker = Worker(transport=broker.transport())
    worker.bind(Run, run, retry=RetryPolicy(attempts=3, retry_on=(Flaky,)))
    async with worker:
        await client.send(Run(name="x"))
        await settle()
    assert attempts == [1]
    (dead,) = broker.messages("jobs.dead")
    assert dead.headers[HEADER_ATTEMPT] == 1


def _dead(message_id: str) -> OutgoingMessage:
    return OutgoingMessage(
        exchange="", routing_key="jobs.dead", body=b'{"name":"x"}', type="jobs.run", message_id=message_id
    )


async def test_the_contract_declares_the_retry_policy(broker: MemoryBroker, client: Client) -> None:
    attempts: list[int] = []

    async def once_more(task: OnceMore, ctx: Context) -> None:
        attempts.append(ctx.attempt)
        raise Flaky("again")

    worker = Worker(transport=broker.transport())
    worker.bind(OnceMore, once_more)
    async with worker:
        await client.send(OnceMore())
        await settle()
        broker.advance(3)
        await settle()
    assert attempts == [1, 2]
    assert len(broker.messages("retried.dead")) == 1


async def test_without_a_manual_clock_delays_run_in_real_time() -> None:
    broker = MemoryBroker()
    handled: asyncio.Queue[str] = asyncio.Queue()

    async def run(task: Run, ctx: Context) -> None:
        await handled.put(task.name)

    worker = Worker(transport=broker.transport())
    worker.bind(Run, run)
    async with Client(broker.transport()) as client, worker:
        await client.send(Run(name="soon"), delay=0.05)
        assert [message.body for message in broker.delayed()] == [b'{"name":"soon"}']
        assert await asyncio.wait_for(handled.get(), 5) == "soon"
        assert broker.delayed() == []
    with pytest.raises(ConfigurationError, match="ManualClock"):
        broker.advance(1)


async def test_a_failed_replay_leaves_the_dead_letter_in_place(broker: MemoryBroker, client: Client) -> None:
    await client.send(Run(name="declare"))  # declares jobs and jobs.dead
    transport = broker.transport()
    await transport.open()
    await transport.publish(_dead("m0"))
    await transport.close()
    elsewhere = Topology(exchange="no-such-exchange")
    async with DeadLetters(broker.transport(), jobs, topology=elsewhere) as dead:
        with pytest.raises(TopologyError, match="no-such-exchange"):
            await dead.replay()
        assert [letter.message_id for letter in await dead.list()] == ["m0"]


async def test_closing_returns_messages_taken_and_not_settled(broker: MemoryBroker, client: Client) -> None:
    await client.send(Run(name="declare"))
    transport = broker.transport()
    await transport.open()
    await transport.publish(_dead("m0"))
    await transport.publish(_dead("m1"))
    taken = await transport.get("jobs.dead")
    assert taken is not None
    assert not taken.redelivered
    await transport.close()
    assert [message.message_id for message in broker.messages("jobs.dead")] == ["m0", "m1"]
