"""RabbitMQ transport. The only module that imports aio-pika (and aiormq).

Every aio-pika/aiormq exception is mapped here, once, to Burrow's own
(``_mapped_errors``); nothing above this module sees a foreign exception.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import urllib.parse
import uuid
import weakref
from collections.abc import Awaitable, Callable, Iterator, Sequence
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
from burrow.sdk._amqp_frames import install_chunked_frame_receiver
from burrow.sdk._amqp_outbox import Outbox
from burrow.sdk._amqp_properties import MalformedProperties, WireProperties, encode_properties, salvage_header_frame
from burrow.sdk._errors import (
    AccessRefused,
    BrokerUnreachable,
    ClientStateError,
    ConnectionLost,
    PublishError,
    TopologyError,
    TransportError,
    Unroutable,
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
    TransportListener,
)
from burrow.sdk._url import BrokerURL, split_urls
from pamqp.commands import Basic

__all__ = ["AmqpTransport"]

log = logging.getLogger("burrow.amqp")

_PERSISTENT = 2
_TRANSIENT = 1
_CANCEL_TIMEOUT = 5.0  # seconds; a cancel-ok takes milliseconds while the broker is reachable
_LARGE_BODY = 1024 * 1024  # bytes; larger bodies are published on a channel of their own (``_publish_large``)
_RESTORE_PAUSE = 0.5  # seconds before trying again to consume a queue whose consumer the broker cancelled
_RESTORE_PAUSE_MAX = 10.0
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
    except aiormq.exceptions.ConnectionInternalError as exc:
        if "feature flag" not in str(exc):
            raise ConnectionLost(f"the connection to the broker failed while {action}: {exc!r}") from exc
        # e.g. quorum queues (the delay cascade) on a node upgraded without enabling its flags
        raise TopologyError(
            f"the broker refused {action} because a feature flag is disabled: {exc}; "
            "enable it with `rabbitmqctl enable_feature_flag all`"
        ) from exc
    except (
        aiormq.exceptions.AMQPError,
        aiormq.exceptions.ChannelInvalidStateError,
        pamqp.exceptions.PAMQPException,
        ConnectionError,
        OSError,
    ) as exc:
        raise ConnectionLost(f"the connection to the broker failed while {action}: {exc!r}") from exc
    except Exception as exc:
        if type(exc) is not Exception:
            raise
        # What aiormq sets on the futures (a confirm, a write) of a channel or
        # connection that closed without a reason: the broker went away.
        raise ConnectionLost(f"the connection to the broker was closed while {action}") from exc


class _AmqpSubscription(Subscription):
    """A consumer on the channel's aiormq channel, consuming again whenever the channel is reopened.

    aio-pika's own ``queue.consume`` wraps every delivery in an ``IncomingMessage``
    and a second task; going one level down costs a third less CPU per message.
    """

    def __init__(
        self,
        channel: aio_pika.abc.AbstractRobustChannel,
        queue: str,
        on_message: aiormq.abc.ConsumerCallback,
        declare: Callable[[], Awaitable[None]],
        notify: TransportListener,
    ) -> None:
        self._notify = notify
        self._channel = channel
        self._queue = queue
        self._on_message = on_message
        self._declare = declare
        self._tag = f"burrow.{uuid.uuid4().hex}"
        self._cancelled = False
        self._restoring: asyncio.Task[None] | None = None
        self._consuming = False  # the broker confirmed our consumer and has not cancelled it since

    @property
    def consuming(self) -> bool:
        return self._consuming and not self._cancelled and not self._channel.is_closed

    async def start(self) -> None:
        await self._consume()
        self._channel.reopen_callbacks.add(self._resume)
        self._channel.close_callbacks.add(self._on_channel_close)

    async def _consume(self) -> None:
        raw = await self._channel.get_underlay_channel()
        raw.on_consumer_cancel_callbacks.add(self._on_broker_cancel)
        await raw.basic_consume(self._queue, self._on_message, consumer_tag=self._tag)
        self._set_consuming(True)

    def _set_consuming(self, consuming: bool) -> None:
        # Listeners hear each change once (a consumer-per-queue gauge counts on it).
        if consuming is not self._consuming:
            self._consuming = consuming
            event = TransportEvent.CONSUMER_STARTED if consuming else TransportEvent.CONSUMER_STOPPED
            self._notify(event, self._queue)

    def _on_channel_close(self, _channel: aio_pika.abc.AbstractChannel | None, _exc: BaseException | None, /) -> None:
        self._set_consuming(False)  # the connection (or the channel) went, and the consumer with it

    def _on_broker_cancel(self, frame: Basic.Cancel) -> None:
        # The broker ends a consumer whose queue was deleted (or whose quorum
        # queue lost its leader for good); nothing else would consume again.
        if self._cancelled or frame.consumer_tag != self._tag:
            return
        self._set_consuming(False)
        if self._restoring is None or self._restoring.done():
            log.error("RabbitMQ cancelled the consumer of queue %s (was it deleted?); declaring it again", self._queue)
            self._restoring = asyncio.get_running_loop().create_task(self._restore())

    async def _restore(self) -> None:
        pause = _RESTORE_PAUSE
        while not self._cancelled:
            try:
                with _mapped_errors(f"declaring and consuming {self._queue} again"):
                    await self._declare()
                    await self._consume()
            except TransportError as exc:
                log.error("could not consume %s again (%s); retrying in %.0f s", self._queue, exc, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, _RESTORE_PAUSE_MAX)
                continue
            log.warning("consuming queue %s again", self._queue)
            return

    async def _resume(self, channel: aio_pika.abc.AbstractRobustChannel | None, /) -> None:
        # The old channel's unsettled deliveries went back to the queue with it.
        if self._cancelled:
            return
        try:
            with _mapped_errors(f"consuming {self._queue} again after a reconnection"):
                await self._consume()
        except TransportError:
            self._set_consuming(False)
            # aio-pika drops what its reopen callbacks raise: say it here.
            log.exception("could not consume %s again after a reconnection", self._queue)

    async def cancel(self) -> None:
        # Closing the channel afterwards (in ``close``) returns unsettled deliveries.
        self._cancelled = True  # before any wait: a reconnection must not consume again
        self._channel.reopen_callbacks.discard(self._resume)
        self._set_consuming(False)
        if self._restoring is not None:
            self._restoring.cancel()
        # While the broker is unreachable a cancel would wait for a reconnection
        # that may never come; the lost connection took the consumer away anyway.
        timeout = 0 if self._channel.is_closed else _CANCEL_TIMEOUT
        with contextlib.suppress(Exception), _mapped_errors("cancelling a consumer"):
            async with asyncio.timeout(timeout):
                raw = await self._channel.get_underlay_channel()
                await raw.basic_cancel(self._tag)


class _Settlement:
    """Acks or rejects one delivery on the aiormq channel it arrived on (tags are per channel), once."""

    __slots__ = ("_channel", "_tag")

    def __init__(self, channel: aiormq.abc.AbstractChannel, tag: int) -> None:
        self._channel: aiormq.abc.AbstractChannel | None = channel
        self._tag = tag

    def _take(self) -> aiormq.abc.AbstractChannel:
        # A second settlement would be a channel error (unknown delivery tag) on RabbitMQ.
        channel, self._channel = self._channel, None
        if channel is None:
            raise ClientStateError("this delivery was already acked or rejected")
        return channel

    async def ack(self, multiple: bool = False) -> None:
        channel = self._take()
        try:
            # Waits for the frame to be written (unlike a publish, which waits for its
            # confirm): closing the connection drops frames still queued for the writer,
            # so an ack not written yet would be lost at a graceful stop, and its message
            # handled twice.
            await channel.basic_ack(self._tag, multiple=multiple)
        except Exception:
            with _mapped_errors("acknowledging a message"):  # on the error path only, as in publish
                raise

    async def reject(self, requeue: bool = False) -> None:
        channel = self._take()
        try:
            await channel.basic_reject(self._tag, requeue=requeue)
        except Exception:
            with _mapped_errors("rejecting a message"):
                raise


class _OutboxSettlement:
    """Acks or rejects one consumed delivery through its channel's outbox, once."""

    __slots__ = ("_outbox", "_tag")

    def __init__(self, outbox: Outbox, tag: int) -> None:
        self._outbox: Outbox | None = outbox
        self._tag = tag

    def _take(self) -> Outbox:
        outbox, self._outbox = self._outbox, None
        if outbox is None:
            raise ClientStateError("this delivery was already acked or rejected")
        return outbox

    async def ack(self, multiple: bool = False) -> None:
        outbox = self._take()
        try:
            # Shielded: the write is shared with the other settlements of this loop
            # iteration, and cancelling one waiter must not cancel it for all of them.
            await asyncio.shield(outbox.ack(self._tag, multiple))
        except Exception:
            with _mapped_errors("acknowledging a message"):
                raise

    async def reject(self, requeue: bool = False) -> None:
        outbox = self._take()
        try:
            await asyncio.shield(outbox.reject(self._tag, requeue))
        except Exception:
            with _mapped_errors("rejecting a message"):
                raise


