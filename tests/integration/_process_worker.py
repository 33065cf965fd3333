"""A worker for the ``--processes`` tests, run by ``burrow worker`` in child processes.

Its handler logs each task it handles with the pid of its process, so a test
can tell which process handled what. With ``BURROW_TEST_HOLD`` set it holds
every task until its process receives SIGUSR1, so the test decides when
in-flight work may end. The signal handler is installed when the worker is
made, before any task arrives, so a SIGUSR1 is never the default's kill.
``BURROW_TEST_FAIL_PROCESS=N`` makes process N fail each time it starts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile

log = logging.getLogger("process_worker")


def make_worker() -> Worker:
    failing = os.environ.get("BURROW_TEST_FAIL_PROCESS")
    if failing and os.environ.get("BURROW_WORKER_PROCESS") == failing:
        raise RuntimeError(f"process {failing} fails to start, as the test asked")
    hold = bool(os.environ.get("BURROW_TEST_HOLD"))
    early = False  # a SIGUSR1 that came before the first task
    released: asyncio.Event | None = None

    def release_early(signum: int, frame: object) -> None:
        nonlocal early
        early = True

    signal.signal(signal.SIGUSR1, release_early)

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        nonlocal released
        if hold:
            if released is None:
                released = asyncio.Event()
                asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, released.set)
                if early:  # checked once the loop's handler is in place: no signal slips between
                    released.set()
            log.info("handler started %s pid %d", task.path, os.getpid())
            await released.wait()
        else:
            await asyncio.sleep(0.002)  # some work, so that a burst is shared
        log.info("handled %s pid %d", task.path, os.getpid())

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(concurrency=2, grace_period=60)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    return worker
