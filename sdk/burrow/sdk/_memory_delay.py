"""Delayed delivery for the in-memory broker, on a real or a manual clock.

RabbitMQ holds delayed messages in its delay cascade (``sdk/burrow/sdk/_delay.py``); the
in-memory broker holds them here instead, in due order, and publishes each one
to its exchange when it is due. With a ``ManualClock`` nothing is due until the
test moves time forward (``MemoryBroker.advance``), so a test of a one-hour
delay runs in microseconds.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable

from burrow.sdk._errors import ConfigurationError, PublishError, TransportError
from burrow.sdk._transport import OutgoingMessage

__all__ = ["DelayScheduler", "ManualClock"]

log = logging.getLogger("burrow.memory")


class ManualClock:
    """A clock that moves only when told to; pass it to ``MemoryBroker(clock=...)``.

    Args:
        start: the clock's first reading, in seconds.
    """

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ConfigurationError(f"a clock cannot go back: advance({seconds})")
        self._now += seconds


class DelayScheduler:
    """Messages waiting for their due time, released in due order (then in send order)."""

    def __init__(self, publish: Callable[[OutgoingMessage], None], clock: ManualClock | None) -> None:
        self._publish = publish
        self._clock = clock
        self._pending: list[tuple[float, int, OutgoingMessage]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._slots: dict[int, str] = {}  # by order number: the slot a pending message holds

    def now(self) -> float:
        return self._clock.now() if self._clock is not None else time.monotonic()

    def schedule(self, message: OutgoingMessage, delay: float, slot: str | None = None) -> None:
        """Hold ``message`` for ``delay`` seconds.

        With ``slot``, refuse it (``PublishError``) while another message holding
        the same slot is pending: the stand-in for RabbitMQ's single-slot queue
        (``x-max-length=1``, ``x-overflow=reject-publish``) that schedules use.
        """
        if slot is not None and slot in self._slots.values():
            raise PublishError(f"the slot {slot!r} already holds a message (x-overflow=reject-publish)")
        order = next(self._order)
        if slot is not None:
            self._slots[order] = slot
        heapq.heappush(self._pending, (self.now() + delay, order, message))
        self._arm()

    def pending(self) -> list[OutgoingMessage]:
        """Messages not yet due, soonest first."""
        return [message for _, _, message in sorted(self._pending)]

    def advance(self, seconds: float) -> int:
        """Move the manual clock forward and release what became due; return how many."""
        if self._clock is None:
            raise ConfigurationError("advance() needs a broker made with MemoryBroker(clock=ManualClock())")
        self._clock.advance(seconds)
        return self._release()

    def _release(self) -> int:
        released = 0
        while self._pending and self._pending[0][0] <= self.now():
            _, order, message = heapq.heappop(self._pending)
            self._slots.pop(order, None)
            try:
                self._publish(message)
            except TransportError as exc:
                # RabbitMQ's cascade would keep retrying an unroutable message; here it is
                # reported, since a test that deleted the target queue wants to know.
                log.error("delayed %s message %s could not be delivered: %s", message.type, message.message_id, exc)
            released += 1
        self._arm()
        return released

    def _arm(self) -> None:
        """With the real clock, wake up when the soonest message is due."""
        if self._clock is not None:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pending:
            wait = max(self._pending[0][0] - self.now(), 0.0)
            self._timer = asyncio.get_running_loop().call_later(wait, self._release)