class _Outboxes:
    """Each aiormq channel's ``Outbox``, made on first use; none for a channel without aiormq's internals."""

    __slots__ = ("_by_channel", "_last")

    def __init__(self) -> None:
        self._by_channel: weakref.WeakKeyDictionary[aiormq.abc.AbstractChannel, Outbox | None] = (
            weakref.WeakKeyDictionary()
        )
        self._last: Outbox | None = None  # most lookups are for the channel of the one before

    def of(self, channel: aiormq.abc.AbstractChannel) -> Outbox | None:
        last = self._last
        if last is not None and last.channel is channel:
            return last
        try:
            outbox = self._by_channel[channel]
        except KeyError:
            outbox = self._by_channel[channel] = Outbox(channel) if Outbox.fits(channel) else None
        self._last = outbox
        return outbox


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
        self._outboxes = _Outboxes()
        self._consume_channels: list[aio_pika.abc.AbstractChannel] = []
        self._get_channel: aio_pika.abc.AbstractChannel | None = None
        self._deliveries: set[asyncio.Task[None]] = set()  # strong references to running deliveries
        self._replies: _AmqpReplies | None = None
        self._connected = False  # for listeners: each loss and each restoration is told once

    async def open(self) -> None:
        if self._connection is not None:
            raise ClientStateError("the transport is already open")
        self._connection = await self._connect()
        self._connected = True
        self._connection.close_callbacks.add(self._on_connection_close)
        self._connection.reconnect_callbacks.add(self._on_reconnect)
        with _mapped_errors("opening the publishing channel"):
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
                current = _connect_error(url, exc)
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
        with _mapped_errors("declaring the topology"):
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
            with _mapped_errors(f"publishing {message.type}"):
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
                f"RabbitMQ at {'; '.join(map(_redacted, self.urls))} has been unreachable "
                f"for {self.reconnect_timeout:g} s; "
                "the message was not sent"
            ) from None

    async def consume(
        self, queue: QueueSpec, on_delivery: OnDelivery, *, prefetch: int, topology: TopologySpec | None = None
    ) -> Subscription:
        connection = self._require_connection()
        redeclared = topology or TopologySpec(queues=(queue,))
        with _mapped_errors(f"starting to consume {queue.name}"):
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
                    settlement = _OutboxSettlement(outbox, tag)
                # aiormq cancels the tasks it runs callbacks in when the connection
                # drops; handlers run in tasks of their own so that a network blip does
                # not cancel work in progress (its ack then fails; the broker redelivers).
                task = asyncio.create_task(on_delivery(_delivery(queue.name, message, settlement)))
                self._deliveries.add(task)
                task.add_done_callback(self._deliveries.discard)

            subscription = _AmqpSubscription(
                channel, queue.name, on_message, lambda: self.declare(redeclared), self._notify
            )
            await subscription.start()
        self._consume_channels.append(channel)
        return subscription

    async def open_replies(self, listener: ReplyListener) -> str:
        connection = self._require_connection()
        if self._replies is not None or self._publish_channel is None:
            raise ClientStateError("open_replies is called once per open transport")
        replies = _AmqpReplies(connection, self._publish_channel, listener)
        with _mapped_errors("starting the reply consumer"):
            address = await replies.start()
        self._replies = replies
        return address

    async def get(self, queue: str) -> Delivery | None:
        connection = self._require_connection()
        with _mapped_errors(f"reading {queue}"):
            # One channel holds every unsettled get, so that a lister can take
            # several messages before putting them all back in order.
            if self._get_channel is None or self._get_channel.is_closed:
                self._get_channel = await connection.channel(publisher_confirms=False)
            raw = await self._get_channel.get_underlay_channel()
            message = await raw.basic_get(queue, no_ack=False)
        if isinstance(message.delivery, Basic.GetEmpty):
            return None
        return _delivery(queue, message)

    async def purge(self, queue: str) -> int:
        connection = self._require_connection()
        with _mapped_errors(f"purging {queue}"):
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
                if isinstance(_connect_error(url, exc), AccessRefused):
                    raise _connect_error(url, exc) from exc  # this node answered: say what it refused
                failed = failed or (url, exc)
        assert failed is not None
        raise _connect_error(*failed) from failed[1]


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


