"""``burrow_harness`` and the pytest plugin's fixtures, on the in-memory broker."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import assert_type

import pytest
from burrow.sdk import Client, ManualClock, MemoryBroker, RetryPolicy, Service, Task
from burrow.server import Context, Worker
from burrow.testing import Harness, burrow_harness

from contracts.cleanup import DeleteFile
from contracts.generated.client import Client as GeneratedClient

jobs = Service("jobs")


@jobs.task("run")
class Run(Task, frozen=True, kw_only=True):
    name: str


class Flaky(Exception):
    pass


async def test_drain_waits_for_work_that_handlers_send() -> None:
    handled: list[str] = []

    async def run(task: Run, ctx: Context) -> None:
        await asyncio.sleep(0.01)  # a handler that takes a while
        handled.append(task.name)
        if task.name == "first":
            await h.client.send(Run(name="second"))

    h: Harness[Client]
    async with burrow_harness(lambda worker: worker.bind(Run, run)) as h:
        await h.client.send(Run(name="first"))
        await h.drain()
        assert handled == ["first", "second"]
    assert h.sent(Run) == [Run(name="first"), Run(name="second")]


async def test_retries_follow_the_manual_clock_and_end_in_the_dead_letter_queue(burrow_clock: ManualClock) -> None:
    attempts: list[int] = []

    async def run(task: Run, ctx: Context) -> None:
        attempts.append(ctx.attempt)
        raise Flaky("always")

    def bind(worker: Worker) -> None:
        worker.bind(Run, run, retry=RetryPolicy(attempts=3, backoff=60, multiplier=2, jitter=0))

    async with burrow_harness(bind, clock=burrow_clock) as h:
        await h.client.send(Run(name="doomed"))
        await h.drain()
        assert (attempts, h.delayed(Run)) == ([1], [Run(name="doomed")])
        assert await h.advance(59) == 0
        assert await h.advance(1) == 1
        assert attempts == [1, 2]
        await h.advance(120)
        assert attempts == [1, 2, 3]

    (dead,) = h.dead_letters(jobs)
    assert (dead.headers["x-burrow-dead-reason"], dead.headers["x-burrow-attempt"]) == ("handler-failed", 3)
    assert h.sent(Run) == [Run(name="doomed")]  # retries are not new messages


async def test_drain_names_the_busy_queue_when_a_handler_never_finishes() -> None:
    never = asyncio.Event()

    async def run(task: Run, ctx: Context) -> None:
        await never.wait()

    worker_grace = 0.1

    def bind(worker: Worker) -> None:
        worker.grace_period = worker_grace
        worker.bind(Run, run)

    async with burrow_harness(bind) as h:
        await h.client.send(Run(name="stuck"))
        with pytest.raises(TimeoutError) as caught:
            await h.drain(timeout=0.2)
    assert str(caught.value) == "the in-memory broker is still busy after 0.2 s; busy queues: ['jobs']"


def test_the_plugin_gives_a_broker_on_the_manual_clock(burrow_broker: MemoryBroker, burrow_clock: ManualClock) -> None:
    assert burrow_broker.advance(5) == 0
    assert burrow_clock.now() == 5


async def test_the_harness_client_has_the_type_asked_for(serve_cleanup: Callable[[Worker], None]) -> None:
    async with burrow_harness(serve_cleanup, client=GeneratedClient) as h:
        assert_type(h, Harness[GeneratedClient])
        assert isinstance(h.client, GeneratedClient)
    async with burrow_harness(serve_cleanup) as plain:
        assert_type(plain, Harness[Client])
        assert_type(plain.sent(DeleteFile), list[DeleteFile])
