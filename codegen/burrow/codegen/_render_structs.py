"""Struct, enum and contract definitions rebuilt as source from a lock (for clients built from a lock)."""

from __future__ import annotations

from burrow.codegen._ir import (
    ArrayType,
    ContractDef,
    DictType,
    EnumDef,
    FieldDef,
    Lock,
    MetaType,
    RefType,
    ServiceDef,
    StructDef,
    TupleType,
    TypeExpr,
    UnionType,
)
from burrow.codegen._pytypes import TypeWriter, py_literal
from burrow.codegen._source import LINE_LENGTH, bracketed, docstring

__all__ = ["reachable_types", "render_definitions", "service_variable"]


def service_variable(service: ServiceDef) -> str:
    return f"{service.name}_service"


def render_definitions(lock: Lock, services: list[ServiceDef], writer: TypeWriter) -> list[str]:
    """Blocks of source: enums and plain Structs (by name), then services and their contracts.

    Contract classes come last because their bases (``sdk.Call[Result]``) and
    decorators (``errors=[...]``) name other types when the class is created.
    """
    requests = {contract.request for service in services for contract in service.contracts}
    needed = reachable_types(lock, services)
    writer.imports.module("msgspec")
    writer.imports.name("burrow", "sdk")
    blocks: list[str] = []
    for name, definition in lock.types.items():
        if name not in needed:
            continue
        if isinstance(definition, EnumDef):
            blocks.append(_enum(definition, writer))
        elif name not in requests:
            blocks.append(_struct(definition, writer, bases=["msgspec.Struct"], decorator=None))
    for service in services:
        blocks.append(_service(service))
        for contract in service.contracts:
            request = lock.types[contract.request]
            assert isinstance(request, StructDef)
            blocks.append(_contract(service, contract, request, writer))
    return blocks


def reachable_types(lock: Lock, services: list[ServiceDef]) -> set[str]:
    """Names of the types the services' contracts use, directly or through other types."""
    found: set[str] = set()
    pending = [c.request for s in services for c in s.contracts]
    pending += [e for s in services for c in s.contracts for e in c.errors]
    pending += [name for s in services for c in s.contracts if c.result for name in _refs(c.result)]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        definition = lock.types[name]
        if isinstance(definition, StructDef):
            pending += [ref for field in definition.fields for ref in _refs(field.type)]
    return found


def _refs(expr: TypeExpr) -> list[str]:
    """The named types an expression mentions."""
    if isinstance(expr, RefType):
        return [expr.name]
    children: list[TypeExpr] = []
    if isinstance(expr, ArrayType):
        children = [expr.item]
    elif isinstance(expr, TupleType):
        children = list(expr.items)
    elif isinstance(expr, DictType):
        children = [expr.key, expr.value]
    elif isinstance(expr, UnionType):
        children = list(expr.types)
    elif isinstance(expr, MetaType):
        children = [expr.type]
    return [name for child in children for name in _refs(child)]


def _enum(definition: EnumDef, writer: TypeWriter) -> str:
    writer.imports.module("enum")
    doc = docstring(definition.doc, "    ")
    members = "".join(f"    {member.name} = {py_literal(member.value)}\n" for member in definition.members)
    return f"class {definition.name}(enum.Enum):\n{doc}{chr(10) if doc else ''}{members}"


def _service(service: ServiceDef) -> str:
    arguments = [py_literal(service.name)]
    if service.queue != service.name:
        arguments.append(f"queue={py_literal(service.queue)}")
    return f"{service_variable(service)} = sdk.Service({', '.join(arguments)})\n"


def _contract(service: ServiceDef, contract: ContractDef, request: StructDef, writer: TypeWriter) -> str:
    options = [py_literal(contract.name)]
    if contract.errors:
        options.append(f"errors=[{', '.join(contract.errors)}]")
    if contract.timeout is not None:
        options.append(f"timeout={contract.timeout!r}")
    if contract.queue != service.queue:
        options.append(f"queue={py_literal(contract.queue)}")
    decorator = bracketed(f"@{service_variable(service)}.{contract.kind}", options, "")
    if contract.kind == "task":
        base = "sdk.Task"
    else:
        assert contract.result is not None
        base = f"sdk.Call[{writer.annotation(contract.result)}]"
    return _struct(request, writer, bases=[base], decorator=decorator)


def _struct(definition: StructDef, writer: TypeWriter, *, bases: list[str], decorator: str | None) -> str:
    head = bracketed(f"class {definition.name}", bases + _config(definition), ":")
    doc = docstring(definition.doc, "    ")
    fields = "".join(_field(field, writer) for field in definition.fields)
    body = f"{doc}\n{fields}" if doc and fields else (doc or fields or "    pass\n")
    return f"{decorator + chr(10) if decorator else ''}{head}\n{body}"


def _config(definition: StructDef) -> list[str]:
    # kw_only keeps any field order valid; constructors are called with keywords.
    options = ["frozen=True"] if definition.frozen else []
    options.append("kw_only=True")
    for flag in ("omit_defaults", "forbid_unknown_fields", "array_like"):
        if getattr(definition, flag):
            options.append(f"{flag}=True")
    if definition.tag is not None:
        options += [f"tag={py_literal(definition.tag)}", f"tag_field={py_literal(definition.tag_field)}"]
    renamed = [f"{py_literal(f.name)}: {py_literal(f.wire_name)}" for f in definition.fields if f.name != f.wire_name]
    if renamed:
        options.append("rename={" + ", ".join(renamed) + "}")
    return options


def _field(field: FieldDef, writer: TypeWriter) -> str:
    annotation = writer.annotation(field.type)
    if field.required:
        return f"    {field.name}: {annotation}\n"
    if field.unset:
        writer.imports.module("msgspec")
        annotation, default = f"{annotation} | msgspec.UnsetType", "msgspec.UNSET"
    else:
        default = writer.default(field)
    line = f"    {field.name}: {annotation} = {default}\n"
    if len(line) - 1 > LINE_LENGTH:  # the formatter's layout for a long annotation with a default
        line = f"    {field.name}: (\n        {annotation}\n    ) = {default}\n"
    return line
