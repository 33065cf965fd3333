"""How a worker serves: threads for sync handlers, queued work, content types, startup checks."""

from __future__ import annotations

import asyncio
import threading

import msgspec
import pytest
from burrow.sdk import MSGPACK, Client, ConfigurationError, Service, Task
from burrow.server import Context, Worker, WorkerState

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from tests.integration._raw import WAIT, drain, message_count

media = Service("media")


class Crop(msgspec.Struct, frozen=True, kw_only=True):
    left: int
    top: int


@media.task("resize")
class Resize(Task, frozen=True, kw_only=True):
    """A contract with more than strings, to round-trip through MessagePack."""

    image: bytes
    width: int
    ratio: float
    tags: list[str]
    crop: Crop | None = None


def stat_file(task: StatFile, ctx: Context) -> FileInfo:
    raise NotImplementedError


async def test_a_sync_handler_runs_in_a_thread_pool(amqp_url: str) -> None:
    loop_thread = threading.get_ident()
    handled: asyncio.Queue[int] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def delete_file(task: DeleteFile, ctx: Context) -> None:
        loop.call_soon_threadsafe(handled.put_nowait, threading.get_ident())

    worker = Worker(amqp_url)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with Client.connect(amqp_url) as client, worker:
        await client.send(DeleteFile(path="/tmp/a"))
        handler_thread = await asyncio.wait_for(handled.get(), WAIT)

    assert handler_thread != loop_thread
    assert await message_count(amqp_url, "cleanup") == 0


async def test_msgpack_round_trips(amqp_url: str) -> None:
    sent = Resize(image=b"\x89PNG\x00\xff", width=640, ratio=1.5, tags=["a", "é"], crop=Crop(left=1, top=2))
    async with Client.connect(amqp_url, content_type=MSGPACK, app_id="gallery") as client:
        await client.send(sent)
    (on_the_wire,) = await drain(amqp_url, "media")
    assert on_the_wire.content_type == MSGPACK
    assert msgspec.msgpack.decode(on_the_wire.body, type=Resize) == sent

    # Put it back (drain took it) and let a worker decode it.
    async with Client.connect(amqp_url, content_type=MSGPACK, app_id="gallery") as client:
        await client.send(sent)
    handled: asyncio.Queue[tuple[Resize, Context]] = asyncio.Queue()

    async def resize(task: Resize, ctx: Context) -> None:
        await handled.put((task, ctx))

    worker = Worker(amqp_url)
    worker.bind(Resize, resize)
    async with worker:
        received, ctx = await asyncio.wait_for(handled.get(), WAIT)
    assert received == sent
    assert (ctx.contract, ctx.app_id, ctx.attempt, ctx.redelivered) == ("media.resize", "gallery", 1, False)


async def test_a_worker_will_not_start_with_a_contract_of_its_service_unbound(amqp_url: str) -> None:
    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        pass

    worker = Worker(amqp_url)
    worker.bind(DeleteFile, delete_file)
    with pytest.raises(ConfigurationError) as caught:
        await worker.start()
    assert str(caught.value) == (
        "the worker serves these services but binds no handler for: cleanup.stat_file "
        "(their messages would only reach the dead-letter queue)"
    )
    assert worker.state is WorkerState.IDLE
