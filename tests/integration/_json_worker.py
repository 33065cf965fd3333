"""A worker for the JSON log test, run by ``burrow worker`` in a child process.

``/tmp/fail`` fails on every attempt (two, then the dead-letter queue); any other path is handled.
"""

from __future__ import annotations

from burrow.sdk import RetryPolicy
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile


def make_worker() -> Worker:
    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        if task.path == "/tmp/fail":
            raise RuntimeError(f"cannot delete {task.path}")

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(concurrency=1, grace_period=5)
    worker.bind(DeleteFile, delete_file, retry=RetryPolicy(attempts=2, backoff=0.0, jitter=0.0))
    worker.bind(StatFile, stat_file)
    return worker
