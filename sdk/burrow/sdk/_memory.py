"""In-process broker and transport with RabbitMQ's observable semantics, for tests.

``MemoryBroker`` plays the broker: exchanges, durable queues, bindings,
per-consumer prefetch, acks and requeues. Each ``MemoryTransport`` is one
connection to it; a client and a worker in the same test share one broker.

    broker = MemoryBroker()
    client = Client(broker.transport())
    worker = Worker(transport=broker.transport())
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

from burrow.sdk._errors import ClientStateError, TopologyError, Unroutable
from burrow.sdk._memory_dead import dead_letter_copy, dead_letters_to, queue_ttl
from burrow.sdk._memory_delay import DelayScheduler, ManualClock
from burrow.sdk._memory_idle import wait_until_idle
from burrow.sdk._topology import inequivalent_queue
from burrow.sdk._transport import (
    Delivery,
    ExchangeSpec,
    OnDelivery,
    OutgoingMessage,
    QueueSpec,
    ReplyListener,
    Settlement,
    Subscription,
    TopologySpec,
    Transport,
    TransportEvent,
    TransportListener,
)

__all__ = ["MemoryBroker", "MemoryTransport"]


class _Stored:
    """A message sitting in a queue."""

    __slots__ = ("expires_at", "message", "redelivered", "returns", "seq")

    def __init__(
        self, message: OutgoingMessage, *, redelivered: bool = False, seq: int = 0, ttl: float | None = None
    ) -> None:
        self.message = message
        self.redelivered = redelivered
        self.returns = 0  # times it came back unsettled: a quorum queue's x-delivery-count
        self.seq = seq  # arrival order, so that a requeued basic.get goes back to its place
        # Per-message and per-queue TTL: like RabbitMQ, an expired message is never delivered
        # (it is dropped, or dead-lettered when its queue says where).
        lives = [seconds for seconds in (_seconds(message.expiration), ttl) if seconds is not None]
        self.expires_at = time.monotonic() + min(lives) if lives else None

    def expired(self) -> bool:
        return self.expires_at is not None and time.monotonic() >= self.expires_at


class _Queue:
    def __init__(self, spec: QueueSpec) -> None:
        self.spec = spec
        self.ttl = queue_ttl(spec)
        self.messages: deque[_Stored] = deque()
        self.consumers: list[_Consumer] = []
        self._next_consumer = itertools.count()
        self.quorum = spec.arguments.get("x-queue-type") == "quorum"
        limit = spec.arguments.get("x-delivery-limit")
        self.delivery_limit: int | None = limit if isinstance(limit, int) and limit >= 0 else None

    def returned(self, stored: _Stored) -> bool:
        """Count a return, as a quorum queue does; False when it passed the delivery limit (and must go)."""
        stored.redelivered = True
        stored.returns += 1
        return self.delivery_limit is None or stored.returns <= self.delivery_limit

    def next_ready_consumer(self) -> _Consumer | None:
        """Round-robin over consumers that have room under their prefetch.

        With ``x-single-active-consumer`` only the earliest consumer still there
        receives, as on RabbitMQ; the next one takes over when it cancels or closes.
        """
        if not self.consumers:
            return None
        if self.spec.arguments.get("x-single-active-consumer"):
            active = self.consumers[0]
            return active if len(active.unsettled) < active.prefetch else None
        start = next(self._next_consumer)
        for offset in range(len(self.consumers)):
            consumer = self.consumers[(start + offset) % len(self.consumers)]
            if len(consumer.unsettled) < consumer.prefetch:
                return consumer
        return None


class _Settlement:
    def __init__(self, consumer: _Consumer, tag: int) -> None:
        self._consumer = consumer
        self._tag = tag

    async def ack(self, multiple: bool = False) -> None:
        self._consumer.settle(self._tag, requeue=False)

    async def reject(self, requeue: bool = False) -> None:
        self._consumer.settle(self._tag, requeue=requeue, rejected=True)


class _Consumer(Subscription):
    def __init__(
        self,
        broker: MemoryBroker,
        queue: _Queue,
        on_delivery: OnDelivery,
        prefetch: int,
        notify: TransportListener | None = None,
    ) -> None:
        self.notify = notify  # None for a reply consumer, which listeners do not hear about
        self.broker = broker
        self.queue = queue
        self.on_delivery = on_delivery
        self.prefetch = prefetch
        self.unsettled: dict[int, _Stored] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self._tags = itertools.count(1)

    def deliver(self, stored: _Stored) -> None:
        tag = next(self._tags)
        self.unsettled[tag] = stored
        delivery = _delivery(_Settlement(self, tag), self.queue, stored)
        # Like aiormq, every delivery runs in its own task.
        task = asyncio.get_running_loop().create_task(self.on_delivery(delivery))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def settle(self, tag: int, *, requeue: bool, rejected: bool = False) -> None:
        stored = self.unsettled.pop(tag, None)
        if stored is None:
            raise ClientStateError(f"delivery {tag} on {self.queue.spec.name} was already settled")
        if requeue:
            if self.queue.returned(stored):
                self.queue.messages.appendleft(stored)
            else:
                self.broker._dead_letter(self.queue, stored.message, "delivery_limit")
        elif rejected:
            self.broker._dead_letter(self.queue, stored.message, "rejected")
        self.broker._pump(self.queue)

    async def cancel(self) -> None:
        self.stopped()

    def stopped(self) -> None:
        """No longer a consumer of its queue (cancelled, closed, or the queue deleted)."""
        if self in self.queue.consumers:
            self.queue.consumers.remove(self)
            if self.notify is not None:
                self.notify(TransportEvent.CONSUMER_STOPPED, self.queue.spec.name)

    def return_unsettled(self) -> None:
        """What a closed channel does: unsettled deliveries go back to the queue, redelivered."""
        for stored in reversed(list(self.unsettled.values())):
            if self.queue.returned(stored):
                self.queue.messages.appendleft(stored)
            else:
                self.broker._dead_letter(self.queue, stored.message, "delivery_limit")
        self.unsettled.clear()
        self.stopped()
        self.broker._pump(self.queue)


class MemoryBroker:
    """An in-process stand-in for one RabbitMQ vhost.

    Args:
        clock: a ``ManualClock`` makes delayed messages wait until ``advance()``
            moves time past their due time; by default they wait in real time.

    Attributes:
        clock: the manual clock, or None when delays run in real time. Schedules
            read the time from it (seconds since the epoch, however it started).
        published: every message the broker accepted, in order; handy for asserting
            on what a test sent.
    """

    def __init__(self, *, clock: ManualClock | None = None) -> None:
        self._exchanges: dict[str, ExchangeSpec] = {}
        self._bindings: dict[str, dict[str, set[str]]] = {}  # exchange -> routing key -> queues
        self._exchange_bindings: set[tuple[str, str, str]] = set()
        self._queues: dict[str, _Queue] = {}
        self._arrivals = itertools.count(1)
        self._scheduler = DelayScheduler(self._publish, clock)
        self.clock = clock
        self.published: list[OutgoingMessage] = []

    def advance(self, seconds: float) -> int:
        """Move the manual clock forward; delayed messages now due are delivered in due order.

        Returns how many were released. Raises ``ConfigurationError`` unless the
        broker was made with ``clock=ManualClock()``.
        """
        return self._scheduler.advance(seconds)

    def delayed(self) -> list[OutgoingMessage]:
        """Delayed messages (sends with ``delay``/``at`` and retries) not yet due, soonest first."""
        return self._scheduler.pending()

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until no queue with a consumer holds a message and no delivery is being handled.

        Replies, retries due now and messages that handlers publish are followed
        too. Delayed messages not yet due are not waited for (see ``advance``);
        nor are queues nobody consumes, such as dead-letter queues.

        Raises:
            TimeoutError: still busy after ``timeout`` seconds (a handler waiting
                forever, or work that keeps making more work); says which queues.
        """
        await wait_until_idle(self._queues.values, timeout)

    def transport(self) -> MemoryTransport:
        """A new connection to this broker."""
        return MemoryTransport(self)

    def queue_names(self) -> list[str]:
        return sorted(self._queues)

    def messages(self, queue: str) -> list[OutgoingMessage]:
        """The messages waiting in ``queue`` (not those delivered and unsettled)."""
        return [stored.message for stored in self._queue(queue).messages if not stored.expired()]

    def purge(self, queue: str) -> int:
        found = self._queue(queue)
        count = len(found.messages)
        found.messages.clear()
        return count

    def _queue(self, name: str) -> _Queue:
        found = self._queues.get(name)
        if found is None:
            raise TopologyError(f"no queue {name!r} in the in-memory broker")
        return found

    def _delete_queue(self, name: str) -> None:
        found = self._queues.pop(name, None)
        if found is not None:
            for consumer in list(found.consumers):
                consumer.stopped()
            found.messages.clear()
        for routes in self._bindings.values():
            for queues in routes.values():
                queues.discard(name)

    def _declare(self, topology: TopologySpec) -> None:
        for exchange in topology.exchanges:
            existing = self._exchanges.get(exchange.name)
            if existing is not None and existing != exchange:
                raise TopologyError(f"exchange {exchange.name!r} exists with other settings: {existing}")
            self._exchanges[exchange.name] = exchange
        for queue in topology.queues:
            found = self._queues.get(queue.name)
            if found is None:
                self._queues[queue.name] = _Queue(queue)
            elif not _same_queue(found.spec, queue):
                raise inequivalent_queue(queue, _inequivalence(found.spec, queue))
        for binding in topology.bindings:
            if binding.exchange not in self._exchanges:
                raise TopologyError(f"no exchange {binding.exchange!r} to bind {binding.queue!r} to")
            self._queue(binding.queue)
            self._bindings.setdefault(binding.exchange, {}).setdefault(binding.routing_key, set()).add(binding.queue)
        for link in topology.exchange_bindings:
            for name in (link.source, link.destination):
                if name not in self._exchanges:
                    raise TopologyError(f"no exchange {name!r} to bind (NOT_FOUND on RabbitMQ)")
            self._exchange_bindings.add((link.destination, link.source, link.routing_key))

    def _route(self, message: OutgoingMessage) -> list[_Queue]:
        if message.exchange == "":
            found = self._queues.get(message.routing_key)
            return [found] if found is not None else []
        if message.exchange not in self._exchanges:
            raise TopologyError(f"no exchange {message.exchange!r} (NOT_FOUND on RabbitMQ)")
        names = self._bindings.get(message.exchange, {}).get(message.routing_key, set())
        return [self._queues[name] for name in sorted(names)]

    def _publish(self, message: OutgoingMessage) -> None:
        queues = self._route(message)
        if not queues:
            raise Unroutable(message.exchange, message.routing_key)
        self.published.append(message)
        for queue in queues:
            stored = _Stored(message, seq=next(self._arrivals), ttl=queue.ttl)
            queue.messages.append(stored)
            if stored.expires_at is not None and dead_letters_to(queue.spec):
                wait = stored.expires_at - time.monotonic()
                asyncio.get_running_loop().call_later(wait, self._expire, queue)
            self._pump(queue)

    def _expire(self, queue: _Queue) -> None:
        """Dead-letter the messages of ``queue`` whose time is up, as RabbitMQ does on its own."""
        expired = [stored for stored in queue.messages if stored.expired()]
        for stored in expired:
            queue.messages.remove(stored)
            self._dead_letter(queue, stored.message, "expired")

    def _dead_letter(self, queue: _Queue, message: OutgoingMessage, reason: str) -> None:
        """Republish to the queue's dead-letter exchange, if it has one; else the message is gone."""
        if not dead_letters_to(queue.spec):
            return
        with contextlib.suppress(Unroutable, TopologyError):  # RabbitMQ drops what it cannot route, silently
            self._publish(dead_letter_copy(message, queue.spec, reason))

    def _schedule(self, message: OutgoingMessage, delay: float, slot: str | None = None) -> None:
        if not self._route(message):  # refuse it now, as the cascade's client would
            raise Unroutable(message.exchange, message.routing_key)
        self._scheduler.schedule(message, delay, slot)

    def _get(self, name: str) -> tuple[Delivery, _GetSettlement] | None:
        queue = self._queue(name)
        stored = self._next_live(queue)
        if stored is None:
            return None
        settlement = _GetSettlement(self, queue, stored)
        return _delivery(settlement, queue, stored), settlement

    def _next_live(self, queue: _Queue) -> _Stored | None:
        while queue.messages:
            stored = queue.messages.popleft()
            if not stored.expired():
                return stored
            self._dead_letter(queue, stored.message, "expired")
        return None

    def _put_back(self, queue: _Queue, stored: _Stored) -> None:
        """Return a message taken with ``get`` to its place, as RabbitMQ does."""
        if not queue.returned(stored):
            self._dead_letter(queue, stored.message, "delivery_limit")
            return
        index = next((i for i, other in enumerate(queue.messages) if other.seq > stored.seq), len(queue.messages))
        queue.messages.insert(index, stored)
        self._pump(queue)

    def _pump(self, queue: _Queue) -> None:
        while queue.messages:
            consumer = queue.next_ready_consumer()
            if consumer is None:
                return
            stored = queue.messages.popleft()
            if stored.expired():
                self._dead_letter(queue, stored.message, "expired")
            else:
                consumer.deliver(stored)


