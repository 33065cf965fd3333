"""Schedule lateness: how long after its tick time each scheduled task reaches its handler.

    python -m bench.schedules                # 300 ticks of an every-second schedule, 3 workers
    python -m bench.schedules --ticks 60 --workers 1

Workers run in this process, each on its own connection, so that the ticks change
hands between single active consumers as they would across replicas. Lateness is
the handler's start (``time.time()``) minus the tick time (``ctx.tick``); it
includes the slot queue's TTL expiry, the dead-lettering to the due queue, the
task's publish and its delivery. Each tick id must arrive once.

A private broker is started with ``burrow.testing.LocalRabbitMQ`` unless
``RABBITMQ_URL`` is set.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from collections import Counter
from datetime import timedelta

from burrow.sdk import Service, Task
from burrow.server import Context, Worker
from burrow.testing import LocalRabbitMQ

bench = Service("bench_schedules")


@bench.task("beat")
class Beat(Task, frozen=True, kw_only=True):
    pass


bench.schedule("every_second", Beat(), every=timedelta(seconds=1))


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


async def measure(url: str, ticks: int, workers: int) -> tuple[list[float], Counter[str]]:
    lateness: list[float] = []
    seen: Counter[str] = Counter()
    done = asyncio.Event()

    async def beat(task: Beat, ctx: Context) -> None:
        now = time.time()
        assert ctx.tick is not None
        seen[ctx.message_id] += 1
        if seen[ctx.message_id] == 1:
            lateness.append(now - ctx.tick.timestamp())
        if len(lateness) >= ticks:
            done.set()

    running = [Worker(url, name=f"bench-{n}") for n in range(workers)]
    for worker in running:
        worker.bind(Beat, beat)
        await worker.start()
    try:
        await done.wait()
    finally:
        for worker in running:
            await worker.stop()
    return lateness[1:], seen  # the first tick after a start waits for a fresh queue's first message


async def run(url: str, ticks: int, workers: int) -> None:
    lateness, seen = await measure(url, ticks + 1, workers)
    milliseconds = [value * 1000 for value in lateness]
    print(f"{len(milliseconds)} ticks, {workers} worker(s), every 1 s")
    print(
        f"lateness p50 {_percentile(milliseconds, 0.5):.1f} ms, p99 {_percentile(milliseconds, 0.99):.1f} ms, "
        f"max {max(milliseconds):.1f} ms, early {sum(value < 0 for value in milliseconds)}"
    )
    print(f"tick ids seen more than once: {sum(count > 1 for count in seen.values())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url = os.environ.get("RABBITMQ_URL") or stack.enter_context(LocalRabbitMQ()).url
        asyncio.run(run(url, args.ticks, args.workers))


if __name__ == "__main__":
    main()
