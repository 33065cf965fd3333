"""A worker for the crash test, run by ``burrow worker`` in a child process.

Its handler kills the whole process (``os._exit``, no cleanup, as a segfault or
the OOM killer would) when given the poison task, and logs every other task it
finishes. It takes one message at a time, so that the poison message is the
only one in flight when the process dies.
"""

from __future__ import annotations

import logging
import os

from burrow.sdk import Topology
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile

POISON = "/tmp/poison"
CRASH_EXIT_CODE = 86
DELIVERY_LIMIT = 2  # small, to keep the test short: the poison message kills 3 workers

log = logging.getLogger("crashing_worker")


def make_worker() -> Worker:
    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        if task.path == POISON:
            log.info("handler crashing on %s (delivery count %s)", task.path, ctx.headers.get("x-delivery-count"))
            os._exit(CRASH_EXIT_CODE)
        log.info("handler finished %s", task.path)

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(concurrency=1, topology=Topology(delivery_limit=DELIVERY_LIMIT))
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    return worker
