"""The ``cleanup`` service: deletes the files other services hand it.

burrow worker examples.cleanup.worker:worker
"""

from __future__ import annotations

from pathlib import Path

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from examples.cleanup.settings import temp_dir
from server import Context, Worker

__all__ = ["create_worker", "delete_file", "stat_file", "worker"]


def _checked(path: str) -> Path:
    # A task names a path, and whoever can publish can name any path: refuse
    # everything outside the temporary directory (the task is dead-lettered).
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(temp_dir()):
        raise PermissionError(f"{path} is outside {temp_dir()}; refusing to touch it")
    return resolved


# Plain functions: file system calls block, so the worker runs them in its thread pool.
def delete_file(task: DeleteFile, ctx: Context) -> None:
    # A missing file counts as deleted: a redelivered task must not fail.
    _checked(task.path).unlink(missing_ok=True)


def stat_file(task: StatFile, ctx: Context) -> FileInfo:
    # A missing file raises FileNotFoundError for now; it becomes the declared
    # FileMissing error once calls can carry declared errors.
    stat = _checked(task.path).stat()
    return FileInfo(path=task.path, size=stat.st_size, modified_at=stat.st_mtime)


def create_worker(url: str | None = None) -> Worker:
    """The cleanup worker; ``url`` defaults to ``$BURROW_URL`` / ``$RABBITMQ_URL`` when it starts."""
    worker = Worker(url, name="cleanup-example-worker")
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    return worker


worker = create_worker()
