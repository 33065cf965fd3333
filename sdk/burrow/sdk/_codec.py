"""Body encoding: msgspec JSON by default, MessagePack selectable by content type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from burrow.sdk._errors import ContractError

__all__ = ["JSON", "MSGPACK", "CONTENT_TYPES", "decode", "encode"]

JSON = "application/json"
MSGPACK = "application/msgpack"
CONTENT_TYPES = (JSON, MSGPACK)

_ENCODERS: dict[str, Callable[[Any], bytes]] = {
    JSON: msgspec.json.Encoder().encode,
    MSGPACK: msgspec.msgpack.Encoder().encode,
}
_DECODER_CLASSES: dict[str, Callable[..., Any]] = {
    JSON: msgspec.json.Decoder,
    MSGPACK: msgspec.msgpack.Decoder,
}


def encode(value: Any, content_type: str = JSON, *, label: str = "message") -> bytes:
    """Encode ``value`` for the wire; ``label`` names the contract in errors."""
    encoder = _ENCODERS.get(content_type)
    if encoder is None:
        raise ContractError(label, _unsupported(content_type))
    try:
        return encoder(value)
    except (TypeError, ValueError, msgspec.EncodeError) as exc:
        raise ContractError(label, f"cannot encode: {exc}") from exc


def decode(
    body: bytes,
    target: Any,
    content_type: str | None,
    *,
    label: str,
    cache: dict[str, Callable[[bytes], Any]],
) -> Any:
    """Decode ``body`` into ``target``, keeping msgspec's error path in the message.

    ``cache`` holds one decoder per content type for ``target``; callers keep it
    next to the type so that decoders are built once.
    """
    content_type = content_type or JSON
    decoder = cache.get(content_type)
    if decoder is None:
        factory = _DECODER_CLASSES.get(_media_type(content_type, label))
        if factory is None:
            raise ContractError(label, _unsupported(content_type))
        decoder = cache[content_type] = factory(target).decode
    try:
        return decoder(body)
    except msgspec.DecodeError as exc:  # ValidationError is a subclass
        raise ContractError(label, str(exc)) from exc
    except Exception as exc:
        # msgspec raises builtin errors for some bodies: UnicodeDecodeError for
        # invalid UTF-8 inside a JSON string, RecursionError for deep nesting. A
        # body that does not decode is the sender's fault whatever the error.
        raise ContractError(label, f"cannot decode: {type(exc).__name__}: {exc}") from exc


def _media_type(content_type: str, label: str) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``; another charset is refused."""
    if ";" not in content_type and content_type.islower():
        return content_type
    media_type, *parameters = (part.strip() for part in content_type.split(";"))
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise ContractError(label, f"unsupported charset in content type {content_type!r}; Burrow reads UTF-8")
    return media_type.lower()


def _unsupported(content_type: str) -> str:
    return f"unsupported content type {content_type!r}; expected one of {', '.join(CONTENT_TYPES)}"
