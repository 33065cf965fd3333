"""Type test: bindings that must not type-check. Each marked line errors with the marked code."""

from __future__ import annotations

from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile


async def stat_file(task: StatFile, ctx: Context) -> FileInfo:
    return FileInfo(path=task.path, size=0, modified_at=0.0)


async def stat_file_wrong_result(task: StatFile, ctx: Context) -> str:
    return task.path


def stat_file_sync_wrong_result(task: StatFile, ctx: Context) -> int:
    return 0


def delete_file_without_context(task: DeleteFile) -> None:
    pass


async def delete_file_returning_a_result(task: DeleteFile, ctx: Context) -> FileInfo:
    return FileInfo(path=task.path, size=0, modified_at=0.0)


def wrong_bindings(worker: Worker) -> None:
    worker.bind(DeleteFile, stat_file)  # E: arg-type
    worker.bind(StatFile, stat_file_wrong_result)  # E: arg-type
    worker.bind(StatFile, stat_file_sync_wrong_result)  # E: arg-type
    worker.bind(DeleteFile, delete_file_without_context)  # E: arg-type
    worker.bind(DeleteFile, delete_file_returning_a_result)  # E: arg-type
    worker.bind(FileInfo, stat_file)  # E: arg-type
