"""Seeded generation of the fuzz run's messages: bad ones of every kind, mixed with valid tasks.

Each generated message says what must become of it: ``handled`` (its ``n`` is
recorded by the handler exactly once) or ``dead`` with the reason the worker
must give. Strings may hold surrogate escapes: Burrow's property encoder writes
them as the original bytes, which is how bytes that are not UTF-8 get into
property values and header names.
"""

from __future__ import annotations

import datetime
import decimal
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
from burrow.sdk import OutgoingMessage, Service, Task

fuzz = Service("fuzz")
QUEUE = "fuzz"
TYPE = "fuzz.record"


@fuzz.task("record")
class Record(Task, frozen=True, kw_only=True):
    """What valid fuzz messages carry: ``n`` identifies the message."""

    n: int
    text: str


def _bad_bytes(rng: random.Random) -> str:
    """Bytes that are not UTF-8, as surrogate escapes."""
    raw = bytes((0xFF, *(rng.choice((0xFE, 0xC0, 0x80, 0xED)) for _ in range(rng.randint(0, 3)))))  # 0xFF: never UTF-8
    return raw.decode("utf-8", "surrogateescape")


def _extreme_value(rng: random.Random, depth: int = 0) -> Any:
    choices: list[Callable[[], Any]] = [
        lambda: rng.choice((-(2**63), 2**63 - 1, 0, -1, 127, -128, 255, 32767, 65535, 2**31 - 1, 2**32 - 1, 2**32)),
        lambda: rng.choice((1.7976931348623157e308, -1.7976931348623157e308, 5e-324, -0.0, 1700000000123.0, 3.4e39)),
        lambda: rng.choice(("", "é" * rng.randint(1, 1000), "\x00", "x" * rng.randint(1, 2000))),
        lambda: bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 64))) + b"\xff",  # a long string, not UTF-8
        lambda: bytearray(rng.getrandbits(8) for _ in range(rng.randint(0, 64))),
        lambda: rng.choice((True, False, None)),
        lambda: decimal.Decimal(rng.randint(-(2**31), 2**31 - 1)).scaleb(-rng.randint(0, 20)),
        lambda: datetime.datetime.fromtimestamp(rng.choice((0, 2**31, 2**32 - 1)), datetime.UTC),
    ]
    if depth < 4:
        choices.append(lambda: {f"k{i}": _extreme_value(rng, depth + 1) for i in range(rng.randint(0, 4))})
        choices.append(lambda: [_extreme_value(rng, depth + 1) for _ in range(rng.randint(0, 4))])
    return rng.choice(choices)()


def _odd_headers(rng: random.Random) -> dict[str, Any]:
    """Headers of every AMQP field type at their extremes, and Burrow's own headers with nonsense in them."""
    headers = {f"x-fuzz-{i}": _extreme_value(rng) for i in range(rng.randint(1, 6))}
    if rng.random() < 0.3:
        headers["x-burrow-attempt"] = rng.choice(("two", -5, 0, 2**63 - 1, 1.5, None, b"\xff"))
    if rng.random() < 0.3:
        headers["x-burrow-due"] = rng.choice(("soon", 2**63 - 1, -(2**63), 1e308, -1e308, [1]))
    if rng.random() < 0.2:
        headers["x-burrow-deadline"] = rng.choice((0, "late", 2**63 - 1))
    if rng.random() < 0.2:
        headers["x-death"] = rng.choice(([{"count": "x"}], "dead", [None]))
    return headers


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@dataclass
class Planned:
    message: OutgoingMessage
    expect: str  # "handled" or the dead-letter reason
    kind: str
    n: int | None = None


def _message(body: bytes, message_id: str, **changes: Any) -> OutgoingMessage:
    message = OutgoingMessage(exchange="", routing_key=QUEUE, body=body, type=TYPE, message_id=message_id)
    for name, value in changes.items():
        setattr(message, name, value)
    return message


def _valid(rng: random.Random, n: int) -> Planned:
    record = Record(n=n, text=rng.choice(("", "plain", "é€😀", "x" * 5000)))
    variant = rng.choice(("json", "msgpack", "charset", "extra fields", "odd headers", "no content type"))
    body = msgspec.json.encode(record)
    changes: dict[str, Any] = {}
    if variant == "msgpack":
        body, changes["content_type"] = msgspec.msgpack.encode(record), "application/msgpack"
    elif variant == "charset":
        changes["content_type"] = rng.choice(("application/json; charset=utf-8", "Application/JSON; charset=UTF-8"))
    elif variant == "extra fields":
        body = body[:-1] + b',"unknown":{"a":[1,2,{"b":null}]},"more":"\\u00e9"}'
    elif variant == "odd headers":
        changes["headers"] = _odd_headers(rng)
    elif variant == "no content type":
        changes["content_type"] = None
    return Planned(_message(body, f"valid-{n}", **changes), "handled", f"valid: {variant}", n)


