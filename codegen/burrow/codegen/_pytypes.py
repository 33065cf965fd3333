"""Python source for IR type expressions and values."""

from __future__ import annotations

import json
from typing import Any

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
    TupleType,
    TypeExpr,
    UnionType,
)
from burrow.codegen._source import Imports

__all__ = ["TypeWriter", "py_literal"]

_BUILTIN_SCALARS = {"none": "None", "bool": "bool", "int": "int", "float": "float", "str": "str", "bytes": "bytes"}
_IMPORTED_SCALARS = {
    "any": ("typing", "Any"),
    "bytearray": ("builtins", "bytearray"),
    "datetime": ("datetime", "datetime"),
    "date": ("datetime", "date"),
    "time": ("datetime", "time"),
    "timedelta": ("datetime", "timedelta"),
    "uuid": ("uuid", "UUID"),
    "decimal": ("decimal", "Decimal"),
}
_CONSTRAINTS = ("gt", "ge", "lt", "le", "multiple_of", "pattern", "min_length", "max_length", "tz")


class TypeWriter:
    """Writes annotations for one module, recording the imports they need.

    Args:
        lock: where named types are defined.
        imports: the module's imports.
        local: named types are defined in the module itself (a client built
            from a lock); otherwise they are imported from their own modules.
    """

    def __init__(self, lock: Lock, imports: Imports, *, local: bool) -> None:
        self.lock = lock
        self.imports = imports
        self.local = local

    def annotation(self, expr: TypeExpr, *, constraints: bool = True) -> str:
        """``expr`` as an annotation; ``constraints=False`` drops ``Meta`` (for plain parameters)."""
        meta: dict[str, Any] = {}
        base = self._base(expr, meta, constraints)
        if not meta:
            return base
        self.imports.name("typing", "Annotated")
        self.imports.module("msgspec")
        return f"Annotated[{base}, {_meta(meta)}]"

    def _base(self, expr: TypeExpr, meta: dict[str, Any], constraints: bool) -> str:
        """The type without its ``Meta``, whose options (constraints, schema) are collected in ``meta``."""
        if isinstance(expr, MetaType):
            inner = self._base(expr.type, meta, constraints)
            if constraints:
                meta.update(_schema_options(expr))
            return inner
        if constraints and isinstance(expr, ScalarType | ArrayType | DictType):
            meta.update({name: getattr(expr, name) for name in _CONSTRAINTS if getattr(expr, name, None) is not None})
        return self._plain(expr, constraints)

    def _plain(self, expr: TypeExpr, constraints: bool) -> str:
        if isinstance(expr, ScalarType):
            return self._scalar(expr.name)
        if isinstance(expr, ArrayType):
            item = self.annotation(expr.item, constraints=constraints)
            return f"tuple[{item}, ...]" if expr.container == "tuple" else f"{expr.container}[{item}]"
        if isinstance(expr, TupleType):
            items = [self.annotation(item, constraints=constraints) for item in expr.items]
            return f"tuple[{', '.join(items) or '()'}]"
        if isinstance(expr, DictType):
            key, value = (self.annotation(t, constraints=constraints) for t in (expr.key, expr.value))
            return f"dict[{key}, {value}]"
        if isinstance(expr, UnionType):
            return " | ".join(self.annotation(t, constraints=constraints) for t in expr.types)
        if isinstance(expr, LiteralType):
            self.imports.name("typing", "Literal")
            return f"Literal[{', '.join(py_literal(value) for value in expr.values)}]"
        if isinstance(expr, RefType):
            return self.ref(expr.name)
        raise AssertionError(f"unexpected type expression {expr!r}")

    def _scalar(self, name: str) -> str:
        if name in _BUILTIN_SCALARS:
            return _BUILTIN_SCALARS[name]
        module, attribute = _IMPORTED_SCALARS[name]
        return attribute if module == "builtins" else self.imports.name(module, attribute)

    def ref(self, name: str) -> str:
        """The name of a named type, imported from its module unless it is defined locally."""
        if self.local:
            return name
        return self.imports.name(self.lock.types[name].module, name)

    def default(self, field: FieldDef) -> str:
        """Source for a field's default value (``msgspec.field(default_factory=...)`` for containers)."""
        if field.default_factory is not None:
            self.imports.module("msgspec")
            return f"msgspec.field(default_factory={field.default_factory})"
        return self.value(field.type, field.default, field.name)

    def value(self, expr: TypeExpr, value: Any, where: str) -> str:
        """Source for ``value`` (JSON data from the lock) as an instance of ``expr``."""
        if isinstance(expr, MetaType):
            return self.value(expr.type, value, where)
        if isinstance(expr, RefType):
            definition = self.lock.types[expr.name]
            if isinstance(definition, EnumDef):
                for member in definition.members:
                    if member.value == value:
                        return f"{self.ref(expr.name)}.{member.name}"
        if (value is None or isinstance(value, bool | int | float | str)) and _plain_value_fits(expr, value):
            return py_literal(value)
        if value == [] and (isinstance(expr, TupleType) or (isinstance(expr, ArrayType) and expr.container == "tuple")):
            return "()"
        raise CodegenError(
            f"{where}: a default of {value!r} for this type cannot be written in generated code; "
            "use None, a str/int/float/bool, an enum member, or an empty container (default_factory)"
        )


def _plain_value_fits(expr: TypeExpr, value: Any) -> bool:
    if isinstance(expr, ScalarType):
        return expr.name in {"any", "none", "bool", "int", "float", "str"}
    return isinstance(expr, LiteralType | UnionType)


def _schema_options(expr: MetaType) -> dict[str, Any]:
    # Meta(title=, description=, examples=) reads better than the extra_json_schema they become.
    schema = dict(expr.extra_json_schema or {})
    options: dict[str, Any] = {
        name: schema.pop(name) for name in ("title", "description", "examples") if name in schema
    }
    extras = {"extra_json_schema": schema or None, "extra": expr.extra}
    return {**options, **{name: value for name, value in extras.items() if value is not None}}


def _meta(options: dict[str, Any]) -> str:
    arguments = [f"{name}={py_value(value)}" for name, value in options.items() if value is not None]
    return f"msgspec.Meta({', '.join(arguments)})"


def py_literal(value: str | int | float | bool | None) -> str:
    """A Python literal, with strings quoted the way the formatter prefers (double quotes)."""
    if isinstance(value, str):
        if '"' in value and "'" not in value:
            return repr(value)
        return json.dumps(value, ensure_ascii=False) if value.isprintable() else repr(value)
    return repr(value)


def py_value(value: Any) -> str:
    """A Python expression for JSON data (dicts, lists and scalars)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(py_value(item) for item in value) + "]"
    return py_literal(value)
