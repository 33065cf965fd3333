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

Header tables are encoded here too, not by pamqp, so that whatever a delivery
brought can be sent on again (a retry or dead-letter copy): pamqp writes every
float as a 32-bit float (a double above ~3.4e38 fails, one that fits is
narrowed) and refuses ``bytes`` (how a long string that is not UTF-8 arrives).
Here floats are doubles, ``bytes`` go back as the long string they came as, and
strings are encoded with ``surrogateescape`` so that a value read with it
(``salvage_header_frame``) goes back byte for byte.

``salvage_header_frame`` is the other direction, for the one case pamqp cannot
decode: a content header whose properties are not valid (a short string that
is not UTF-8, a timestamp past year 9999, a header key that is not UTF-8).
RabbitMQ routes such messages; aiormq would close the connection on them and
get the same message first again after reconnecting.
"""

from __future__ import annotations

import datetime
import decimal
import math
import struct
from typing import Any

from burrow.sdk._transport import OutgoingMessage
from burrow.sdk._wire import HEADER_RAW_PROPERTIES
from pamqp import encode, header
from pamqp.commands import Basic

__all__ = [
    "INTEGER_FIELDS",
    "MalformedProperties",
    "WireProperties",
    "encode_properties",
    "encode_table",
    "salvage_header_frame",
]

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
_UINT8 = struct.Struct(">B")
_UINT16 = struct.Struct(">H")
_UINT32 = struct.Struct(">I")
_UINT64 = struct.Struct(">Q")
_DOUBLE = struct.Struct(">d")
_UTF8 = "utf-8"
_KEEP_BYTES = "surrogateescape"  # bytes that are not UTF-8 survive a decode and encode round trip

# Bounded: cleared when full. Ids and deadlines never go in; names and header
# tables made only of strings (a task's fingerprint) do.
_CACHE_LIMIT = 1024
_strings: dict[str, bytes] = {}
_tables: dict[tuple[tuple[str, Any], ...], bytes] = {}


def _shortstr(value: str) -> bytes:
    raw = value.encode(_UTF8, _KEEP_BYTES)
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
        return encode_table(headers)  # e.g. a call's deadline: new every time
    key = tuple(headers.items())
    encoded = _tables.get(key)
    if encoded is None:
        if len(_tables) >= _CACHE_LIMIT:
            _tables.clear()
        encoded = _tables[key] = encode_table(headers)
    return encoded


def encode_table(table: dict[str, Any]) -> bytes:
    """An AMQP field table, keys in the dict's order. Raises ``TypeError`` for a value AMQP cannot carry."""
    parts: list[bytes] = []
    for key, value in table.items():
        if not isinstance(key, str):
            raise TypeError(f"header names are strings, got {key!r}")
        parts.append(_shortstr(key))
        try:
            parts.append(_value(value))
        except TypeError as exc:
            raise TypeError(f"header {key!r}: {exc}") from None
    payload = b"".join(parts)
    return _UINT32.pack(len(payload)) + payload


def _longstr(raw: bytes) -> bytes:
    return _UINT32.pack(len(raw)) + raw


def _value(value: Any) -> bytes:  # one return per AMQP field type
    if isinstance(value, bool):
        return b"t" + (b"\x01" if value else b"\x00")
    if isinstance(value, int):
        return encode.table_integer(value)  # the smallest integer type that holds it, as pamqp
    if isinstance(value, float):
        if not math.isfinite(value):
            # RabbitMQ answers one with INTERNAL_ERROR, closing the whole connection.
            raise TypeError(f"RabbitMQ cannot carry the float {value!r} in a header")
        return b"d" + _DOUBLE.pack(value)  # a double holds every float exactly, a 32-bit float does not
    if isinstance(value, str):
        return b"S" + _longstr(value.encode(_UTF8, _KEEP_BYTES))
    if isinstance(value, bytearray):
        return b"x" + _longstr(bytes(value))  # pamqp reads a byte array as a bytearray
    if isinstance(value, bytes):
        return b"S" + _longstr(value)  # pamqp reads a long string that is not UTF-8 as bytes
    if isinstance(value, dict):
        return b"F" + encode_table(value)
    if isinstance(value, list | tuple):
        items = b"".join(_value(item) for item in value)
        return b"A" + _UINT32.pack(len(items)) + items
    if isinstance(value, decimal.Decimal):
        return b"D" + encode.decimal(value)
    if isinstance(value, datetime.datetime):
        return b"T" + encode.timestamp(value)
    if value is None:
        return b"V"
    raise TypeError(f"AMQP has no field type for {type(value).__name__} ({value!r})")


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


class MalformedProperties(Basic.Properties):
    """Properties read by ``salvage_header_frame``: ``problem`` says what pamqp could not decode.

    Short strings that are not UTF-8 hold their bytes as surrogate escapes, a
    timestamp out of ``datetime``'s range is the raw integer. When even that
    fails, ``headers`` holds only the raw property bytes (``HEADER_RAW_PROPERTIES``).
    """

    problem = ""


