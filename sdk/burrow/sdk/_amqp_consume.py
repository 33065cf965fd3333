"""Consuming on RabbitMQ: the consumer of a queue, how its deliveries are settled, and the reply consumer.

A consumer runs on aio-pika's underlying aiormq channel: aio-pika's own
``queue.consume`` wraps every delivery in an ``IncomingMessage`` and a second
task. Deliveries are acked and rejected through their channel's ``Outbox``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime

import aio_pika
import aio_pika.abc
import aiormq
import aiormq.abc
from burrow.sdk._amqp_errors import mapped_errors
from burrow.sdk._amqp_outbox import Outbox
from burrow.sdk._amqp_properties import MalformedProperties
from burrow.sdk._errors import ClientStateError, ConnectionLost, TransportError
from burrow.sdk._transport import (
    Delivery,
    ReplyListener,
    Settlement,
    Subscription,
    TransportEvent,
    TransportListener,
)
from pamqp.commands import Basic

__all__ = [
    "AmqpReplies",
    "AmqpSubscription",
    "ChannelSettlement",
    "Outboxes",
    "OutboxSettlement",
    "delivery_of",
]

log = logging.getLogger("burrow.amqp")

_CANCEL_TIMEOUT = 5.0  # seconds; a cancel-ok takes milliseconds while the broker is reachable
_RESTORE_PAUSE = 0.5  # seconds before trying again to consume a queue whose consumer the broker cancelled
_RESTORE_PAUSE_MAX = 10.0


class AmqpSubscription(Subscription):
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
                with mapped_errors(f"declaring and consuming {self._queue} again"):
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
            with mapped_errors(f"consuming {self._queue} again after a reconnection"):
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
        with contextlib.suppress(Exception), mapped_errors("cancelling a consumer"):
            async with asyncio.timeout(timeout):
                raw = await self._channel.get_underlay_channel()
                await raw.basic_cancel(self._tag)


class ChannelSettlement:
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
            with mapped_errors("acknowledging a message"):  # on the error path only, as in publish
                raise

    async def reject(self, requeue: bool = False) -> None:
        channel = self._take()
        try:
            await channel.basic_reject(self._tag, requeue=requeue)
        except Exception:
            with mapped_errors("rejecting a message"):
                raise


class OutboxSettlement:
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
            with mapped_errors("acknowledging a message"):
                raise

    async def reject(self, requeue: bool = False) -> None:
        outbox = self._take()
        try:
            await asyncio.shield(outbox.reject(self._tag, requeue))
        except Exception:
            with mapped_errors("rejecting a message"):
                raise


class Outboxes:
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


def delivery_of(queue: str, message: aiormq.abc.DeliveredMessage, settlement: Settlement | None = None) -> Delivery:
    """Our ``Delivery`` for an aiormq message; settled on its channel unless ``settlement`` says otherwise."""
    properties = message.header.properties
    timestamp: datetime | int | None = properties.timestamp
    expiration = properties.expiration
    if settlement is None:
        assert message.delivery_tag is not None  # set on every Basic.Deliver and Basic.GetOk
        settlement = ChannelSettlement(message.channel, message.delivery_tag)
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


class NoSettlement:
    """Replies are consumed without acks: there is nothing to settle."""

    async def ack(self, multiple: bool = False) -> None:
        return None

    async def reject(self, requeue: bool = False) -> None:
        return None


NO_SETTLEMENT = NoSettlement()


class AmqpReplies:
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
        self._listener.on_reply(delivery_of(self._queue, message, NO_SETTLEMENT))

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
            with mapped_errors("restoring the reply consumer"):
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
