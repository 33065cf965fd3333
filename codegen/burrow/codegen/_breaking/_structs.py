"""Compare two Structs: options, then fields paired the way the wire pairs them.

Object-encoded Structs pair fields by wire name (a field whose Python name stayed
but whose wire name changed is a rename); ``array_like`` Structs pair them by
position. msgspec ignores unknown fields unless ``forbid_unknown_fields`` is set,
so adding or removing a field breaks a direction only through required fields
or that option.
"""

from __future__ import annotations

from burrow.codegen._breaking._findings import BOTH, Direction, Scope, directions
from burrow.codegen._breaking._show import ABSENT, show_default, show_field
from burrow.codegen._breaking._walker import Walker
from burrow.codegen._ir import FieldDef, MetaType, RefType, StructDef, TypeExpr

__all__ = ["compare_structs"]


def compare_structs(w: Walker, old: StructDef, new: StructDef, *, in_union: bool = False) -> None:
    """Emit the changes between two Structs (each pair once per service and role)."""
    if not w.first_visit(old.name, new.name):
        return
    outer = w.scope
    w.scope = Scope(old=RefType(name=old.name), new=RefType(name=new.name))
    try:
        _compare(w, old, new, in_union=in_union)
    finally:
        w.scope = outer


def _compare(w: Walker, old: StructDef, new: StructDef, *, in_union: bool) -> None:
    path = w.type_path(new)
    if not in_union:
        _standalone_tag(w, old, new, path)
    if old.array_like != new.array_like:
        w.emit(
            "array-like-changed",
            path,
            str(old.array_like),
            str(new.array_like),
            BOTH,
            "one side writes arrays, the other objects",
        )
        return
    if new.forbid_unknown_fields and not old.forbid_unknown_fields:
        _forbid_enabled(w, old, new, path)
    if new.array_like:
        _order(w, old, new, path)
    pairs, removed, added = _pair(old, new)
    scope = w.scope
    assert scope is not None
    for old_field, new_field in pairs:
        w.scope = Scope(old=scope.old, new=scope.new, old_field=old_field.name, new_field=new_field.name)
        _field(w, old, new, old_field, new_field, f"{path}.{_label(new, new_field)}")
    for field in removed:
        w.scope = Scope(old=scope.old, new=scope.new, old_field=field.name)
        _removed(w, old, new, field, f"{path}.{_label(old, field)}")
    for field in added:
        w.scope = Scope(old=scope.old, new=scope.new, new_field=field.name)
        _added(w, old, new, field, f"{path}.{_label(new, field)}")


def _forbid_enabled(w: Walker, old: StructDef, new: StructDef, path: str) -> None:
    """Old writers send only the old fields: the new reader refuses them only if it lacks one of them."""
    if new.array_like:
        unknown = len(old.fields) > len(new.fields)
    else:
        keys = {f.wire_name for f in new.fields} | ({new.tag_field} if new.tag is not None else set())
        unknown = any(f.wire_name not in keys for f in old.fields) or (
            old.tag is not None and old.tag_field not in keys
        )
    why = (
        "old messages carry fields the new reader does not know, and it refuses them"
        if unknown
        else "old messages carry only fields the new reader knows; from now on every field added is a forward break"
    )
    w.emit("forbid-unknown-fields-enabled", path, "False", "True", directions(backward=unknown), why)


def _label(struct: StructDef, field: FieldDef) -> str:
    # array_like fields have no name on the wire; name them as the code does.
    return field.name if struct.array_like else field.wire_name


