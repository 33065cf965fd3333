"""A message that kills its worker process each time is dead-lettered at the delivery limit (quorum queue)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from burrow.cli import main
from burrow.sdk import Client, Topology
from burrow.server import DeadLetters

from contracts.cleanup import DeleteFile, cleanup
from tests.integration._crashing_worker import CRASH_EXIT_CODE, DELIVERY_LIMIT, POISON
from tests.integration._raw import WAIT, message_count

ROOT = Path(__file__).resolve().parents[2]
BEHIND = [f"/tmp/{number}" for number in range(3)]
RESTARTS = DELIVERY_LIMIT + 3  # a bound on restarts, past what the delivery limit should need


async def start_worker(url: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "burrow.cli",
        "worker",
        "tests.integration._crashing_worker:make_worker",
        "--url",
        url,
        cwd=ROOT,
        env=os.environ,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_until_it_survives(url: str) -> tuple[int, list[str]]:
    """Start the worker again each time it dies, as a supervisor would; return the crashes and the survivor's log."""
    crashes = 0
    for _ in range(RESTARTS):
        process = await start_worker(url)
        assert process.stderr is not None
        log: list[str] = []
        try:
            async with asyncio.timeout(WAIT):
                while sum("handler finished" in line for line in log) < len(BEHIND):
                    line = (await process.stderr.readline()).decode()
                    if not line:  # it died
                        assert await process.wait() == CRASH_EXIT_CODE, "".join(log)
                        assert any(f"handler crashing on {POISON}" in entry for entry in log), "".join(log)
                        crashes += 1
                        break
                    log.append(line)
                else:
                    process.send_signal(signal.SIGTERM)
                    log.extend((await process.stderr.read()).decode().splitlines(keepends=True))
                    assert await process.wait() == 0, "".join(log)
                    return crashes, log
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    raise AssertionError(f"the worker still died after {RESTARTS} restarts")


async def test_a_message_that_kills_the_worker_process_each_time_ends_in_the_dead_letter_queue(
    amqp_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    topology = Topology(delivery_limit=DELIVERY_LIMIT)
    async with Client.connect(amqp_url, topology=topology) as client:
        await client.send(DeleteFile(path=POISON))
        await client.send_many(DeleteFile(path=path) for path in BEHIND)

    crashes, log = await run_until_it_survives(amqp_url)

    assert crashes == DELIVERY_LIMIT + 1  # the first delivery and one per return the limit allows
    finished = [line.split("handler finished ")[1].strip() for line in log if "handler finished" in line]
    assert finished == BEHIND  # the tasks behind it, each handled once
    assert await message_count(amqp_url, "cleanup") == 0
    async with DeadLetters.connect(amqp_url, cleanup, topology=topology) as dead:
        (letter,) = await dead.list()
    assert (letter.reason, letter.message) == ("delivery-limit", DeleteFile(path=POISON))

    # The command line tells it apart from a handler's failure.
    assert await asyncio.to_thread(main, ["dead", "list", "cleanup", "--url", amqp_url]) == 0
    listed = capsys.readouterr().out
    assert f"{letter.message_id}  cleanup.delete_file  delivery-limit  attempts=1" in listed
    assert "DeliveryLimit: came back unsettled more times than the delivery limit of queue 'cleanup'" in listed
    show = ["dead", "show", "cleanup", letter.message_id, "--url", amqp_url, "--contracts", "contracts.cleanup"]
    assert await asyncio.to_thread(main, show) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["reason"], shown["message"]) == ("delivery-limit", {"path": POISON})
    assert shown["headers"]["x-first-death-reason"] == "delivery_limit"
