"""``burrow worker --processes 2``: the work is shared, a dead process comes back, SIGTERM stops them all."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from burrow.sdk import Client

from contracts.cleanup import DeleteFile
from tests.integration._raw import WAIT, message_count

ROOT = Path(__file__).resolve().parents[2]
CONCURRENCY = 2  # per process, as in _process_worker
_STARTED = re.compile(r"started worker process (\d+) \(pid (\d+)\)")


class Supervised:
    """``burrow worker --processes`` in a child process, with everything logged so far."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.log: list[str] = []
        self._grew = asyncio.Condition()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        while line := await self.process.stderr.readline():
            async with self._grew:
                self.log.append(line.decode())
                self._grew.notify_all()

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        """Wait (at most WAIT) until ``condition()`` holds over the log."""
        try:
            async with asyncio.timeout(WAIT), self._grew:
                await self._grew.wait_for(lambda: condition() or self._reader.done())
        except TimeoutError:
            raise AssertionError(f"waited for {what}; the log:\n{''.join(self.log)}") from None
        assert condition(), f"exited before {what}; the log:\n{''.join(self.log)}"

    def count(self, text: str) -> int:
        return sum(text in line for line in self.log)

    def children(self) -> dict[int, int]:
        """The pid of each process index, as last started."""
        return {int(match[1]): int(match[2]) for line in self.log if (match := _STARTED.search(line))}

    def handled(self, event: str = "handled") -> list[tuple[str, int]]:
        """(task path, pid) of each log line of ``event`` ("handled" or "handler started")."""
        pattern = re.compile(rf"{event} (\S+) pid (\d+)")
        return [(match[1], int(match[2])) for line in self.log if (match := pattern.search(line))]

    async def wait(self, safety: float = WAIT) -> int:
        async with asyncio.timeout(safety):
            await self._reader
            return await self.process.wait()


@asynccontextmanager
async def supervised(
    url: str, *options: str, hold: bool = False, failing_process: int | None = None
) -> AsyncIterator[Supervised]:
    """Run ``burrow worker --processes 2``; kill it (by its pid) only if the test did not stop it."""
    env = {
        **os.environ,
        "BURROW_TEST_HOLD": "1" if hold else "",
        "BURROW_TEST_FAIL_PROCESS": "" if failing_process is None else str(failing_process),
    }
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "burrow.cli", "worker", "tests.integration._process_worker:make_worker"),
        *("--url", url, "--processes", "2", *options),
        cwd=ROOT,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )
    running = Supervised(process)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()  # its processes see the end of their link and stop
            await process.wait()
        running._reader.cancel()


async def serving(worker: Supervised, processes: int = 2) -> None:
    await worker.until(lambda: worker.count("worker burrow-worker serving") >= processes, "the processes to consume")


async def send(url: str, paths: list[str]) -> None:
    async with Client.connect(url) as client:
        await client.send_many(DeleteFile(path=path) for path in paths)


def gone(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie waiting for init to reap it has)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, IndexError):
        return True


async def test_two_processes_share_a_burst_and_stop_on_sigterm(amqp_url: str) -> None:
    paths = [f"/tmp/{i}" for i in range(400)]
    async with supervised(amqp_url) as worker:
        await serving(worker)
        await send(amqp_url, paths)
        await worker.until(lambda: len(worker.handled()) >= len(paths), "the burst to be handled")
        pids = set(worker.children().values())
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.wait() == 0

    handled = worker.handled()
    assert sorted(path for path, _ in handled) == sorted(paths)  # each once
    by_process = Counter(pid for _, pid in handled)
    print(f"burst of {len(paths)} split across the processes: {dict(by_process)}")
    assert len(pids) == 2
    assert set(by_process) == pids  # both took part
    assert all(gone(pid) for pid in pids)
    assert await message_count(amqp_url, "cleanup") == 0
    assert await message_count(amqp_url, "cleanup.dead") == 0


async def test_on_uvloop_each_process_handles_its_share_and_stops_on_sigterm(amqp_url: str) -> None:
    paths = [f"/tmp/uv/{i}" for i in range(200)]
    async with supervised(amqp_url, "--loop", "uvloop", "--log-level", "DEBUG") as worker:
        await serving(worker)
        await send(amqp_url, paths)
        await worker.until(lambda: len(worker.handled()) >= len(paths), "the burst to be handled")
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.wait() == 0

    assert worker.count("event loop: uvloop.Loop") == 2  # both processes, told --loop by the supervisor
    assert worker.count("event loop: asyncio") == 0
    assert sorted(path for path, _ in worker.handled()) == sorted(paths)  # each once
    assert await message_count(amqp_url, "cleanup") == 0
    assert await message_count(amqp_url, "cleanup.dead") == 0


async def test_sigterm_lets_the_in_flight_work_of_every_process_finish_and_loses_nothing(amqp_url: str) -> None:
    paths = [f"/tmp/{i}" for i in range(10)]
    async with supervised(amqp_url, hold=True) as worker:
        await serving(worker)
        await send(amqp_url, paths)
        held = 2 * CONCURRENCY
        await worker.until(lambda: len(worker.handled("handler started")) >= held, "every process to hold tasks")
        pids = set(worker.children().values())
        worker.process.send_signal(signal.SIGTERM)
        # Logged once a process has stopped consuming and only waits for its handlers.
        await worker.until(lambda: worker.count("in-flight handlers") >= 2, "both processes to stop consuming")
        for pid in pids:
            os.kill(pid, signal.SIGUSR1)  # let the handlers finish
        assert await worker.wait() == 0

    started = worker.handled("handler started")
    assert {pid for _, pid in started} == pids
    assert sorted(worker.handled()) == sorted(started)  # what started finished, in the same process
    assert await message_count(amqp_url, "cleanup") == len(paths) - held  # the rest is still queued
    assert await message_count(amqp_url, "cleanup.dead") == 0
    assert all(gone(pid) for pid in pids)


