"""Type test: implementations with wrong signatures are type errors.

Each marked line names the mypy error code expected on it.
"""

from __future__ import annotations

from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from contracts.generated.server import CleanupService, bind_cleanup


class WrongResult(CleanupService):
    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        pass

    async def stat_file(self, task: StatFile, ctx: Context) -> int:  # E: override
        return 0


class WrongMessage(CleanupService):
    async def delete_file(self, task: StatFile, ctx: Context) -> None:  # E: override
        pass

    async def stat_file(self, task: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=task.path, size=0, modified_at=0.0)


class MissingContext(CleanupService):
    async def delete_file(self, task: DeleteFile) -> None:  # E: override
        pass

    async def stat_file(self, task: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=task.path, size=0, modified_at=0.0)


class Incomplete(CleanupService):
    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        pass


class StructuralWrong:
    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        pass

    def stat_file(self, task: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=task.path, size=0, modified_at=0.0)


def bind(worker: Worker) -> None:
    bind_cleanup(worker, StructuralWrong())  # E: arg-type
    Incomplete()  # E: abstract
