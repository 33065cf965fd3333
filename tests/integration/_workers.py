"""A cleanup worker for integration tests that only exercise ``delete_file``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile


def _stat_file(task: StatFile, ctx: Context) -> FileInfo:
    raise NotImplementedError("these tests send no stat_file call")


def cleanup_worker(url: str, delete_file: Callable[[DeleteFile, Context], Awaitable[None]], **options: Any) -> Worker:
    """A ``Worker`` (with ``options``) serving the cleanup service with ``delete_file``."""
    worker = Worker(url, **options)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, _stat_file)
    return worker


def recording(handled: asyncio.Queue[str]) -> Callable[[DeleteFile, Context], Awaitable[None]]:
    """A ``delete_file`` handler that puts each task's path on ``handled``."""

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await handled.put(task.path)

    return delete_file


async def never_called(task: DeleteFile, ctx: Context) -> None:
    """A ``delete_file`` handler for messages that must not reach it."""
    raise AssertionError("a message with bad properties must not reach its handler")
