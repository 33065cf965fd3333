"""RabbitMQ transport. The only module that imports aio-pika (and aiormq).

Every aio-pika/aiormq exception is mapped here, once, to Burrow's own
(``_mapped_errors``); nothing above this module sees a foreign exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import aio_pika
import aio_pika.abc
import aiormq
import aiormq.exceptions
import pamqp.exceptions
from pamqp.commands import Basic

from sdk._errors import ClientStateError, ConnectionLost, PublishError, TopologyError, TransportError, Unroutable
from sdk._transport import (
    Delivery,
    OnDelivery,
    OutgoingMessage,
    QueueSpec,
    ReplyListener,
    Subscription,
    TopologySpec,
    Transport,
)

__all__ = ["AmqpTransport"]

log = logging.getLogger("burrow.amqp")

_PERSISTENT = 2
_TRANSIENT = 1


@contextlib.contextmanager
def _mapped_errors(action: str) -> Iterator[None]:
    """Translate aio-pika/aiormq failures into Burrow's exception tree."""
    try:
        yield
    except aiormq.exceptions.PublishError as exc:
        frame = exc.frame
        raise Unroutable(getattr(frame, "exchange", "?"), getattr(frame, "routing_key", "?")) from exc
    except aiormq.exceptions.DeliveryError as exc:
        raise PublishError(f"the broker refused the message while {action}: {exc.frame!r}") from exc
    except aiormq.exceptions.ChannelPreconditionFailed as exc:
        raise TopologyError(f"the broker refused {action}: {exc}") from exc
    except aiormq.exceptions.ChannelNotFoundEntity as exc:
        raise TopologyError(f"the broker found no such entity while {action}: {exc}") from exc
    except aiormq.exceptions.ChannelAccessRefused as exc:
        raise TopologyError(f"access refused while {action}: {exc}") from exc
    except (
        aiormq.exceptions.AMQPError,
        aiormq.exceptions.ChannelInvalidStateError,
        pamqp.exceptions.PAMQPException,
        ConnectionError,
        OSError,
    ) as exc:
        raise ConnectionLost(f"the connection to the broker failed while {action}: {exc!r}") from exc


class AmqpTransport(Transport):
    """Talks to RabbitMQ over AMQP 0-9-1 with a self-healing connection.

    Args:
        url: ``amqp://user:password@host:port/vhost``.
        connection_name: shown in the management UI to tell connections apart.
    """

    def __init__(self, url: str, *, connection_name: str | None = None) -> None:
        self.url = url
        self.connection_name = connection_name or "burrow"
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._publish_channel: aio_pika.abc.AbstractChannel | None = None
        self._consume_channels: list[aio_pika.abc.AbstractChannel] = []
        self._replies: _AmqpReplies | None = None

    async def open(self) -> None:
        if self._connection is not None:
            raise ClientStateError("the transport is already open")
        try:
            self._connection = await aio_pika.connect_robust(
                self.url, client_properties={"connection_name": self.connection_name}
            )
        except (aiormq.exceptions.AMQPError, ConnectionError, OSError) as exc:
            raise TransportError(f"cannot connect to RabbitMQ at {_redacted(self.url)}: {exc}") from exc
        with _mapped_errors("opening the publishing channel"):
            self._publish_channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        self._publish_channel = None
        self._consume_channels.clear()
        if self._replies is not None:
            self._replies.closing()
        with contextlib.suppress(Exception):
            await connection.close()

    def _require_connection(self) -> aio_pika.abc.AbstractRobustConnection:
        if self._connection is None:
            raise ClientStateError("the transport is not open")
        return self._connection

    async def declare(self, topology: TopologySpec) -> None:
        connection = self._require_connection()
        # A refused declaration closes its channel: use a short-lived one so the
        # publishing channel survives a mismatch.
        with _mapped_errors("declaring the topology"):
            async with connection.channel(publisher_confirms=False) as channel:
                for exchange in topology.exchanges:
                    await channel.declare_exchange(exchange.name, exchange.type, durable=exchange.durable)
                for queue in topology.queues:
                    await channel.declare_queue(queue.name, durable=queue.durable, arguments=dict(queue.arguments))
                for binding in topology.bindings:
                    raw = await channel.get_underlay_channel()
                    await raw.queue_bind(binding.queue, binding.exchange, routing_key=binding.routing_key)

    async def publish(self, message: OutgoingMessage) -> None:
        if self._publish_channel is None:
            raise ClientStateError("the transport is not open")
        properties = Basic.Properties(
            content_type=message.content_type,
            headers=message.headers,
            delivery_mode=_PERSISTENT if message.persistent else _TRANSIENT,
            correlation_id=message.correlation_id,
            reply_to=message.reply_to,
            expiration=None if message.expiration is None else str(message.expiration),
            message_id=message.message_id,
            timestamp=None if message.timestamp is None else datetime.fromtimestamp(message.timestamp, UTC),
            message_type=message.type,
            app_id=message.app_id,
        )
        with _mapped_errors(f"publishing {message.type}"):
            if self._publish_channel.is_closed:
                raise aiormq.exceptions.ChannelInvalidStateError("the publishing channel is closed")
            channel = await self._publish_channel.get_underlay_channel()
            await channel.basic_publish(
                message.body,
                exchange=message.exchange,
                routing_key=message.routing_key,
                properties=properties,
                mandatory=True,
            )

    async def consume(self, queue: QueueSpec, on_delivery: OnDelivery, *, prefetch: int) -> Subscription:
        connection = self._require_connection()
        with _mapped_errors(f"starting to consume {queue.name}"):
            channel = connection.channel()
            await channel.initialize()
            await channel.set_qos(prefetch_count=prefetch)
            # Declared through aio-pika so that it is declared again after a reconnect.
            await channel.declare_queue(queue.name, durable=queue.durable, arguments=dict(queue.arguments))
            consumer = _AmqpConsumer(channel, queue.name, on_delivery)
            await consumer.start()
        self._consume_channels.append(channel)
        return consumer

    async def open_replies(self, listener: ReplyListener) -> str:
        connection = self._require_connection()
        if self._replies is not None or self._publish_channel is None:
            raise ClientStateError("open_replies is called once per open transport")
        replies = _AmqpReplies(connection, self._publish_channel, listener)
        with _mapped_errors("starting the reply consumer"):
            address = await replies.start()
        self._replies = replies
        return address