class _GetSettlement:
    def __init__(self, broker: MemoryBroker, queue: _Queue, stored: _Stored) -> None:
        self._broker = broker
        self._queue = queue
        self._stored: _Stored | None = stored

    def _take(self) -> _Stored:
        stored, self._stored = self._stored, None
        if stored is None:
            raise ClientStateError(f"this message from {self._queue.spec.name} was already settled")
        return stored

    async def ack(self, multiple: bool = False) -> None:
        self._take()

    async def reject(self, requeue: bool = False) -> None:
        stored = self._take()
        if requeue:
            self._broker._put_back(self._queue, stored)
        else:
            self._broker._dead_letter(self._queue, stored.message, "rejected")

    @property
    def unsettled(self) -> bool:
        return self._stored is not None

    def return_unsettled(self) -> None:
        """What a closed channel does with a message taken by ``get`` and not settled."""
        if self._stored is not None:
            self._broker._put_back(self._queue, self._take())


def _delivery(settlement: Settlement, queue: _Queue, stored: _Stored) -> Delivery:
    """What a consumer or a ``get`` receives of a stored message."""
    message = stored.message
    headers = dict(message.headers)
    if queue.quorum:
        headers["x-delivery-count"] = stored.returns
    return Delivery(
        settlement=settlement,
        queue=queue.spec.name,
        body=message.body,
        exchange=message.exchange,
        routing_key=message.routing_key,
        type=message.type,
        message_id=message.message_id,
        content_type=message.content_type,
        headers=headers,
        timestamp=message.timestamp,
        app_id=message.app_id,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        expiration=message.expiration,
        redelivered=stored.redelivered,
    )


