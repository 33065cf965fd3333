"""Burrow doing the baseline's work through its public API: ``Client.send_many`` and ``Worker``.

``hooks`` names what is installed on both sides (``python -m bench.tasks --with ...``):
``hooked``, a hook that only proceeds (the cost of the seam itself); ``metrics``,
the Prometheus hook; ``traced``, the OpenTelemetry hook recording spans that are
exported nowhere (the cost of making them, not of shipping them).

Every side uses a classic queue, as the raw baseline does, except ``quorum``:
Burrow's default topology, for the quorum-against-classic row.

The ``uvloop`` side is Burrow with both ends on uvloop (``burrow-mq[uvloop]``), the
baseline staying on asyncio's loop: a row of its own, not a like-for-like comparison.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from burrow.cli._loop import run as run_on_loop
from burrow.sdk import Client, Hook, Topology
from burrow.server import Context, Worker

from bench._contract import Touch

__all__ = ["CLASSIC", "HOOKED", "QUORUM", "consume", "produce", "run"]

T = TypeVar("T")


HOOKED = ("hooked", "metrics", "traced")
CLASSIC = Topology(queue_type="classic")  # like the raw baseline's queue
QUORUM = Topology()  # Burrow's default


def run(side: str, main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``, on uvloop for the ``uvloop`` side (as ``burrow worker --loop uvloop``)."""
    return run_on_loop(main, "uvloop" if side == "uvloop" else "asyncio")


def _hooks(hooks: str) -> list[Hook]:
    if hooks == "hooked":
        return [Hook()]  # the base class's methods only proceed
    if hooks == "metrics":
        from burrow.sdk.prometheus import MetricsHook
        from prometheus_client import CollectorRegistry

        return [MetricsHook(CollectorRegistry())]
    if hooks == "traced":
        from burrow.sdk.otel import TracingHook
        from opentelemetry.sdk.trace import TracerProvider

        return [TracingHook(tracer_provider=TracerProvider())]
    return []


async def produce(url: str, count: int, *, hooks: str = "", topology: Topology = CLASSIC) -> tuple[float, float, float]:
    """Send ``count`` tasks; return (start, end, CPU seconds) of the sending phase."""
    async with Client.connect(url, hooks=_hooks(hooks), topology=topology) as client:
        cpu, start = time.process_time(), time.monotonic()
        await client.send_many(Touch(index=index, path=f"/tmp/bench/{index}.png") for index in range(count))
        return start, time.monotonic(), time.process_time() - cpu


async def consume(
    url: str, count: int, prefetch: int, ready: Callable[[], None], *, hooks: str = "", topology: Topology = CLASSIC
) -> tuple[float, float]:
    """Handle ``count`` tasks and return when the first and the last one were handled."""
    handled = 0
    done = asyncio.Event()
    first = last = 0.0

    async def touch(task: Touch, ctx: Context) -> None:
        nonlocal handled, first, last
        handled += 1
        if handled == 1:
            first = time.monotonic()
        if handled == count:
            last = time.monotonic()
            done.set()

    worker = Worker(url, concurrency=prefetch, grace_period=5, hooks=_hooks(hooks), topology=topology)
    worker.bind(Touch, touch)
    async with worker:
        ready()
        await done.wait()
    return first, last