def _redacted(url: str) -> str:
    """Hide the password in a URL before it reaches a log or an error."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


class _NoSettlement:
    """Replies are consumed without acks: there is nothing to settle."""

    async def ack(self, multiple: bool = False) -> None:
        return None

    async def reject(self, requeue: bool = False) -> None:
        return None


_NO_SETTLEMENT = _NoSettlement()


class _AmqpReplies:
    """The connection's reply consumer: an exclusive, client-named queue on a channel of its own.

    Why not direct reply-to (``amq.rabbitmq.reply-to``), and why a new name after
    each reconnect, is in ``docs/calls.md``. In short: a reply sent with
    ``mandatory`` to a missing queue is reported as unroutable, so a worker
    knows when the caller is gone; a channel error on the publishing channel
    does not lose replies; and a fresh name never collides with the previous
    connection's queue, which the broker deletes only once it notices that
    connection is gone.
    """

    def __init__(
        self,
        connection: aio_pika.abc.AbstractRobustConnection,
        publish_channel: aio_pika.abc.AbstractChannel,
        listener: ReplyListener,
    ) -> None:
        self._connection = connection
        self._publish_channel = publish_channel
        self._listener = listener
        self._channel: aio_pika.abc.AbstractRobustChannel | None = None
        self._queue = ""
        self._closing = False
        self._announcing: set[asyncio.Task[None]] = set()

    async def start(self) -> str:
        channel = self._connection.channel(publisher_confirms=False)
        await channel.initialize()
        self._channel = channel
        channel.close_callbacks.add(self._on_close)
        channel.reopen_callbacks.add(self._on_reopen)
        return await self._consume(channel)

    async def _consume(self, channel: aio_pika.abc.AbstractChannel) -> str:
        raw = await channel.get_underlay_channel()
        self._queue = f"burrow.reply.{uuid.uuid4().hex}"
        await raw.queue_declare(self._queue, durable=False, exclusive=True, auto_delete=True)
        await raw.basic_consume(self._queue, self._on_message, no_ack=True)
        return self._queue

    async def _on_message(self, message: aiormq.abc.DeliveredMessage) -> None:
        properties = message.header.properties
        self._listener.on_reply(
            Delivery(
                settlement=_NO_SETTLEMENT,
                queue=self._queue,
                body=message.body,
                exchange=message.exchange or "",
                routing_key=message.routing_key or "",
                type=properties.message_type,
                message_id=properties.message_id,
                content_type=properties.content_type,
                headers=properties.headers or {},
                timestamp=None,
                app_id=properties.app_id,
                correlation_id=properties.correlation_id,
                reply_to=None,
                expiration=None,
                redelivered=False,
            )
        )

    def _on_close(self, _channel: aio_pika.abc.AbstractChannel | None, exc: BaseException | None, /) -> None:
        if self._closing:
            return
        log.warning("the reply consumer stopped (%r); calls waiting for a reply fail", exc)
        self._listener.on_lost(ConnectionLost(f"the connection to the broker dropped: {exc!r}"))

    async def _on_reopen(self, _channel: aio_pika.abc.AbstractRobustChannel | None, /) -> None:
        # Runs while aio-pika restores the connection's channels one by one, so
        # it must not wait for the publishing channel here: that happens in a task.
        channel = self._channel
        if channel is None or self._closing:
            return
        try:
            with _mapped_errors("restoring the reply consumer"):
                address = await self._consume(channel)
        except ConnectionLost:
            log.warning("could not restore the reply consumer; it is retried at the next reconnect", exc_info=True)
            return
        task = asyncio.get_running_loop().create_task(self._announce(address))
        self._announcing.add(task)
        task.add_done_callback(self._announcing.discard)

    async def _announce(self, address: str) -> None:
        # Calls resume only once requests can be published again too.
        if isinstance(self._publish_channel, aio_pika.abc.AbstractRobustChannel):
            await self._publish_channel.ready()
        if not self._closing:
            log.info("the reply consumer is back on %s", address)
            self._listener.on_restored(address)

    def closing(self) -> None:
        """The transport is closing: the consumer's end is expected, not a loss."""
        self._closing = True
        for task in self._announcing:
            task.cancel()


