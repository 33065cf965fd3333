"""Inspect, replay and purge a service's dead-letter queue (``<service>.dead``).

Reading uses ``basic.get`` so that nothing consumes the queue for long: ``list``
and ``show`` take messages one by one, hold them unacknowledged, then put them
all back in the order they were taken. RabbitMQ returns them to their places, so
the queue's order is unchanged, but each one comes back marked *redelivered*.
While a listing runs, the messages it holds are invisible to other readers.

A quorum queue counts every return against its delivery limit (on RabbitMQ 4,
a queue declared without one gets 20, and drops what passes it). Reading costs
nothing all the same: a quorum ``<service>.dead`` is declared with a limit so
high that no listing reaches it (``DEAD_LETTER_DELIVERY_LIMIT``, which says why
not "unlimited"), so its ``x-delivery-count`` grows and nothing else happens.

A dead letter's reason is Burrow's ``x-burrow-dead-reason`` when a worker moved
it, or the broker's ``x-death`` when RabbitMQ did: a message that came back
unsettled past a quorum queue's delivery limit reads as ``delivery-limit``.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from burrow.sdk import AmqpTransport, Contract, ContractError, Delivery, OutgoingMessage, Service, Topology, Transport
from burrow.sdk._delay import strip_death_headers
from burrow.sdk._wire import (
    HEADER_ATTEMPT,
    HEADER_CONTRACT,
    HEADER_DEAD_REASON,
    HEADER_DEADLINE,
    HEADER_DELIVERIES,
    HEADER_DELIVERY_COUNT,
    HEADER_DUE,
    HEADER_ERROR_MESSAGE,
    HEADER_ERROR_TYPE,
    HEADER_FAILED_AT,
    HEADER_FIRST_FAILED_AT,
    HEADER_ORIGINAL_EXCHANGE,
    HEADER_ORIGINAL_QUEUE,
    HEADER_ORIGINAL_ROUTING_KEY,
    HEADER_REPLAY,
)

__all__ = ["DeadLetter", "DeadLetters"]

# What a replay drops: the verdict of the last run (and a call's past deadline), so the message starts afresh.
_VERDICT_HEADERS = frozenset(
    {
        HEADER_ATTEMPT,
        HEADER_CONTRACT,
        HEADER_DEAD_REASON,
        HEADER_DELIVERIES,
        HEADER_DELIVERY_COUNT,
        HEADER_DEADLINE,  # a replayed call has no caller waiting: its old deadline would expire it unrun
        HEADER_DUE,
        HEADER_ERROR_MESSAGE,
        HEADER_ERROR_TYPE,
        HEADER_FAILED_AT,
        HEADER_FIRST_FAILED_AT,
        HEADER_ORIGINAL_EXCHANGE,
        HEADER_ORIGINAL_QUEUE,
        HEADER_ORIGINAL_ROUTING_KEY,
        HEADER_REPLAY,
    }
)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One message of a dead-letter queue, with why it is there.

    Attributes:
        message_id, contract: as they came; bytes that are not UTF-8 (a message
            whose properties were malformed) are written as ``\\xff``.
        message: the body decoded with its contract, when the service's
            contracts are known and it decodes; else None (see ``decode_error``).
        attempts: how many times a handler tried it.
        first_failed_at, failed_at: epoch milliseconds of the first and last failure.
        headers: as they came, but for a quorum queue's ``x-delivery-count``, which
            in a dead-letter queue counts how often it was read.
    """

    message_id: str
    contract: str
    reason: str
    error_type: str
    error_message: str
    attempts: int
    first_failed_at: int | None
    failed_at: int | None
    body: bytes
    content_type: str | None
    headers: dict[str, Any] = field(repr=False)
    message: Contract | None = None
    decode_error: str | None = None


