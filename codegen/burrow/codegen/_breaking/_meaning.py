"""Does a reader see what the writer meant? Values compared the way the wire carries them."""

from __future__ import annotations

import datetime
import enum
from typing import Any

import msgspec

__all__ = ["same_meaning", "view"]


def same_meaning(written: Any, read: Any) -> bool:
    """True when ``read`` holds what ``written`` meant, in every Struct field both declare (by Python name)."""
    return _same(view(written), view(read))


class _Set(tuple[Any, ...]):
    """A set's items: a list read as a set keeps its meaning only if its items were unique."""


def view(value: Any) -> Any:
    """``value`` as plain data: Structs as dicts by Python name, sets marked, enums as their values."""
    if isinstance(value, msgspec.Struct):
        return {f.name: view(getattr(value, f.name)) for f in msgspec.structs.fields(type(value))}
    if isinstance(value, set | frozenset):
        return _Set(sorted((view(item) for item in value), key=repr))
    if isinstance(value, list | tuple):
        return [view(item) for item in value]
    if isinstance(value, dict):
        return {view(k): view(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)  # MessagePack keeps the instant, not the offset
    if value is msgspec.UNSET:
        return value
    return msgspec.to_builtins(value)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, _Set) or isinstance(b, _Set):
        return isinstance(a, list | tuple) and isinstance(b, list | tuple) and _multiset(a) == _multiset(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return all(_same(a[key], b[key]) for key in a.keys() & b.keys())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return (type(a) is type(b) and a == b) or (isinstance(a, int | float) and isinstance(b, int | float) and a == b)


def _multiset(items: Any) -> list[str]:
    return sorted(repr(item) for item in items)
