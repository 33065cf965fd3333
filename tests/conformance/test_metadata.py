"""Caller-supplied metadata: headers and message ids reach the handler, and survive retries and delays."""

from __future__ import annotations

import asyncio
import datetime
import decimal
from typing import Any

import pytest
from burrow.sdk import ConfigurationError, RetryPolicy
from burrow.server import Context

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from contracts.generated.client import Client as GeneratedClient
from tests.conformance.conftest import WAIT, Stack

HEADERS: dict[str, Any] = {
    "tenant": "acme",
    "idempotency-key": "order-42",
    "priority": 3,
    "ratio": 0.5,
    "flag": True,
    "amount": decimal.Decimal("1.25"),
    "when": datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
    "tags": ["a", "b"],
    "nested": {"depth": 1},
}


async def test_a_tasks_headers_and_message_id_reach_its_handler(stack: Stack) -> None:
    seen: asyncio.Queue[Context] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await seen.put(ctx)

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = stack.worker()
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with stack.client() as client, worker:
        await client.send(DeleteFile(path="/tmp/a"), headers=HEADERS, message_id="order-42/delete")
        ctx = await asyncio.wait_for(seen.get(), WAIT)
    assert ctx.message_id == "order-42/delete"
    for name, value in HEADERS.items():
        assert ctx.headers[name] == value, name
    # Burrow's own headers are still there, next to the caller's.
    assert "x-burrow-fingerprint" in ctx.headers


async def test_a_calls_headers_and_message_id_reach_its_handler(stack: Stack) -> None:
    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        raise NotImplementedError

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=f"{ctx.headers['tenant']}:{ctx.message_id}", size=ctx.headers["priority"], modified_at=0.0)

    worker = stack.worker()
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with stack.client() as client, worker:
        info = await client.call(StatFile(path="a"), headers={"tenant": "acme", "priority": 7}, message_id="req-1")
        # The same message id twice: each call still gets its own reply.
        again = await client.call(StatFile(path="a"), headers={"tenant": "umbrella", "priority": 8}, message_id="req-1")
    assert (info.path, info.size) == ("acme:req-1", 7)
    assert (again.path, again.size) == ("umbrella:req-1", 8)


async def test_the_generated_client_passes_headers_and_message_id(stack: Stack) -> None:
    seen: asyncio.Queue[Context] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await seen.put(ctx)

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=ctx.headers["tenant"], size=0, modified_at=0.0)

    worker = stack.worker()
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with GeneratedClient(stack.transport()) as client, worker:
        await client.cleanup.delete_file("/tmp/a", headers={"tenant": "acme"}, message_id="gen-1")
        info = await client.cleanup.stat_file("a", headers={"tenant": "umbrella"}, message_id="gen-2")
        ctx = await asyncio.wait_for(seen.get(), WAIT)
    assert (ctx.message_id, ctx.headers["tenant"]) == ("gen-1", "acme")
    assert info.path == "umbrella"


async def test_headers_and_message_id_survive_a_delay_and_every_retry(stack: Stack) -> None:
    attempts: list[tuple[int, str, str]] = []
    done: asyncio.Queue[None] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        attempts.append((ctx.attempt, ctx.message_id, ctx.headers["tenant"]))
        if ctx.attempt < 3:
            raise RuntimeError("not yet")
        await done.put(None)

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = stack.worker()
    worker.bind(DeleteFile, delete_file, retry=RetryPolicy(attempts=3, backoff=0.0, jitter=0.0))
    worker.bind(StatFile, stat_file)
    async with stack.client() as client, worker:
        await client.send(DeleteFile(path="/tmp/a"), delay=0.2, headers={"tenant": "acme"}, message_id="key-1")
        await asyncio.wait_for(done.get(), WAIT)
    assert attempts == [(1, "key-1", "acme"), (2, "key-1", "acme"), (3, "key-1", "acme")]


async def test_send_many_sets_the_same_headers_on_every_task(stack: Stack) -> None:
    async with stack.client() as client:
        await client.send_many((DeleteFile(path=f"/tmp/{n}") for n in range(5)), headers={"batch": "b-1"})
    messages = await stack.take_all("cleanup")
    assert [message.headers["batch"] for message in messages] == ["b-1"] * 5
    assert len({message.message_id for message in messages}) == 5


@pytest.mark.parametrize(
    ("headers", "message_id", "error"),
    [
        ({"x-burrow-attempt": 5}, None, "header 'x-burrow-attempt' is reserved"),
        ({"X-Burrow-Deadline": 0}, None, "header 'X-Burrow-Deadline' is reserved"),
        ({"x-death": []}, None, "header 'x-death' is reserved"),
        ({"x-delivery-count": 0}, None, "header 'x-delivery-count' is reserved"),
        ({"": "x"}, None, "header names are non-empty strings"),
        ({"n": float("nan")}, None, "header 'n': RabbitMQ cannot carry the float nan"),
        ({"s": {1, 2}}, None, "header 's': AMQP has no field type for set"),
        ({"k" * 256: 1}, None, "is longer than 255 bytes"),
        (None, "", "message_id must be a non-empty string"),
        (None, "é" * 128, "message_id is longer than 255 bytes of UTF-8"),
    ],
)
async def test_reserved_or_unencodable_metadata_is_refused_before_sending(
    stack: Stack, headers: dict[Any, Any] | None, message_id: str | None, error: str
) -> None:
    async with stack.client() as client:
        with pytest.raises(ConfigurationError, match=error.replace("(", r"\(")):
            await client.send(DeleteFile(path="/tmp/a"), headers=headers, message_id=message_id)
        with pytest.raises(ConfigurationError, match=error.replace("(", r"\(")):
            await client.call(StatFile(path="a"), headers=headers, message_id=message_id, timeout=1)
        if message_id is None:
            with pytest.raises(ConfigurationError):
                await client.send_many([DeleteFile(path="/tmp/a")], headers=headers)
        await client.send(DeleteFile(path="/tmp/ok"))  # the client goes on
    # Nothing of the refused sends was stored.
    assert [message.body for message in await stack.take_all("cleanup")] == [b'{"path":"/tmp/ok"}']


async def test_a_resend_after_an_unknown_outcome_keeps_its_idempotency_key(stack: Stack) -> None:
    """The documented pattern: send again with the same message id; the handler dedupes on it."""
    handled: list[str] = []
    seen_ids: set[str] = set()
    done: asyncio.Queue[None] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        if ctx.message_id not in seen_ids:
            seen_ids.add(ctx.message_id)
            handled.append(task.path)
        await done.put(None)

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = stack.worker(concurrency=1)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with stack.client() as client, worker:
        for _ in range(2):  # as a caller does after ConnectionLost: the first copy may have been stored
            await client.send(DeleteFile(path="/tmp/a"), message_id="delete-/tmp/a")
        for _ in range(2):
            await asyncio.wait_for(done.get(), WAIT)
    assert handled == ["/tmp/a"]
