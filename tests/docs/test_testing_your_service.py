"""The example in docs/testing-your-service.md: a user's tests for the ``cleanup`` service."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from contracts.generated.client import Client
from contracts.generated.server import bind_cleanup
from examples.cleanup_server.worker import Cleanup
from sdk import ManualClock, RemoteError
from sdk.testing import burrow_harness


async def test_delete_file_removes_the_file(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"png")
    async with burrow_harness(lambda worker: bind_cleanup(worker, Cleanup(tmp_path)), client=Client) as h:
        await h.client.cleanup.delete_file("x.png")
        await h.drain()  # until the queue is empty and the handler has finished

    assert h.sent(DeleteFile) == [DeleteFile(path="x.png")]
    assert not (tmp_path / "x.png").exists()


async def test_stat_file_returns_the_typed_result(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_bytes(b"hello")
    async with burrow_harness(lambda worker: bind_cleanup(worker, Cleanup(tmp_path)), client=Client) as h:
        info = await h.client.cleanup.stat_file("a.txt", timeout=5)
        with pytest.raises(RemoteError, match="outside"):
            await h.client.cleanup.stat_file("../etc/passwd", timeout=5)

    assert info == FileInfo(path="a.txt", size=5, modified_at=info.modified_at)
    assert h.sent(StatFile) == [StatFile(path="a.txt"), StatFile(path="../etc/passwd")]


async def test_a_delete_an_hour_from_now_waits_for_the_clock(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"png")
    bind = lambda worker: bind_cleanup(worker, Cleanup(tmp_path))  # noqa: E731
    async with burrow_harness(bind, client=Client, clock=ManualClock()) as h:
        await h.client.cleanup.delete_file("x.png", delay=timedelta(hours=1))
        assert h.delayed(DeleteFile) == [DeleteFile(path="x.png")]

        await h.advance(3599)  # moves the clock, then drains
        assert (tmp_path / "x.png").exists()
        await h.advance(1)
        assert not (tmp_path / "x.png").exists()


async def test_a_path_outside_the_root_is_dead_lettered(tmp_path: Path) -> None:
    cleanup = Cleanup(tmp_path)
    async with burrow_harness(lambda worker: bind_cleanup(worker, cleanup), client=Client) as h:
        await h.client.cleanup.delete_file("../outside.png")
        await h.drain()

    (dead,) = h.dead_letters(h.worker.services[0])
    assert dead.headers["x-burrow-dead-reason"] == "handler-failed"
    assert dead.headers["x-burrow-error-message"] == f"'../outside.png' is outside {cleanup.root}"