def _seconds(milliseconds: int | None) -> float | None:
    return None if milliseconds is None else milliseconds / 1000


def _same_queue(a: QueueSpec, b: QueueSpec) -> bool:
    return a.durable == b.durable and _normalised(a.arguments) == _normalised(b.arguments)


def _normalised(arguments: Mapping[str, Any]) -> dict[str, Any]:
    # RabbitMQ treats a missing x-queue-type as classic.
    return {key: value for key, value in arguments.items() if (key, value) != ("x-queue-type", "classic")}


def _inequivalence(existing: QueueSpec, declared: QueueSpec) -> str:
    """RabbitMQ's words for the first argument that differs (PRECONDITION_FAILED)."""
    current, received = _normalised(existing.arguments), _normalised(declared.arguments)
    if existing.durable != declared.durable:
        return (
            f"inequivalent arg 'durable' for queue '{declared.name}' in vhost '/': "
            f"received '{declared.durable}' but current is '{existing.durable}'"
        )
    argument = next(key for key in sorted({*current, *received}) if current.get(key) != received.get(key))
    return (
        f"inequivalent arg '{argument}' for queue '{declared.name}' in vhost '/': "
        f"received {_shown(received, argument)} but current is {_shown(current, argument)}"
    )


def _shown(arguments: Mapping[str, Any], key: str) -> str:
    return f"'{arguments[key]}'" if key in arguments else "none"


