"""``scripts/demo``'s main program: Ctrl-C stops every process it started."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # seconds; a safety net against a hang, not a measure


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A child that exited but is not reaped yet is gone for our purpose.
    status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return status != "Z"


async def test_ctrl_c_stops_the_worker_and_the_app(amqp_url: str) -> None:
    demo = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "examples.demo",
        cwd=ROOT,
        # Deletes due in a minute: the Ctrl-C surely lands while the demo waits for them.
        env={**os.environ, "RABBITMQ_URL": amqp_url, "PYTHONUNBUFFERED": "1", "BURROW_DEMO_DELETE_AFTER": "60"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert demo.stdout is not None
    output: list[str] = []
    pids: list[int] = []
    try:
        async with asyncio.timeout(WAIT):
            while len(pids) < 2:
                line = (await demo.stdout.readline()).decode()
                assert line, "".join(output)
                output.append(line)
                if match := re.search(r"demo: the (worker|app) .* \(pid (\d+)\)$", line):
                    pids.append(int(match[2]))
        demo.send_signal(signal.SIGINT)  # what a terminal's Ctrl-C sends to the demo alone
        rest, _ = await asyncio.wait_for(demo.communicate(), WAIT)
        output.append(rest.decode())
        assert demo.returncode == 130, "".join(output)
    finally:
        if demo.returncode is None:
            demo.kill()
            await demo.wait()
        left_running = [pid for pid in pids if _alive(pid)]
        for pid in left_running:  # even when the test failed, nothing it started stays behind
            os.kill(pid, signal.SIGKILL)
    assert "demo: interrupted: stopped the worker, the app and the broker it had started" in "".join(output)
    assert left_running == []
