"""Calls end to end: typed results, declared and remote errors, timeouts, unroutable calls."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import msgspec
import pytest
from burrow.sdk import (
    Call,
    CallTimeout,
    Client,
    ConnectionLost,
    ContractError,
    DeclaredError,
    ExchangeSpec,
    OutgoingMessage,
    RemoteError,
    Service,
    TopologySpec,
    Unroutable,
)
from burrow.sdk._wire import HEADER_DEADLINE
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, FileMissing, StatFile
from tests.conformance.conftest import WAIT, Stack


def cleanup_worker(
    stack: Stack, stat_file: Callable[[StatFile, Context], Awaitable[FileInfo]], *, concurrency: int = 32
) -> Worker:
    worker = stack.worker(concurrency=concurrency)
    worker.bind(StatFile, stat_file)
    worker.bind(DeleteFile, delete_file)
    return worker


async def delete_file(task: DeleteFile, ctx: Context) -> None:
    return None


async def stat_file(task: StatFile, ctx: Context) -> FileInfo:
    if task.path.startswith("missing/"):
        raise DeclaredError(FileMissing(path=task.path))
    if task.path.startswith("bad/"):
        raise ValueError(f"cannot stat {task.path}: permission denied")
    return FileInfo(path=task.path, size=len(task.path), modified_at=1.5)


async def test_concurrent_calls_each_get_their_own_typed_result(stack: Stack) -> None:
    paths = [f"assets/{n}.png" for n in range(2_000)]  # 64 lanes, ~30 calls each: every reply to its own caller
    results: dict[str, FileInfo] = {}

    async with stack.client() as client, cleanup_worker(stack, stat_file, concurrency=64):

        async def lane(mine: Iterator[str]) -> None:
            for path in mine:
                results[path] = await client.call(StatFile(path=path), timeout=WAIT)

        shared = iter(paths)
        await asyncio.gather(*(lane(shared) for _ in range(64)))  # 64 calls in flight

    assert len(results) == len(paths)
    for path, info in results.items():
        assert info == FileInfo(path=path, size=len(path), modified_at=1.5)


async def test_a_declared_error_raised_by_the_handler_arrives_as_its_struct(stack: Stack) -> None:
    async with stack.client() as client, cleanup_worker(stack, stat_file):
        with pytest.raises(DeclaredError) as caught:
            await client.call(StatFile(path="missing/a.png"), timeout=WAIT)

    assert caught.value.error == FileMissing(path="missing/a.png")
    assert caught.value.get(FileMissing) == FileMissing(path="missing/a.png")
    assert caught.value.contract == "cleanup.stat_file"
    assert str(caught.value) == "cleanup.stat_file: FileMissing(path='missing/a.png')"


async def test_a_declared_error_returned_by_an_untyped_handler_arrives_as_its_struct(stack: Stack) -> None:
    async def returns_error(task: StatFile, ctx: Context) -> Any:
        return FileMissing(path=task.path)

    async with stack.client() as client, cleanup_worker(stack, returns_error):
        with pytest.raises(DeclaredError) as caught:
            await client.call(StatFile(path="gone.png"), timeout=WAIT)

    assert caught.value.error == FileMissing(path="gone.png")


async def test_an_undeclared_exception_arrives_as_a_remote_error_without_traceback(stack: Stack) -> None:
    async with stack.client() as client, cleanup_worker(stack, stat_file):
        with pytest.raises(RemoteError) as caught:
            await client.call(StatFile(path="bad/a.png"), timeout=WAIT)

    error = caught.value
    assert (
        str(error) == "cleanup.stat_file: the worker failed with ValueError: cannot stat bad/a.png: permission denied"
    )
    assert (error.code, error.type, error.message) == (
        "failed",
        "ValueError",
        "cannot stat bad/a.png: permission denied",
    )
    assert error.__cause__ is None
    assert "Traceback" not in str(error)


async def test_a_declared_error_the_contract_does_not_declare_arrives_as_a_remote_error(stack: Stack) -> None:
    class Elsewhere(msgspec.Struct, frozen=True):
        where: str

    async def wrong_error(task: StatFile, ctx: Context) -> FileInfo:
        raise DeclaredError(Elsewhere(where="s3"))

    async with stack.client() as client, cleanup_worker(stack, wrong_error):
        with pytest.raises(RemoteError) as caught:
            await client.call(StatFile(path="a.png"), timeout=WAIT)

    assert (caught.value.type, caught.value.message) == (
        "Elsewhere",
        "the handler answered with an undeclared error: Elsewhere(where='s3')",
    )


async def test_with_no_worker_a_call_times_out_and_a_later_worker_does_not_run_it(stack: Stack) -> None:
    handled: list[str] = []

    async def recording(task: StatFile, ctx: Context) -> FileInfo:
        handled.append(task.path)
        return await stat_file(task, ctx)

    async with stack.client() as client:
        started = time.monotonic()
        with pytest.raises(CallTimeout) as caught:
            await client.call(StatFile(path="early.png"), timeout=1.0)
        waited = time.monotonic() - started
        assert waited >= 0.9  # never before its timeout (a bound that load cannot break)
        assert str(caught.value) == (
            "cleanup.stat_file: no reply within 1 s; is a worker serving it? "
            "If it is just slow, allow more time with timeout="
        )
        assert caught.value.waited == 1.0

        # One handler at a time: a request still queued would be served before the next call.
        async with cleanup_worker(stack, recording, concurrency=1):
            assert await client.call(StatFile(path="later.png"), timeout=WAIT) == FileInfo(
                path="later.png", size=9, modified_at=1.5
            )

    assert handled == ["later.png"]


async def test_a_worker_does_not_run_a_request_past_its_deadline(stack: Stack) -> None:
    handled: list[str] = []

    async def recording(task: StatFile, ctx: Context) -> FileInfo:
        handled.append(task.path)
        return await stat_file(task, ctx)

    async with stack.client() as client, cleanup_worker(stack, recording, concurrency=1):
        # As a caller with a slow clock would send it: the broker keeps it, the deadline is gone.
        publisher = stack.transport()
        await publisher.open()
        try:
            await publisher.publish(
                OutgoingMessage(
                    exchange="burrow",
                    routing_key="cleanup.stat_file",
                    body=msgspec.json.encode(StatFile(path="stale.png")),
                    type="cleanup.stat_file",
                    message_id=uuid.uuid4().hex,
                    headers={HEADER_DEADLINE: int(time.time() * 1000) - 1000},
                )
            )
        finally:
            await publisher.close()
        assert (await client.call(StatFile(path="fresh.png"), timeout=WAIT)).path == "fresh.png"

    assert handled == ["fresh.png"]


async def test_a_call_with_no_queue_bound_fails_at_once_as_unroutable(stack: Stack) -> None:
    transport = stack.transport()
    async with Client(transport, declare=False) as client:
        await transport.declare(TopologySpec(exchanges=(ExchangeSpec("burrow"),)))
        with pytest.raises(Unroutable) as caught:  # at once: not a CallTimeout after WAIT
            await client.call(StatFile(path="a.png"), timeout=WAIT)

    assert (caught.value.exchange, caught.value.routing_key) == ("burrow", "cleanup.stat_file")


# Two versions of one contract, as a caller and a worker deployed apart may hold them.
old = Service("drift")
new = Service("drift")


class OldInfo(msgspec.Struct, frozen=True):
    size: int


class NewInfo(msgspec.Struct, frozen=True):
    size: str


@old.call("stat")
class OldStat(Call[OldInfo], frozen=True):
    path: str


@new.call("stat")
class NewStat(Call[NewInfo], frozen=True):
    path: str


@old.call("count")
class OldCount(Call[int], frozen=True):
    path: str


@new.call("count")
class NewCount(Call[int], frozen=True):
    path: int


async def new_stat(request: NewStat, ctx: Context) -> NewInfo:
    return NewInfo(size="12 kB")


async def new_count(request: NewCount, ctx: Context) -> int:
    return request.path


def drift_worker(stack: Stack) -> Worker:
    worker = stack.worker()
    worker.bind(NewStat, new_stat)
    worker.bind(NewCount, new_count)
    return worker


async def test_a_reply_that_does_not_decode_raises_a_contract_error_with_its_path(stack: Stack) -> None:
    async with stack.client() as client, drift_worker(stack):
        with pytest.raises(ContractError) as caught:
            await client.call(OldStat(path="a.png"), timeout=WAIT)

    assert str(caught.value) == (
        "drift.stat: the reply does not decode as OldInfo: Expected `int`, got `str` - at `$.size`"
    )


async def test_a_request_the_worker_cannot_decode_fails_the_call_at_once(stack: Stack) -> None:
    async with stack.client() as client, drift_worker(stack):
        with pytest.raises(RemoteError) as caught:  # at once: not a CallTimeout after WAIT
            await client.call(OldCount(path="a.png"), timeout=WAIT)

    assert caught.value.code == "bad-request"
    assert caught.value.message == "drift.count: Expected `int`, got `str` - at `$.path`"


async def test_closing_the_client_fails_its_pending_calls(stack: Stack) -> None:
    entered = asyncio.Event()
    release = asyncio.Event()

    async def held(task: StatFile, ctx: Context) -> FileInfo:
        entered.set()
        await release.wait()
        return await stat_file(task, ctx)

    async with cleanup_worker(stack, held, concurrency=1):
        client = stack.client()
        await client.open()
        pending = asyncio.create_task(client.call(StatFile(path="a.png"), timeout=WAIT))
        await asyncio.wait_for(entered.wait(), WAIT)
        await client.aclose()
        with pytest.raises(ConnectionLost, match="the client was closed before the reply came"):
            await pending
        release.set()