class MemoryTransport(Transport):
    """One connection to a ``MemoryBroker``."""

    def __init__(self, broker: MemoryBroker) -> None:
        self.broker = broker
        self._open = False
        self._consumers: list[_Consumer] = []
        self._gets: list[_GetSettlement] = []
        self._reply_queue: str | None = None

    async def open(self) -> None:
        if self._open:
            raise ClientStateError("the transport is already open")
        self._open = True

    async def close(self) -> None:
        self._open = False
        for consumer in self._consumers:
            consumer.return_unsettled()
        self._consumers.clear()
        for taken in self._gets:
            taken.return_unsettled()
        self._gets.clear()
        if self._reply_queue is not None:
            self.broker._delete_queue(self._reply_queue)  # exclusive: it goes with its connection

    def _require_open(self) -> None:
        if not self._open:
            raise ClientStateError("the transport is not open")

    async def declare(self, topology: TopologySpec) -> None:
        self._require_open()
        self.broker._declare(topology)

    async def publish(self, message: OutgoingMessage) -> None:
        self._require_open()
        await asyncio.sleep(0)  # a publish is never synchronous on a real broker either
        self.broker._publish(message)

    async def publish_delayed(self, message: OutgoingMessage, delay: float, *, slot: str | None = None) -> None:
        """Publish ``message`` to be delivered ``delay`` seconds from now on the broker's clock.

        With ``slot``, raise ``PublishError`` while another delayed message holds
        that slot (how schedules keep one pending tick; docs/schedules.md).
        """
        self._require_open()
        await asyncio.sleep(0)
        self.broker._schedule(message, delay, slot)

    async def get(self, queue: str) -> Delivery | None:
        self._require_open()
        await asyncio.sleep(0)
        found = self.broker._get(queue)
        if found is None:
            return None
        delivery, settlement = found
        if len(self._gets) >= 1024:  # forget settled ones, so that a long replay stays small
            self._gets = [taken for taken in self._gets if taken.unsettled]
        self._gets.append(settlement)
        return delivery

    async def purge(self, queue: str) -> int:
        self._require_open()
        return self.broker.purge(queue)

    async def consume(
        self, queue: QueueSpec, on_delivery: OnDelivery, *, prefetch: int, topology: TopologySpec | None = None
    ) -> Subscription:
        # A memory broker's queues are never deleted under a consumer: ``topology`` is not needed again.
        self._require_open()
        return self._consume(queue, on_delivery, prefetch, self._notify)

    def _consume(
        self, queue: QueueSpec, on_delivery: OnDelivery, prefetch: int, notify: TransportListener | None
    ) -> _Consumer:
        self.broker._declare(TopologySpec(queues=(queue,)))
        consumer = _Consumer(self.broker, self.broker._queue(queue.name), on_delivery, prefetch, notify)
        self._consumers.append(consumer)
        consumer.queue.consumers.append(consumer)
        if notify is not None:
            notify(TransportEvent.CONSUMER_STARTED, queue.name)
        self.broker._pump(consumer.queue)
        return consumer

    async def open_replies(self, listener: ReplyListener) -> str:
        """An exclusive reply queue with a consumer that hands each reply to ``listener``.

        A memory connection never drops, so ``on_lost`` and ``on_restored`` are not called.
        """
        self._require_open()
        if self._reply_queue is not None:
            raise ClientStateError("open_replies is called once per open transport")
        self._reply_queue = f"burrow.reply.{next(_reply_numbers)}"

        async def on_reply(delivery: Delivery) -> None:
            await delivery.ack()  # stands in for RabbitMQ's no-ack consumer
            listener.on_reply(delivery)

        self._consume(QueueSpec(self._reply_queue, durable=False), on_reply, _UNLIMITED, None)
        return self._reply_queue


_reply_numbers = itertools.count(1)
_UNLIMITED = 2**31
