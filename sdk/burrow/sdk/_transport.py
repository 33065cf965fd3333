"""The transport seam: the only surface the client and worker use to reach a broker.

Two implementations exist: ``AmqpTransport`` (RabbitMQ through aio-pika, the only
module that imports it) and ``MemoryTransport`` (in-process, for users' tests).
Both raise only Burrow's exceptions.
"""

from __future__ import annotations

import abc
import enum
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from burrow.sdk._codec import JSON
from burrow.sdk._errors import TransportError

__all__ = [
    "BindingSpec",
    "Delivery",
    "ExchangeBindingSpec",
    "ExchangeSpec",
    "Headers",
    "OutgoingMessage",
    "QueueSpec",
    "ReplyListener",
    "Subscription",
    "TopologySpec",
    "Transport",
    "TransportEvent",
    "TransportListener",
]

log = logging.getLogger("burrow.transport")

Headers = dict[str, Any]


@dataclass(slots=True)
class OutgoingMessage:
    """A message to publish, with the AMQP properties Burrow sets.

    ``expiration`` is in milliseconds; ``timestamp`` in seconds since the epoch.
    """

    exchange: str
    routing_key: str
    body: bytes
    type: str
    message_id: str
    content_type: str | None = JSON
    headers: Headers = field(default_factory=dict)
    timestamp: int | None = None
    app_id: str | None = None
    correlation_id: str | None = None
    reply_to: str | None = None
    expiration: int | None = None
    persistent: bool = True
    mandatory: bool = True  # off only where the broker cannot route at publish time (delayed-message plugin)


class Settlement(Protocol):
    """How a delivery is acknowledged; aio-pika's incoming message fits as it is."""

    async def ack(self, multiple: bool = False) -> None: ...

    async def reject(self, requeue: bool = False) -> None: ...


class Delivery:
    """A message handed to a consumer. It must be acked or rejected exactly once.

    ``malformed`` says why, when the transport could only partly decode the
    message's properties (the worker dead-letters such a message).
    """

    __slots__ = (
        "_settlement",
        "app_id",
        "body",
        "content_type",
        "correlation_id",
        "exchange",
        "expiration",
        "headers",
        "malformed",
        "message_id",
        "queue",
        "redelivered",
        "reply_to",
        "routing_key",
        "settled",
        "timestamp",
        "type",
    )

    def __init__(
        self,
        *,
        settlement: Settlement,
        queue: str,
        body: bytes,
        exchange: str,
        routing_key: str,
        type: str | None,
        message_id: str | None,
        content_type: str | None,
        headers: Headers,
        timestamp: int | None,
        app_id: str | None,
        correlation_id: str | None,
        reply_to: str | None,
        expiration: int | None,
        redelivered: bool,
        malformed: str | None = None,
    ) -> None:
        self._settlement = settlement
        self.queue = queue
        self.body = body
        self.exchange = exchange
        self.routing_key = routing_key
        self.type = type
        self.message_id = message_id
        self.content_type = content_type
        self.headers = headers
        self.timestamp = timestamp
        self.app_id = app_id
        self.correlation_id = correlation_id
        self.reply_to = reply_to
        self.expiration = expiration
        self.redelivered = redelivered
        self.malformed = malformed
        self.settled = False  # set by the first ack or reject, whether or not it reached the broker

    async def ack(self) -> None:
        self.settled = True
        await self._settlement.ack()

    async def reject(self, *, requeue: bool) -> None:
        self.settled = True
        await self._settlement.reject(requeue=requeue)

    def __repr__(self) -> str:
        return f"<Delivery {self.type} id={self.message_id} queue={self.queue}>"


QueueType = Literal["classic", "quorum"]


@dataclass(frozen=True, slots=True)
class ExchangeSpec:
    name: str
    type: Literal["direct", "topic", "fanout", "headers", "x-delayed-message"] = "direct"
    durable: bool = True
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """A queue to declare. Every declarer must use the same arguments."""

    name: str
    durable: bool = True
    arguments: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BindingSpec:
    queue: str
    exchange: str
    routing_key: str


@dataclass(frozen=True, slots=True)
class ExchangeBindingSpec:
    """Messages published to ``source`` that match ``routing_key`` also go to ``destination``."""

    destination: str
    source: str
    routing_key: str


@dataclass(frozen=True, slots=True)
class TopologySpec:
    exchanges: tuple[ExchangeSpec, ...] = ()
    queues: tuple[QueueSpec, ...] = ()
    bindings: tuple[BindingSpec, ...] = ()
    exchange_bindings: tuple[ExchangeBindingSpec, ...] = ()


OnDelivery = Callable[[Delivery], Coroutine[Any, Any, None]]


