"""Fuzzing a worker on the real broker: every bad message is dead-lettered with a reason, every valid one handled once.

Thousands of generated bad messages (``_messages.py``) are mixed with valid
tasks and published to a queue before a worker starts on it. The run is seeded
(``BURROW_FUZZ_SEED``; the seed is in every failure message) so that a failure
reproduces. Counts and timings are printed (``pytest -s``) and never asserted.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import logging
import os
import time
from collections.abc import AsyncIterator, Callable

from burrow.sdk import AmqpTransport, Delivery, Topology
from burrow.server import Context, Worker, WorkerState

from tests.fuzz._messages import QUEUE, Planned, Record, fuzz, plan
from tests.integration._raw import message_count

SEED = int(os.environ.get("BURROW_FUZZ_SEED", "20261130"))
BAD = int(os.environ.get("BURROW_FUZZ_BAD", "3000"))
VALID = int(os.environ.get("BURROW_FUZZ_VALID", "600"))
WAIT = float(
    os.environ.get("BURROW_FUZZ_WAIT", "300")
)  # seconds; a safety net against a hang, far above the run's time on a loaded 2-core machine


async def publish_all(url: str, planned: list[Planned]) -> None:
    transport = AmqpTransport(url, connection_name="fuzz-sender")
    await transport.open()
    try:
        await transport.declare(Topology().service(fuzz))
        for start in range(0, len(planned), 200):
            await asyncio.gather(*(transport.publish(p.message) for p in planned[start : start + 200]))
    finally:
        await transport.close()


async def take_all(url: str, queue: str) -> list[Delivery]:
    transport = AmqpTransport(url, connection_name="fuzz-reader")
    await transport.open()
    found: list[Delivery] = []
    try:
        while (delivery := await transport.get(queue)) is not None:
            await delivery.ack()
            found.append(delivery)
    finally:
        await transport.close()
    return found


@contextlib.asynccontextmanager
async def _explained(progress: Callable[[], str]) -> AsyncIterator[None]:
    try:
        yield
    except TimeoutError:
        raise AssertionError(f"the fuzz run hung: {progress()}") from None


def live_deliveries() -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, Delivery))


async def test_every_bad_message_is_dead_lettered_and_every_valid_one_handled_once(amqp_url: str) -> None:
    context = f"(seed {SEED}: rerun with BURROW_FUZZ_SEED={SEED})"
    planned = plan(SEED, bad=BAD, valid=VALID)
    expected_dead = collections.Counter(p.expect for p in planned if p.expect != "handled")
    handled: collections.Counter[int] = collections.Counter()
    all_handled = asyncio.Event()

    async def record(task: Record, ctx: Context) -> None:
        if task.text == "raise":
            raise ValueError("this record asks its handler to fail")
        handled[task.n] += 1
        if sum(handled.values()) == VALID:
            all_handled.set()

    started = time.perf_counter()
    await publish_all(amqp_url, planned)
    published = time.perf_counter()

    # Thousands of expected errors: keep them out of the captured log (whose records,
    # tracebacks included, would also keep every delivery alive).
    quiet = int(os.environ.get("BURROW_FUZZ_LOG_LEVEL", logging.CRITICAL))
    loggers = [
        logging.getLogger(name) for name in ("burrow", *logging.root.manager.loggerDict) if name.startswith("burrow")
    ]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(quiet)
    worker = Worker(amqp_url, concurrency=32)
    worker.bind(Record, record)
    baseline = live_deliveries()
    try:
        async with worker:
            async with _explained(lambda: f"{context} handled {len(handled)}"), asyncio.timeout(WAIT):
                await all_handled.wait()
                while await message_count(amqp_url, f"{QUEUE}.dead") < sum(expected_dead.values()):  # noqa: ASYNC110
                    await asyncio.sleep(0.2)
            settled = time.perf_counter()
            assert worker.state is WorkerState.RUNNING, context
            assert not worker._in_flight, context  # nothing still running
            assert live_deliveries() <= baseline, context  # every delivery released
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    left = await message_count(amqp_url, QUEUE)  # unsettled deliveries went back when the worker stopped
    dead = await take_all(amqp_url, f"{QUEUE}.dead")
    finished = time.perf_counter()

    reasons = collections.Counter(str(letter.headers.get("x-burrow-dead-reason")) for letter in dead)
    errors = collections.Counter(str(letter.headers.get("x-burrow-error-type")) for letter in dead)
    print(
        f"\nfuzz {context}: sent {len(planned)} ({BAD} bad, {VALID} valid); handled {sum(handled.values())} "
        f"({len(handled)} distinct); dead-lettered {len(dead)} {dict(sorted(reasons.items()))} "
        f"by error type {dict(sorted(errors.items()))}; unsettled {left}; "
        f"publish {published - started:.1f} s, worker {settled - published:.1f} s, total {finished - started:.1f} s"
    )
    assert left == 0, context
    assert handled == dict.fromkeys(range(VALID), 1), context  # each valid task exactly once
    assert reasons == expected_dead, context
    bad_ids = {p.message.message_id for p in planned if p.expect != "handled"}
    assert {letter.message_id for letter in dead} == bad_ids, context  # each bad message, once
    for letter in dead:
        assert letter.headers.get("x-burrow-error-message"), (letter.message_id, context)
