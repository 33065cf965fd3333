"""Burrow doing the baseline's work through its public API: ``Client.send_many`` and ``Worker``.

With ``hooked``, a hook that only proceeds is installed on both sides: the
cost of the seam itself (``python -m bench.tasks --hooked``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from burrow.sdk import Client, Hook
from burrow.server import Context, Worker

from bench._contract import Touch

__all__ = ["consume", "produce"]


def _hooks(hooked: bool) -> list[Hook]:
    return [Hook()] if hooked else []  # the base class's methods only proceed


async def produce(url: str, count: int, *, hooked: bool = False) -> tuple[float, float, float]:
    """Send ``count`` tasks; return (start, end, CPU seconds) of the sending phase."""
    async with Client.connect(url, hooks=_hooks(hooked)) as client:
        cpu, start = time.process_time(), time.monotonic()
        await client.send_many(Touch(index=index, path=f"/tmp/bench/{index}.png") for index in range(count))
        return start, time.monotonic(), time.process_time() - cpu


async def consume(url: str, count: int, prefetch: int, ready: Callable[[], None], *, hooked: bool = False) -> float:
    """Handle ``count`` tasks and return when the last one was handled."""
    handled = 0
    done = asyncio.Event()
    last = 0.0

    async def touch(task: Touch, ctx: Context) -> None:
        nonlocal handled, last
        handled += 1
        if handled == count:
            last = time.monotonic()
            done.set()

    worker = Worker(url, concurrency=prefetch, grace_period=5, hooks=_hooks(hooked))
    worker.bind(Touch, touch)
    async with worker:
        ready()
        await done.wait()
    return last