async def test_a_killed_process_is_started_again_and_the_burst_completes(amqp_url: str) -> None:
    paths = [f"/tmp/{i}" for i in range(200)]
    async with supervised(amqp_url, hold=True) as worker:
        await serving(worker)
        await send(amqp_url, paths)
        await worker.until(lambda: len(worker.handled("handler started")) >= 2 * CONCURRENCY, "tasks held")
        killed = worker.children()[1]
        os.kill(killed, signal.SIGKILL)  # its two tasks are unacked: the broker hands them out again
        await worker.until(lambda: worker.children()[1] != killed, "process 1 to start again")
        await serving(worker, 3)
        for pid in worker.children().values():
            os.kill(pid, signal.SIGUSR1)
        await worker.until(lambda: {path for path, _ in worker.handled()} == set(paths), "every task handled")
        survivors = set(worker.children().values())
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.wait() == 0

    assert worker.count(f"worker process 1 (pid {killed}) was killed by SIGKILL") == 1
    assert killed not in {pid for _, pid in worker.handled()}
    assert all(gone(pid) for pid in survivors)
    assert await message_count(amqp_url, "cleanup") == 0


async def test_processes_that_cannot_reach_the_broker_end_the_supervisor_with_its_exit_code() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens once it is closed
    async with supervised(f"amqp://guest:guest@127.0.0.1:{port}/", "--wait", "0") as worker:
        assert await worker.wait() == 3
    errors = [line for line in worker.log if line.startswith("burrow: error: worker process")]
    assert len(errors) == 1
    assert re.fullmatch(
        r"burrow: error: worker process [12] could not start because of the broker: it exited with code 3\n",
        errors[0],
    )
    assert worker.log[-1] == "hint: its own error is logged above; run with --processes 1 to see it alone\n"
    assert all(gone(pid) for pid in worker.children().values())


async def test_a_process_that_keeps_failing_to_start_ends_the_supervisor(amqp_url: str) -> None:
    async with supervised(amqp_url, failing_process=1) as worker:
        code = await worker.wait(safety=10 * WAIT)  # five starts and four pauses on a loaded machine
    assert code == 70  # the child's own exit code: an unexpected error
    assert worker.count("burrow: error: worker process 1 could not start 5 times in a row") == 1
    assert worker.count("process 1 fails to start, as the test asked") >= 5
    assert worker.count("could not start: it exited with code") == 4  # then it gave up
    assert worker.count("worker burrow-worker serving") == 1  # process 2 started
    assert all(gone(pid) for pid in worker.children().values())


async def test_a_taken_http_port_ends_the_supervisor_at_once_with_one_line(amqp_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # Process 1 listens on PORT, which is taken: a configuration error, not worth a restart.
        async with supervised(amqp_url, "--http-port", str(port)) as worker:
            code = await worker.wait(safety=10 * WAIT)
    assert code == 2
    assert worker.count(f"burrow: error: cannot serve the ops endpoint on 0.0.0.0:{port}: ") == 1
    errors = [line for line in worker.log if line.startswith("burrow: error: worker process")]
    assert errors == [
        "burrow: error: worker process 1 could not start because of its configuration: it exited with code 2\n"
    ]
    assert all(gone(pid) for pid in worker.children().values())


async def test_with_json_logs_every_line_is_json_and_names_its_process(amqp_url: str) -> None:
    async with supervised(amqp_url, "--log-format", "json", "--log-level", "info") as worker:
        await serving(worker)
        await send(amqp_url, ["/tmp/0"])
        await worker.until(lambda: worker.count("handled /tmp/0") == 1, "the task to be handled")
        worker.process.send_signal(signal.SIGTERM)
        assert await worker.wait() == 0

    records = [json.loads(line) for line in worker.log]  # every line is one JSON object
    serving_pids = {record["process"] for record in records if record["message"].startswith("worker burrow-worker")}
    assert serving_pids == set(worker.children().values())
    supervisor = {record["process"] for record in records if record["logger"] == "burrow.supervisor"}
    assert supervisor == {worker.process.pid}


async def test_a_stop_while_the_processes_start_is_a_clean_stop(amqp_url: str) -> None:
    async with supervised(amqp_url) as worker:
        await worker.until(lambda: len(worker.children()) == 2, "both processes to be started")
        worker.process.send_signal(signal.SIGTERM)  # they may still be importing, or connecting
        assert await worker.wait() == 0
    assert all(gone(pid) for pid in worker.children().values())


async def test_the_processes_stop_when_the_supervisor_is_killed(amqp_url: str) -> None:
    async with supervised(amqp_url) as worker:
        await serving(worker)
        pids = set(worker.children().values())
        os.kill(worker.process.pid, signal.SIGKILL)
        # The log ends once no process holds the supervisor's stderr any more.
        assert await worker.wait() == -signal.SIGKILL
    assert worker.count("the supervisor is gone: stopping") == 2
    assert worker.count("worker burrow-worker stopped") == 2
    assert all(gone(pid) for pid in pids)