def _pair(old: StructDef, new: StructDef) -> tuple[list[tuple[FieldDef, FieldDef]], list[FieldDef], list[FieldDef]]:
    """(paired, removed, added) fields: by position for ``array_like``, else by wire name."""
    if new.array_like:
        common = min(len(old.fields), len(new.fields))
        return list(zip(old.fields, new.fields, strict=False)), old.fields[common:], new.fields[common:]
    new_names = {f.wire_name: f for f in new.fields}
    old_names = {f.wire_name for f in old.fields}
    pairs = [(f, new_names[f.wire_name]) for f in old.fields if f.wire_name in new_names]
    removed = [f for f in old.fields if f.wire_name not in new_names]
    added = [f for f in new.fields if f.wire_name not in old_names]
    # A field that kept its Python name but not its wire name was renamed on the wire.
    renamed = [(o, n) for o in removed for n in added if o.name == n.name]
    removed = [f for f in removed if all(f is not o for o, _ in renamed)]
    added = [f for f in added if all(f is not n for _, n in renamed)]
    return pairs + renamed, removed, added


def _order(w: Walker, old: StructDef, new: StructDef, path: str) -> None:
    new_names = [f.name for f in new.fields]
    moved = [f.name for i, f in enumerate(old.fields) if f.name in new_names and new_names.index(f.name) != i]
    if moved:
        old_order, new_order = ", ".join(f.name for f in old.fields), ", ".join(new_names)
        # Each position's value is read by the field now at that position: where both
        # positions hold the same type it decodes, into another field (a change of meaning).
        same = all(bare(o.type) == bare(n.type) for o, n in zip(old.fields, new.fields, strict=False))
        if same:
            why = "array_like fields are read by position: values land in other fields of the same type"
            w.emit("fields-reordered", path, old_order, new_order, (), why, meaning=BOTH)
        else:
            why = "array_like fields are read by position: values land in fields of another type"
            w.emit("fields-reordered", path, old_order, new_order, BOTH, why)


def _field(w: Walker, old: StructDef, new: StructDef, o: FieldDef, n: FieldDef, path: str) -> None:
    from burrow.codegen._breaking._types import compare_types  # a field's type is a type again

    if not new.array_like and o.wire_name != n.wire_name:
        _wire_name(w, old, new, o, n, path)
    if o.required and not n.required:
        _default_added(w, new, o, n, path)
    elif n.required and not o.required:
        _default_removed(w, old, o, n, path)
    elif not o.required and (o.default, o.default_factory, o.unset) != (n.default, n.default_factory, n.unset):
        _default_changed(w, old, new, o, n, path)
    compare_types(w, o.type, n.type, path)


def _wire_name(w: Walker, old: StructDef, new: StructDef, o: FieldDef, n: FieldDef, path: str) -> None:
    """The reader misses the value under its key: it refuses (required, or the writer's key is
    unknown to a strict reader) or silently reads its own default instead (a change of meaning)."""
    refused = directions(
        backward=n.required or new.forbid_unknown_fields, forward=o.required or old.forbid_unknown_fields
    )
    quiet = tuple(d for d in BOTH if d not in refused)
    if quiet:
        why = "each side looks for the value under another key: a reader with a default reads it instead"
    else:
        why = "each side looks for the value under another key: the reader refuses the message"
    w.emit("wire-name-changed", path, o.wire_name, n.wire_name, refused, why, meaning=quiet)


def omits(struct: StructDef, field: FieldDef) -> bool:
    """True when a writer of ``struct`` may leave ``field`` out: ``omit_defaults`` with a default, or ``UNSET``.

    msgspec writes every position of an ``array_like`` Struct, ``omit_defaults`` or not.
    """
    return field.unset or (struct.omit_defaults and not struct.array_like and not field.required)


def _default_added(w: Walker, new: StructDef, o: FieldDef, n: FieldDef, path: str) -> None:
    # Only an omit_defaults writer (or an UNSET value) leaves a field out; other msgspec writers send every field.
    if omits(new, n):
        why = "new writers leave the field out (omit_defaults or UNSET); old readers require it"
    else:
        why = "new writers still send the field (no omit_defaults), so old readers find it"
    w.emit("default-added", path, show_default(o), show_default(n), directions(forward=omits(new, n)), why)