class _AmqpConsumer(Subscription):
    """A queue's consumer, fed by aiormq directly.

    aio-pika's consumer wraps every delivery in an ``IncomingMessage`` and one more
    task, which costs about as much CPU per message as a whole call's worth of
    Burrow (``docs/calls.md``); mapping aiormq's frame straight to a ``Delivery``
    avoids it. aio-pika still restores the channel, its prefetch and the queue after
    a reconnect; the consumer itself is restored here, when the channel reopens.
    """

    def __init__(self, channel: aio_pika.abc.AbstractRobustChannel, queue: str, on_delivery: OnDelivery) -> None:
        self._channel = channel
        self._queue = queue
        self._on_delivery = on_delivery
        self._tag: str | None = None
        self._cancelled = False
        channel.reopen_callbacks.add(self._on_reopen)

    async def start(self) -> None:
        raw = await self._channel.get_underlay_channel()
        consume_ok = await raw.basic_consume(self._queue, self._on_message)
        self._tag = consume_ok.consumer_tag

    async def _on_reopen(self, _channel: aio_pika.abc.AbstractRobustChannel | None, /) -> None:
        if self._cancelled:
            return
        try:
            with _mapped_errors(f"restoring the consumer of {self._queue}"):
                await self.start()
        except ConnectionLost:
            log.warning("could not restore the consumer of %s; retried at the next reconnect", self._queue)

    async def _on_message(self, message: aiormq.abc.DeliveredMessage) -> None:
        await self._on_delivery(_delivery(self._queue, message))

    async def cancel(self) -> None:
        # Closing the channel afterwards (in ``close``) returns unsettled deliveries.
        self._cancelled = True
        with contextlib.suppress(Exception), _mapped_errors(f"cancelling the consumer of {self._queue}"):
            if self._tag is not None and not self._channel.is_closed:
                raw = await self._channel.get_underlay_channel()
                await raw.basic_cancel(self._tag)


class _Settlement:
    """Acks or rejects a delivery on the channel it came from, once."""

    __slots__ = ("_message", "_settled")

    def __init__(self, message: aiormq.abc.DeliveredMessage) -> None:
        self._message = message
        self._settled = False

    def _settle(self) -> int:
        # A second settlement would be a channel error (unknown delivery tag) on RabbitMQ.
        if self._settled:
            raise ClientStateError("this delivery was already acked or rejected")
        self._settled = True
        tag = self._message.delivery_tag
        assert tag is not None  # deliveries always carry one
        return tag

    async def ack(self, multiple: bool = False) -> None:
        tag = self._settle()
        with _mapped_errors("acking a delivery"):
            await self._message.channel.basic_ack(tag)

    async def reject(self, requeue: bool = False) -> None:
        tag = self._settle()
        with _mapped_errors("rejecting a delivery"):
            await self._message.channel.basic_reject(tag, requeue=requeue)


def _delivery(queue: str, message: aiormq.abc.DeliveredMessage) -> Delivery:
    properties = message.header.properties
    timestamp = properties.timestamp
    deliver = message.delivery
    return Delivery(
        settlement=_Settlement(message),
        queue=queue,
        body=message.body,
        exchange=message.exchange or "",
        routing_key=message.routing_key or "",
        type=properties.message_type,
        message_id=properties.message_id,
        content_type=properties.content_type,
        headers=dict(properties.headers or {}),
        timestamp=None if timestamp is None else int(timestamp.timestamp()),
        app_id=properties.app_id,
        correlation_id=properties.correlation_id,
        reply_to=properties.reply_to,
        expiration=_milliseconds(properties.expiration),
        redelivered=bool(getattr(deliver, "redelivered", False)),
    )


def _milliseconds(expiration: str | None) -> int | None:
    # RabbitMQ only accepts non-negative integers here, but other brokers may not check.
    try:
        return None if expiration is None else int(expiration)
    except ValueError:
        return None
