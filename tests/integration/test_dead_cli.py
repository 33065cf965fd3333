"""``burrow dead ...`` against a real broker."""

from __future__ import annotations

import asyncio
import json

import pytest
from burrow.cli import main
from burrow.sdk import Client
from burrow.server import Context, DeadLetters, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile


async def _one_dead_letter(url: str) -> str:
    failed = asyncio.Event()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        failed.set()
        raise PermissionError(f"cannot delete {task.path}")

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(url)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with Client.connect(url) as client, worker:
        await client.send(DeleteFile(path="/srv/locked"))
        await asyncio.wait_for(failed.wait(), 10)
    async with DeadLetters.connect(url, "cleanup") as dead:
        for _ in range(50):
            letters = await dead.list()
            if letters:
                return letters[0].message_id
            await asyncio.sleep(0.1)
    raise AssertionError("nothing reached cleanup.dead")


def test_list_show_replay_and_purge(amqp_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    message_id = asyncio.run(_one_dead_letter(amqp_url))

    assert main(["dead", "list", "cleanup", "--url", amqp_url]) == 0
    listed = capsys.readouterr().out
    assert message_id in listed
    assert "handler-failed  attempts=1" in listed
    assert "PermissionError: cannot delete /srv/locked" in listed

    assert main(["dead", "show", "cleanup", message_id, "--url", amqp_url, "--contracts", "contracts.cleanup"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["message"] == {"path": "/srv/locked"}
    assert shown["error"] == "PermissionError: cannot delete /srv/locked"
    assert shown["decode_error"] is None

    assert main(["dead", "show", "cleanup", "no-such-id", "--url", amqp_url]) == 1

    assert main(["dead", "replay", "cleanup", "--id", "no-such-id", "--url", amqp_url]) == 0
    assert capsys.readouterr().out == "replayed 0 message(s)\n"
    assert main(["dead", "purge", "cleanup", "--yes", "--url", amqp_url]) == 0
    assert capsys.readouterr().out == "purged 1 message(s)\n"
