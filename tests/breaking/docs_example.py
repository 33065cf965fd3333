"""The two versions of ``cleanup.delete_file`` whose report docs/breaking.md shows."""

from __future__ import annotations

from burrow.sdk import Service, Task


def before() -> Service:
    cleanup = Service("cleanup")

    @cleanup.task("delete_file")
    class DeleteFile(Task, frozen=True, kw_only=True):
        path: str
        recursive: bool = False

    return cleanup


def after() -> Service:
    cleanup = Service("cleanup")

    @cleanup.task("delete_file")
    class DeleteFile(Task, frozen=True, kw_only=True):
        path: str
        owner: str
        note: str = ""

    return cleanup
