"""Delays, retries with backoff, and the dead-letter queue's tools, on both transports.

Delays here are short and real; the in-memory broker's manual clock, for a delay
of an hour, is tested in tests/unit/test_delays_memory.py.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from burrow.sdk import RetryPolicy, Service, Task
from burrow.server import Context, DeadLetter, DeadLetters

from tests.conformance.conftest import WAIT, Stack

timers = Service("timers")


@timers.task("ring")
class Ring(Task, frozen=True, kw_only=True):
    name: str


class Flaky(Exception):
    pass


async def test_a_delayed_task_waits_and_a_shorter_one_sent_later_comes_first(stack: Stack) -> None:
    handled: asyncio.Queue[tuple[str, float]] = asyncio.Queue()

    async def ring(task: Ring, ctx: Context) -> None:
        await handled.put((task.name, time.monotonic()))

    worker = stack.worker()
    worker.bind(Ring, ring)
    async with stack.client() as client, worker:
        sent = time.monotonic()
        # Sent together, "later" first: each delay counts from its call, so waiting for
        # the first confirm (slow on a loaded broker) must not push "sooner" past "later".
        await asyncio.gather(client.send(Ring(name="later"), delay=0.8), client.send(Ring(name="sooner"), delay=0.3))
        await client.send(Ring(name="now"))
        arrivals = [await asyncio.wait_for(handled.get(), WAIT) for _ in range(3)]

    assert [name for name, _ in arrivals] == ["now", "sooner", "later"]
    assert arrivals[1][1] - sent >= 0.3  # never early
    assert arrivals[2][1] - sent >= 0.8


async def test_a_flaky_handler_is_retried_with_backoff_then_succeeds(stack: Stack) -> None:
    runs: list[tuple[int, str, float]] = []
    done = asyncio.Event()

    async def ring(task: Ring, ctx: Context) -> None:
        runs.append((ctx.attempt, ctx.message_id, time.monotonic()))
        if ctx.attempt < 3:
            raise Flaky(f"attempt {ctx.attempt}")
        done.set()

    worker = stack.worker()
    worker.bind(Ring, ring, retry=RetryPolicy(attempts=4, backoff=0.2, multiplier=2, jitter=0))
    async with stack.client() as client, worker:
        await client.send(Ring(name="flaky"))
        await asyncio.wait_for(done.wait(), WAIT)

    assert [attempt for attempt, _, _ in runs] == [1, 2, 3]
    assert len({message_id for _, message_id, _ in runs}) == 1  # one message, retried
    gaps = [later - earlier for (_, _, earlier), (_, _, later) in itertools.pairwise(runs)]
    assert gaps[0] >= 0.2
    assert gaps[1] >= 0.4
    assert await stack.count("timers.dead") == 0


async def test_exhausted_retries_dead_letter_with_headers_and_replay_runs_again(stack: Stack) -> None:
    runs: asyncio.Queue[int] = asyncio.Queue()
    broken = True

    async def ring(task: Ring, ctx: Context) -> None:
        await runs.put(ctx.attempt)
        if broken:
            raise Flaky("still broken")

    worker = stack.worker()
    worker.bind(Ring, ring, retry=RetryPolicy(attempts=3, backoff=0.1, jitter=0))
    async with stack.client() as client, worker, DeadLetters(stack.transport(), timers) as dead:
        await client.send(Ring(name="doomed"))
        assert [await asyncio.wait_for(runs.get(), WAIT) for _ in range(3)] == [1, 2, 3]
        arrived = await stack.next_message("timers.dead")
        assert arrived.headers["x-burrow-dead-reason"] == "handler-failed"
        assert arrived.headers["x-burrow-error-type"] == "Flaky"
        assert arrived.headers["x-burrow-error-message"] == "still broken"
        assert arrived.headers["x-burrow-attempt"] == 3
        assert arrived.headers["x-burrow-original-queue"] == "timers"
        # next_message took it: the tools below see what a second failure leaves behind.
        await client.send(Ring(name="doomed again"))
        assert [await asyncio.wait_for(runs.get(), WAIT) for _ in range(3)] == [1, 2, 3]
        letter = await _one_dead_letter(dead)
        assert (letter.reason, letter.attempts) == ("handler-failed", 3)
        assert (letter.error_type, letter.error_message) == ("Flaky", "still broken")
        assert letter.message == Ring(name="doomed again")
        assert letter.first_failed_at is not None
        assert letter.failed_at is not None
        assert letter.failed_at - letter.first_failed_at >= 200  # backoffs of 0.1 s and 0.2 s
        assert [again.message_id for again in await dead.list()] == [letter.message_id]  # listing keeps it
        assert await dead.show(letter.message_id) == letter

        broken = False
        assert await dead.replay() == 1
        assert await asyncio.wait_for(runs.get(), WAIT) == 1  # a fresh start
        assert await dead.list() == []

        broken = True
        await client.send(Ring(name="doomed once more"))
        for _ in range(3):
            await asyncio.wait_for(runs.get(), WAIT)
        await _one_dead_letter(dead)
        assert await dead.purge() == 1
        assert await stack.count("timers.dead") == 0


async def _one_dead_letter(dead: DeadLetters) -> DeadLetter:
    # A dead letter is published after the last run returns: poll briefly for it.
    for _ in range(100):
        found = await dead.list()
        if found:
            (letter,) = found
            return letter
        await asyncio.sleep(0.05)
    raise AssertionError("nothing reached the dead-letter queue")
