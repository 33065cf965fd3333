"""``burrow worker`` stops cleanly on SIGTERM: in-flight work finishes, nothing else is taken."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from burrow.sdk import Client

from contracts.cleanup import DeleteFile
from tests.integration._raw import WAIT, message_count

ROOT = Path(__file__).resolve().parents[2]
TASKS = 6
CONCURRENCY = 2  # as in _slow_worker


class WorkerProcess:
    """``burrow worker`` running in a child process, and what it has logged so far."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.log: list[str] = []

    async def read_log_until(self, text: str, count: int = 1) -> None:
        """Read the child's log until ``count`` lines contain ``text``."""
        assert self.process.stderr is not None
        async with asyncio.timeout(WAIT):
            while sum(text in line for line in self.log) < count:
                line = await self.process.stderr.readline()
                assert line, f"the worker exited before logging {text!r}:\n" + "".join(self.log)
                self.log.append(line.decode())

    async def wait(self) -> int:
        """Wait for the child to exit, keeping the rest of its log."""
        assert self.process.stderr is not None
        async with asyncio.timeout(WAIT):
            self.log.extend((await self.process.stderr.read()).decode().splitlines(keepends=True))
            return await self.process.wait()

    def handled(self, event: str) -> set[str]:
        """The task paths whose handler logged ``event`` ("started" or "finished")."""
        return {match[1] for line in self.log if (match := re.search(rf"handler {event} (\S+)", line))}


@asynccontextmanager
async def burrow_worker(url: str, *options: str, grace: float = 30) -> AsyncIterator[WorkerProcess]:
    """Run ``burrow worker`` (with ``options``); kill it (by its pid) only if the test did not stop it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "burrow.cli",
        "worker",
        "tests.integration._slow_worker:make_worker",
        "--url",
        url,
        *options,
        cwd=ROOT,
        env={**os.environ, "BURROW_TEST_GRACE": str(grace)},
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield WorkerProcess(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def send_tasks(url: str) -> None:
    async with Client.connect(url) as client:
        await client.send_many(DeleteFile(path=f"/tmp/{i}") for i in range(TASKS))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_stop_signal_lets_in_flight_work_finish_and_leaves_the_rest_queued(
    amqp_url: str, signum: signal.Signals
) -> None:
    await send_tasks(amqp_url)
    async with burrow_worker(amqp_url, grace=60) as worker:
        await worker.read_log_until("handler started", CONCURRENCY)
        worker.process.send_signal(signum)
        # Once it logs this, the worker has stopped consuming and only waits for its handlers.
        await worker.read_log_until("in-flight handlers")
        worker.process.send_signal(signal.SIGUSR1)  # let the handlers finish
        assert await worker.wait() == 0

    started = worker.handled("started")
    assert len(started) == CONCURRENCY
    assert worker.handled("finished") == started
    assert await message_count(amqp_url, "cleanup") == TASKS - CONCURRENCY
    assert await message_count(amqp_url, "cleanup.dead") == 0


async def test_work_still_running_after_the_grace_period_goes_back_to_its_queue(amqp_url: str) -> None:
    await send_tasks(amqp_url)
    async with burrow_worker(amqp_url, grace=0.2) as worker:
        await worker.read_log_until("handler started", CONCURRENCY)
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.wait() == 0

    assert len(worker.handled("started")) == CONCURRENCY
    assert worker.handled("finished") == set()
    assert await message_count(amqp_url, "cleanup") == TASKS  # nothing lost: the started ones came back


async def test_a_second_signal_cancels_in_flight_work_and_requeues_it(amqp_url: str) -> None:
    await send_tasks(amqp_url)
    async with burrow_worker(amqp_url, grace=60) as worker:
        await worker.read_log_until("handler started", CONCURRENCY)
        worker.process.send_signal(signal.SIGTERM)
        await worker.read_log_until("in-flight handlers")
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.wait() == 0

    assert len(worker.handled("started")) == CONCURRENCY
    assert worker.handled("finished") == set()
    assert await message_count(amqp_url, "cleanup") == TASKS
