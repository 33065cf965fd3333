"""Does a reader see what the writer meant? Values compared the way the wire carries them."""

from __future__ import annotations

import datetime
import enum
from typing import Any

import msgspec

__all__ = ["same_meaning", "view"]


def same_meaning(written: Any, read: Any) -> bool:
    """True when ``read`` holds what ``written`` meant, in every Struct field both declare.

    Fields are paired as the checker pairs them: by wire name, a field that kept its
    Python name but not its wire name with itself, and ``array_like`` fields (which
    have no name on the wire) by Python name, so a value read into another field shows.
    """
    return _same(view(written), view(read))


class _Struct(tuple[Any, ...]):
    """A Struct's fields as (Python name, wire name, value), and whether it is ``array_like``."""

    array_like: bool = False


class _Set(tuple[Any, ...]):
    """A set's items: a list read as a set keeps its meaning only if its items were unique."""


def view(value: Any) -> Any:
    """``value`` as plain data: Structs as dicts by Python name, sets marked, enums as their values."""
    if isinstance(value, msgspec.Struct):
        fields = _Struct((f.name, f.encode_name, view(getattr(value, f.name))) for f in msgspec.structs.fields(value))
        fields.array_like = bool(value.__struct_config__.array_like)
        return fields
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
    if isinstance(a, _Struct) and isinstance(b, _Struct):
        return all(_same(x, y) for x, y in _pairs(a, b))
    if isinstance(a, _Set) or isinstance(b, _Set):
        return isinstance(a, list | tuple) and isinstance(b, list | tuple) and _multiset(a) == _multiset(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return all(_same(a[key], b[key]) for key in a.keys() & b.keys())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return (type(a) is type(b) and a == b) or (isinstance(a, int | float) and isinstance(b, int | float) and a == b)


def _pairs(a: _Struct, b: _Struct) -> list[tuple[Any, Any]]:
    if a.array_like or b.array_like:
        by_name = {name: value for name, _, value in b}
        return [(value, by_name[name]) for name, _, value in a if name in by_name]
    by_wire = {wire: value for _, wire, value in b}
    paired = [(value, by_wire[wire]) for _, wire, value in a if wire in by_wire]
    wires = {wire for _, wire, _ in a}
    unpaired = {name: value for name, wire, value in b if wire not in wires}
    paired += [(value, unpaired[name]) for name, wire, value in a if wire not in by_wire and name in unpaired]
    return paired


def _multiset(items: Any) -> list[str]:
    return sorted(repr(item) for item in items)