def _delivery(queue: str, message: aiormq.abc.DeliveredMessage, settlement: Settlement | None = None) -> Delivery:
    """Our ``Delivery`` for an aiormq message; settled on its channel unless ``settlement`` says otherwise."""
    properties = message.header.properties
    timestamp: datetime | int | None = properties.timestamp
    expiration = properties.expiration
    if settlement is None:
        assert message.delivery_tag is not None  # set on every Basic.Deliver and Basic.GetOk
        settlement = _Settlement(message.channel, message.delivery_tag)
    return Delivery(
        settlement=settlement,
        queue=queue,
        body=message.body,
        exchange=message.exchange or "",
        routing_key=message.routing_key or "",
        type=properties.message_type,
        message_id=properties.message_id,
        content_type=properties.content_type,
        headers=dict(properties.headers or {}),
        timestamp=timestamp if timestamp is None or isinstance(timestamp, int) else int(timestamp.timestamp()),
        app_id=properties.app_id,
        correlation_id=properties.correlation_id,
        reply_to=properties.reply_to,
        expiration=_milliseconds(expiration),
        redelivered=bool(message.redelivered),
        malformed=properties.problem if isinstance(properties, MalformedProperties) else None,
    )


def _redacted(url: str) -> str:
    """Hide the password in a URL before it reaches a log or an error."""
    scheme, sep, rest = url.partition("://")
    if "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def _connect_error(url: str, exc: BaseException) -> TransportError:
    """Why a connection could not be opened, in terms of the URL the user gave."""
    parts = urllib.parse.urlsplit(url)
    user = urllib.parse.unquote(parts.username or "guest")
    vhost = urllib.parse.unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    where = f"RabbitMQ at {_redacted(url)}"
    if isinstance(exc, aiormq.exceptions.ProbableAuthenticationError):
        return AccessRefused(f"{where} refused the login of user {user!r}: wrong user name or password")
    if isinstance(exc, aiormq.exceptions.ProtocolSyntaxError):
        # The broker closes the handshake instead of opening the vhost.
        return AccessRefused(
            f"{where} refused user {user!r} access to vhost {vhost!r}: "
            "it does not exist, or the user has no permission on it"
        )
    if isinstance(exc, (ConnectionError, OSError)):
        return BrokerUnreachable(f"cannot reach {where}: {_os_reason(exc)}")
    return TransportError(f"cannot connect to {where}: {exc}")


def _os_reason(exc: BaseException) -> str:
    # aiormq wraps the socket error as (errno, text); the errno's own words read better
    # ("Connection refused") than asyncio's "Connect call failed ('127.0.0.1', 1)".
    match exc.args:
        case (int(code), str()) if code > 0:
            return os.strerror(code)
        case (int(), str(text)):
            return text  # a resolver error: "Name or service not known"
    return str(exc)


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
        self._listener.on_reply(_delivery(self._queue, message, _NO_SETTLEMENT))

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
        except TransportError:
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


def _milliseconds(expiration: str | None) -> int | None:
    # RabbitMQ only accepts non-negative integers here, but other brokers may not check.
    try:
        return None if expiration is None else int(expiration)
    except ValueError:
        return None
