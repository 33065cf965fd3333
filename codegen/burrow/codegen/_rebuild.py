"""Rebuild runtime types from a lock, without the contracts' Python source.

    types = rebuild_types(lock)
    msgspec.json.decode(body, type=types["DeleteFile"])

The rebuilt Structs encode and decode exactly as the originals (same wire
names, defaults, constraints, tags and options) and produce the same JSON
Schema. They are plain Structs, not registered contracts: this is for
comparing and exporting locks, not for sending. Recursive types are not
supported here (the generated client module supports them).
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Annotated, Any, Literal, Union

import msgspec
from burrow.codegen._errors import CodegenError
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
    TypeDef,
    TypeExpr,
    UnionType,
)

__all__ = ["rebuild_type", "rebuild_types"]

_SCALARS: dict[str, Any] = {
    "any": Any,
    "none": None,
    "bool": bool,
    "int": int,
    "float": float,
    "str": str,
    "bytes": bytes,
    "bytearray": bytearray,
    "datetime": datetime.datetime,
    "date": datetime.date,
    "time": datetime.time,
    "timedelta": datetime.timedelta,
    "uuid": uuid.UUID,
    "decimal": decimal.Decimal,
}
_CONTAINERS: dict[str, Any] = {"list": list, "set": set, "frozenset": frozenset}
_FACTORIES: dict[str, Any] = {"list": list, "dict": dict, "set": set, "frozenset": frozenset, "bytearray": bytearray}
_CONSTRAINTS = ("gt", "ge", "lt", "le", "multiple_of", "pattern", "min_length", "max_length", "tz")


def rebuild_types(lock: Lock) -> dict[str, Any]:
    """Every named type of the lock, by name."""
    builder = _Builder(lock)
    for name in lock.types:
        builder.named(name, ())
    return builder.built


def rebuild_type(lock: Lock, expr: TypeExpr, built: dict[str, Any] | None = None) -> Any:
    """The runtime type of one type expression (e.g. a contract's result)."""
    builder = _Builder(lock)
    builder.built.update(built or {})
    return builder.expr(expr, ())


class _Builder:
    def __init__(self, lock: Lock) -> None:
        self.lock = lock
        self.built: dict[str, Any] = {}

    def named(self, name: str, path: tuple[str, ...]) -> Any:
        if name in self.built:
            return self.built[name]
        if name in path:
            raise CodegenError(
                f"type {name} is recursive ({' -> '.join((*path, name))}); rebuild_types cannot build it"
            )
        definition = self.lock.types[name]
        built = self._struct(definition, (*path, name)) if isinstance(definition, StructDef) else _enum(definition)
        self.built[name] = built
        return built

    def _struct(self, definition: StructDef, path: tuple[str, ...]) -> Any:
        fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
        for field in definition.fields:
            annotation = self.expr(field.type, path)
            if field.required:
                fields.append((field.name, annotation))
            elif field.unset:
                fields.append((field.name, Union[annotation, msgspec.UnsetType], msgspec.UNSET))  # noqa: UP007
            elif field.default_factory is not None:
                fields.append(
                    (field.name, annotation, msgspec.field(default_factory=_FACTORIES[field.default_factory]))
                )
            else:
                fields.append((field.name, annotation, msgspec.convert(field.default, annotation)))
        cls = msgspec.defstruct(
            definition.name,
            fields,
            kw_only=True,
            frozen=definition.frozen,
            omit_defaults=definition.omit_defaults,
            forbid_unknown_fields=definition.forbid_unknown_fields,
            array_like=definition.array_like,
            tag=definition.tag,
            tag_field=definition.tag_field,
            rename={f.name: f.wire_name for f in definition.fields if f.name != f.wire_name} or None,
        )
        cls.__doc__ = definition.doc or None
        if definition.reserved:
            cls.__burrow_reserved__ = tuple(definition.reserved)  # type: ignore[attr-defined]
        return cls

    def expr(self, expr: TypeExpr, path: tuple[str, ...]) -> Any:
        if isinstance(expr, MetaType):
            meta = msgspec.Meta(extra_json_schema=expr.extra_json_schema, extra=expr.extra)
            return Annotated[self.expr(expr.type, path), meta]
        plain = self._plain(expr, path)
        constraints = {name: getattr(expr, name, None) for name in _CONSTRAINTS}
        constraints = {name: value for name, value in constraints.items() if value is not None}
        return Annotated[plain, msgspec.Meta(**constraints)] if constraints else plain

    def _plain(self, expr: TypeExpr, path: tuple[str, ...]) -> Any:
        if isinstance(expr, ScalarType):
            return _SCALARS[expr.name]
        if isinstance(expr, ArrayType):
            item = self.expr(expr.item, path)
            return (
                _generic(tuple, item, ...) if expr.container == "tuple" else _generic(_CONTAINERS[expr.container], item)
            )
        if isinstance(expr, TupleType):
            return _generic(tuple, *(self.expr(item, path) for item in expr.items)) if expr.items else tuple[()]
        if isinstance(expr, DictType):
            return _generic(dict, self.expr(expr.key, path), self.expr(expr.value, path))
        if isinstance(expr, UnionType):
            return _generic(Union, *(self.expr(member, path) for member in expr.types))
        if isinstance(expr, LiteralType):
            return _generic(Literal, *expr.values)
        if isinstance(expr, RefType):
            return self.named(expr.name, path)
        raise AssertionError(f"unexpected type expression {expr!r}")


def _generic(origin: Any, *arguments: Any) -> Any:
    """``origin[arguments]`` for types only known at run time."""
    return origin[arguments if len(arguments) > 1 else arguments[0]]


def _enum(definition: TypeDef) -> Any:
    assert isinstance(definition, EnumDef)
    cls = enum.Enum(definition.name, [(m.name, m.value) for m in definition.members])  # type: ignore[misc]
    cls.__doc__ = definition.doc or None
    return cls
