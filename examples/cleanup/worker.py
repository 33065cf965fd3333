"""The ``cleanup`` service: deletes the files other services hand it.

    CLEANUP_DIR=/tmp/burrow-cleanup burrow worker examples.cleanup.worker:worker

``Cleanup`` implements the generated ``CleanupService``: mypy checks every method
against its contract, and ``bind_cleanup`` binds them all, so no contract of the
service can be left unserved.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from burrow.sdk import DeclaredError
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, FileMissing, StatFile
from contracts.generated.server import CleanupService, bind_cleanup
from examples.cleanup.settings import temp_dir

__all__ = ["Cleanup", "create_worker", "worker"]


class Cleanup(CleanupService):
    """Deletes and inspects files below ``root``; paths (relative to it, or absolute) that leave it are refused."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _resolve(self, path: str) -> Path:
        # Whoever can publish a task can name any path: refuse everything outside
        # the root. Raising dead-letters the task with this reason; nothing is lost.
        resolved = (self.root / path).resolve()
        if not resolved.is_relative_to(self.root):
            raise PermissionError(f"{path} is outside {self.root}; refusing to touch it")
        return resolved

    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        # A missing file counts as deleted: a redelivered task must not fail.
        # File system calls block, so they run in a thread.
        await asyncio.to_thread(self._resolve(task.path).unlink, missing_ok=True)

    async def stat_file(self, task: StatFile, ctx: Context) -> FileInfo:
        try:
            stat = await asyncio.to_thread(self._resolve(task.path).stat)
        except FileNotFoundError:
            raise DeclaredError(FileMissing(path=task.path)) from None
        return FileInfo(path=task.path, size=stat.st_size, modified_at=stat.st_mtime)


def create_worker(url: str | None = None, root: Path | None = None) -> Worker:
    """The cleanup worker.

    Args:
        url: the broker; defaults to ``$BURROW_URL`` / ``$RABBITMQ_URL`` when it starts.
        root: the only directory it deletes in; defaults to ``$CLEANUP_DIR``.
    """
    served = Worker(url, name="cleanup-example-worker")
    bind_cleanup(served, Cleanup(root or temp_dir()))
    return served


worker = create_worker()
