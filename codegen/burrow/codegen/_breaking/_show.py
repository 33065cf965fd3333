"""Short, readable renderings of IR type expressions and defaults for reports."""

from __future__ import annotations

import json
from typing import Any

from burrow.codegen._ir import (
    ArrayType,
    DictType,
    FieldDef,
    LiteralType,
    MetaType,
    RefType,
    ScalarType,
    TupleType,
    TypeExpr,
    UnionType,
)

__all__ = ["ABSENT", "show_constraints", "show_field", "show_type", "show_value"]

ABSENT = "-"
CONSTRAINTS = ("gt", "ge", "lt", "le", "multiple_of", "pattern", "min_length", "max_length", "tz")


def show_type(expr: TypeExpr) -> str:
    """``list[str](min_length=1)``, ``int | None``, ``Literal['a', 'b']``, ``FileInfo``."""
    if isinstance(expr, MetaType):
        return show_type(expr.type)
    if isinstance(expr, ScalarType):
        return expr.name.replace("none", "None") + show_constraints(expr)
    if isinstance(expr, ArrayType):
        item = show_type(expr.item)
        plain = f"tuple[{item}, ...]" if expr.container == "tuple" else f"{expr.container}[{item}]"
        return plain + show_constraints(expr)
    if isinstance(expr, TupleType):
        return f"tuple[{', '.join(show_type(item) for item in expr.items)}]"
    if isinstance(expr, DictType):
        return f"dict[{show_type(expr.key)}, {show_type(expr.value)}]" + show_constraints(expr)
    if isinstance(expr, UnionType):
        return " | ".join(show_type(member) for member in expr.types)
    if isinstance(expr, LiteralType):
        return f"Literal[{', '.join(repr(value) for value in expr.values)}]"
    assert isinstance(expr, RefType)
    return expr.name


def show_constraints(expr: TypeExpr) -> str:
    found = {name: getattr(expr, name, None) for name in CONSTRAINTS}
    shown = ", ".join(f"{name}={value!r}" for name, value in found.items() if value is not None)
    return f"({shown})" if shown else ""


def show_field(field: FieldDef) -> str:
    """``str (required)`` or ``int = 0``."""
    if field.required:
        return f"{show_type(field.type)} (required)"
    return f"{show_type(field.type)} = {show_default(field)}"


def show_default(field: FieldDef) -> str:
    if field.required:
        return "(required)"
    if field.unset:
        return "UNSET"
    if field.default_factory is not None:
        return f"{field.default_factory}()"
    return show_value(field.default)


def show_value(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
