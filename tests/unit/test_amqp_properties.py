"""Burrow's own property encoder writes exactly the bytes pamqp would."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from burrow.sdk._amqp_properties import WireProperties, encode_properties
from burrow.sdk._transport import OutgoingMessage
from pamqp.commands import Basic

TASK = OutgoingMessage(
    exchange="burrow",
    routing_key="cleanup.delete_file",
    body=b"{}",
    type="cleanup.delete_file",
    message_id="0123456789abcdef0123456789abcdef",
    headers={"x-burrow-fingerprint": "0123456789abcdef"},
    timestamp=1_790_000_000,
)

MESSAGES = {
    "task": TASK,
    "task with app id and msgpack": OutgoingMessage(
        exchange="burrow",
        routing_key="cleanup.delete_file",
        body=b"",
        type="cleanup.delete_file",
        message_id="id-1",
        content_type="application/msgpack",
        headers={"x-burrow-attempt": 3, "x-burrow-fingerprint": "f"},  # pamqp sorts names; Burrow keeps the order
        timestamp=0,
        app_id="billing-ü",
    ),
    "call": OutgoingMessage(
        exchange="burrow",
        routing_key="cleanup.stat_file",
        body=b"{}",
        type="cleanup.stat_file",
        message_id="id-2",
        headers={"x-burrow-deadline": 1_790_000_030_000, "x-burrow-fingerprint": "f"},
        timestamp=1_790_000_000,
        correlation_id="id-2",
        reply_to="burrow.reply.abc",
        expiration=29_999,
        persistent=False,
    ),
    "reply without timestamp": OutgoingMessage(
        exchange="",
        routing_key="burrow.reply.abc",
        body=b"{}",
        type="cleanup.stat_file",
        message_id="id-3",
        headers={"x-burrow-reply": "result"},
        correlation_id="id-2",
        persistent=False,
    ),
    "dead letter": OutgoingMessage(
        exchange="",
        routing_key="cleanup.dead",
        body=b"\xff",
        type=None,  # type: ignore[arg-type]  # a message that named no contract is dead-lettered as it came
        message_id="id-4",
        content_type=None,
        headers={"x-burrow-error-message": "Expected `str`", "x-death": [{"count": 1}], "x-flag": True},
        timestamp=1_790_000_000,
    ),
    "empty strings and headers": OutgoingMessage(
        exchange="",
        routing_key="q",
        body=b"",
        type="",
        message_id="id-5",
        content_type="",
        headers={},
        app_id="",
        correlation_id="",
    ),
}


def pamqp_properties(message: OutgoingMessage) -> Basic.Properties:
    return Basic.Properties(
        content_type=message.content_type,
        headers=message.headers,
        delivery_mode=2 if message.persistent else 1,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        expiration=None if message.expiration is None else str(message.expiration),
        message_id=message.message_id,
        timestamp=None if message.timestamp is None else datetime.fromtimestamp(message.timestamp, UTC),
        message_type=message.type,
        app_id=message.app_id,
    )


@pytest.mark.parametrize("message", MESSAGES.values(), ids=list(MESSAGES))
def test_encoded_like_pamqp(message: OutgoingMessage) -> None:
    expected = pamqp_properties(message).marshal()
    assert encode_properties(message) == expected
    assert encode_properties(message) == expected  # again, from the caches
    assert WireProperties(message).marshal() == expected


def test_wire_properties_decode_back_to_the_message() -> None:
    properties = Basic.Properties()
    encoded = WireProperties(TASK).marshal()
    properties.unmarshal(int.from_bytes(encoded[:2]), encoded[2:])
    assert properties.message_id == TASK.message_id
    assert properties.message_type == TASK.type
    assert properties.headers == TASK.headers
    assert properties.delivery_mode == 2
    assert properties.timestamp == datetime.fromtimestamp(1_790_000_000, UTC)


def test_headers_keep_their_order_and_floats_stay_doubles() -> None:
    """Unlike pamqp, which sorts names and writes 32-bit floats: a copy must carry what came."""
    message = OutgoingMessage(
        exchange="", routing_key="q", body=b"", type="t", message_id="i", headers={"b": 1700000000123.0, "a": b"\xff"}
    )
    properties = Basic.Properties()
    encoded = encode_properties(message)
    properties.unmarshal(int.from_bytes(encoded[:2]), encoded[2:])
    assert properties.headers is not None
    assert list(properties.headers.items()) == [("b", 1700000000123.0), ("a", b"\xff")]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_a_float_rabbitmq_cannot_carry_is_refused_before_publishing(value: float) -> None:
    # RabbitMQ closes the whole connection with INTERNAL_ERROR on one.
    message = OutgoingMessage(exchange="", routing_key="q", body=b"", type="t", message_id="i", headers={"x": value})
    with pytest.raises(TypeError, match="cannot carry"):
        encode_properties(message)


def test_a_value_longer_than_a_short_string_is_refused() -> None:
    message = OutgoingMessage(exchange="", routing_key="q", body=b"", type="t", message_id="x" * 256)
    with pytest.raises(TypeError):
        encode_properties(message)
