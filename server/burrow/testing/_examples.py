"""Minimal valid messages made from a contract's types and constraints.

For contracts that declare no ``examples=``: the smallest value each field's
type and constraints allow (the shortest string, the lowest allowed number,
empty collections, the first enum or Literal value, ``None`` where allowed),
checked by decoding it with msgspec, the way a worker would.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

import msgspec
import msgspec.inspect as mi
from burrow.sdk._contract import Contract

__all__ = ["CannotMakeExample", "minimal_example"]


class CannotMakeExample(Exception):
    """Raised when a field's type has no minimal value we know how to make; declare ``examples=`` instead."""


def minimal_example(contract: type[Contract]) -> Contract:
    """The smallest valid message of ``contract``, validated with msgspec."""
    raw = _value(mi.type_info(contract))
    try:
        example: Contract = msgspec.convert(raw, contract)
    except msgspec.ValidationError as exc:
        raise CannotMakeExample(f"a minimal {contract.__qualname__} is not valid ({exc}); declare examples=") from None
    return example


def _value(info: mi.Type) -> Any:
    if isinstance(info, mi.StructType | mi.DataclassType | mi.TypedDictType):
        return {field.encode_name: _value(field.type) for field in info.fields if field.required}
    if isinstance(info, mi.UnionType):
        return None if info.includes_none else _value(info.types[0])
    if isinstance(info, mi.LiteralType | mi.EnumType):
        return _first_choice(info)
    if isinstance(info, mi.IntType | mi.FloatType):
        return _number(info)
    if isinstance(info, mi.StrType):
        return "x" * (info.min_length or 0)
    if isinstance(info, mi.BytesType | mi.ByteArrayType | mi.MemoryViewType):
        return b"x" * (info.min_length or 0)
    if isinstance(info, mi.ListType | mi.SetType | mi.FrozenSetType | mi.VarTupleType):
        return [_value(info.item_type) for _ in range(info.min_length or 0)]
    if isinstance(info, mi.TupleType):
        return [_value(item) for item in info.item_types]
    if isinstance(info, mi.DictType):
        return {}
    return _scalar(info)


def _first_choice(info: mi.LiteralType | mi.EnumType) -> Any:
    if isinstance(info, mi.LiteralType):
        return info.values[0]
    first: enum.Enum = next(iter(info.cls))
    return first.value


def _number(info: mi.IntType | mi.FloatType) -> int | float:
    lowest: int | float = 0
    if info.ge is not None:
        lowest = info.ge
    elif info.gt is not None:
        lowest = info.gt + 1
    elif info.le is not None and info.le < 0:
        lowest = info.le
    elif info.lt is not None and info.lt <= 0:
        lowest = info.lt - 1
    if isinstance(info, mi.IntType) and info.multiple_of:
        lowest = -(-lowest // info.multiple_of) * info.multiple_of
    return lowest


_SCALARS: dict[type[mi.Type], Any] = {
    mi.BoolType: False,
    mi.NoneType: None,
    mi.AnyType: None,
    mi.DateTimeType: datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
    mi.DateType: datetime.date(2000, 1, 1),
    mi.TimeType: datetime.time(0, 0),
    mi.TimeDeltaType: datetime.timedelta(0),
    mi.UUIDType: uuid.UUID(int=0),
    mi.DecimalType: decimal.Decimal(0),
}


def _scalar(info: mi.Type) -> Any:
    if type(info) in _SCALARS:
        value = _SCALARS[type(info)]
        if isinstance(info, mi.DateTimeType) and info.tz is False:
            return value.replace(tzinfo=None)
        return value
    raise CannotMakeExample(f"no minimal value for a field of type {type(info).__name__}; declare examples=")
