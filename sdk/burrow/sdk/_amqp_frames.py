"""Reading AMQP frames from the socket in chunks instead of three reads per frame.

aiormq's ``FrameReceiver`` reads each frame with three ``readexactly`` calls under
a lock, copying it through a ``BytesIO``; a delivered message is three frames.
This receiver reads what the socket has (up to ``_CHUNK`` bytes) and cuts every
complete frame out of it, giving aiormq the same ``(size, channel, frame)``
tuples, decoded by pamqp as before, and raising the same errors at the same
points: the end of the stream, a connection error, a frame pamqp cannot read.

The frames every message brings (``Basic.Deliver``, its content header, a
publisher confirm's ``Basic.Ack``) are decoded here directly into pamqp's own
objects, about five times faster than pamqp's generic decoder; anything this
does not read exactly as pamqp would (another method, an unusual header value,
a frame that does not add up) goes to pamqp as before.

aiormq looks its receiver class up by name each time it connects, and offers no
other way in, so ``install_chunked_frame_receiver`` puts this one in its place for
the process, once, when the transport is imported. An aiormq connection opened by
other code in the process reads the same frames through it.
"""

from __future__ import annotations

import asyncio
import datetime
import struct
from typing import Any

import aiormq.connection
import pamqp.frame
from aiormq.exceptions import AMQPConnectionError, InvalidFrameError, ProtocolSyntaxError
from burrow.sdk._amqp_properties import INTEGER_FIELDS
from pamqp.body import ContentBody
from pamqp.commands import Basic
from pamqp.exceptions import PAMQPException
from pamqp.header import ContentHeader

__all__ = ["ChunkedFrameReceiver", "install_chunked_frame_receiver"]

_CHUNK = 256 * 1024  # bytes read at most per wake-up
_HEADER = struct.Struct(">BHI")  # frame type, channel, payload size
_HEADER_SIZE = _HEADER.size
_FRAME_END = 0xCE
_METHOD, _CONTENT_HEADER, _BODY = 1, 2, 3
_METHOD_INDEX = struct.Struct(">I")  # class id << 16 | method id
_DELIVER = 60 << 16 | 60
_ACK = 60 << 16 | 80
_ACK_ARGUMENTS = struct.Struct(">qB")  # delivery tag (signed, as pamqp reads it), multiple
_HEADER_START = struct.Struct(">HHQH")  # class, weight, body size, property flags
_UINT64 = struct.Struct(">Q")
_TAG = struct.Struct(">q")  # delivery tags: signed, as pamqp reads them
_UINT32 = struct.Struct(">I")
_LAST_SECOND_READ_AS_SECONDS = 0xFFFFFFFF  # pamqp reads a larger timestamp as milliseconds: left to it

# Basic.Properties in wire order: (attribute, flag bit, kind).
_PROPERTIES = tuple(
    (name, Basic.Properties.flags[name], kind)
    for name, kind in (
        ("content_type", "s"),
        ("content_encoding", "s"),
        ("headers", "F"),
        ("delivery_mode", "o"),
        ("priority", "o"),
        ("correlation_id", "s"),
        ("reply_to", "s"),
        ("expiration", "s"),
        ("message_id", "s"),
        ("timestamp", "T"),
        ("message_type", "s"),
        ("user_id", "s"),
        ("app_id", "s"),
        ("cluster_id", "s"),
    )
)