def _default_removed(w: Walker, old: StructDef, o: FieldDef, n: FieldDef, path: str) -> None:
    if omits(old, o):
        why = "old writers left the field out (omit_defaults or UNSET); the new reader requires it"
    else:
        why = "old writers always sent the field (no omit_defaults), so the new reader finds it"
    w.emit("default-removed", path, show_default(o), show_default(n), directions(backward=omits(old, o)), why)


def _default_changed(w: Walker, old: StructDef, new: StructDef, o: FieldDef, n: FieldDef, path: str) -> None:
    # A writer that leaves its default out lets the reader fill in the reader's own default.
    quiet: tuple[Direction, ...] = directions(backward=omits(old, o), forward=omits(new, n))
    if quiet:
        why = "an omit_defaults writer leaves its default out and the reader fills in another value"
    else:
        why = "writers send the field whatever its value (no omit_defaults): each side's default is its own"
    w.emit("default-changed", path, show_default(o), show_default(n), (), why, meaning=quiet)


def _removed(w: Walker, old: StructDef, new: StructDef, field: FieldDef, path: str) -> None:
    refused = directions(backward=new.forbid_unknown_fields)
    if field.required:
        why = "old readers require the field; new messages lack it"
        breaks = directions(backward=new.forbid_unknown_fields, forward=True)
        w.emit("required-field-removed", path, show_field(field), ABSENT, breaks, why)
    else:
        why = "new readers refuse old messages carrying it" if refused else "old readers use the default"
        w.emit("field-removed", path, show_field(field), ABSENT, refused, why)
    if not new.array_like and field.wire_name not in new.reserved:
        why = (
            f"old messages still carry {field.wire_name!r}: reserve it (__burrow_reserved__) "
            "so that no later field reuses it with another meaning"
        )
        w.emit("removed-name-not-reserved", path, field.wire_name, ABSENT, (), why)


def _added(w: Walker, old: StructDef, new: StructDef, field: FieldDef, path: str) -> None:
    refused = old.forbid_unknown_fields
    if field.required:
        why = "old messages lack the field; the new reader requires it"
        w.emit("required-field-added", path, ABSENT, show_field(field), directions(backward=True, forward=refused), why)
    else:
        why = "old readers refuse unknown fields" if refused else "old readers ignore it; new readers use the default"
        w.emit("field-added", path, ABSENT, show_field(field), directions(forward=refused), why)
    if not new.array_like and field.wire_name in old.reserved:
        why = f"{field.wire_name!r} was reserved: old messages may carry it with another meaning"
        w.emit("reserved-name-reused", path, "reserved", show_field(field), BOTH, why)


def _standalone_tag(w: Walker, old: StructDef, new: StructDef, path: str) -> None:
    """A tag outside a union: a tag key that the reader does not expect is an unknown field."""
    if (old.tag, old.tag_field) == (new.tag, new.tag_field):
        return
    old_key = old.tag_field if old.tag is not None else None
    new_key = new.tag_field if new.tag is not None else None
    backward = (old_key is not None and old_key == new_key) or (
        old_key is not None and old_key != new_key and new.forbid_unknown_fields
    )
    forward = (new_key is not None and old_key == new_key) or (
        new_key is not None and old_key != new_key and old.forbid_unknown_fields
    )
    rule = "tag-field-changed" if old_key and new_key and old_key != new_key else "tag-changed"
    why = (
        "the tag is checked against the reader's own"
        if backward or forward
        else "readers ignore a tag key they do not expect"
    )
    w.emit(
        rule,
        path,
        f"{old.tag_field}={old.tag!r}",
        f"{new.tag_field}={new.tag!r}",
        directions(backward=backward, forward=forward),
        why,
    )


def bare(expr: TypeExpr) -> TypeExpr:
    """The type without schema-only ``Meta`` wrappers."""
    while isinstance(expr, MetaType):
        expr = expr.type
    return expr
