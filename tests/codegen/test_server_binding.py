"""``bind_<service>`` binds every contract and refuses an implementation that misses one."""

from __future__ import annotations

import asyncio

import pytest
from burrow.sdk import ConfigurationError, MemoryBroker
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from contracts.generated.client import Client
from contracts.generated.server import CleanupService, bind_cleanup


class Incomplete(CleanupService):
    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        pass


def test_an_implementation_missing_a_method_is_refused_by_name() -> None:
    worker = Worker(transport=MemoryBroker().transport())
    with pytest.raises(ConfigurationError) as caught:
        bind_cleanup(worker, Incomplete())  # type: ignore[abstract]
    assert str(caught.value) == (
        "Incomplete does not implement cleanup.stat_file: define async def stat_file(self, ...)"
    )


class Recording(CleanupService):
    def __init__(self) -> None:
        self.deleted: asyncio.Queue[str] = asyncio.Queue()

    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        await self.deleted.put(task.path)

    async def stat_file(self, task: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=task.path, size=1, modified_at=0.0)


async def test_bound_service_handles_the_generated_clients_messages_in_memory() -> None:
    broker = MemoryBroker()
    impl = Recording()
    worker = Worker(transport=broker.transport())
    bind_cleanup(worker, impl)
    async with worker, Client(broker.transport()) as client:
        await client.cleanup.delete_file("x.png")
        assert await asyncio.wait_for(impl.deleted.get(), 5) == "x.png"
