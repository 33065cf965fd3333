"""Hypothesis strategies for values of a lock's rebuilt types, constraints included.

Values are built from the lock's IR, so messages can be generated for an old
version of a contract whose Python source no longer exists. Only imported when
witnesses are searched: hypothesis is needed then, not to compare locks.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

from burrow.codegen._ir import (
    ArrayType,
    DictType,
    EnumDef,
    LiteralType,
    Lock,
    MetaType,
    RefType,
    ScalarType,
    StructDef,
    TupleType,
    TypeExpr,
    UnionType,
)
from hypothesis import strategies as st

__all__ = ["values"]

_EARLIEST, _LATEST = datetime.datetime(1900, 1, 1), datetime.datetime(2200, 1, 1)
_ZONES = st.builds(lambda minutes: datetime.timezone(datetime.timedelta(minutes=minutes)), st.integers(-720, 720))


def values(lock: Lock, types: dict[str, Any], expr: TypeExpr) -> st.SearchStrategy[Any]:
    """Values of ``expr`` as the rebuilt ``types`` hold them."""
    return _Builder(lock, types).expr(expr)


class _Builder:
    def __init__(self, lock: Lock, types: dict[str, Any]) -> None:
        self.lock = lock
        self.types = types

    def expr(self, expr: TypeExpr) -> st.SearchStrategy[Any]:
        if isinstance(expr, MetaType):
            return self.expr(expr.type)
        if isinstance(expr, ScalarType):
            return _scalar(expr)
        if isinstance(expr, ArrayType):
            items = st.lists(
                self.expr(expr.item), min_size=expr.min_length or 0, max_size=_most(expr.max_length, expr.min_length)
            )
            container = {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[expr.container]
            built = items.map(container)
            return (
                built.filter(lambda v: len(v) >= (expr.min_length or 0))
                if expr.container in ("set", "frozenset")
                else built
            )
        if isinstance(expr, TupleType):
            return st.tuples(*(self.expr(item) for item in expr.items))
        if isinstance(expr, DictType):
            return st.dictionaries(
                self.expr(expr.key),
                self.expr(expr.value),
                min_size=expr.min_length or 0,
                max_size=_most(expr.max_length, expr.min_length),
            )
        if isinstance(expr, UnionType):
            return st.one_of(*(self.expr(member) for member in expr.types))
        if isinstance(expr, LiteralType):
            return st.sampled_from(expr.values)
        assert isinstance(expr, RefType)
        definition = self.lock.types[expr.name]
        if isinstance(definition, EnumDef):
            return st.sampled_from(list(self.types[expr.name]))
        return self.struct(definition)

    def struct(self, definition: StructDef) -> st.SearchStrategy[Any]:
        required = {f.name: self.expr(f.type) for f in definition.fields if f.required}
        # Optional fields are left out now and then: the class's default (omit_defaults leaves it out).
        optional = {f.name: self.expr(f.type) for f in definition.fields if not f.required}
        cls = self.types[definition.name]
        return st.fixed_dictionaries(required, optional=optional).map(lambda kwargs: cls(**kwargs))


def _most(limit: int | None, least: int | None = None) -> int:
    # Unbounded sizes go somewhat past typical small bounds, so that a bound
    # added or moved on the other side has values that cross it.
    return limit if limit is not None else (least or 0) + 8


def _scalar(expr: ScalarType) -> st.SearchStrategy[Any]:
    name = expr.name
    if name in ("int", "float", "decimal"):
        return _number(expr)
    if name == "str":
        return _text(expr)
    if name in ("bytes", "bytearray"):
        kind = bytes if name == "bytes" else bytearray
        return st.binary(min_size=expr.min_length or 0, max_size=_most(expr.max_length, expr.min_length)).map(kind)
    if name == "datetime":
        # Far from year 1 and 9999: an offset must not push the instant out of range.
        return st.datetimes(min_value=_EARLIEST, max_value=_LATEST, timezones=_zones(expr.tz))
    if name == "time":
        return st.times(timezones=_zones(expr.tz))
    simple: dict[str, st.SearchStrategy[Any]] = {
        "none": st.none(),
        "bool": st.booleans(),
        "any": st.none() | st.integers(-100, 100) | st.text(max_size=3),
        "date": st.dates(),
        "timedelta": st.timedeltas(min_value=datetime.timedelta(days=-999), max_value=datetime.timedelta(days=999)),
        "uuid": st.uuids(),
    }
    return simple[name]


def _zones(tz: bool | None) -> st.SearchStrategy[Any]:
    if tz is None:
        return st.none() | _ZONES
    return _ZONES if tz else st.none()


def _number(expr: ScalarType) -> st.SearchStrategy[Any]:
    if expr.name == "int":
        low = expr.ge if expr.ge is not None else (expr.gt + 1 if expr.gt is not None else -(2**31))
        high = expr.le if expr.le is not None else (expr.lt - 1 if expr.lt is not None else 2**31)
        step = int(expr.multiple_of or 1)
        return st.integers(-(-int(low) // step), int(high) // step).map(lambda n: n * step)
    floats = st.floats(
        min_value=expr.ge if expr.ge is not None else expr.gt,
        max_value=expr.le if expr.le is not None else expr.lt,
        exclude_min=expr.ge is None and expr.gt is not None,
        exclude_max=expr.le is None and expr.lt is not None,
        allow_nan=False,
        allow_infinity=False,
    )
    multiple = expr.multiple_of
    if multiple is not None:
        floats = floats.filter(lambda x: x % multiple == 0)
    return floats if expr.name == "float" else floats.map(lambda x: decimal.Decimal(repr(x)))


def _text(expr: ScalarType) -> st.SearchStrategy[str]:
    low = expr.min_length or 0
    high = max(low, _most(expr.max_length, low))
    if expr.pattern is None:
        return st.text(min_size=low, max_size=high)
    most = expr.max_length if expr.max_length is not None else 10**9
    return st.from_regex(expr.pattern).filter(lambda s: low <= len(s) <= most)
