"""Type test: what the API hands back is exactly the contract's type, never ``Any``.

Checked by the normal ``mypy --strict`` run, with ``disallow_any_expr`` for this
module (pyproject.toml): no expression here may be ``Any``, and ``assert_type``
pins the exact types. Never executed. The cases that must *not* type-check live in ``fail_*.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import assert_type

from burrow.sdk import Client, ContractInfo, contract_info
from burrow.server import Context, Handler, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile


async def client_calls_return_the_contract_result(client: Client) -> None:
    info = await client.call(StatFile(path="a.png"))
    assert_type(info, FileInfo)
    assert_type(info.size, int)
    assert_type(await client.call(StatFile(path="a.png"), timeout=5), FileInfo)
    await client.send(DeleteFile(path="a.png"))
    await client.send(DeleteFile(path="a.png"), delay=60)
    await client.send_many([DeleteFile(path="a.png"), DeleteFile(path="b.png")])

    async def stream() -> AsyncIterator[DeleteFile]:
        yield DeleteFile(path="a.png")

    await client.send_many(stream(), delay=timedelta(hours=1), window=512)


async def delete_file(task: DeleteFile, ctx: Context) -> None:
    assert_type(task.path, str)
    assert_type(ctx.message_id, str)


def delete_file_sync(task: DeleteFile, ctx: Context) -> None:
    pass


async def stat_file(task: StatFile, ctx: Context) -> FileInfo:
    return FileInfo(path=task.path, size=0, modified_at=0.0)


def stat_file_sync(task: StatFile, ctx: Context) -> FileInfo:
    return FileInfo(path=task.path, size=0, modified_at=0.0)


class Cleanup:
    """Handlers as methods, the way a service class implements them."""

    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        pass

    def stat_file(self, task: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=task.path, size=0, modified_at=0.0)


def workers_accept_matching_handlers() -> None:
    Worker().bind(DeleteFile, delete_file)
    Worker().bind(DeleteFile, delete_file_sync)
    Worker().bind(StatFile, stat_file)
    Worker().bind(StatFile, stat_file_sync)
    service = Cleanup()
    Worker().bind(DeleteFile, service.delete_file)
    Worker().bind(StatFile, service.stat_file)


def handler_alias_names_the_contract_and_result() -> None:
    handler: Handler[StatFile, FileInfo] = stat_file
    sync_handler: Handler[StatFile, FileInfo] = stat_file_sync
    Worker().bind(StatFile, handler)
    Worker().bind(StatFile, sync_handler)


def contract_info_is_typed() -> None:
    assert_type(contract_info(DeleteFile), ContractInfo)
    assert_type(contract_info(StatFile(path="x")).wire_name, str)
