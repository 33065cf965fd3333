"""A ``cleanup`` worker built on the generated server base.

    BURROW_CLEANUP_ROOT=/tmp/files burrow worker examples.cleanup_server.worker:worker

mypy checks every method against ``CleanupService``; ``bind_cleanup`` binds
them all, so no contract of the service can be left unserved.
"""

from __future__ import annotations

import os
from pathlib import Path

from contracts.cleanup import DeleteFile, FileInfo, FileMissing, StatFile
from contracts.generated.server import CleanupService, bind_cleanup
from sdk import DeclaredError
from server import Context, Worker

__all__ = ["Cleanup", "worker"]


class Cleanup(CleanupService):
    """Deletes and inspects files below ``root``; paths that leave it are refused."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _resolve(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root):
            # Raising dead-letters the message with this reason: it is not retried or lost.
            raise ValueError(f"{relative!r} is outside {self.root}")
        return path

    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        self._resolve(task.path).unlink(missing_ok=True)  # already gone counts as deleted

    async def stat_file(self, task: StatFile, ctx: Context) -> FileInfo:
        try:
            stat = self._resolve(task.path).stat()
        except FileNotFoundError:
            raise DeclaredError(FileMissing(path=task.path)) from None  # the caller gets it typed
        return FileInfo(path=task.path, size=stat.st_size, modified_at=stat.st_mtime)


def worker(url: str | None = None, root: Path | None = None) -> Worker:
    """A worker serving ``cleanup`` for the files below ``root`` (default: ``$BURROW_CLEANUP_ROOT``)."""
    served = Worker(url, name="cleanup-worker")
    bind_cleanup(served, Cleanup(root or Path(os.environ.get("BURROW_CLEANUP_ROOT", "."))))
    return served
