"""A worker for the shutdown tests, run by ``burrow worker`` in a child process.

Its handler logs when it starts and finishes a task, and holds every task until
the process receives SIGUSR1, so the test decides when in-flight work may end.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile

log = logging.getLogger("slow_worker")


def make_worker() -> Worker:
    released: asyncio.Event | None = None

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        nonlocal released
        if released is None:
            released = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, released.set)
        log.info("handler started %s", task.path)
        await released.wait()
        log.info("handler finished %s", task.path)

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(concurrency=2, grace_period=float(os.environ.get("BURROW_TEST_GRACE", "60")))
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    return worker
