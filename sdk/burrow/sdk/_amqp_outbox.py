"""The frames one aiormq channel sends, written together once per event-loop iteration.

aiormq sends every publish and every ack as a queue entry of its own: the
connection's writer task wakes for each (its queue holds ten, so a burst also
suspends the publishers), and the socket takes one ``send()`` per frame. What the
publishes and settlements of one loop iteration produce is written here as one
payload instead: one queue entry, one wake-up of the writer, one ``send()``.

Acks become one ``Basic.Ack`` with ``multiple`` set wherever that is exact: for the
acked tags that run on, without a gap, from the oldest delivery still unsettled on
the channel. A ``multiple`` ack settles *every* unsettled delivery up to its tag,
so the outbox tracks each delivery of its channel from its arrival and falls back
to one ack per delivery for good once it sees a tag it was not told of.

This module reaches into aiormq's channel (its publish sequence number, its
confirmation and returned-message tables, the connection's write queue), where
``basic_publish`` does the same work per message; ``Outbox.fits`` says whether an
aiormq channel has what it needs, and the transport uses aiormq's own calls when
it does not.
"""

from __future__ import annotations

import asyncio
import collections
import struct
from typing import Any

import aiormq
import aiormq.abc
from aiormq.abc import ChannelFrame

__all__ = ["Outbox"]

_METHOD, _HEADER, _BODY = 1, 2, 3
_FRAME_END = b"\xce"
_FRAME_OVERHEAD = 8  # type, channel and size before the payload, the end octet after it
_BASIC = 60
_PUBLISH, _ACK, _REJECT = 40, 80, 90
_CONTENT_HEADER = struct.Struct(">HHQ")  # class, weight (always 0), body size
_SETTLE = struct.Struct(">HHQB")  # class, method, delivery tag, one flag octet (multiple or requeue)
_FRAME_START = struct.Struct(">BHI")  # frame type, channel, payload size
_METHOD_CACHE_LIMIT = 1024

_CHANNEL_INTERNALS = (
    "confirmations",
    "create_future",
    "create_task",
    "delivery_tag",
    "max_content_size",
    "message_id_delivery_tag",
    "number",
    "write_queue",
)


