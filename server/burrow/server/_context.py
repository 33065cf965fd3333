"""What a handler knows about the message it is handling."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from burrow.sdk._wire import HEADER_SCHEDULE, HEADER_TICK

__all__ = ["Context"]


class Context(msgspec.Struct, frozen=True, kw_only=True):
    """Passed to every handler next to the message.

    Attributes:
        message_id: unique per sent message and kept across redeliveries and
            retries; use it to make a handler idempotent.
        contract: the contract's wire name, e.g. ``cleanup.delete_file``.
        attempt: 1 on the first attempt, incremented by each retry.
        redelivered: the broker delivered this message before (e.g. a worker
            crashed while handling it).
        app_id: the sender's application name, if it set one.
        sent_at: when the message was sent, in seconds since the epoch.
        headers: every AMQP header of the message.

    A scheduled task (docs/schedules.md) has ``schedule`` and ``tick`` set, and
    its ``message_id`` is the tick id, the same on every copy of one tick.
    """

    message_id: str
    contract: str
    attempt: int = 1
    redelivered: bool = False
    app_id: str | None = None
    sent_at: int | None = None
    headers: dict[str, Any] = {}

    @property
    def schedule(self) -> str | None:
        """The schedule that sent this task (``<service>.<schedule>``), or None."""
        value = self.headers.get(HEADER_SCHEDULE)
        return value if isinstance(value, str) else None

    @property
    def tick(self) -> datetime | None:
        """The tick time a scheduled task stands for (UTC), or None for a task not sent by a schedule."""
        value = self.headers.get(HEADER_TICK)
        if self.schedule is None or not isinstance(value, int) or isinstance(value, bool):
            return None
        return datetime.fromtimestamp(value / 1000, UTC)
