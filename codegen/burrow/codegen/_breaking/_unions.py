"""Unions: members are paired the way msgspec tells them apart on the wire.

Tagged Structs are told apart by their tag value; every other member by its
wire category (msgspec allows one member per category: one str-like, one
int, one array-like, one object-like, ...).
"""

from __future__ import annotations

from burrow.codegen._breaking._findings import BOTH, directions
from burrow.codegen._breaking._relation import emit_relation
from burrow.codegen._breaking._walker import Walker
from burrow.codegen._ir import (
    ArrayType,
    DictType,
    EnumDef,
    LiteralType,
    Lock,
    RefType,
    ScalarType,
    StructDef,
    TupleType,
    TypeExpr,
    UnionType,
)

__all__ = ["compare_unions"]

_STR_LIKE = {"str", "bytes", "bytearray", "datetime", "date", "time", "timedelta", "uuid", "decimal"}


def compare_unions(w: Walker, old: list[TypeExpr], new: list[TypeExpr], path: str) -> None:
    _tagged(w, _variants(w.old, old), _variants(w.new, new), path)
    old_rest = {_category(w.old, m): m for m in old if _variant(w.old, m) is None}
    new_rest = {_category(w.new, m): m for m in new if _variant(w.new, m) is None}
    # int read as float (or back) pairs across categories when nothing else does.
    for a, b in (("int", "float"), ("float", "int")):
        if a in old_rest and b in new_rest and a not in new_rest and b not in old_rest:
            new_rest[a] = new_rest.pop(b)
    from burrow.codegen._breaking._types import compare_types  # a union's members are types again

    for category in sorted(old_rest.keys() & new_rest.keys()):
        compare_types(w, old_rest[category], new_rest[category], path)
    removed, added = old_rest.keys() - new_rest.keys(), new_rest.keys() - old_rest.keys()
    if removed or added:
        emit_relation(
            w, path, UnionType(types=old), UnionType(types=new), directions(backward=bool(removed), forward=bool(added))
        )


def _tagged(w: Walker, old: dict[str | int, StructDef], new: dict[str | int, StructDef], path: str) -> None:
    from burrow.codegen._breaking._structs import compare_structs

    old_field = next((v.tag_field for v in old.values()), None)
    new_field = next((v.tag_field for v in new.values()), None)
    if old_field and new_field and old_field != new_field:
        w.emit("tag-field-changed", path, old_field, new_field, BOTH, "each side looks for the tag under another key")
    retagged = {o: n for o in old.keys() - new.keys() for n in new.keys() - old.keys() if old[o].name == new[n].name}
    for old_tag, new_tag in sorted(retagged.items(), key=repr):
        why = f"{new[new_tag].name}'s tag differs: each side refuses the other's"
        w.emit("tag-changed", path, repr(old_tag), repr(new_tag), BOTH, why)
        compare_structs(w, old[old_tag], new[new_tag], in_union=True)
    for tag in sorted(old.keys() & new.keys(), key=repr):
        compare_structs(w, old[tag], new[tag], in_union=True)
    for tag in sorted(new.keys() - old.keys() - set(retagged.values()), key=repr):
        why = f"old readers refuse messages tagged {tag!r}"
        w.emit("variant-added", path, "-", f"{new[tag].name} (tag {tag!r})", directions(forward=True), why)
    for tag in sorted(old.keys() - new.keys() - retagged.keys(), key=repr):
        why = f"old messages tagged {tag!r} are refused by the new type"
        w.emit("variant-removed", path, f"{old[tag].name} (tag {tag!r})", "-", directions(backward=True), why)


def _variants(lock: Lock, members: list[TypeExpr]) -> dict[str | int, StructDef]:
    found = {}
    for member in members:
        variant = _variant(lock, member)
        if variant is not None:
            assert variant.tag is not None
            found[variant.tag] = variant
    return found


def _variant(lock: Lock, member: TypeExpr) -> StructDef | None:
    if isinstance(member, RefType):
        definition = lock.types[member.name]
        if isinstance(definition, StructDef) and definition.tag is not None:
            return definition
    return None


def _category(lock: Lock, member: TypeExpr) -> str:
    """msgspec's wire category of a union member."""
    if isinstance(member, ScalarType):
        return "str" if member.name in _STR_LIKE else member.name
    if isinstance(member, ArrayType | TupleType):
        return "array"
    if isinstance(member, DictType):
        return "object"
    if isinstance(member, LiteralType):
        return _value_category(member.values)
    assert isinstance(member, RefType)
    definition = lock.types[member.name]
    if isinstance(definition, EnumDef):
        return _value_category([m.value for m in definition.members])
    return "array" if definition.array_like else "object"


def _value_category(values: list[str | int | None]) -> str:
    first = next((value for value in values if value is not None), None)
    return "none" if first is None else ("str" if isinstance(first, str) else "int")
