"""Bad input ends in ``<service>.dead`` with a readable reason, and the worker keeps serving."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile
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
