"""Compare two type expressions structurally (named types by shape, never by name).

A type is *widened* when the new one reads every old value (old messages still
decode: backward compatible) but old readers reject some new values (forward
break), and *narrowed* the other way round. ``Meta`` annotations that only
feed the JSON Schema are ignored; constraints are compared.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from burrow.codegen._breaking._findings import BOTH, directions
from burrow.codegen._breaking._patterns import pattern_relation
from burrow.codegen._breaking._relation import emit_relation
from burrow.codegen._breaking._show import show_constraints, show_type
from burrow.codegen._breaking._structs import bare, compare_structs
from burrow.codegen._breaking._unions import compare_unions
from burrow.codegen._breaking._values import closed_values, compare_values, scalar_covers_values
from burrow.codegen._breaking._walker import Walker
from burrow.codegen._ir import (
    ArrayType,
    DictType,
    RefType,
    ScalarType,
    StructDef,
    TupleType,
    TypeExpr,
    UnionType,
)

__all__ = ["bare", "compare_types", "scalar_covers"]

# new reads every value of old, with the same meaning on the wire (both codecs).
_COVERS = {
    ("float", "int"),
    ("decimal", "int"),
    ("decimal", "float"),
    ("bytes", "bytearray"),
    ("bytearray", "bytes"),
    *(("str", name) for name in ("date", "time", "timedelta", "uuid", "decimal")),
}
_SEQUENCES = {"list": "sequence", "tuple": "sequence", "set": "set", "frozenset": "set"}


def compare_types(w: Walker, old: TypeExpr, new: TypeExpr, path: str) -> None:
    """Emit every change between ``old`` and ``new`` found at ``path`` and below."""
    old, new = bare(old), bare(new)
    if isinstance(old, UnionType) or isinstance(new, UnionType):
        compare_unions(w, members(old), members(new), path)
        return
    old_values, new_values = closed_values(w.old, old), closed_values(w.new, new)
    if old_values is not None and new_values is not None:
        compare_values(w, old, new, old_values, new_values, path)
    elif isinstance(old, RefType) and isinstance(new, RefType) and _both_structs(w, old, new):
        compare_structs(w, w.old_type(old.name), w.new_type(new.name))  # type: ignore[arg-type]
    elif isinstance(old, ScalarType) and isinstance(new, ScalarType):
        _scalars(w, old, new, path)
    elif isinstance(old, ArrayType) and isinstance(new, ArrayType):
        _arrays(w, old, new, path)
    elif isinstance(old, DictType) and isinstance(new, DictType):
        _report_bounds(w, old, new, path)
        compare_types(w, old.key, new.key, f"{path}[key]")
        compare_types(w, old.value, new.value, f"{path}[value]")
    elif isinstance(old, TupleType) and isinstance(new, TupleType) and len(old.items) == len(new.items):
        for index, (old_item, new_item) in enumerate(zip(old.items, new.items, strict=True)):
            compare_types(w, old_item, new_item, f"{path}[{index}]")
    else:
        _across_kinds(w, old, new, path)


def members(expr: TypeExpr) -> list[TypeExpr]:
    return [bare(member) for member in expr.types] if isinstance(expr, UnionType) else [expr]


def scalar_covers(new: str, old: str) -> bool:
    """True when a ``new`` reader reads every ``old`` scalar value (``float`` reads ``int``)."""
    return new == old or new == "any" or (new, old) in _COVERS


def _both_structs(w: Walker, old: RefType, new: RefType) -> bool:
    return isinstance(w.old_type(old.name), StructDef) and isinstance(w.new_type(new.name), StructDef)


def _scalars(w: Walker, old: ScalarType, new: ScalarType, path: str) -> None:
    if old.name == new.name:
        _timezone(w, old, new, path)
        _report_bounds(w, old, new, path)
        return
    # A different scalar: widened, narrowed or changed, constraints included.
    backward, forward = not scalar_covers(new.name, old.name), not scalar_covers(old.name, new.name)
    _report_bounds(w, old, new, path, kind_changed=True, backward=backward, forward=forward)


def _arrays(w: Walker, old: ArrayType, new: ArrayType, path: str) -> None:
    # list and tuple[T, ...] read the same; a set reads a list but drops duplicates and order.
    old_kind, new_kind = _SEQUENCES[old.container], _SEQUENCES[new.container]
    if old_kind != new_kind:
        # Both read any array: a list's duplicates collapse in a set, which is a change of meaning.
        quiet = directions(backward=new_kind == "set", forward=old_kind == "set")
        why = "both read the other's arrays, but a set collapses a list's duplicates and loses its order"
        w.emit("container-changed", path, show_type(old), show_type(new), (), why, meaning=quiet)
        _report_bounds(w, old, new, path)
    else:
        _report_bounds(w, old, new, path, kind_changed=old.container != new.container)
    compare_types(w, old.item, new.item, f"{path}[]")


def _across_kinds(w: Walker, old: TypeExpr, new: TypeExpr, path: str) -> None:
    """Types of different kinds: only ``any`` and scalars reading closed values relate."""
    backward = not _reads(w, new, old, new_side=True)
    forward = not _reads(w, old, new, new_side=False)
    emit_relation(w, path, old, new, directions(backward=backward, forward=forward))


def _reads(w: Walker, reader: TypeExpr, written: TypeExpr, *, new_side: bool) -> bool:
    if isinstance(reader, ScalarType) and reader.name == "any" and not show_constraints(reader):
        return True
    values = closed_values(w.old if new_side else w.new, written)
    return isinstance(reader, ScalarType) and values is not None and scalar_covers_values(reader, values.values)


def _report_bounds(
    w: Walker,
    old: Any,
    new: Any,
    path: str,
    *,
    kind_changed: bool = False,
    backward: bool = False,
    forward: bool = False,
) -> None:
    """Report a change of kind (whose directions are given) and of constraints at ``path`` as one finding."""
    tightened, loosened = _bounds(old, new)
    if kind_changed:
        emit_relation(w, path, old, new, directions(backward=backward or tightened, forward=forward or loosened))
    elif tightened or loosened:
        _emit_constraints(w, path, old, new, directions(backward=tightened, forward=loosened))


def _emit_constraints(w: Walker, path: str, old: TypeExpr, new: TypeExpr, breaks: tuple[Any, ...]) -> None:
    if breaks == ("backward",):
        rule, why = "constraint-tightened", "the new constraints reject some values old messages may hold"
    elif breaks == ("forward",):
        rule, why = "constraint-loosened", "old readers' constraints reject some values the new type allows"
    else:
        rule, why = "constraint-changed", "each side's constraints reject some of the other's values"
    w.emit(rule, path, show_type(old), show_type(new), breaks, why)


def _bounds(old: Any, new: Any) -> tuple[bool, bool]:
    """(tightened, loosened) between the constraints of two expressions."""
    results = [
        _lower(_bound(old, "gt", "ge"), _bound(new, "gt", "ge")),
        _lower(_bound(old, "lt", "le", upper=True), _bound(new, "lt", "le", upper=True)),
        _lower(_size(old, "min_length"), _size(new, "min_length")),
        _lower(_size(old, "max_length", upper=True), _size(new, "max_length", upper=True)),
    ]
    before, after = getattr(old, "multiple_of", None), getattr(new, "multiple_of", None)
    if before != after:
        results.append((_multiple_refuses(after, before), _multiple_refuses(before, after)))
    before, after = getattr(old, "pattern", None), getattr(new, "pattern", None)
    if before != after:
        results.append(pattern_relation(before, after))
    return any(t for t, _ in results), any(loose for _, loose in results)


def _multiple_refuses(reader: float | None, writer: float | None) -> bool:
    """True when ``multiple_of=reader`` refuses some multiple of ``writer`` (None: any value)."""
    if reader is None:
        return False
    if writer is None:
        return True
    ratio = Fraction(str(writer)) / Fraction(str(reader))
    return ratio.denominator != 1


def _bound(expr: Any, strict: str, inclusive: str, *, upper: bool = False) -> tuple[float, bool] | None:
    """A bound as (value, exclusive), negated for upper bounds so that larger is always tighter."""
    sign = -1 if upper else 1
    if getattr(expr, strict, None) is not None:
        value = sign * getattr(expr, strict)
        # Between integers, gt=0 is ge=1: compare them as equal.
        return (value + 1, False) if getattr(expr, "name", None) == "int" else (value, True)
    if getattr(expr, inclusive, None) is not None:
        return (sign * getattr(expr, inclusive), False)
    return None


def _size(expr: Any, name: str, *, upper: bool = False) -> tuple[float, bool] | None:
    value = getattr(expr, name, None)
    return None if value is None else ((-1 if upper else 1) * value, False)


def _lower(old: tuple[float, bool] | None, new: tuple[float, bool] | None) -> tuple[bool, bool]:
    """(tightened, loosened) for two lower bounds where a larger bound (or an exclusive one) is tighter."""
    if old == new:
        return False, False
    if old is None or new is None:
        return new is not None, old is not None
    return new > old, new < old


def _timezone(w: Walker, old: ScalarType, new: ScalarType, path: str) -> None:
    if old.tz == new.tz:
        return
    names = {None: "naive or aware", True: "aware only", False: "naive only"}
    if old.tz is None:
        rule, breaks, why = (
            "timezone-requirement-added",
            directions(backward=True),
            "old messages may hold times the new type refuses",
        )
    elif new.tz is None:
        rule, breaks, why = (
            "timezone-requirement-removed",
            directions(forward=True),
            "old readers refuse some times the new type allows",
        )
    else:
        rule, breaks, why = "timezone-requirement-changed", BOTH, "aware and naive times exclude each other"
    w.emit(rule, path, f"{old.name} ({names[old.tz]})", f"{new.name} ({names[new.tz]})", breaks, why)
