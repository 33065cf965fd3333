"""Property-based checks of the paths bad input takes: body decoding, header re-encoding, property salvage."""

from __future__ import annotations

import contextlib
import datetime
import decimal
import math
import struct
from typing import Any

import burrow.sdk._amqp  # noqa: F401  # installs the content-header salvage
import pamqp.frame
from burrow.sdk import ContractError
from burrow.sdk._amqp_properties import MalformedProperties, encode_properties, encode_table
from burrow.sdk._contract import contract_info
from burrow.sdk._transport import OutgoingMessage
from hypothesis import given, settings
from hypothesis import strategies as st
from pamqp import decode

from contracts.cleanup import DeleteFile

INFO = contract_info(DeleteFile)

# What pamqp hands over for each AMQP field type once decoded (a 32-bit float arrives as a double).
amqp_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
    | st.binary(min_size=1).map(lambda raw: b"\xff" + raw)  # a long string that is not UTF-8
    | st.binary().map(bytearray)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-(10**5), max_value=10**5)
    | st.integers(min_value=0, max_value=2**32 - 1).map(lambda s: datetime.datetime.fromtimestamp(s, datetime.UTC)),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=20), children, max_size=4),
    max_leaves=20,
)
tables = st.dictionaries(st.text(max_size=40), amqp_values, max_size=8)


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return left == right and math.copysign(1, left) == math.copysign(1, right)
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_same(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right, strict=True))
    if isinstance(left, decimal.Decimal):
        return bool(left == right)
    return type(left) is type(right) and bool(left == right)


@settings(max_examples=300, deadline=None)
@given(tables)
def test_a_decoded_header_table_encodes_back_unchanged(table: dict[str, Any]) -> None:
    wire = encode_table(table)
    _, decoded = decode.field_table(wire)
    assert _same(decoded, table)
    assert encode_table(decoded) == wire  # a retry or dead-letter copy carries exactly what came


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["application/json", "application/msgpack", None]))
def test_any_body_decodes_or_raises_contract_error(body: bytes, content_type: str | None) -> None:
    with contextlib.suppress(ContractError):  # anything else (UnicodeDecodeError, RecursionError) fails the test
        INFO.decode(body, content_type)


@settings(max_examples=300, deadline=None)
@given(
    type=st.binary(max_size=40),
    message_id=st.binary(min_size=1, max_size=40),
    key=st.binary(max_size=30),
    timestamp=st.integers(min_value=0, max_value=2**64 - 1),
)
def test_any_property_bytes_decode_and_encode_back_byte_for_byte(
    type: bytes, message_id: bytes, key: bytes, timestamp: int
) -> None:
    def text(raw: bytes) -> str:
        return raw.decode("utf-8", "surrogateescape")

    message = OutgoingMessage(
        exchange="",
        routing_key="q",
        body=b"{}",
        type=text(type),
        message_id=text(message_id),
        headers={text(key): 1},
        timestamp=timestamp,
    )
    properties = encode_properties(message)
    frame = struct.pack(">HHQ", 60, 0, 2) + properties
    content_header = pamqp.frame._unmarshal_header_frame(frame)
    read = content_header.properties
    if isinstance(read, MalformedProperties):
        assert "not valid AMQP" in read.problem
        stamp: Any = read.timestamp  # the raw integer where it is past datetime's range
        again = OutgoingMessage(
            exchange="",
            routing_key="q",
            body=b"{}",
            type=read.message_type or "",
            message_id=read.message_id or "",
            headers=dict(read.headers or {}),
            timestamp=stamp if isinstance(stamp, int) else int(stamp.timestamp()),
        )
        assert encode_properties(again) == properties
    else:
        assert read.message_type == (text(type) or None)
