"""``burrow worker --log-format json``: one JSON object per line, with each message's fields."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from typing import Any

from burrow.sdk import Client

from contracts.cleanup import DeleteFile
from tests.integration._raw import WAIT
from tests.integration.test_shutdown import ROOT


async def test_the_worker_logs_each_message_as_json_with_its_fields(amqp_url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "burrow.cli",
        "worker",
        "tests.integration._json_worker:make_worker",
        "--url",
        amqp_url,
        "--log-level",
        "DEBUG",
        "--log-format",
        "json",
        cwd=ROOT,
        env=dict(os.environ),
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    records: list[dict[str, Any]] = []

    async def read_until(done: Any) -> None:
        assert process.stderr is not None
        async with asyncio.timeout(WAIT):
            while not any(done(record) for record in records):
                line = await process.stderr.readline()
                assert line, f"the worker exited early: {records}"
                records.append(json.loads(line))  # every line is one JSON object

    try:
        await read_until(lambda record: record["message"].startswith("worker burrow-worker serving"))
        async with Client.connect(amqp_url) as client:
            await client.send(DeleteFile(path="/tmp/ok"), message_id="ok-1")
            await client.send(DeleteFile(path="/tmp/fail"), message_id="fail-1")
        await read_until(lambda record: record.get("outcome") == "dead-lettered" and record["level"] == "DEBUG")
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(WAIT):
            rest = await process.stderr.read()
            assert await process.wait() == 0
        records.extend(json.loads(line) for line in rest.splitlines())
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    def about(message_id: str) -> list[tuple[str, str, int, str]]:
        return [
            (record["level"], record["contract"], record["attempt"], record["outcome"])
            for record in records
            if record.get("message_id") == message_id
        ]

    task = "cleanup.delete_file"
    assert about("ok-1") == [("DEBUG", task, 1, "ok")]
    assert about("fail-1") == [
        ("WARNING", task, 1, "retried"),
        ("DEBUG", task, 1, "retried"),
        ("ERROR", task, 2, "dead-lettered"),
        ("DEBUG", task, 2, "dead-lettered"),
    ]
    handled = [record for record in records if record.get("message_id") and record["level"] == "DEBUG"]
    assert all(record["logger"] == "burrow.worker" and record["duration_ms"] >= 0 for record in handled)
    failed = [record for record in records if record.get("message_id") == "fail-1" and record["level"] != "DEBUG"]
    assert all("RuntimeError: cannot delete /tmp/fail" in record["exception"] for record in failed)
    assert failed[-1]["dead_reason"] == "handler-failed"
