"""Static checks (mypy, not pytest): a call returns exactly its contract's result type.

These functions are never run; mypy checks them with the rest of the tests.
"""

from __future__ import annotations

from datetime import timedelta
from typing import assert_type

from burrow.sdk import Call, CallTimeout, Client, DeclaredError, RemoteError, Service
from burrow.server import Context, Worker

from contracts.cleanup import FileInfo, FileMissing, StatFile

typed = Service("typed")


@typed.call("count")
class Count(Call[int], frozen=True):
    path: str


@typed.call("names")
class Names(Call[list[str]], frozen=True):
    prefix: str


@typed.call("maybe")
class Maybe(Call[FileInfo | None], frozen=True):
    path: str


async def calls_return_the_declared_result(client: Client) -> None:
    assert_type(await client.call(StatFile(path="a.png")), FileInfo)
    assert_type(await client.call(StatFile(path="a.png"), timeout=5), FileInfo)
    assert_type(await client.call(StatFile(path="a.png"), timeout=timedelta(seconds=5)), FileInfo)
    assert_type(await client.call(Count(path="a")), int)
    assert_type(await client.call(Names(prefix="a")), list[str])
    assert_type(await client.call(Maybe(path="a")), FileInfo | None)


async def declared_errors_are_typed(client: Client) -> None:
    try:
        await client.call(StatFile(path="a.png"))
    except DeclaredError as exc:
        missing = exc.get(FileMissing)
        assert_type(missing, FileMissing | None)
        if isinstance(exc.error, FileMissing):
            assert_type(exc.error.path, str)
    except RemoteError as exc:
        assert_type(exc.type, str)
        assert_type(exc.message, str)
    except CallTimeout as exc:
        assert_type(exc.waited, float)


async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
    if request.path == "":
        raise DeclaredError(FileMissing(path=request.path))
    return FileInfo(path=request.path, size=0, modified_at=0.0)


def handlers_bind_with_the_result_type(worker: Worker) -> None:
    worker.bind(StatFile, stat_file)
