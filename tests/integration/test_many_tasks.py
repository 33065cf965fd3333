"""Many tasks sent concurrently from one client are each handled exactly once."""

from __future__ import annotations

import asyncio
from collections import Counter

from burrow.sdk import Client
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from tests.integration._raw import WAIT, message_count

TASKS = 10_000


class Tally:
    """Counts handled tasks and the most handlers that ever ran at once."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.seen: Counter[str] = Counter()
        self.running = 0
        self.max_running = 0
        self.all_seen = asyncio.Event()

    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        await asyncio.sleep(0)  # a real handler awaits I/O: give the others a turn
        self.running -= 1
        self.seen[task.path] += 1
        if len(self.seen) == self.expected:
            self.all_seen.set()


def stat_file(task: StatFile, ctx: Context) -> FileInfo:
    raise NotImplementedError


async def test_ten_thousand_concurrent_sends_are_each_handled_exactly_once(amqp_url: str) -> None:
    tally = Tally(TASKS)
    worker = Worker(amqp_url, concurrency=64)
    worker.bind(DeleteFile, tally.delete_file)
    worker.bind(StatFile, stat_file)
    paths = [f"/tmp/burrow/{i}" for i in range(TASKS)]
    half = TASKS // 2

    async with Client.connect(amqp_url) as client, worker:
        # Both ways of sending at once: the batch API and plain gather.
        await asyncio.gather(
            client.send_many(DeleteFile(path=path) for path in paths[:half]),
            *(client.send(DeleteFile(path=path)) for path in paths[half:]),
        )
        await asyncio.wait_for(tally.all_seen.wait(), WAIT * 4)

    assert set(tally.seen) == set(paths)
    assert [path for path, times in tally.seen.items() if times != 1] == []
    assert tally.max_running >= 2
    assert await message_count(amqp_url, "cleanup") == 0
    assert await message_count(amqp_url, "cleanup.dead") == 0
