"""The example in docs/testing-your-service.md: a user's tests for the ``cleanup`` service.

``serve_cleanup`` (tests/conftest.py) binds the implementation under test:
``lambda worker: bind_cleanup(worker, Cleanup(tmp_path))``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from burrow.sdk import DeclaredError, ManualClock
from burrow.server import Worker
from burrow.testing import burrow_harness, verify_contracts

import contracts.cleanup
from contracts.cleanup import DeleteFile, FileInfo, FileMissing, StatFile, cleanup
from contracts.generated.client import Client

Bind = Callable[[Worker], None]


# --8<-- [start:harness]
async def test_delete_file_removes_the_file(serve_cleanup: Bind, tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"png")
    async with burrow_harness(serve_cleanup, client=Client) as h:
        await h.client.cleanup.delete_file("x.png")
        await h.drain()  # until the queues are empty and no handler is running

    assert h.sent(DeleteFile) == [DeleteFile(path="x.png")]
    assert not (tmp_path / "x.png").exists()


async def test_stat_file_returns_typed_results_and_errors(serve_cleanup: Bind, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"hello")
    async with burrow_harness(serve_cleanup, client=Client) as h:
        info = await h.client.cleanup.stat_file("a.txt")
        with pytest.raises(DeclaredError) as missing:
            await h.client.cleanup.stat_file("gone.txt")

    assert info == FileInfo(path="a.txt", size=5, modified_at=info.modified_at)
    assert missing.value.get(FileMissing) == FileMissing(path="gone.txt")
    assert h.sent(StatFile) == [StatFile(path="a.txt"), StatFile(path="gone.txt")]


async def test_a_delete_an_hour_from_now_waits_for_the_clock(serve_cleanup: Bind, tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"png")
    async with burrow_harness(serve_cleanup, client=Client, clock=ManualClock()) as h:
        await h.client.cleanup.delete_file("x.png", delay=timedelta(hours=1))
        assert h.delayed(DeleteFile) == [DeleteFile(path="x.png")]

        await h.advance(3599)  # moves the clock, then drains
        assert (tmp_path / "x.png").exists()
        await h.advance(1)
        assert not (tmp_path / "x.png").exists()


async def test_a_path_outside_the_root_is_dead_lettered(serve_cleanup: Bind) -> None:
    async with burrow_harness(serve_cleanup, client=Client) as h:
        await h.client.cleanup.delete_file("../outside.png")
        await h.drain()

    (dead,) = h.dead_letters(cleanup)
    assert dead.headers["x-burrow-dead-reason"] == "handler-failed"
    assert dead.headers["x-burrow-error-type"] == "PermissionError"


# --8<-- [end:harness]


# --8<-- [start:verify]
async def test_the_implementation_serves_every_cleanup_contract(serve_cleanup: Bind) -> None:
    report = await verify_contracts(contracts.cleanup, serve_cleanup)
    assert report.ok, report


# --8<-- [end:verify]
