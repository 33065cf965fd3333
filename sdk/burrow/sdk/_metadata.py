"""Caller-supplied message metadata: headers of the caller's own and a chosen message id.

Burrow's own headers (``x-burrow-*``) carry the protocol; a caller may read
them but never set them, or a retry count or deadline could be forged by
accident. Checked before anything is published, so a bad header fails the
send at once instead of closing the connection at the broker.
"""

from __future__ import annotations

import datetime
import decimal
import math
from collections.abc import Mapping
from typing import Any

from burrow.sdk._errors import ConfigurationError
from burrow.sdk._transport import Headers

__all__ = ["RESERVED_PREFIX", "caller_headers", "caller_message_id"]

RESERVED_PREFIX = "x-burrow-"
# Headers RabbitMQ itself sets or acts on: a caller's copy would be misread.
_BROKER_HEADERS = frozenset({"x-death", "x-first-death-exchange", "x-first-death-queue", "x-first-death-reason"})
_BROKER_HEADERS |= {"x-delivery-count", "x-delay", "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason"}
_MAX_SHORTSTR = 255  # bytes: AMQP short strings (header names, message ids)
_SCALARS = (str, bytes, bytearray, bool, int, decimal.Decimal, datetime.datetime, type(None))


def caller_headers(headers: Mapping[str, Any] | None) -> Headers:
    """A checked copy of the caller's ``headers``.

    Raises:
        ConfigurationError: a name is not a string, is empty or too long, is
            reserved (``x-burrow-*`` and the broker's own), or a value is not
            one an AMQP header can carry.
    """
    if not headers:
        return {}
    checked: Headers = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"header names are non-empty strings, got {name!r}")
        lowered = name.lower()
        if lowered.startswith(RESERVED_PREFIX) or lowered in _BROKER_HEADERS:
            raise ConfigurationError(
                f"header {name!r} is reserved: Burrow and RabbitMQ set it themselves "
                f"(names starting with {RESERVED_PREFIX!r} are Burrow's); choose another name"
            )
        if len(name.encode()) > _MAX_SHORTSTR:
            raise ConfigurationError(f"header name {name[:40]!r}... is longer than {_MAX_SHORTSTR} bytes")
        _check_value(name, value)
        checked[name] = value
    return checked


def caller_message_id(message_id: str | None) -> str | None:
    """``message_id`` if it is a usable AMQP message id (non-empty, at most 255 bytes of UTF-8)."""
    if message_id is None:
        return None
    if not isinstance(message_id, str) or not message_id:
        raise ConfigurationError(f"message_id must be a non-empty string, got {message_id!r}")
    if len(message_id.encode()) > _MAX_SHORTSTR:
        raise ConfigurationError(f"message_id is longer than {_MAX_SHORTSTR} bytes of UTF-8")
    return message_id


def _check_value(name: str, value: Any) -> None:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ConfigurationError(f"header {name!r}: RabbitMQ cannot carry the float {value!r}")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ConfigurationError(f"header {name!r}: nested table keys are strings, got {key!r}")
            _check_value(name, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_value(name, item)
    elif not isinstance(value, _SCALARS):
        raise ConfigurationError(f"header {name!r}: AMQP has no field type for {type(value).__name__} ({value!r})")
