"""The ``cleanup`` service: removes temporary files on behalf of other services."""

from __future__ import annotations

import msgspec
from burrow.sdk import Call, Service, Task

__all__ = ["FileInfo", "FileMissing", "DeleteFile", "StatFile", "cleanup"]

cleanup = Service("cleanup")


class FileInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What ``stat_file`` reports about a file."""

    path: str
    size: int
    modified_at: float


class FileMissing(msgspec.Struct, frozen=True, kw_only=True):
    """The file does not exist."""

    path: str


@cleanup.task("delete_file", examples=[{"path": "assets/temp/x.png"}])
class DeleteFile(Task, frozen=True, kw_only=True):
    """Delete a temporary file. Safe to retry: a missing file counts as deleted."""

    path: str


@cleanup.call("stat_file", errors=[FileMissing], timeout=10.0, examples=[{"path": "a.png"}])
class StatFile(Call[FileInfo], frozen=True, kw_only=True):
    """Report a file's size and modification time."""

    path: str