class ReplyListener(Protocol):
    """Receives a connection's call replies and hears when their consumer comes and goes."""

    def on_reply(self, reply: Delivery) -> None:
        """A reply arrived; it needs no settling (the reply consumer does not ack)."""

    def on_lost(self, error: TransportError) -> None:
        """The reply consumer is gone (e.g. the connection dropped): replies on their way are lost."""

    def on_restored(self, address: str) -> None:
        """The reply consumer is back after ``on_lost``; new requests name ``address`` as reply_to."""


class TransportEvent(enum.StrEnum):
    """What happened to a transport's connection or to one of its consumers (``Transport.add_listener``)."""

    CONNECTION_LOST = "connection-lost"  # the connection dropped; it is being restored
    CONNECTION_RESTORED = "connection-restored"  # connected again, consumers restored
    CONSUMER_STARTED = "consumer-started"  # the broker delivers a queue to a consumer (again)
    CONSUMER_STOPPED = "consumer-stopped"  # it stopped: cancelled, its queue deleted, or the connection lost


TransportListener = Callable[[TransportEvent, str | None], None]
"""Called with the event and, for a consumer's, its queue (None for the connection's)."""


class Subscription(abc.ABC):
    """A running consumer."""

    @property
    def consuming(self) -> bool:
        """Whether the broker is delivering to it now (False while its queue or connection is gone)."""
        return True

    @abc.abstractmethod
    async def cancel(self) -> None:
        """Stop receiving new deliveries; unsettled ones can still be settled."""


class Transport(abc.ABC):
    """Connection to a broker. Lifecycle: ``open`` once, then ``close`` once."""

    _listeners: tuple[TransportListener, ...] = ()

    def add_listener(self, listener: TransportListener) -> None:
        """Call ``listener(event, queue)`` when the connection is lost or restored and a consumer starts or stops.

        Consumer events name the queue of a ``consume`` subscription (a call's
        reply consumer is not one). A listener runs on the event loop and must
        not block; what it raises is logged. Adding the same listener twice
        adds it once.
        """
        if listener not in self._listeners:
            self._listeners = (*self._listeners, listener)

    def _notify(self, event: TransportEvent, queue: str | None = None) -> None:
        for listener in self._listeners:
            try:
                listener(event, queue)
            except Exception:
                log.exception("a transport listener failed on %s", event)

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect. Raises ``TransportError`` when the broker cannot be reached."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Disconnect. Unsettled deliveries return to their queues."""

    @abc.abstractmethod
    async def declare(self, topology: TopologySpec) -> None:
        """Declare exchanges, queues and bindings; idempotent for equal arguments.

        Raises ``TopologyError`` when an existing entity has other arguments.
        """

    @abc.abstractmethod
    async def publish(self, message: OutgoingMessage) -> None:
        """Publish with ``mandatory`` and wait for the broker's confirm.

        Returns only once the broker has taken responsibility for the message.
        Raises ``Unroutable`` when no queue is bound for it, ``PublishError``
        on a negative confirm and ``ConnectionLost`` when the outcome is unknown.
        If cancelled, the message may or may not have been published.
        """

    @abc.abstractmethod
    async def consume(
        self, queue: QueueSpec, on_delivery: OnDelivery, *, prefetch: int, topology: TopologySpec | None = None
    ) -> Subscription:
        """Start consuming ``queue`` with at most ``prefetch`` unsettled deliveries.

        ``on_delivery`` runs concurrently for up to ``prefetch`` deliveries and
        must settle each of them. If the broker ends the consumer (the queue was
        deleted), the transport declares ``topology`` (by default just the queue)
        and consumes again, retrying until it can or the subscription is cancelled.
        """

    # -- reading a queue without consuming it (dead-letter tools) --

    @abc.abstractmethod
    async def get(self, queue: str) -> Delivery | None:
        """Take the message at the head of ``queue`` (AMQP ``basic.get``), or None when it is empty.

        The delivery must be settled: ``ack`` removes it, ``reject(requeue=True)``
        puts it back in its place, marked redelivered. Raises ``TopologyError``
        when the queue does not exist.
        """

    @abc.abstractmethod
    async def purge(self, queue: str) -> int:
        """Remove every ready message of ``queue``; return how many there were."""

    @abc.abstractmethod
    async def open_replies(self, listener: ReplyListener) -> str:
        """Start this connection's one reply consumer and return its address.

        Requests name the address as ``reply_to``; a worker publishes the reply
        to the default exchange with that routing key. Replies go to
        ``listener.on_reply``. When the consumer is lost the transport calls
        ``listener.on_lost`` and, once it has a consumer again (after a reconnect),
        ``listener.on_restored`` with the address to use from then on.
        Call it once per transport.
        """
