"""Reading AMQP frames from the socket in chunks instead of three reads per frame.

aiormq's ``FrameReceiver`` reads each frame with three ``readexactly`` calls under
a lock, copying it through a ``BytesIO``; a delivered message is three frames.
This receiver reads what the socket has (up to ``_CHUNK`` bytes) and cuts every
complete frame out of it, giving aiormq the same ``(size, channel, frame)``
tuples, decoded by pamqp as before, and raising the same errors at the same
points: the end of the stream, a connection error, a frame pamqp cannot read.

aiormq looks its receiver class up by name each time it connects, and offers no
other way in, so ``install_chunked_frame_receiver`` puts this one in its place for
the process, once, when the transport is imported. An aiormq connection opened by
other code in the process reads the same frames through it.
"""

from __future__ import annotations

import asyncio
import struct
from typing import Any

import aiormq.connection
import pamqp.frame
from aiormq.exceptions import AMQPConnectionError, InvalidFrameError, ProtocolSyntaxError
from pamqp.body import ContentBody
from pamqp.exceptions import PAMQPException

__all__ = ["ChunkedFrameReceiver", "install_chunked_frame_receiver"]

_CHUNK = 256 * 1024  # bytes read at most per wake-up
_HEADER = struct.Struct(">BHI")  # frame type, channel, payload size
_HEADER_SIZE = _HEADER.size
_FRAME_END = 0xCE
_BODY = 3


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
        if frame_type == _BODY and buffer[end - 1] == _FRAME_END:
            # A body frame is its bytes: pamqp would only wrap them.
            return end - offset, channel, ContentBody(buffer[offset + _HEADER_SIZE : end - 1])
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


def install_chunked_frame_receiver() -> None:
    """Make aiormq read frames with ``ChunkedFrameReceiver`` (once; an aiormq without the seam is left as it is)."""
    current = getattr(aiormq.connection, "FrameReceiver", None)
    if isinstance(current, type) and issubclass(ChunkedFrameReceiver, current) and current is not ChunkedFrameReceiver:
        aiormq.connection.FrameReceiver = ChunkedFrameReceiver  # type: ignore[misc]
