"""Type test: each generated method returns exactly its contract's type, never ``Any``.

Checked by mypy --strict with disallow_any_expr (see pyproject.toml); never run.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any, assert_type

from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from contracts.generated.client import CleanupClient, Client
from contracts.generated.server import CleanupService, bind_cleanup
from examples.billing import cleanup_client as from_lock


async def generated_client_methods(url: str) -> None:
    async with Client.connect(url) as client:
        assert_type(client, Client)
        assert_type(client.cleanup, CleanupClient)
        # assert_type hands back its argument: awaiting it keeps the coroutine used.
        await assert_type(client.cleanup.delete_file("x.png", delay=60), Coroutine[Any, Any, None])
        await assert_type(client.cleanup.delete_file(path="x.png"), Coroutine[Any, Any, None])
        assert_type(await client.cleanup.stat_file("a.png", timeout=5), FileInfo)


async def client_generated_from_the_lock(url: str) -> None:
    async with from_lock.Client.connect(url) as client:
        await assert_type(client.cleanup.delete_file("x.png", delay=60), Coroutine[Any, Any, None])
        info = await client.cleanup.stat_file("a.png")
        assert_type(info, from_lock.FileInfo)
        assert_type(info.size, int)


class Cleanup(CleanupService):
    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        assert_type(task.path, str)

    async def stat_file(self, task: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=task.path, size=0, modified_at=0.0)


class Structural:
    """Implements the service without subclassing the generated Protocol."""

    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        pass

    async def stat_file(self, task: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=task.path, size=0, modified_at=0.0)


def bind_both(worker: Worker) -> None:
    bind_cleanup(worker, Cleanup())
    bind_cleanup(worker, Structural())