def _bad(rng: random.Random, index: int) -> Planned:  # one branch per kind of bad input
    message_id = f"bad-{index}"
    kind = rng.choices(BAD_KINDS, weights=[0.1 if kind == "huge body" else 1.0 for kind in BAD_KINDS])[0]
    good = msgspec.json.encode(Record(n=-1, text="x"))
    reason = "undecodable"
    changes: dict[str, Any] = {}
    body = good
    if kind == "random bytes":
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))
        body = b"\x00" + body  # never valid JSON
    elif kind == "wrong types":
        body = rng.choice((b'{"n": "1", "text": "x"}', b'{"n": 1, "text": 2}', b'{"n": 1.5, "text": "x"}', b"[1, 2]"))
        body = rng.choice((body, b'{"n": null, "text": []}', b'"string"', b"123", b"null"))
    elif kind == "missing fields":
        body = rng.choice((b"{}", b'{"n": 1}', b'{"text": "x"}'))
    elif kind == "invalid UTF-8 in a string":
        body = b'{"n": 1, "text": "' + _bad_bytes(rng).encode("utf-8", "surrogateescape") + b'"}'
    elif kind == "extreme nesting":
        depth = rng.choice((1000, 5000, 20_000))
        body = b'{"n": 1, "text": "x", "deep": ' + _nested(depth) + b"}"
    elif kind == "msgpack nesting":
        depth = rng.choice((1000, 20_000))
        body, changes["content_type"] = b"\x82\xa1n\x01\xa4deep" + b"\x91" * depth + b"\x90", "application/msgpack"
    elif kind == "huge body":
        body = b'{"n": 1, "text": ' + b"9" * rng.randint(200_000, 1_000_000) + b"}"
    elif kind == "empty body":
        body = b""
    elif kind == "unknown type":
        changes["type"], reason = rng.choice(("fuzz.nothing", "other.record", "fuzz", "é")), "unknown-contract"
    elif kind == "missing type":
        changes["type"], reason = "", "unknown-contract"
    elif kind == "odd content type":
        changes["content_type"] = rng.choice(
            ("text/plain", "application/json; charset=latin-1", "application/msgpack", "application/xml", "*/*")
        )
    elif kind == "invalid UTF-8 in a property":
        prop = rng.choice(("type", "message_id", "content_type", "app_id", "correlation_id", "reply_to"))
        value = {"type": TYPE, "message_id": message_id, "content_type": "application/json"}.get(prop, "p")
        if prop == "message_id":
            message_id += _bad_bytes(rng)
        else:
            changes[prop] = value + _bad_bytes(rng)
    elif kind == "invalid UTF-8 in a header name":
        changes["headers"] = {f"x-{_bad_bytes(rng)}": 1, "x-fine": "v"}
    elif kind == "huge timestamp":
        changes["timestamp"] = rng.choice((2**63, 2**64 - 1, 2**62))
    elif kind == "handler raises":
        body, reason = msgspec.json.encode(Record(n=-1, text="raise")), "handler-failed"
    if rng.random() < 0.3 and "headers" not in changes:
        changes["headers"] = _odd_headers(rng)
    return Planned(_message(body, message_id, **changes), reason, kind)


BAD_KINDS = (
    "random bytes",
    "wrong types",
    "missing fields",
    "invalid UTF-8 in a string",
    "extreme nesting",
    "msgpack nesting",
    "huge body",
    "empty body",
    "unknown type",
    "missing type",
    "odd content type",
    "invalid UTF-8 in a property",
    "invalid UTF-8 in a header name",
    "huge timestamp",
    "handler raises",
)


def plan(seed: int, *, bad: int, valid: int) -> list[Planned]:
    """``bad`` bad messages and ``valid`` valid tasks, shuffled; the same for the same seed."""
    rng = random.Random(seed)
    planned = [_valid(rng, n) for n in range(valid)] + [_bad(rng, index) for index in range(bad)]
    rng.shuffle(planned)
    return planned
