"""The chunked frame receiver gives aiormq what aiormq's own receiver gives it, however the bytes arrive."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import aiormq.connection
import pamqp.frame
import pytest
from aiormq.exceptions import AMQPConnectionError, InvalidFrameError, ProtocolSyntaxError
from burrow.sdk._amqp_frames import ChunkedFrameReceiver, _decoded
from hypothesis import given, settings
from hypothesis import strategies as st
from pamqp import body, commands, header, heartbeat

AIORMQ_RECEIVER = ChunkedFrameReceiver.__mro__[1]  # aiormq's own, whatever is installed now


def _stream() -> bytes:
    """A delivery, a large body in two frames, a heartbeat and a confirm, as a broker writes them."""
    frames: list[tuple[int, Any]] = [
        (1, commands.Basic.Deliver("ctag", 1, False, "orders", "orders.place")),
        (1, header.ContentHeader(0, 5, commands.Basic.Properties(message_id="m-1", headers={"x": 1}))),
        (1, body.ContentBody(b"hello")),
        (0, heartbeat.Heartbeat()),
        (2, commands.Basic.Deliver("ctag", 2, True, "orders", "orders.place")),
        (2, header.ContentHeader(0, 70000, commands.Basic.Properties())),
        (2, body.ContentBody(b"a" * 40000)),
        (2, body.ContentBody(b"b" * 30000)),
        (3, commands.Basic.Ack(7, multiple=True)),
    ]
    return b"".join(pamqp.frame.marshal(frame, channel) for channel, frame in frames)


async def _read_all(receiver_class: type[Any], data: bytes, cuts: list[int]) -> list[tuple[Any, ...]]:
    reader = asyncio.StreamReader()
    start = 0
    for cut in [*sorted(cuts), len(data)]:
        reader.feed_data(data[start:cut])
        start = cut
    reader.feed_eof()
    received = []
    async for size, channel, frame in receiver_class(reader):
        received.append((size, channel, _described(frame)))
    return received


def _described(frame: Any) -> tuple[Any, ...]:
    if isinstance(frame, header.ContentHeader):
        return ("header", frame.body_size, dict(frame.properties))
    if isinstance(frame, body.ContentBody):
        return ("body", frame.value)
    if isinstance(frame, heartbeat.Heartbeat):
        return ("heartbeat",)
    return (frame.name, dict(frame))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(_stream())), max_size=12))
def test_the_frames_are_aiormqs_wherever_the_bytes_are_cut(cuts: list[int]) -> None:
    data = _stream()
    expected = asyncio.run(_read_all(AIORMQ_RECEIVER, data, []))
    assert len(expected) == 9
    assert asyncio.run(_read_all(ChunkedFrameReceiver, data, cuts)) == expected


async def test_a_stream_that_ends_inside_a_frame_is_a_connection_error() -> None:
    data = _stream()
    with pytest.raises(AMQPConnectionError, match="unexpectedly closed"):
        await _read_all(ChunkedFrameReceiver, data[:-3], [])


async def test_a_frame_without_its_end_octet_is_an_invalid_frame() -> None:
    frame = bytearray(pamqp.frame.marshal(commands.Basic.Ack(1), 1))
    frame[-1] = 0
    with pytest.raises(InvalidFrameError):
        await _read_all(ChunkedFrameReceiver, bytes(frame), [])


async def test_a_protocol_header_instead_of_a_frame_is_a_protocol_error_as_in_aiormq() -> None:
    # What a broker that speaks another AMQP version answers the client's header with.
    with pytest.raises(ProtocolSyntaxError):
        await _read_all(ChunkedFrameReceiver, b"AMQP\x00\x00\x09\x01", [])


_short = st.text(max_size=20)
_header_values = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.floats(width=32, allow_nan=False, allow_infinity=False),
    st.dictionaries(_short, st.text(max_size=5), max_size=2),  # nested: read by pamqp
    st.lists(st.integers(min_value=0, max_value=9), max_size=3),
)
_properties = st.builds(
    commands.Basic.Properties,
    content_type=st.none() | _short,
    content_encoding=st.none() | _short,
    headers=st.none() | st.dictionaries(_short, _header_values, max_size=4),
    delivery_mode=st.none() | st.sampled_from([1, 2]),
    priority=st.none() | st.integers(min_value=0, max_value=9),
    correlation_id=st.none() | _short,
    reply_to=st.none() | _short,
    expiration=st.none() | st.integers(min_value=0, max_value=10**9).map(str),
    message_id=st.none() | _short,
    timestamp=st.none() | st.integers(min_value=0, max_value=2**33).map(lambda s: datetime.fromtimestamp(s, UTC)),
    message_type=st.none() | _short,
    user_id=st.none() | _short,
    app_id=st.none() | _short,
)


@settings(max_examples=150, deadline=None)
@given(
    _properties,
    st.text(min_size=1, max_size=40),
    st.integers(min_value=1, max_value=2**63 - 1),  # pamqp writes delivery tags as signed
    st.booleans(),
    st.integers(min_value=0, max_value=2**63 - 1),
)
def test_a_delivery_is_read_as_pamqp_reads_it(
    properties: commands.Basic.Properties, consumer_tag: str, tag: int, redelivered: bool, confirmed: int
) -> None:
    frames: list[Any] = [
        commands.Basic.Deliver(consumer_tag, tag, redelivered, "orders", "orders.place"),
        header.ContentHeader(0, 3, properties),
        body.ContentBody(b"abc"),
        commands.Basic.Ack(confirmed, multiple=redelivered),
    ]
    data = b"".join(pamqp.frame.marshal(frame, 1) for frame in frames)
    expected = asyncio.run(_read_all(AIORMQ_RECEIVER, data, []))
    assert asyncio.run(_read_all(ChunkedFrameReceiver, data, [])) == expected


def test_the_frames_of_a_burrow_message_and_a_confirm_skip_pamqps_decoder() -> None:
    properties = commands.Basic.Properties(
        content_type="application/json",
        headers={"x-burrow-fingerprint": "sha256:00ff", "x-burrow-attempt": 2, "x-flag": True, "n": -(2**40)},
        delivery_mode=2,
        message_id="m-1",
        timestamp=datetime(2026, 11, 30, tzinfo=UTC),
        message_type="orders.place",
    )
    for frame in (
        commands.Basic.Deliver("ctag", 9, True, "burrow", "orders.place"),
        header.ContentHeader(0, 12, properties),
        commands.Basic.Ack(41, multiple=True),
    ):
        data = pamqp.frame.marshal(frame, 1)
        decoded = _decoded(data[0], data[7:-1])
        assert decoded is not None, frame
        assert _described(decoded) == _described(pamqp.frame.unmarshal(data)[2])


def test_the_transport_installs_it_in_aiormq() -> None:
    import burrow.sdk._amqp  # noqa: F401  # the transport installs it on import

    assert aiormq.connection.FrameReceiver is ChunkedFrameReceiver
