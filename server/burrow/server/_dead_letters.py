"""Moving a message that cannot be handled to its service's dead-letter queue.

The copy keeps the body and properties and records why in ``x-burrow-*``
headers. The original is acked only after the broker confirmed the copy, so a
failure here leaves the message on its queue: nothing is lost.
"""

from __future__ import annotations

import enum
import time
import uuid

from burrow.sdk import Delivery, OutgoingMessage, Transport
from burrow.sdk._hooks import Outcome
from burrow.sdk._wire import (
    HEADER_ATTEMPT,
    HEADER_CONTRACT,
    HEADER_DEAD_REASON,
    HEADER_DELIVERIES,
    HEADER_ERROR_MESSAGE,
    HEADER_ERROR_TYPE,
    HEADER_FAILED_AT,
    HEADER_FIRST_FAILED_AT,
    HEADER_ORIGINAL_EXCHANGE,
    HEADER_ORIGINAL_QUEUE,
    HEADER_ORIGINAL_ROUTING_KEY,
)
from burrow.server._hooked import note, publish

__all__ = ["DeadReason", "counted_copy", "dead_letter"]

# AMQP short strings (header values are long strings, but keep them readable).
_MAX_ERROR_MESSAGE = 4096


class DeadReason(enum.StrEnum):
    """Why a message was dead-lettered (the ``x-burrow-dead-reason`` header)."""

    UNDECODABLE = "undecodable"  # the body does not decode into its contract
    UNKNOWN_CONTRACT = "unknown-contract"  # the message names no contract this worker serves
    HANDLER_FAILED = "handler-failed"  # the handler raised and its retry policy gives up
    DELIVERY_LIMIT = "delivery-limit"  # came back unsettled (crash, hang, lost connection) past the delivery limit
    WORKER_ERROR = "worker-error"  # the worker itself failed on it (a fault in Burrow, not in the message)


async def dead_letter(
    transport: Transport,
    delivery: Delivery,
    *,
    queue: str,
    reason: DeadReason,
    error_type: str,
    error_message: str,
    attempt: int = 1,
) -> None:
    """Publish a copy of ``delivery`` to ``queue`` with the reason, then ack the original.

    ``attempt`` is the number of attempts made; the first failure time comes from
    the retries before (``x-burrow-first-failed-at``), or is now.
    """
    headers = dict(delivery.headers)
    now = int(time.time() * 1000)
    headers.setdefault(HEADER_FIRST_FAILED_AT, now)
    headers.update(
        {
            HEADER_ATTEMPT: attempt,
            HEADER_DEAD_REASON: reason.value,
            HEADER_CONTRACT: delivery.type or "",
            HEADER_ERROR_TYPE: error_type,
            HEADER_ERROR_MESSAGE: error_message[:_MAX_ERROR_MESSAGE],
            HEADER_FAILED_AT: now,
            HEADER_ORIGINAL_EXCHANGE: delivery.exchange,
            HEADER_ORIGINAL_ROUTING_KEY: delivery.routing_key,
            HEADER_ORIGINAL_QUEUE: delivery.queue,
        }
    )
    await publish(
        OutgoingMessage(
            exchange="",  # the default exchange routes straight to the queue named by the key
            routing_key=queue,
            body=delivery.body,
            type=delivery.type or "",
            message_id=delivery.message_id or uuid.uuid4().hex,  # returns are matched by id
            content_type=delivery.content_type,
            headers=headers,
            timestamp=delivery.timestamp,
            app_id=delivery.app_id,
            correlation_id=delivery.correlation_id,
        ),
        "dead-letter",
        transport.publish,
    )
    await delivery.ack()
    note(Outcome.DEAD_LETTERED, dead_reason=reason.value)


def counted_copy(delivery: Delivery, deliveries: int) -> OutgoingMessage:
    """``delivery`` unchanged but for ``x-burrow-deliveries``, back to the queue it came from."""
    return OutgoingMessage(
        exchange="",
        routing_key=delivery.queue,
        body=delivery.body,
        type=delivery.type or "",
        message_id=delivery.message_id or uuid.uuid4().hex,
        content_type=delivery.content_type,
        headers={**delivery.headers, HEADER_DELIVERIES: deliveries},
        timestamp=delivery.timestamp,
        app_id=delivery.app_id,
        correlation_id=delivery.correlation_id,
        reply_to=delivery.reply_to,
        expiration=delivery.expiration,
    )
