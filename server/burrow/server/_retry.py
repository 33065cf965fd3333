"""What happens after a handler raised: another attempt later, or the dead-letter queue.

A retry is a copy of the message, attempt number incremented, published into the
delay cascade to come back after the policy's backoff. The original is acked
only once the broker confirmed the copy: a crash in between redelivers the
original (at-least-once), and nothing is lost.
"""

from __future__ import annotations

import functools
import logging
import time
import uuid

from burrow.sdk import Delivery, OutgoingMessage, RetryPolicy, Topology, Transport
from burrow.sdk._delay import Delayer
from burrow.sdk._hooks import Outcome
from burrow.sdk._wire import (
    HEADER_ATTEMPT,
    HEADER_DELIVERIES,
    HEADER_DELIVERY_COUNT,
    HEADER_DUE,
    HEADER_FIRST_FAILED_AT,
)
from burrow.server._dead_letters import DeadReason, dead_letter
from burrow.server._hooked import note, publish
from burrow.server._logging import message_fields

__all__ = ["Retrier", "attempt_of"]

log = logging.getLogger("burrow.worker")


def attempt_of(delivery: Delivery) -> int:
    """The delivery's attempt number: 1 unless a retry set ``x-burrow-attempt``."""
    value = delivery.headers.get(HEADER_ATTEMPT, 1)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


class Retrier:
    """Settles a delivery whose handler raised, following its contract's retry policy.

    Args:
        transport: the worker's connection, for the retry or dead-letter copy.
        topology: where the contract's exchange and the delay cascade are.
    """

    def __init__(self, transport: Transport, topology: Topology) -> None:
        self._topology = topology
        self._transport = transport
        self._delayer = Delayer(transport, topology)

    async def failed(
        self,
        delivery: Delivery,
        error: Exception,
        *,
        policy: RetryPolicy,
        routing_key: str,
        dead_letter_queue: str,
    ) -> None:
        """Retry ``delivery`` later if ``policy`` allows, else dead-letter it; either way settle it."""
        attempt = attempt_of(delivery)
        note(Outcome.RETRIED, exception=error)  # the dead-letter path notes its own outcome
        if policy.should_retry(error, attempt):
            delay = policy.delay_before(attempt + 1)
            log.warning(
                "%s attempt %d of %d failed for message %s (%s: %s); retrying in %.2f s",
                delivery.type,
                attempt,
                policy.attempts,
                delivery.message_id,
                type(error).__qualname__,
                error,
                delay,
                exc_info=error,
                extra=message_fields(delivery.type, delivery.message_id, attempt, "retried"),
            )
            copy = self._retry_copy(delivery, attempt, routing_key)
            await publish(
                copy, "retry", functools.partial(self._delayer.publish, delay=delay, queue=delivery.queue), delay=delay
            )
            await delivery.ack()
            return
        log.error(
            "%s failed for message %s after %d attempt(s) (%s: %s); dead-lettering it",
            delivery.type,
            delivery.message_id,
            attempt,
            type(error).__qualname__,
            error,
            exc_info=error,
            extra={
                **message_fields(delivery.type, delivery.message_id, attempt, "dead-lettered"),
                "dead_reason": DeadReason.HANDLER_FAILED.value,
            },
        )
        await dead_letter(
            self._transport,
            delivery,
            queue=dead_letter_queue,
            reason=DeadReason.HANDLER_FAILED,
            error_type=type(error).__qualname__,
            error_message=str(error),
            attempt=attempt,
        )

    def _retry_copy(self, delivery: Delivery, attempt: int, routing_key: str) -> OutgoingMessage:
        # A new attempt: not due later than now, and no unsettled deliveries counted yet.
        dropped = (HEADER_DUE, HEADER_DELIVERIES, HEADER_DELIVERY_COUNT)
        headers = {key: value for key, value in delivery.headers.items() if key not in dropped}
        headers[HEADER_ATTEMPT] = attempt + 1
        headers.setdefault(HEADER_FIRST_FAILED_AT, int(time.time() * 1000))
        return OutgoingMessage(
            exchange=self._topology.exchange,
            routing_key=routing_key,
            body=delivery.body,
            type=delivery.type or "",
            message_id=delivery.message_id or uuid.uuid4().hex,  # kept: handlers use it to be idempotent
            content_type=delivery.content_type,
            headers=headers,
            timestamp=delivery.timestamp,
            app_id=delivery.app_id,
            correlation_id=delivery.correlation_id,
            reply_to=delivery.reply_to,
        )
