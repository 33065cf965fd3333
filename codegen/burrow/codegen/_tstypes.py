"""Lock type expressions as TypeScript types, and TypeScript names from lock names.

Values are what ``JSON.parse`` gives for msgspec's JSON encoding, so every
string-encoded scalar (``datetime``, ``date``, ``time``, ``timedelta``, ``uuid``,
``decimal``, ``bytes`` as base64) is a ``string`` holding msgspec's text form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from burrow.codegen._errors import CodegenError
from burrow.codegen._ir import (
    ArrayType,
    DictType,
    EnumDef,
    FieldDef,
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

__all__ = ["camel_case", "field_key", "jsdoc", "pascal_case", "ts_enum", "ts_struct", "ts_type"]

_SCALARS = {
    "any": "unknown",
    "none": "null",
    "bool": "boolean",
    "int": "number",
    "float": "number",
    "str": "string",
    "bytes": "string",
    "bytearray": "string",
    "datetime": "string",
    "date": "string",
    "time": "string",
    "timedelta": "string",
    "uuid": "string",
    "decimal": "string",
}
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_WORDS = re.compile(r"[A-Za-z0-9]+")


def ts_type(expr: TypeExpr, lock: Lock) -> str:
    """The TypeScript type of a lock type expression."""
    if isinstance(expr, ScalarType):
        return _SCALARS[expr.name]
    if isinstance(expr, MetaType):
        return ts_type(expr.type, lock)
    if isinstance(expr, RefType):
        return expr.name
    if isinstance(expr, LiteralType):
        return " | ".join(_unique(json.dumps(value) for value in expr.values))
    if isinstance(expr, UnionType):
        return " | ".join(_unique(ts_type(member, lock) for member in expr.types))
    if isinstance(expr, ArrayType):
        item = ts_type(expr.item, lock)
        return f"({item})[]" if " " in item else f"{item}[]"
    if isinstance(expr, TupleType):
        return "[" + ", ".join(ts_type(item, lock) for item in expr.items) + "]"
    if isinstance(expr, DictType):
        return _dict(expr, lock)
    raise CodegenError(f"no TypeScript type for {expr!r}")  # pragma: no cover - the IR is closed


def _dict(expr: DictType, lock: Lock) -> str:
    value = ts_type(expr.value, lock)
    key = expr.key.type if isinstance(expr.key, MetaType) else expr.key
    if isinstance(key, LiteralType) or (isinstance(key, RefType) and isinstance(lock.types[key.name], EnumDef)):
        # JSON object keys are strings: an int-valued enum or literal key arrives as its digits.
        return f"Partial<Record<{_key_text(key, lock)}, {value}>>"
    index = "number" if isinstance(key, ScalarType) and key.name == "int" else "string"
    return f"{{ [key: {index}]: {value} }}"


def _key_text(key: LiteralType | RefType, lock: Lock) -> str:
    values = key.values if isinstance(key, LiteralType) else [m.value for m in _enum_def(lock, key.name).members]
    return " | ".join(_unique(json.dumps(str(value)) for value in values))


def _enum_def(lock: Lock, name: str) -> EnumDef:
    definition = lock.types[name]
    assert isinstance(definition, EnumDef)
    return definition


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def ts_enum(definition: EnumDef) -> str:
    """An enum as the union of its values (what is on the wire)."""
    values = " | ".join(json.dumps(member.value) for member in definition.members) or "never"
    return f"{jsdoc(definition.doc, '')}export type {definition.name} = {values};\n"


def ts_struct(definition: StructDef, lock: Lock) -> str:
    """A Struct as an interface keyed by wire names, or a labelled tuple when it is ``array_like``."""
    doc = jsdoc(definition.doc, "")
    readonly = "readonly " if definition.frozen else ""
    tag = json.dumps(definition.tag) if definition.tag is not None else None
    if definition.array_like:
        items = ([f"tag: {tag}"] if tag is not None else []) + [_tuple_item(f, lock) for f in definition.fields]
        return f"{doc}export type {definition.name} = {readonly}[{', '.join(items)}];\n"
    lines = [f"{doc}export interface {definition.name} {{"]
    if definition.tag_field is not None and tag is not None:
        lines.append(f"  {readonly}{field_key(definition.tag_field)}: {tag};")
    for field in definition.fields:
        optional = "" if field.required else "?"
        lines.append(f"  {readonly}{field_key(field.wire_name)}{optional}: {ts_type(field.type, lock)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _tuple_item(field: FieldDef, lock: Lock) -> str:
    label = field.name if _IDENTIFIER.match(field.name) else "value"
    return f"{label}{'' if field.required else '?'}: {ts_type(field.type, lock)}"


def field_key(name: str) -> str:
    """A property key: bare when it is an identifier, else quoted."""
    return name if _IDENTIFIER.match(name) else json.dumps(name)


def jsdoc(text: str, prefix: str) -> str:
    """A ``/** ... */`` comment (empty for no text), each line indented by ``prefix``."""
    text = text.strip().replace("*/", "*\\/")
    if not text:
        return ""
    lines = text.splitlines()
    if len(lines) == 1:
        return f"{prefix}/** {lines[0]} */\n"
    body = "".join(f"{prefix} *{' ' + line if line.strip() else ''}\n" for line in lines)
    return f"{prefix}/**\n{body}{prefix} */\n"


def camel_case(name: str) -> str:
    """``stat_file`` -> ``statFile``, ``area.v2`` -> ``areaV2``."""
    words = _WORDS.findall(name)
    if not words:
        raise CodegenError(f"cannot make a TypeScript name from {name!r}")
    text = words[0][0].lower() + words[0][1:] + "".join(w[0].upper() + w[1:] for w in words[1:])
    return f"_{text}" if text[0].isdigit() else text


def pascal_case(name: str) -> str:
    """``cleanup`` -> ``Cleanup``, ``file-store`` -> ``FileStore``."""
    text = camel_case(name)
    return text[0].upper() + text[1:]
