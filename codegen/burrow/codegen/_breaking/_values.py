"""Closed value sets: enums and ``Literal``s (msgspec refuses any value it does not list)."""

from __future__ import annotations

from typing import NamedTuple

import msgspec
from burrow.codegen._breaking._findings import BOTH, directions
from burrow.codegen._breaking._walker import Walker
from burrow.codegen._ir import FORMAT_VERSION, EnumDef, LiteralType, Lock, RefType, ScalarType, TypeExpr
from burrow.codegen._rebuild import rebuild_type

__all__ = ["Values", "closed_values", "compare_values", "scalar_covers_values"]

Value = str | int | None


class Values(NamedTuple):
    """The values a closed type accepts; ``enum`` names the enum (None for a ``Literal``)."""

    enum: str | None
    values: list[Value]
    members: dict[str, Value]


def closed_values(lock: Lock, expr: TypeExpr) -> Values | None:
    if isinstance(expr, LiteralType):
        return Values(None, list(expr.values), {})
    if isinstance(expr, RefType):
        definition = lock.types[expr.name]
        if isinstance(definition, EnumDef):
            return Values(
                definition.name, [m.value for m in definition.members], {m.name: m.value for m in definition.members}
            )
    return None


def scalar_covers_values(reader: ScalarType, values: list[Value]) -> bool:
    """True when a scalar reads every value with its constraints (``str`` reads ``Literal['a', 'b']``)."""
    if reader.name == "any":
        return True
    kinds = {"str": str, "int": int, "float": int, "none": type(None)}
    kind = kinds.get(reader.name)
    if kind is None or not all(type(value) is kind for value in values):
        return False
    read = rebuild_type(Lock(format_version=FORMAT_VERSION), reader)
    try:
        for value in values:
            msgspec.convert(value, read)
    except msgspec.ValidationError:
        return False
    return True


def compare_values(w: Walker, old: TypeExpr, new: TypeExpr, ov: Values, nv: Values, path: str) -> None:
    """Per value: added (forward: old readers refuse it), removed (backward), changed (both)."""
    label = "enum" if ov.enum or nv.enum else "literal"
    base = f"{w.service}.{nv.enum or ov.enum}" if label == "enum" else path
    changed = {name for name in ov.members.keys() & nv.members.keys() if ov.members[name] != nv.members[name]}
    for name in sorted(changed):
        why = "the member's wire value differs: each side refuses the other's"
        w.emit("enum-value-changed", f"{base}.{name}", repr(ov.members[name]), repr(nv.members[name]), BOTH, why)
    moved = {ov.members[name] for name in changed} | {nv.members[name] for name in changed}
    for value in [v for v in nv.values if v not in ov.values and v not in moved]:
        why = f"old readers refuse the new value {value!r} ({label}s are closed)"
        w.emit(f"{label}-value-added", base, "-", repr(value), directions(forward=True), why)
    for value in [v for v in ov.values if v not in nv.values and v not in moved]:
        why = f"old messages may hold {value!r}, which the new type refuses"
        w.emit(f"{label}-value-removed", base, repr(value), "-", directions(backward=True), why)