class DeadLetters:
    """Tools for the dead-letter queue of one service.

        async with DeadLetters.connect(url, cleanup) as dead:
            for letter in await dead.list():
                print(letter.message_id, letter.error_type, letter.error_message)
            await dead.replay()

    Args:
        transport: how to reach the broker (``DeadLetters.connect`` builds an AMQP one).
        service: the ``Service`` (its contracts decode the bodies) or just its name.
        topology: must match the workers' (exchange name, queue type).
    """

    def __init__(self, transport: Transport, service: Service | str, *, topology: Topology | None = None) -> None:
        self._transport = transport
        self._service = service if isinstance(service, Service) else Service(service)
        self._topology = topology or Topology()
        self.queue = self._topology.dead_letter_queue(self._service).name

    @classmethod
    def connect(cls, url: str, service: Service | str, *, topology: Topology | None = None) -> DeadLetters:
        return cls(AmqpTransport(url, connection_name="burrow-dead-letters"), service, topology=topology)

    async def __aenter__(self) -> Self:
        await self._transport.open()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._transport.close()

    async def list(self, limit: int = 100) -> list[DeadLetter]:
        """The first ``limit`` dead letters, oldest first, left in the queue (marked redelivered)."""
        held: list[Delivery] = []
        try:
            while len(held) < limit and (delivery := await self._transport.get(self.queue)) is not None:
                held.append(delivery)
            letters = [self._describe(delivery) for delivery in held]
            if held and held[-1].redelivered and self._topology.queue_type == "quorum":
                await _take_returned(self._transport, self.queue, held)
            return letters
        finally:
            await _put_back(held)

    async def show(self, message_id: str, *, scan: int = 10_000) -> DeadLetter | None:
        """The dead letter with this message id among the first ``scan``, or None."""
        for letter in await self.list(limit=scan):
            if letter.message_id == message_id:
                return letter
        return None

    async def replay(self, message_ids: Collection[str] | None = None) -> int:
        """Send dead letters back to their contracts as new first attempts; return how many.

        Each is removed from the dead-letter queue only after the broker confirmed
        its copy. With ``message_ids``, only those are replayed and the others stay
        in place. A replayed message that fails again comes back as a new dead letter;
        it is not replayed twice in one call.
        """
        held: list[Delivery] = []
        found: set[str] = set()
        replayed = 0
        run = uuid.uuid4().hex  # marks this call's copies: one back as a new dead letter ends the pass
        delivery: Delivery | None = None
        try:
            while (delivery := await self._transport.get(self.queue)) is not None:
                if delivery.headers.get(HEADER_REPLAY) == run:  # failed again: the queue has wrapped around
                    held.append(delivery)
                    break
                message_id = _displayable(delivery.message_id or "")
                if message_ids is not None and message_id not in message_ids:
                    held.append(delivery)
                    continue
                try:
                    await self._transport.publish(self._replay_copy(delivery, run))
                except BaseException:
                    held.append(delivery)  # not replayed: it stays a dead letter
                    raise
                await delivery.ack()
                replayed += 1
                found.add(message_id)
                if message_ids is not None and found.issuperset(message_ids):
                    break
            if delivery is not None and delivery.redelivered and self._topology.queue_type == "quorum":
                await _take_returned(self._transport, self.queue, held)
        finally:
            await _put_back(held)
        return replayed

    async def purge(self) -> int:
        """Delete every dead letter of the service; return how many."""
        return await self._transport.purge(self.queue)

    def _replay_copy(self, delivery: Delivery, run: str) -> OutgoingMessage:
        headers = {key: value for key, value in strip_death_headers(delivery.headers).items()}
        for key in _VERDICT_HEADERS:
            headers.pop(key, None)
        headers[HEADER_REPLAY] = run
        # The type is the contract's wire name, which is also its routing key; the
        # original routing key may be a delay-cascade key.
        routing_key = delivery.type or str(delivery.headers.get(HEADER_ORIGINAL_ROUTING_KEY, ""))
        return OutgoingMessage(
            exchange=self._topology.exchange,
            routing_key=routing_key,
            body=delivery.body,
            type=delivery.type or "",
            message_id=delivery.message_id or "",
            content_type=delivery.content_type,
            headers=headers,
            timestamp=delivery.timestamp,
            app_id=delivery.app_id,
            correlation_id=delivery.correlation_id,
        )

    def _describe(self, delivery: Delivery) -> DeadLetter:
        # The broker's count of returns in the dead-letter queue counts readings: not the message's.
        headers = {key: value for key, value in delivery.headers.items() if key != HEADER_DELIVERY_COUNT}
        message, decode_error = self._decode(delivery)
        reason, error_type, error_message, failed_at = _verdict(headers)
        return DeadLetter(
            message_id=_displayable(delivery.message_id or ""),
            contract=_displayable(delivery.type or str(headers.get(HEADER_CONTRACT, ""))),
            reason=reason,
            error_type=error_type,
            error_message=error_message,
            attempts=_int(headers.get(HEADER_ATTEMPT)) or 1,
            first_failed_at=_int(headers.get(HEADER_FIRST_FAILED_AT)) or failed_at,
            failed_at=failed_at,
            body=delivery.body,
            content_type=delivery.content_type,
            headers=headers,
            message=message,
            decode_error=decode_error,
        )

    def _decode(self, delivery: Delivery) -> tuple[Contract | None, str | None]:
        prefix = f"{self._service.name}."
        name = (delivery.type or "").removeprefix(prefix)
        info = self._service.contracts.get(name) if delivery.type and delivery.type.startswith(prefix) else None
        if info is None:
            return None, f"no contract named {delivery.type!r} is known for service {self._service.name!r}"
        try:
            return info.decode(delivery.body, delivery.content_type), None
        except ContractError as exc:
            return None, str(exc)


