"""Compare two Structs: options, then fields paired the way the wire pairs them.

Object-encoded Structs pair fields by wire name (a field whose Python name stayed
but whose wire name changed is a rename); ``array_like`` Structs pair them by
position. msgspec ignores unknown fields unless ``forbid_unknown_fields`` is set,
so adding or removing a field breaks a direction only through required fields
or that option.
"""

from __future__ import annotations

from burrow.codegen._breaking._findings import BOTH, directions
from burrow.codegen._breaking._show import ABSENT, show_default, show_field
from burrow.codegen._breaking._walker import Walker
from burrow.codegen._ir import FieldDef, StructDef

__all__ = ["compare_structs"]


def compare_structs(w: Walker, old: StructDef, new: StructDef, *, in_union: bool = False) -> None:
    """Emit the changes between two Structs (each pair once per service and role)."""
    if not w.first_visit(old.name, new.name):
        return
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
        why = "the new type refuses fields it does not know, which old readers ignored"
        w.emit("forbid-unknown-fields-enabled", path, "False", "True", directions(backward=True), why)
    if new.array_like:
        _order(w, old, new, path)
    pairs, removed, added = _pair(old, new)
    for old_field, new_field in pairs:
        _field(w, old, new, old_field, new_field, f"{path}.{_label(new, new_field)}")
    for field in removed:
        _removed(w, old, new, field, f"{path}.{_label(old, field)}")
    for field in added:
        _added(w, old, new, field, f"{path}.{_label(new, field)}")


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
        why = "array_like fields are read by position: values land in other fields"
        old_order, new_order = ", ".join(f.name for f in old.fields), ", ".join(new_names)
        w.emit("fields-reordered", path, old_order, new_order, BOTH, why)


def _field(w: Walker, old: StructDef, new: StructDef, o: FieldDef, n: FieldDef, path: str) -> None:
    from burrow.codegen._breaking._types import compare_types  # a field's type is a type again

    if not new.array_like and o.wire_name != n.wire_name:
        why = "each side looks for the value under another key: it is lost or refused"
        w.emit("wire-name-changed", path, o.wire_name, n.wire_name, BOTH, why)
    if o.required and not n.required:
        why = "new messages may leave the field out; old readers require it"
        w.emit("default-added", path, show_default(o), show_default(n), directions(forward=True), why)
    elif n.required and not o.required:
        why = "old messages may leave the field out; the new reader requires it"
        w.emit("default-removed", path, show_default(o), show_default(n), directions(backward=True), why)
    elif not o.required and (o.default, o.default_factory) != (n.default, n.default_factory):
        why = "a message that leaves the field out means a different value to each side"
        w.emit("default-changed", path, show_default(o), show_default(n), BOTH, why)
    compare_types(w, o.type, n.type, path)


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
        why = f"old messages still carry {field.wire_name!r}: reserve it (__burrow_reserved__) so no field reuses it"
        w.emit("removed-name-not-reserved", path, field.wire_name, ABSENT, directions(backward=True), why)


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
