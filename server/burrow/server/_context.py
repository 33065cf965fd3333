"""What a handler knows about the message it is handling."""

from __future__ import annotations

from typing import Any

import msgspec

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
    """

    message_id: str
    contract: str
    attempt: int = 1
    redelivered: bool = False
    app_id: str | None = None
    sent_at: int | None = None
    headers: dict[str, Any] = {}
