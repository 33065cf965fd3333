"""Waiting until the in-memory broker has nothing left to do (``MemoryBroker.drain``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterable, Sized
from typing import Protocol

__all__ = ["wait_until_idle"]


class _Stored(Protocol):
    def expired(self) -> bool: ...


class _Consumer(Protocol):
    @property
    def tasks(self) -> Collection[asyncio.Task[None]]: ...

    @property
    def unsettled(self) -> Sized: ...


class _Spec(Protocol):
    @property
    def name(self) -> str: ...


class _Queue(Protocol):
    @property
    def spec(self) -> _Spec: ...

    @property
    def messages(self) -> Iterable[_Stored]: ...

    @property
    def consumers(self) -> Collection[_Consumer]: ...


async def wait_until_idle(queues: Callable[[], Iterable[_Queue]], timeout: float) -> None:
    """Wait until no consumed queue holds a live message and no delivery is being handled."""
    try:
        async with asyncio.timeout(timeout):
            while await _busy(queues):
                pass
    except TimeoutError:
        busy = sorted(queue.spec.name for queue in queues() if _busy_queue(queue))
        raise TimeoutError(f"the in-memory broker is still busy after {timeout} s; busy queues: {busy}") from None


async def _busy(queues: Callable[[], Iterable[_Queue]]) -> bool:
    """Wait for what is running now; return whether anything was."""
    running = {task for queue in queues() for consumer in queue.consumers for task in consumer.tasks}
    if running:
        await asyncio.wait(running)
        return True
    # Nothing running: let callbacks already scheduled (a publish, a reply) run, then look again.
    for _ in range(3):
        await asyncio.sleep(0)
    return any(_busy_queue(queue) for queue in queues())


def _busy_queue(queue: _Queue) -> bool:
    ready = bool(queue.consumers) and any(not stored.expired() for stored in queue.messages)
    return ready or any(consumer.tasks or len(consumer.unsettled) for consumer in queue.consumers)
