"""RabbitMQ transport. It and its ``_amqp_*`` helpers are the only modules that import aio-pika (and aiormq).

Every aio-pika/aiormq exception is mapped, once, to Burrow's own
(``_amqp_errors.mapped_errors``); nothing above these modules sees a foreign exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import aio_pika
import aio_pika.abc
import aiormq
import aiormq.abc
import aiormq.exceptions
import pamqp.exceptions
import pamqp.frame
import yarl
from burrow.sdk._amqp_consume import (
    AmqpReplies,
    AmqpSubscription,
    Outboxes,
    OutboxSettlement,
    delivery_of,
)
from burrow.sdk._amqp_errors import connect_error, mapped_errors, redacted
from burrow.sdk._amqp_frames import install_chunked_frame_receiver
from burrow.sdk._amqp_properties import WireProperties, encode_properties, salvage_header_frame
from burrow.sdk._errors import (
    AccessRefused,
    ClientStateError,
    ConnectionLost,
    PublishError,
    TransportError,
)
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
)
from burrow.sdk._url import BrokerURL, split_urls
from pamqp.commands import Basic

__all__ = ["AmqpTransport"]

log = logging.getLogger("burrow.amqp")

_PERSISTENT = 2
_TRANSIENT = 1
_LARGE_BODY = 1024 * 1024  # bytes; larger bodies are published on a channel of their own (``_publish_large``)
_STALE_CHANNEL_PAUSE = 0.05  # seconds between looks at a channel whose connection is being lost
_FAILOVER_INTERVAL = 1.0  # seconds between reconnection attempts when there are other nodes to try


def _salvaging(unmarshal: Any) -> Any:
    def unmarshal_header_frame(frame_data: bytes) -> Any:
        try:
            return unmarshal(frame_data)
        except Exception as exc:  # UnmarshalingException, or OverflowError for a huge timestamp
            return salvage_header_frame(frame_data, exc)

    unmarshal_header_frame.salvaging = True  # type: ignore[attr-defined]
    return unmarshal_header_frame


# A message whose properties pamqp cannot decode (RabbitMQ routes it) would make
# aiormq close the connection, and the broker deliver it first again after the
# reconnection: the queue would stall. pamqp looks this function up at each
# content header, so this is the one place to catch it; it changes nothing for
# properties pamqp decodes. The delivery then carries the problem and the worker
# dead-letters it.
if not getattr(pamqp.frame._unmarshal_header_frame, "salvaging", False):
    pamqp.frame._unmarshal_header_frame = _salvaging(pamqp.frame._unmarshal_header_frame)

install_chunked_frame_receiver()


class _FailoverConnection(aio_pika.RobustConnection):
    """aio-pika's self-healing connection, going round the nodes of a cluster.

    Each connection attempt, the first one included, goes to the next address in
    turn: when the node a client is connected to dies, the reconnection goes to
    another one, and a dead node is skipped at the next attempt. aio-pika opens
    a connection from ``url`` and clears ``transport`` just before each attempt;
    those two attributes are the hooks.
    """

    def __init__(self, addresses: Sequence[yarl.URL], first: int = 0, **kwargs: Any) -> None:
        self._addresses = list(addresses)
        self._next = first
        self._current = first
        self._rotating = False  # not while aio-pika's own __init__ sets transport to None
        self._transport: Any = None
        super().__init__(self._addresses[first], **kwargs)
        self._rotating = len(self._addresses) > 1

    @property
    def url(self) -> yarl.URL:
        return self._addresses[self._current]

    @url.setter
    def url(self, value: yarl.URL) -> None:  # aio-pika's __init__, and update_secret
        self._addresses[self._current] = value

    @property
    def transport(self) -> Any:
        return self._transport

    @transport.setter
    def transport(self, value: Any) -> None:
        if value is None and self._rotating:
            self._current = self._next % len(self._addresses)
            self._next = self._current + 1
        self._transport = value


class AmqpTransport(Transport):
    """Talks to RabbitMQ over AMQP 0-9-1 with a self-healing connection.

    Args:
        url: ``amqp://user:password@host:port/vhost``; or the nodes of a cluster,
            as a sequence of URLs or one string of them separated by ``;``. The
            first connection goes to the first node that answers, and each
            reconnection to the next node in turn, so a dead node is left behind.
        connection_name: shown in the management UI to tell connections apart.
        reconnect_timeout: seconds a publish waits for a connection that is being
            restored before it raises ``ConnectionLost``.
        publish_timeout: seconds a publish waits for the broker's confirm once
            sent; past it (a broker blocked by a resource alarm, or frozen) it raises
            ``ConnectionLost`` saying so: the message may or may not have been taken.
    """

    def __init__(
        self,
        url: BrokerURL,
        *,
        connection_name: str | None = None,
        reconnect_timeout: float = 30.0,
        publish_timeout: float = 60.0,
    ) -> None:
        self.urls = split_urls(url)
        self.url = ";".join(self.urls)
        self.connection_name = connection_name or "burrow"
        self.reconnect_timeout = reconnect_timeout
        self.publish_timeout = publish_timeout
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._publish_channel: aio_pika.abc.AbstractChannel | None = None
        self._raw_publish_channel: aiormq.abc.AbstractChannel | None = None  # its aiormq channel, while open
        self._outboxes = Outboxes()
        self._consume_channels: list[aio_pika.abc.AbstractChannel] = []
        self._get_channel: aio_pika.abc.AbstractChannel | None = None
        self._deliveries: set[asyncio.Task[None]] = set()  # strong references to running deliveries
        self._replies: AmqpReplies | None = None
        self._connected = False  # for listeners: each loss and each restoration is told once

    async def open(self) -> None:
        if self._connection is not None:
            raise ClientStateError("the transport is already open")
        self._connection = await self._connect()
        self._connected = True
        self._connection.close_callbacks.add(self._on_connection_close)
        self._connection.reconnect_callbacks.add(self._on_reconnect)
        with mapped_errors("opening the publishing channel"):
            self._publish_channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)

    async def _connect(self) -> _FailoverConnection:
        """A connection to the first node that accepts one, trying each in order."""
        addresses = [yarl.URL(url) for url in self.urls]
        error: TransportError | None = None
        for first, url in enumerate(self.urls):
            connection = _FailoverConnection(
                addresses,
                first,
                client_properties={"connection_name": self.connection_name},
                # With other nodes to try, a reconnection need not wait long before the next attempt.
                **({"reconnect_interval": _FAILOVER_INTERVAL} if len(addresses) > 1 else {}),
            )
            try:
                await connection.connect()
            except (aiormq.exceptions.AMQPError, ConnectionError, OSError) as exc:
                with contextlib.suppress(Exception):
                    await connection.close()
                current = connect_error(url, exc)
                if isinstance(current, AccessRefused):
                    raise current from exc  # this node answered; the next would refuse the same login
                error = error or current
                continue
            return connection
        assert error is not None
        if len(self.urls) > 1:
            raise type(error)(f"{error} (and no other of the {len(self.urls)} nodes answered)")
        raise error

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        self._publish_channel = None
        self._raw_publish_channel = None
        self._get_channel = None
        self._consume_channels.clear()
        if self._replies is not None:
            self._replies.closing()
        with contextlib.suppress(Exception):
            # aio-pika's default fails pending confirms with CancelledError; this
            # makes them fail as ConnectionLost, as the transport promises.
            await connection.close(aiormq.exceptions.ConnectionClosed(320, "closed by the client"))

    def _on_connection_close(self, _connection: Any, _exc: BaseException | None, /) -> None:
        # Also called when a restoration fails half-way: only the first loss counts.
        if self._connection is not None and self._connected:
            self._connected = False
            self._notify(TransportEvent.CONNECTION_LOST)

    def _on_reconnect(self, _connection: Any, /) -> None:
        # aio-pika calls this once the connection and its channels (consumers included) are back.
        if self._connection is not None and not self._connected:
            self._connected = True
            self._notify(TransportEvent.CONNECTION_RESTORED)

    def _require_connection(self) -> aio_pika.abc.AbstractRobustConnection:
        if self._connection is None:
            raise ClientStateError("the transport is not open")
        return self._connection

    async def declare(self, topology: TopologySpec) -> None:
        connection = self._require_connection()
        # A refused declaration closes its channel: use a short-lived one so the
        # publishing channel survives a mismatch.
        with mapped_errors("declaring the topology"):
            async with connection.channel(publisher_confirms=False) as channel:
                for exchange in topology.exchanges:
                    await channel.declare_exchange(
                        exchange.name, exchange.type, durable=exchange.durable, arguments=dict(exchange.arguments)
                    )
                for queue in topology.queues:
                    await _declare_queue(channel, queue)
                for binding in topology.bindings:
                    raw = await channel.get_underlay_channel()
                    await raw.queue_bind(binding.queue, binding.exchange, routing_key=binding.routing_key)
                for link in topology.exchange_bindings:
                    raw = await channel.get_underlay_channel()
                    await raw.exchange_bind(link.destination, link.source, routing_key=link.routing_key)

    async def publish(self, message: OutgoingMessage) -> None:
        if self._publish_channel is None:
            raise ClientStateError("the transport is not open")
        try:
            if len(message.body) > _LARGE_BODY:
                await self._publish_large(message, self._properties(message))
                return
            channel = self._raw_publish_channel
            if channel is None or channel.is_closed:
                # The first publish, or the connection (or the channel) was lost: this
                # waits until it is back, at most reconnect_timeout. Reusing the aiormq
                # channel meanwhile saves the three coroutines get_underlay_channel
                # costs on every publish.
                channel = self._raw_publish_channel = await self._wait_for_publish_channel()
            outbox = self._outboxes.of(channel)
            if outbox is not None and message.message_id:
                # The publishes of one loop iteration go out as one write.
                confirmation = outbox.publish(
                    message.body,
                    exchange=message.exchange,
                    routing_key=message.routing_key,
                    mandatory=message.mandatory,
                    properties=encode_properties(message),
                    message_id=message.message_id,
                )
                try:
                    async with asyncio.timeout(self.publish_timeout):
                        await confirmation
                finally:
                    outbox.forget(message.message_id)
                return
            await channel.basic_publish(
                message.body,
                exchange=message.exchange,
                routing_key=message.routing_key,
                properties=self._properties(message),
                mandatory=message.mandatory,
                timeout=self.publish_timeout,
            )
        except TimeoutError:
            raise ConnectionLost(
                f"RabbitMQ did not confirm {message.type or 'the message'} within {self.publish_timeout:g} s "
                "(blocked by a memory or disk alarm, or not responding); it may or may not have been taken"
            ) from None
        except Exception:
            # Mapped on the error path only: a context manager entered on every
            # publish costs a noticeable share of the publishing CPU.
            with mapped_errors(f"publishing {message.type}"):
                raise

    @staticmethod
    def _properties(message: OutgoingMessage) -> Basic.Properties:
        return WireProperties(message) if message.message_id else _pamqp_properties(message)

    async def _publish_large(self, message: OutgoingMessage, properties: Basic.Properties) -> None:
        """Publish a large body on a channel of its own.

        RabbitMQ answers a body over its ``max_message_size`` (128 MiB by default
        on 3.x, 16 MiB on 4.x) by closing the channel: on the shared publishing
        channel that would fail every confirm in flight as ``ConnectionLost``.
        Here only this message fails, with a ``PublishError`` that says why.
        """
        await self._wait_for_publish_channel()  # the connection is up, or ConnectionLost
        connection = self._require_connection()
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        try:
            raw = await channel.get_underlay_channel()
            async with asyncio.timeout(self.publish_timeout):
                await raw.basic_publish(
                    message.body,
                    exchange=message.exchange,
                    routing_key=message.routing_key,
                    properties=properties,
                    mandatory=message.mandatory,
                )
        except aiormq.exceptions.ChannelPreconditionFailed as exc:
            raise PublishError(f"the broker refused {message.type or 'the message'}: {exc}") from exc
        finally:
            with contextlib.suppress(Exception):
                await channel.close()

    async def _wait_for_publish_channel(self) -> aiormq.abc.AbstractChannel:
        """The publishing channel's aiormq channel, waiting at most ``reconnect_timeout`` for a reconnection."""
        publish_channel = self._publish_channel
        assert publish_channel is not None
        try:
            async with asyncio.timeout(self.reconnect_timeout):
                while True:
                    if isinstance(publish_channel, aio_pika.abc.AbstractRobustChannel):
                        await publish_channel.ready()  # the connection is back and the channel reopened
                    with contextlib.suppress(aiormq.exceptions.ChannelInvalidStateError, RuntimeError):
                        channel = await publish_channel.get_underlay_channel()
                        if not channel.is_closed:
                            return channel
                    # The socket is gone (a node killed outright) but aio-pika has not
                    # noticed yet: until it has, ``ready`` says the old channel is ready.
                    # Failing now would fail every send of that moment, not only those
                    # in flight; they wait for the reconnection instead.
                    await asyncio.sleep(_STALE_CHANNEL_PAUSE)
        except TimeoutError:
            raise ConnectionLost(
                f"RabbitMQ at {'; '.join(map(redacted, self.urls))} has been unreachable "
                f"for {self.reconnect_timeout:g} s; "
                "the message was not sent"
            ) from None

    async def consume(
        self, queue: QueueSpec, on_delivery: OnDelivery, *, prefetch: int, topology: TopologySpec | None = None
    ) -> Subscription:
        connection = self._require_connection()
        redeclared = topology or TopologySpec(queues=(queue,))
        with mapped_errors(f"starting to consume {queue.name}"):
            channel = connection.channel()
            await channel.initialize()
            await channel.set_qos(prefetch_count=prefetch)
            await _declare_queue(channel, queue)

            outboxes = self._outboxes

            async def on_message(message: aiormq.abc.DeliveredMessage) -> None:
                # aiormq runs this callback in a task per delivery, in arrival order:
                # the outbox learns of each delivery here, before any later one is acked.
                tag = message.delivery_tag
                assert tag is not None  # set on every Basic.Deliver
                outbox = outboxes.of(message.channel)
                settlement: Settlement | None = None
                if outbox is not None:
                    outbox.delivered(tag)
                    settlement = OutboxSettlement(outbox, tag)
                # aiormq cancels the tasks it runs callbacks in when the connection
                # drops; handlers run in tasks of their own so that a network blip does
                # not cancel work in progress (its ack then fails; the broker redelivers).
                task = asyncio.create_task(on_delivery(delivery_of(queue.name, message, settlement)))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)

            subscription = AmqpSubscription(
                channel, queue.name, on_message, lambda: self.declare(redeclared), self._notify
            )
            await subscription.start()
        self._consume_channels.append(channel)
        return subscription

    async def open_replies(self, listener: ReplyListener) -> str:
        connection = self._require_connection()
        if self._replies is not None or self._publish_channel is None:
            raise ClientStateError("open_replies is called once per open transport")
        replies = AmqpReplies(connection, self._publish_channel, listener)
        with mapped_errors("starting the reply consumer"):
            address = await replies.start()
        self._replies = replies
        return address

    async def get(self, queue: str) -> Delivery | None:
        connection = self._require_connection()
        with mapped_errors(f"reading {queue}"):
            # One channel holds every unsettled get, so that a lister can take
            # several messages before putting them all back in order.
            if self._get_channel is None or self._get_channel.is_closed:
                self._get_channel = await connection.channel(publisher_confirms=False)
            raw = await self._get_channel.get_underlay_channel()
            message = await raw.basic_get(queue, no_ack=False)
        if isinstance(message.delivery, Basic.GetEmpty):
            return None
        return delivery_of(queue, message)

    async def purge(self, queue: str) -> int:
        connection = self._require_connection()
        with mapped_errors(f"purging {queue}"):
            async with connection.channel(publisher_confirms=False) as channel:
                amqp_queue = await channel.get_queue(queue, ensure=True)
                result = await amqp_queue.purge()
        return int(getattr(result, "message_count", 0) or 0)

    async def supports_exchange(self, exchange: ExchangeSpec) -> bool:
        """Whether the broker accepts an exchange of this type (e.g. a plugin's).

        Declaring an unknown exchange type closes the whole connection, so the
        probe runs on a throw-away connection and declares a temporary name.
        """
        probe = f"burrow.probe.{uuid.uuid4().hex}"
        connection = await self._connect_once("burrow-probe")
        try:
            channel = await connection.channel(publisher_confirms=False)
            found = await channel.declare_exchange(
                probe, exchange.type, durable=False, auto_delete=True, arguments=dict(exchange.arguments)
            )
            await found.delete()
            return True
        except (aiormq.exceptions.AMQPError, pamqp.exceptions.PAMQPException, ConnectionError, OSError):
            return False
        finally:
            with contextlib.suppress(Exception):
                await connection.close()

    async def _connect_once(self, name: str) -> aio_pika.abc.AbstractConnection:
        """A plain connection (no reconnection) to the first node that accepts one."""
        failed: tuple[str, BaseException] | None = None
        for url in self.urls:
            try:
                return await aio_pika.connect(url, client_properties={"connection_name": name})
            except (aiormq.exceptions.AMQPError, ConnectionError, OSError) as exc:
                if isinstance(connect_error(url, exc), AccessRefused):
                    raise connect_error(url, exc) from exc  # this node answered: say what it refused
                failed = failed or (url, exc)
        assert failed is not None
        raise connect_error(*failed) from failed[1]


async def _declare_queue(channel: aio_pika.abc.AbstractChannel, queue: QueueSpec) -> None:
    try:
        await channel.declare_queue(queue.name, durable=queue.durable, arguments=dict(queue.arguments))
    except aiormq.exceptions.ChannelPreconditionFailed as exc:
        # Say which queue, and what to do about a type or delivery limit that differs.
        detail = str(exc.args[0] if exc.args else exc).removeprefix("PRECONDITION_FAILED - ")
        raise inequivalent_queue(queue, detail) from exc


def _pamqp_properties(message: OutgoingMessage) -> Basic.Properties:
    # Without a message_id aiormq writes one into the properties, which the
    # pre-encoded WireProperties could not follow.
    return Basic.Properties(
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
