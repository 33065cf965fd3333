"""Message properties for the wire, encoded faster than pamqp does it. Part of the AMQP transport.

Only ``sdk._amqp`` imports this module. pamqp's ``Basic.Properties.marshal``
looks every property up by name and encodes each value through a chain of
type dispatches; for a task (content type, one header, delivery mode, id,
timestamp, type) that took about 8 µs per message, more than all the rest
of the property work. Most of what Burrow puts there repeats from message to
message (the content type, the contract's type and fingerprint header, the
app id), so ``encode_properties`` keeps those encodings in small caches and
writes the same bytes pamqp would (a unit test compares the two).

``WireProperties`` carries the encoded bytes through aiormq, which only reads
``message_id`` from the properties (to match a returned message to its publish)
and otherwise asks them to ``marshal`` themselves.
"""

from __future__ import annotations

import struct
from typing import Any

from burrow.sdk._transport import OutgoingMessage
from pamqp import encode
from pamqp.commands import Basic

__all__ = ["WireProperties", "encode_properties"]

_FLAGS = Basic.Properties.flags
_CONTENT_TYPE = _FLAGS["content_type"]
_HEADERS = _FLAGS["headers"]
_DELIVERY_MODE = _FLAGS["delivery_mode"]
_CORRELATION_ID = _FLAGS["correlation_id"]
_REPLY_TO = _FLAGS["reply_to"]
_EXPIRATION = _FLAGS["expiration"]
_MESSAGE_ID = _FLAGS["message_id"]
_TIMESTAMP = _FLAGS["timestamp"]
_TYPE = _FLAGS["message_type"]
_APP_ID = _FLAGS["app_id"]

_PERSISTENT = b"\x02"
_TRANSIENT = b"\x01"
_UINT16 = struct.Struct(">H")
_UINT64 = struct.Struct(">Q")

# Bounded: cleared when full. Ids and deadlines never go in; names and header
# tables made only of strings (a task's fingerprint) do.
_CACHE_LIMIT = 1024
_strings: dict[str, bytes] = {}
_tables: dict[tuple[tuple[str, Any], ...], bytes] = {}


def _shortstr(value: str) -> bytes:
    raw = value.encode()
    if len(raw) > 255:
        raise TypeError(f"AMQP property value longer than 255 bytes: {value[:40]!r}...")  # as pamqp
    return bytes((len(raw),)) + raw


def _repeating(value: str) -> bytes:
    """``_shortstr`` for values that repeat (content type, type, app id)."""
    encoded = _strings.get(value)
    if encoded is None:
        if len(_strings) >= _CACHE_LIMIT:
            _strings.clear()
        encoded = _strings[value] = _shortstr(value)
    return encoded


def _table(headers: dict[str, Any]) -> bytes:
    if not all(type(value) is str for value in headers.values()):
        return encode.field_table(headers)  # e.g. a call's deadline: new every time
    key = tuple(headers.items())
    encoded = _tables.get(key)
    if encoded is None:
        if len(_tables) >= _CACHE_LIMIT:
            _tables.clear()
        encoded = _tables[key] = encode.field_table(headers)
    return encoded


def encode_properties(message: OutgoingMessage) -> bytes:
    """The content header's property flags and list, exactly as pamqp would marshal them.

    As pamqp does, empty strings are left out; an empty header table is not.
    """
    flags = 0
    parts: list[bytes] = []
    if message.content_type:
        flags |= _CONTENT_TYPE
        parts.append(_repeating(message.content_type))
    # Burrow sets no content_encoding.
    if message.headers is not None:
        flags |= _HEADERS
        parts.append(_table(message.headers))
    flags |= _DELIVERY_MODE
    parts.append(_PERSISTENT if message.persistent else _TRANSIENT)
    # Burrow sets no priority.
    if message.correlation_id:
        flags |= _CORRELATION_ID
        parts.append(_shortstr(message.correlation_id))
    if message.reply_to:
        flags |= _REPLY_TO
        parts.append(_shortstr(message.reply_to))
    if message.expiration is not None:
        flags |= _EXPIRATION
        parts.append(_shortstr(str(message.expiration)))
    if message.message_id:
        flags |= _MESSAGE_ID
        parts.append(_shortstr(message.message_id))
    if message.timestamp is not None:
        flags |= _TIMESTAMP
        parts.append(_UINT64.pack(message.timestamp))
    if message.type:
        flags |= _TYPE
        parts.append(_repeating(message.type))
    # Burrow sets no user_id.
    if message.app_id:
        flags |= _APP_ID
        parts.append(_repeating(message.app_id))
    return _UINT16.pack(flags) + b"".join(parts)


class WireProperties(Basic.Properties):
    """``Basic.Properties`` whose wire form was encoded up front by ``encode_properties``.

    Only ``message_id`` is set as an attribute (aiormq reads it); the rest is in
    the encoded bytes.
    """

    __slots__ = ("_encoded",)

    def __init__(self, message: OutgoingMessage) -> None:
        super().__init__(message_id=message.message_id)
        self._encoded = encode_properties(message)

    def marshal(self) -> bytes:
        return self._encoded
