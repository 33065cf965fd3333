"""Bad input ends in ``<service>.dead`` with a readable reason, and the worker keeps serving."""

from __future__ import annotations

import asyncio
import datetime
import decimal
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from burrow.sdk import RetryPolicy
from burrow.server import Context, DeadLetters, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile, cleanup
from tests.conformance.conftest import WAIT, Stack, raw


@dataclass(frozen=True)
class Bad:
    body: bytes
    type: str | None
    reason: str
    error_type: str
    error_message: str
    content_type: str = "application/json"


CASES = {
    "garbage bytes": Bad(
        b"\x00garbage\xff",
        "cleanup.delete_file",
        "undecodable",
        "ContractError",
        "cleanup.delete_file: JSON is malformed: invalid character (byte 0)",
    ),
    "wrong field type": Bad(
        b'{"path": 1}',
        "cleanup.delete_file",
        "undecodable",
        "ContractError",
        "cleanup.delete_file: Expected `str`, got `int` - at `$.path`",
    ),
    "missing field": Bad(
        b"{}",
        "cleanup.delete_file",
        "undecodable",
        "ContractError",
        "cleanup.delete_file: Object missing required field `path`",
    ),
    "unsupported content type": Bad(
        b"path=/tmp/x",
        "cleanup.delete_file",
        "undecodable",
        "ContractError",
        "cleanup.delete_file: unsupported content type 'text/plain'; "
        "expected one of application/json, application/msgpack",
        content_type="text/plain",
    ),
    "invalid UTF-8 in a string": Bad(
        b'{"path": "/tmp/\xff"}',
        "cleanup.delete_file",
        "undecodable",
        "ContractError",
        "cleanup.delete_file: cannot decode: UnicodeDecodeError: "
        "'utf-8' codec can't decode byte 0xff in position 5: invalid start byte",
    ),
    "nesting 1,000 levels deep": Bad(
        b'{"path": "/tmp/x", "extra": ' + b"[" * 1000 + b"]" * 1000 + b"}",
        "cleanup.delete_file",
        "undecodable",
        "ContractError",
        "cleanup.delete_file: cannot decode: RecursionError: "
        "maximum recursion depth exceeded while deserializing an object",
    ),
    "unsupported charset": Bad(
        b'{"path": "/tmp/x"}',
        "cleanup.delete_file",
        "undecodable",
        "ContractError",
        "cleanup.delete_file: unsupported charset in content type 'application/json; charset=latin-1'; "
        "Burrow reads UTF-8",
        content_type="application/json; charset=latin-1",
    ),
    "unknown contract": Bad(
        b'{"path": "/tmp/x"}',
        "cleanup.shred_file",
        "unknown-contract",
        "UnknownContract",
        "no contract named 'cleanup.shred_file' is served from queue 'cleanup'",
    ),
    "no type": Bad(
        b'{"path": "/tmp/x"}',
        None,
        "unknown-contract",
        "UnknownContract",
        "the message has no type property naming its contract",
    ),
    "raising handler": Bad(
        b'{"path": "/tmp/boom"}',
        "cleanup.delete_file",
        "handler-failed",
        "PermissionError",
        "[Errno 13] Permission denied: '/tmp/boom'",
    ),
}


def cleanup_worker(stack: Stack, handled: asyncio.Queue[str]) -> Worker:
    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        if task.path == "/tmp/boom":
            raise PermissionError(13, "Permission denied", task.path)
        await handled.put(task.path)

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = stack.worker()
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    return worker


@pytest.mark.parametrize("bad", CASES.values(), ids=CASES.keys())
async def test_bad_message_is_dead_lettered_and_the_worker_goes_on(
    stack: Stack, bad: Bad, caplog: pytest.LogCaptureFixture
) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()
    async with stack.client() as client, cleanup_worker(stack, handled):
        await stack.publish_raw(raw("cleanup", bad.body, type=bad.type, content_type=bad.content_type))
        dead = await stack.next_message("cleanup.dead")
        await client.send(DeleteFile(path="/tmp/next"))
        assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/next"

    assert dead.headers["x-burrow-error-message"] == bad.error_message
    assert dead.headers["x-burrow-error-type"] == bad.error_type
    assert dead.headers["x-burrow-dead-reason"] == bad.reason
    assert dead.headers["x-burrow-contract"] == (bad.type or "")
    assert dead.headers["x-burrow-original-queue"] == "cleanup"
    assert (dead.body, dead.message_id, dead.content_type) == (bad.body, "raw-1", bad.content_type)
    assert bad.error_message in caplog.text  # the log says why, tracebacks included
    assert handled.empty()
    assert await stack.count("cleanup") == 0
    assert await stack.count("cleanup.dead") == 0


async def test_json_with_a_utf8_charset_parameter_is_handled(stack: Stack) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()
    async with cleanup_worker(stack, handled):
        body = b'{"path": "/tmp/\xc3\xa9"}'
        await stack.publish_raw(
            raw("cleanup", body, type="cleanup.delete_file", content_type="application/json; charset=UTF-8")
        )
        assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/é"
    assert await stack.count("cleanup.dead") == 0


