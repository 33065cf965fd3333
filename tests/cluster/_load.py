"""A steady stream of tasks and a worker that records when it handled each, for the cluster tests."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from burrow.sdk import Client, ConnectionLost, Topology
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile

QUORUM = Topology(queue_type="quorum")
WAIT = 60.0  # seconds; generous: the machine is shared and a node takes seconds to boot


def _stat_file(task: StatFile, ctx: Context) -> FileInfo:
    raise NotImplementedError("the cluster tests send no stat_file call")


@dataclass
class Handled:
    """What a worker handled: each task's path, and when (``time.monotonic``)."""

    times: dict[str, list[float]] = field(default_factory=dict)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        self.times.setdefault(task.path, []).append(time.monotonic())
        self.arrived.set()

    def worker(self, urls: list[str]) -> Worker:
        """A cleanup worker on the quorum topology, connecting to ``urls`` in turn."""
        worker = Worker(urls, topology=QUORUM, name="cluster-test-worker")
        worker.bind(DeleteFile, self.delete_file)
        worker.bind(StatFile, _stat_file)
        return worker

    def missing(self, sent: set[str]) -> set[str]:
        return sent - self.times.keys()

    async def wait_for(self, sent: set[str], timeout: float = WAIT) -> set[str]:
        """Wait until every path in ``sent`` was handled, at most ``timeout``; return those that were not."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while self.missing(sent):
                    self.arrived.clear()
                    await self.arrived.wait()
        return self.missing(sent)

    def gap_after(self, since: float) -> float:
        """The longest time without a handled task from ``since - 1 s`` on."""
        moments = sorted(t for times in self.times.values() for t in times if t >= since - 1.0)
        return max((later - earlier for earlier, later in itertools.pairwise(moments)), default=0.0)


@dataclass
class Sent:
    """Paths whose send returned without error, and how many sends raised ``ConnectionLost``."""

    confirmed: set[str] = field(default_factory=set)
    lost: int = 0


@contextlib.asynccontextmanager
async def steady_sends(client: Client, prefix: str, *, rate: float) -> AsyncIterator[Sent]:
    """Send one task every ``1 / rate`` s (each in a task of its own) while the block runs."""
    sent = Sent()
    pending: set[asyncio.Task[None]] = set()

    async def send(path: str) -> None:
        try:
            await client.send(DeleteFile(path=path))
        except ConnectionLost:
            sent.lost += 1  # not confirmed: the caller knows, so it is not counted as sent
            return
        sent.confirmed.add(path)

    async def pace() -> None:
        index = 0
        while True:
            task = asyncio.create_task(send(f"{prefix}{index}"))
            pending.add(task)
            task.add_done_callback(pending.discard)
            index += 1
            await asyncio.sleep(1 / rate)

    pacer = asyncio.create_task(pace())
    try:
        yield sent
    finally:
        pacer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pacer
        await asyncio.gather(*pending)