class ChunkedFrameReceiver(aiormq.connection.FrameReceiver):
    """aiormq's frame receiver, reading the socket a chunk at a time."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        super().__init__(reader)
        self._buffer = b""
        self._offset = 0

    async def get_frame(self) -> Any:
        while True:
            frame = self._next_frame()
            if frame is not None:
                return frame
            await self._read_more()

    def _next_frame(self) -> Any:
        buffer, offset = self._buffer, self._offset
        available = len(buffer) - offset
        if available < _HEADER_SIZE:
            return None
        if not self.started:
            if buffer.startswith(b"AMQP", offset):
                raise ProtocolSyntaxError("Unexpected AMQP protocol header")
            self.started = True
        frame_type, channel, size = _HEADER.unpack_from(buffer, offset)
        end = offset + _HEADER_SIZE + size + 1
        if end > len(buffer):
            return None
        self._offset = end
        if buffer[end - 1] == _FRAME_END:
            payload = buffer[offset + _HEADER_SIZE : end - 1]
            if frame_type == _BODY:
                return end - offset, channel, ContentBody(payload)  # pamqp would only wrap the bytes
            decoded = _decoded(frame_type, payload)
            if decoded is not None:
                return end - offset, channel, decoded
        try:
            return pamqp.frame.unmarshal(buffer[offset:end])
        except PAMQPException as exc:
            raise InvalidFrameError(str(exc)) from exc

    async def _read_more(self) -> None:
        rest = self._buffer[self._offset :]
        try:
            chunk = await self.reader.read(_CHUNK)
        except ConnectionRefusedError as exc:
            raise AMQPConnectionError(f"Server connection refused: {exc!r}") from exc
        except ConnectionResetError as exc:
            raise AMQPConnectionError(f"Server connection reset: {exc!r}") from exc
        except ConnectionError as exc:
            raise AMQPConnectionError(f"Server connection error: {exc!r}") from exc
        except OSError as exc:
            raise AMQPConnectionError(f"Server communication error: {exc!r}") from exc
        if not chunk:
            if rest:
                raise AMQPConnectionError(
                    f"Server connection unexpectedly closed. Read {len(rest)} bytes of an incomplete frame"
                )
            raise StopAsyncIteration
        self._buffer = rest + chunk if rest else chunk
        self._offset = 0


def _decoded(frame_type: int, payload: bytes) -> Any:
    """The frame pamqp would make of ``payload``, for the usual frames; None to leave it to pamqp."""
    try:
        if frame_type == _METHOD:
            index = _METHOD_INDEX.unpack_from(payload)[0]
            if index == _DELIVER:
                return _deliver(payload)
            if index == _ACK and len(payload) == 4 + _ACK_ARGUMENTS.size:
                tag, bits = _ACK_ARGUMENTS.unpack_from(payload, 4)
                return Basic.Ack(tag, bool(bits & 1))
        elif frame_type == _CONTENT_HEADER:
            return _content_header(payload)
    except (ValueError, IndexError, struct.error):  # UnicodeDecodeError is a ValueError
        pass
    return None


class _Reader:
    """Reads AMQP fields from a payload, strictly: a length past its end raises IndexError."""

    __slots__ = ("data", "offset")

    def __init__(self, data: bytes, offset: int) -> None:
        self.data = data
        self.offset = offset

    def take(self, size: int) -> bytes:
        start, end = self.offset, self.offset + size
        if end > len(self.data):
            raise IndexError("a length runs past the end of the frame")
        self.offset = end
        return self.data[start:end]

    def shortstr(self) -> str:
        return self.take(self.data[self.offset] + 1)[1:].decode()

    def octet(self) -> int:
        value = self.data[self.offset]
        self.offset += 1
        return value

    def timestamp(self) -> datetime.datetime:
        seconds: int = _UINT64.unpack_from(self.data, self.offset)[0]
        if seconds > _LAST_SECOND_READ_AS_SECONDS:
            raise ValueError("a timestamp in milliseconds")
        self.offset += 8
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)

    def table(self) -> dict[str, Any]:
        size: int = _UINT32.unpack_from(self.data, self.offset)[0]
        end = self.offset + 4 + size
        if end > len(self.data):
            raise IndexError("a table runs past the end of the frame")
        self.offset += 4
        table: dict[str, Any] = {}
        while self.offset < end:
            key = self.shortstr()
            kind = self.take(1)
            integer = INTEGER_FIELDS.get(kind)
            if integer is not None:
                table[key] = integer.unpack(self.take(integer.size))[0]
            elif kind == b"S":
                table[key] = self.take(_UINT32.unpack_from(self.data, self.offset)[0] + 4)[4:].decode()
            elif kind == b"t":
                table[key] = self.octet() != 0
            else:
                raise ValueError(f"field type {kind!r} is left to pamqp")
        if self.offset != end:
            raise IndexError("a table's values run past its size")
        return table


def _deliver(payload: bytes) -> Basic.Deliver:
    reader = _Reader(payload, 4)
    consumer_tag = reader.shortstr()
    delivery_tag = _TAG.unpack_from(payload, reader.offset)[0]
    reader.offset += 8
    redelivered = bool(reader.octet() & 1)
    exchange = reader.shortstr()
    routing_key = reader.shortstr()
    if reader.offset != len(payload):
        raise IndexError("a Basic.Deliver longer than its fields")
    return Basic.Deliver(consumer_tag, delivery_tag, redelivered, exchange, routing_key)


def _content_header(payload: bytes) -> ContentHeader:
    class_id, weight, body_size, flags = _HEADER_START.unpack_from(payload)
    if flags & 1:
        raise ValueError("a second flag word is left to pamqp")
    properties = Basic.Properties()
    reader = _Reader(payload, _HEADER_START.size)
    for name, bit, kind in _PROPERTIES:
        if flags & bit:
            if kind == "s":
                value: Any = reader.shortstr()
            elif kind == "F":
                value = reader.table()
            elif kind == "o":
                value = reader.octet()
            else:
                value = reader.timestamp()
            setattr(properties, name, value)
    if reader.offset != len(payload):
        raise IndexError("a property list longer than its properties")
    header = ContentHeader(weight, body_size, properties)
    header.class_id = class_id
    return header


def install_chunked_frame_receiver() -> None:
    """Make aiormq read frames with ``ChunkedFrameReceiver`` (once; an aiormq without the seam is left as it is)."""
    current = getattr(aiormq.connection, "FrameReceiver", None)
    if isinstance(current, type) and issubclass(ChunkedFrameReceiver, current) and current is not ChunkedFrameReceiver:
        aiormq.connection.FrameReceiver = ChunkedFrameReceiver  # type: ignore[misc]
