"""Code that must NOT type-check: each line marked ``# E: <code>`` is a mypy error.

Excluded from the normal mypy run; ``test_fail_calls.py`` checks it line by line.
"""

from __future__ import annotations

from burrow.sdk import Client
from burrow.server import Context, Worker

from contracts.cleanup import FileInfo, StatFile


async def wrong_result(request: StatFile, ctx: Context) -> str:
    return request.path


async def wrong_request(request: FileInfo, ctx: Context) -> FileInfo:
    return request


async def misuse(client: Client, worker: Worker) -> str:
    worker.bind(StatFile, wrong_result)  # E: arg-type
    worker.bind(StatFile, wrong_request)  # E: arg-type
    size: str = (await client.call(StatFile(path="a.png"))).size  # E: assignment
    await client.call(StatFile(path=1))  # E: arg-type
    await client.call(StatFile(path="a.png"), timeout="5")  # E: arg-type
    return size
