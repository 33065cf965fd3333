"""RabbitMQ transport. The only module that imports aio-pika (and aiormq).

Every aio-pika/aiormq exception is mapped here, once, to Burrow's own
(``_mapped_errors``); nothing above this module sees a foreign exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aio_pika.abc
import aiormq
import aiormq.exceptions
import pamqp.exceptions
from pamqp.commands import Basic

from sdk._errors import ClientStateError, ConnectionLost, PublishError, TopologyError, TransportError, Unroutable
from sdk._transport import Delivery, OnDelivery, OutgoingMessage, QueueSpec, Subscription, TopologySpec, Transport

__all__ = ["AmqpTransport"]

log = logging.getLogger("burrow.amqp")

_PERSISTENT = 2
_TRANSIENT = 1
_CANCEL_TIMEOUT = 5.0  # seconds; a cancel-ok takes milliseconds while the broker is reachable


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


class _AmqpSubscription(Subscription):
    def __init__(self, channel: aio_pika.abc.AbstractChannel, queue: aio_pika.abc.AbstractQueue, tag: str) -> None:
        self._channel = channel
        self._queue = queue
        self._tag = tag

    async def cancel(self) -> None:
        # Closing the channel afterwards (in ``close``) returns unsettled deliveries.
        # While the broker is unreachable a cancel waits for a reconnection that may
        # never come, so don't wait for it then: the lost connection took the
        # consumer away, and the cancel's first step (run before any wait) stops
        # aio-pika from restoring it on reconnect.
        timeout = 0 if self._channel.is_closed else _CANCEL_TIMEOUT
        with contextlib.suppress(Exception), _mapped_errors("cancelling a consumer"):
            async with asyncio.timeout(timeout):
                await self._queue.cancel(self._tag)


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
        self._deliveries: set[asyncio.Task[None]] = set()  # strong references to running deliveries

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
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=prefetch)
            amqp_queue = await channel.declare_queue(queue.name, durable=queue.durable, arguments=dict(queue.arguments))

            async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                # aiormq cancels the tasks it runs callbacks in when the connection
                # drops; handlers run in tasks of their own so that a network blip does
                # not cancel work in progress (its ack then fails; the broker redelivers).
                task = asyncio.create_task(on_delivery(_delivery(queue.name, message)))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)

            tag = await amqp_queue.consume(on_message)
        self._consume_channels.append(channel)
        return _AmqpSubscription(channel, amqp_queue, tag)


def _delivery(queue: str, message: aio_pika.abc.AbstractIncomingMessage) -> Delivery:
    timestamp = message.timestamp
    expiration = message.expiration
    return Delivery(
        settlement=message,
        queue=queue,
        body=message.body,
        exchange=message.exchange or "",
        routing_key=message.routing_key or "",
        type=message.type,
        message_id=message.message_id,
        content_type=message.content_type,
        headers=dict(message.headers),
        timestamp=None if timestamp is None else int(timestamp.timestamp()),
        app_id=message.app_id,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        expiration=None if expiration is None else int(_seconds(expiration) * 1000),
        redelivered=bool(message.redelivered),
    )


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


def _redacted(url: str) -> str:
    """Hide the password in a URL before it reaches a log or an error."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"