# Every AMQP field type, at values pamqp's own encoder would change or refuse.
ODD_HEADERS: dict[str, Any] = {
    "x-double": 1700000000123.0,  # narrowed to 1700000038912.0 by a 32-bit float
    "x-huge-double": 1.7976931348623157e308,  # past a 32-bit float's range
    "x-tiny-double": 5e-324,
    "x-not-utf8": b"\xff\xfe caf\xe9",  # a long string that is not UTF-8 arrives as bytes
    "x-byte-array": bytearray(b"\x00\x01"),
    "x-int64-min": -(2**63),
    "x-int64-max": 2**63 - 1,
    "x-bool": False,
    "x-void": None,
    "x-decimal": decimal.Decimal("12.345"),
    "x-timestamp": datetime.datetime(2030, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    "x-nested": {"list": [1, "two", 3.5, [b"\xff"], {"deep": True}], "empty": {}},
    "x-empty-list": [],
}


async def test_retry_and_dead_letter_copies_keep_every_header_as_it_came(stack: Stack) -> None:
    runs: list[str] = []

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        runs.append(ctx.message_id)
        raise PermissionError(13, "Permission denied", task.path)

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = stack.worker()
    worker.bind(DeleteFile, delete_file, retry=RetryPolicy(attempts=2, backoff=0.0, jitter=0.0))
    worker.bind(StatFile, stat_file)
    async with worker:
        await stack.publish_raw(
            raw("cleanup", b'{"path": "/tmp/a"}', type="cleanup.delete_file", headers=dict(ODD_HEADERS))
        )
        dead = await stack.next_message("cleanup.dead")

    assert runs == ["raw-1", "raw-1"]  # the first attempt and one retry, nothing more
    assert dead.headers["x-burrow-dead-reason"] == "handler-failed"
    assert dead.headers["x-burrow-attempt"] == 2
    for name, value in ODD_HEADERS.items():
        assert dead.headers[name] == value, name
        assert type(dead.headers[name]) is type(value), name
    assert await stack.count("cleanup") == 0


async def test_a_sync_callable_that_returns_a_coroutine_is_awaited(stack: Stack) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await asyncio.sleep(0)  # real asynchronous work: only runs if the coroutine is awaited
        await handled.put(task.path)

    def sync_decorator(
        handler: Callable[[DeleteFile, Context], Awaitable[None]],
    ) -> Callable[[DeleteFile, Context], Awaitable[None]]:
        @functools.wraps(handler)
        def wrapper(task: DeleteFile, ctx: Context) -> Awaitable[None]:
            return handler(task, ctx)

        return wrapper

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    for bound in (lambda task, ctx: delete_file(task, ctx), sync_decorator(delete_file)):
        worker = stack.worker()
        worker.bind(DeleteFile, bound)
        worker.bind(StatFile, stat_file)
        async with stack.client() as client, worker:
            await client.send(DeleteFile(path="/tmp/a"))
            assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/a"
    assert await stack.count("cleanup") == 0
    assert await stack.count("cleanup.dead") == 0


async def test_replay_sends_back_every_dead_letter_even_with_repeated_ids_and_runs_calls(stack: Stack) -> None:
    ran: asyncio.Queue[str] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await ran.put(task.path)

    async def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        await ran.put(f"stat {task.path}")
        return FileInfo(path=task.path, size=1, modified_at=0.0)

    worker = stack.worker()
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with worker, DeadLetters(stack.transport(), cleanup) as dead:
        for number in range(3):  # one message id for all three
            body = f'{{"path": "/tmp/{number}"}}'.encode()
            await stack.publish_raw(raw("cleanup.dead", body, type="cleanup.delete_file"))
        # A dead-lettered call still carries the deadline its caller gave up at.
        await stack.publish_raw(
            raw("cleanup.dead", b'{"path": "/tmp/s"}', type="cleanup.stat_file", headers={"x-burrow-deadline": 1})
        )
        assert await dead.replay() == 4
        runs = {await asyncio.wait_for(ran.get(), WAIT) for _ in range(4)}
    assert runs == {"/tmp/0", "/tmp/1", "/tmp/2", "stat /tmp/s"}
    assert await stack.count("cleanup.dead") == 0


async def test_a_handler_past_its_time_limit_is_cancelled_and_counts_as_a_failure(stack: Stack) -> None:
    started: list[int] = []
    cancelled: list[int] = []

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        started.append(ctx.attempt)
        try:
            await asyncio.Event().wait()  # hangs
        except asyncio.CancelledError:
            cancelled.append(ctx.attempt)
            raise

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(transport=stack.transport(), time_limit=60.0)
    worker.bind(DeleteFile, delete_file, retry=RetryPolicy(attempts=2, backoff=0.0, jitter=0.0), time_limit=0.2)
    worker.bind(StatFile, stat_file)
    async with stack.client() as client, worker:
        await client.send(DeleteFile(path="/tmp/slow"))
        dead = await stack.next_message("cleanup.dead")

    assert started == cancelled == [1, 2]  # retried once as its policy says, each attempt cancelled
    assert dead.headers["x-burrow-dead-reason"] == "handler-failed"
    assert dead.headers["x-burrow-error-type"] == "HandlerTimeout"
    assert dead.headers["x-burrow-error-message"] == (
        "cleanup.delete_file handler ran past its time limit of 0.2 s and was cancelled"
    )


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("this exception cannot be printed")


async def test_a_message_the_worker_itself_fails_on_is_dead_lettered_not_requeued(stack: Stack) -> None:
    runs: list[str] = []

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        runs.append(task.path)
        raise Unprintable  # the worker fails while recording the failure

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = stack.worker()
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with stack.client() as client, worker:
        await client.send(DeleteFile(path="/tmp/a"))
        dead = await stack.next_message("cleanup.dead")
    assert runs == ["/tmp/a"]  # once: not requeued to run again
    assert dead.headers["x-burrow-dead-reason"] == "worker-error"
    assert dead.headers["x-burrow-error-type"] == "RuntimeError"
    assert dead.headers["x-burrow-error-message"] == "this exception cannot be printed"
    assert await stack.count("cleanup") == 0
