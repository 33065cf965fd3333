"""RabbitMQ's per-queue TTL and dead-lettering, for the in-memory broker.

A queue declared with ``x-message-ttl`` expires its messages after that many
milliseconds (a message's own ``expiration`` may make it sooner), and a queue with
``x-dead-letter-exchange`` republishes what expires, what is rejected without
requeue and (a quorum queue with ``x-delivery-limit``) what comes back unsettled
too often to that exchange, with ``x-dead-letter-routing-key`` or the message's
own routing key, adding the ``x-death`` headers RabbitMQ adds.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from burrow.sdk._transport import OutgoingMessage, QueueSpec

__all__ = ["dead_letter_copy", "dead_letters_to", "queue_ttl"]


def queue_ttl(spec: QueueSpec) -> float | None:
    """The queue's message TTL in seconds, or None."""
    ttl = spec.arguments.get("x-message-ttl")
    return None if ttl is None else int(ttl) / 1000


def dead_letters_to(spec: QueueSpec) -> bool:
    return "x-dead-letter-exchange" in spec.arguments


def dead_letter_copy(message: OutgoingMessage, spec: QueueSpec, reason: str) -> OutgoingMessage:
    """The message as the queue's dead-letter exchange receives it (``reason``: expired, rejected or delivery_limit)."""
    headers = dict(message.headers)
    deaths: list[dict[str, Any]] = list(headers.get("x-death") or [])
    for death in deaths:
        if death.get("queue") == spec.name and death.get("reason") == reason:
            death["count"] = int(death.get("count", 0)) + 1
            break
    else:
        deaths.insert(0, _death(message, spec, reason))
    headers["x-death"] = deaths
    for key, value in (("reason", reason), ("queue", spec.name), ("exchange", message.exchange)):
        headers.setdefault(f"x-first-death-{key}", value)
        headers[f"x-last-death-{key}"] = value
    return dataclasses.replace(
        message,
        exchange=str(spec.arguments["x-dead-letter-exchange"]),
        routing_key=str(spec.arguments.get("x-dead-letter-routing-key", message.routing_key)),
        headers=headers,
        expiration=None,  # RabbitMQ removes the per-message TTL so that the copy does not expire again
    )


def _death(message: OutgoingMessage, spec: QueueSpec, reason: str) -> dict[str, Any]:
    death: dict[str, Any] = {
        "count": 1,
        "reason": reason,
        "queue": spec.name,
        "exchange": message.exchange,
        "routing-keys": [message.routing_key],
        "time": datetime.now(UTC).replace(microsecond=0),  # an AMQP timestamp: whole seconds
    }
    if message.expiration is not None:
        death["original-expiration"] = str(message.expiration)
    return death