def _verdict(headers: dict[str, Any]) -> tuple[str, str, str, int | None]:
    """Reason, error type, error message and failure time (epoch ms) of a dead letter."""
    if HEADER_DEAD_REASON in headers:  # moved by a worker
        return (
            str(headers[HEADER_DEAD_REASON]),
            str(headers.get(HEADER_ERROR_TYPE, "")),
            str(headers.get(HEADER_ERROR_MESSAGE, "")),
            _int(headers.get(HEADER_FAILED_AT)),
        )
    deaths = headers.get("x-death")
    death = deaths[0] if isinstance(deaths, list) and deaths and isinstance(deaths[0], dict) else {}
    broker_reason = str(death.get("reason", ""))  # RabbitMQ lists the latest death first
    if broker_reason == "delivery_limit":
        detail = (
            f"came back unsettled more times than the delivery limit of queue {death.get('queue', '?')!r} allows: "
            "its worker died, hung or lost its connection while handling it; RabbitMQ dead-lettered it"
        )
        return "delivery-limit", "DeliveryLimit", detail, _epoch_ms(death.get("time"))
    if broker_reason:  # e.g. "rejected" or "expired", from a queue declared elsewhere
        detail = f"RabbitMQ dead-lettered it from queue {death.get('queue', '?')!r} ({broker_reason})"
        return broker_reason.replace("_", "-"), "", detail, _epoch_ms(death.get("time"))
    return "", "", "", None


def _epoch_ms(value: Any) -> int | None:
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    return value * 1000 if _int(value) is not None else None  # an AMQP timestamp, in seconds


async def _take_returned(transport: Transport, queue: str, held: list[Delivery]) -> None:
    """Take the rest of the messages a quorum queue holds as returned, so that they go back in order.

    A quorum queue with a delivery limit serves the messages returned to it
    first, in the order they were returned, and puts each new return behind
    them. Putting back the head of that line alone would move it behind the
    rest: the reader takes the whole line (the redelivered messages, up to the
    first that is not) and puts it all back. A classic queue returns each
    message to its own place: nothing to do.
    """

    while (delivery := await transport.get(queue)) is not None:
        held.append(delivery)
        if not delivery.redelivered:
            return


async def _put_back(held: list[Delivery]) -> None:
    # In the order taken: RabbitMQ restores each to its place (a quorum queue
    # with a delivery limit serves returned messages first, in the order they
    # were returned; without one it would put them at its back).
    for delivery in held:
        await delivery.reject(requeue=True)


def _displayable(text: str) -> str:
    """``text`` with bytes that were not UTF-8 (kept as surrogate escapes) written as ``\\xff``: printable anywhere."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