class Outbox:
    """Publishes and settlements for one aiormq channel, written at the end of the loop iteration they came in."""

    __slots__ = (
        "_acks",
        "_backlog",
        "_channel",
        "_drainer",
        "_gapped",
        "_last_delivered",
        "_loop",
        "_methods",
        "_number",
        "_publishes",
        "_rejects",
        "_scheduled",
        "_settled",
        "_unsettled",
        "_written",
    )

    def __init__(self, channel: aiormq.abc.AbstractChannel) -> None:
        self._channel: Any = channel  # aiormq.Channel: the internals used are not in its abc
        self._number: int = channel.number
        self._loop = asyncio.get_running_loop()
        self._scheduled = False
        # This iteration's publishes: (method frame, header and body frames, message id, confirmation).
        self._publishes: list[tuple[bytes, bytes, str, asyncio.Future[Any]]] = []
        self._acks: list[int] = []
        self._rejects: list[tuple[int, bool]] = []
        self._written: asyncio.Future[None] | None = None  # resolved once this iteration's settlements are written
        self._methods: dict[tuple[str, str, bool], bytes] = {}
        # Deliveries in arrival order until they are settled (acked with ``multiple`` or passed over).
        self._unsettled: collections.deque[int] = collections.deque()
        self._settled: set[int] = set()  # written out of order (a reject, or an ack behind a gap)
        self._last_delivered = 0
        self._gapped = False
        self._backlog: collections.deque[ChannelFrame] = collections.deque()  # entries the write queue had no room for
        self._drainer: asyncio.Task[None] | None = None

    @staticmethod
    def fits(channel: aiormq.abc.AbstractChannel) -> bool:
        """Whether ``channel`` has the aiormq internals the outbox works with."""
        return all(hasattr(channel, name) for name in _CHANNEL_INTERNALS)

    @property
    def channel(self) -> aiormq.abc.AbstractChannel:
        result: aiormq.abc.AbstractChannel = self._channel
        return result

    # -- publishing ---------------------------------------------------------------

    def publish(
        self, body: bytes, *, exchange: str, routing_key: str, mandatory: bool, properties: bytes, message_id: str
    ) -> asyncio.Future[Any]:
        """Queue a publish; the future is the broker's confirm (aiormq's, so a return or a nack fails it).

        ``properties`` is the content header's property flags and list
        (``encode_properties``); ``message_id`` must be in them: aiormq matches a
        returned message to its publish by it.
        """
        self._require_open()
        method = self._methods.get((exchange, routing_key, mandatory))
        if method is None:
            method = self._publish_method(exchange, routing_key, mandatory)
        content = self._frame(_HEADER, _CONTENT_HEADER.pack(_BASIC, 0, len(body)) + properties)
        size = self._channel.max_content_size
        if len(body) <= size:
            content += self._frame(_BODY, body) if body else b""
        else:
            content += b"".join(self._frame(_BODY, body[at : at + size]) for at in range(0, len(body), size))
        confirmation: asyncio.Future[Any] = self._channel.create_future()
        self._publishes.append((method, content, message_id, confirmation))
        self._schedule()
        return confirmation

    def forget(self, message_id: str) -> None:
        """Drop the returned-message entry of a publish whose confirmation is done."""
        # aiormq's own publish does this in a done callback per message; the transport
        # calls it once it stops waiting. An entry whose confirmation is still pending
        # belongs to a later publish of the same message id.
        table: dict[str, int] = self._channel.message_id_delivery_tag
        tag = table.get(message_id)
        if tag is None:
            return
        confirmation = self._channel.confirmations.get(tag)
        if isinstance(confirmation, asyncio.Future) and not confirmation.done():
            return
        del table[message_id]

    def _publish_method(self, exchange: str, routing_key: str, mandatory: bool) -> bytes:
        exchange_bytes, key_bytes = exchange.encode(), routing_key.encode()
        if len(exchange_bytes) > 255 or len(key_bytes) > 255:
            # aiormq's own check, before anything is queued.
            raise ValueError(f"an AMQP exchange name and routing key hold at most 255 bytes: {routing_key[:40]!r}")
        payload = b"".join(
            (
                struct.pack(">HHH", _BASIC, _PUBLISH, 0),
                bytes((len(exchange_bytes),)),
                exchange_bytes,
                bytes((len(key_bytes),)),
                key_bytes,
                b"\x01" if mandatory else b"\x00",
            )
        )
        if len(self._methods) >= _METHOD_CACHE_LIMIT:
            self._methods.clear()
        method = self._methods[(exchange, routing_key, mandatory)] = self._frame(_METHOD, payload)
        return method

    # -- settling -----------------------------------------------------------------

    def delivered(self, tag: int) -> None:
        """Note a delivery on the channel, in the order they arrive: a ``multiple`` ack must not pass one by."""
        if tag != self._last_delivered + 1:
            # A delivery the outbox was not told of (or tags reset): a multiple ack
            # could settle it unseen, so from now on every ack names its own tag.
            self._gapped = True
        self._last_delivered = tag
        self._unsettled.append(tag)

    def ack(self, tag: int, multiple: bool = False) -> asyncio.Future[None]:
        """Queue an ack; the future resolves once it is written to the socket."""
        self._require_open()
        if multiple:
            self._acks.extend(pending for pending in self._unsettled if pending <= tag and pending not in self._settled)
        self._acks.append(tag)
        return self._settlement_written()

    def reject(self, tag: int, requeue: bool) -> asyncio.Future[None]:
        """Queue a reject; the future resolves once it is written to the socket."""
        self._require_open()
        self._rejects.append((tag, requeue))
        return self._settlement_written()

    def _settlement_written(self) -> asyncio.Future[None]:
        # Waits for the write, as aiormq's basic_ack does: closing a connection drops
        # frames still queued for its writer, so an ack not written yet would be lost
        # at a graceful stop, and its message handled twice.
        if self._written is None:
            self._written = self._channel.create_future()
        self._schedule()
        return self._written

    def _settlement_frames(self) -> list[bytes]:
        frames = []
        # Rejects go first: a multiple ack after them must not settle them as acked.
        for tag, requeue in self._rejects:
            frames.append(self._frame(_METHOD, _SETTLE.pack(_BASIC, _REJECT, tag, requeue)))
            self._settled.add(tag)
        acked = set(self._acks)
        self._acks.clear()
        self._rejects.clear()
        in_order: list[int] = []  # acked tags that run on from the oldest unsettled delivery
        unsettled, settled = self._unsettled, self._settled
        while unsettled:
            oldest = unsettled[0]
            if oldest in acked:
                acked.discard(oldest)
                in_order.append(oldest)
            elif oldest in settled:
                settled.discard(oldest)
            else:
                break
            unsettled.popleft()
        if in_order and not self._gapped:
            frames.append(self._frame(_METHOD, _SETTLE.pack(_BASIC, _ACK, in_order[-1], True)))
        else:
            frames.extend(self._frame(_METHOD, _SETTLE.pack(_BASIC, _ACK, tag, False)) for tag in in_order)
        for tag in sorted(acked):  # behind a delivery still being handled: each its own ack
            frames.append(self._frame(_METHOD, _SETTLE.pack(_BASIC, _ACK, tag, False)))
            settled.add(tag)
        return frames

    # -- writing ------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        written, self._written = self._written, None
        channel = self._channel
        if channel.is_closed:
            self._fail_pending(written)
            return
        parts: list[bytes] = []
        if self._acks or self._rejects:
            parts.extend(self._settlement_frames())
        if self._publishes:
            # Sequence numbers are taken here, in the order the frames are written:
            # nothing between this and the write queue can reorder them.
            confirmations: dict[int, Any] = channel.confirmations
            returns: dict[str, int] = channel.message_id_delivery_tag
            for method, content, message_id, confirmation in self._publishes:
                if confirmation.done():
                    continue  # cancelled (or failed) before it was written: not sent at all
                channel.delivery_tag += 1
                confirmations[channel.delivery_tag] = confirmation
                returns[message_id] = channel.delivery_tag
                parts.append(method)
                parts.append(content)
            self._publishes.clear()
        if not parts:
            if written is not None and not written.done():
                written.set_result(None)
            return
        self._write(ChannelFrame(payload=b"".join(parts), should_close=False, drain_future=written))

    def _write(self, entry: ChannelFrame) -> None:
        if not self._backlog:
            try:
                self._channel.write_queue.put_nowait(entry)
                return
            except asyncio.QueueFull:
                pass
        self._backlog.append(entry)
        if self._drainer is None or self._drainer.done():
            self._drainer = self._channel.create_task(self._drain_backlog())

    async def _drain_backlog(self) -> None:
        # The write queue holds ten entries; what did not fit waits here, in order.
        while self._backlog:
            await self._channel.write_queue.put(self._backlog[0])
            self._backlog.popleft()

    def _fail_pending(self, written: asyncio.Future[None] | None) -> None:
        error = aiormq.exceptions.ChannelInvalidStateError(f"{self._channel!r} closed")
        for _method, _content, _message_id, confirmation in self._publishes:
            if not confirmation.done():
                confirmation.set_exception(error)
        self._publishes.clear()
        self._acks.clear()
        self._rejects.clear()
        if written is not None and not written.done():
            written.set_exception(error)

    def _require_open(self) -> None:
        if self._channel.is_closed:
            raise aiormq.exceptions.ChannelInvalidStateError(f"{self._channel!r} closed")

    def _frame(self, frame_type: int, payload: bytes) -> bytes:
        return _FRAME_START.pack(frame_type, self._number, len(payload)) + payload + _FRAME_END