def salvage_header_frame(frame_data: bytes, error: BaseException) -> header.ContentHeader:
    """The content header in ``frame_data`` with ``MalformedProperties``, after pamqp raised ``error``.

    Raises ``error`` again when the frame is too short to hold a content header.
    """
    if len(frame_data) < 14:
        raise error
    class_id, weight, body_size = struct.unpack_from(">HHQ", frame_data)
    problem = f"the message properties are not valid AMQP ({type(error).__name__}: {error})"
    properties = MalformedProperties()
    try:
        _PropertyReader(frame_data, 12).read_into(properties)
    except Exception:
        properties = MalformedProperties()
        properties.headers = {HEADER_RAW_PROPERTIES: bytes(frame_data[12:])}
        problem = f"{problem}; they are kept undecoded in the {HEADER_RAW_PROPERTIES} header"
    properties.problem = problem
    content_header = header.ContentHeader(weight=weight, body_size=body_size, properties=properties)
    content_header.class_id = class_id
    return content_header


# Basic.Properties in wire order, with the reader for each.
_PROPERTY_TYPES = (
    ("content_type", "shortstr"),
    ("content_encoding", "shortstr"),
    ("headers", "table"),
    ("delivery_mode", "octet"),
    ("priority", "octet"),
    ("correlation_id", "shortstr"),
    ("reply_to", "shortstr"),
    ("expiration", "shortstr"),
    ("message_id", "shortstr"),
    ("timestamp", "timestamp"),
    ("message_type", "shortstr"),
    ("user_id", "shortstr"),
    ("app_id", "shortstr"),
    ("cluster_id", "shortstr"),
)
# Integer field types, read as pamqp (and RabbitMQ) read them.
INTEGER_FIELDS = {
    b"b": struct.Struct(">b"),
    b"B": struct.Struct(">B"),
    b"s": struct.Struct(">h"),
    b"u": struct.Struct(">H"),
    b"I": struct.Struct(">i"),
    b"i": struct.Struct(">I"),
    b"l": struct.Struct(">q"),
    b"L": struct.Struct(">q"),  # as pamqp (and RabbitMQ) read it
}


class _PropertyReader:
    """Reads a property list as pamqp does, but never fails on a value that is only unusual."""

    def __init__(self, data: bytes, offset: int) -> None:
        self._data = data
        self._offset = offset

    def _take(self, size: int) -> bytes:
        end = self._offset + size
        if end > len(self._data):
            raise ValueError("the property list is shorter than its lengths say")
        chunk = self._data[self._offset : end]
        self._offset = end
        return chunk

    def _unpack(self, layout: struct.Struct) -> Any:
        return layout.unpack(self._take(layout.size))[0]

    def read_into(self, properties: Basic.Properties) -> None:
        flags = self._unpack(_UINT16)
        extra = flags
        while extra & 1:  # a continuation flag word follows (none of Basic's properties need one)
            extra = self._unpack(_UINT16)
        for name, kind in _PROPERTY_TYPES:
            if flags & _FLAGS[name]:
                setattr(properties, name, getattr(self, kind)())

    def shortstr(self) -> str:
        return self._take(self._unpack(_UINT8)).decode(_UTF8, _KEEP_BYTES)

    def octet(self) -> int:
        return int(self._unpack(_UINT8))

    def timestamp(self) -> datetime.datetime | int:
        seconds = int(self._unpack(_UINT64))
        try:
            return datetime.datetime.fromtimestamp(seconds, datetime.UTC)
        except (OverflowError, ValueError, OSError):
            return seconds  # sent on unchanged by encode_properties

    def table(self) -> dict[str, Any]:
        end = self._offset + 4 + self._unpack(_UINT32)
        table: dict[str, Any] = {}
        while self._offset < end:
            key = self.shortstr()
            table[key] = self.value()
        return table

    def value(self) -> Any:  # one return per AMQP field type
        kind = self._take(1)
        integer = INTEGER_FIELDS.get(kind)
        if integer is not None:
            return self._unpack(integer)
        if kind == b"S":
            raw = self._take(self._unpack(_UINT32))
            try:
                return raw.decode(_UTF8)
            except UnicodeDecodeError:
                return raw  # as pamqp does
        if kind == b"t":
            return self._take(1) != b"\x00"
        if kind == b"d":
            return self._unpack(_DOUBLE)
        if kind == b"f":
            return self._unpack(struct.Struct(">f"))
        if kind == b"D":
            places = self.octet()
            return decimal.Decimal(self._unpack(struct.Struct(">i"))).scaleb(-places)
        if kind == b"T":
            return self.timestamp()
        if kind == b"F":
            return self.table()
        if kind == b"A":
            end = self._offset + 4 + self._unpack(_UINT32)
            items: list[Any] = []
            while self._offset < end:
                items.append(self.value())
            return items
        if kind == b"x":
            return bytearray(self._take(self._unpack(_UINT32)))
        if kind in (b"V", b"\x00"):
            return None
        raise ValueError(f"unknown field type {kind!r}")
