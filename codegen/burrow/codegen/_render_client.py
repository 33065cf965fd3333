"""The typed client module: one namespace class per service, one ``async def`` per contract.

    async with Client.connect(url) as client:
        await client.cleanup.delete_file("x.png", delay=60)
        info = await client.cleanup.stat_file("a.png", timeout=5)

``Client`` subclasses ``sdk.Client`` (so it is opened, closed and configured
the same way) and adds one cached property per service; ``CleanupClient(client)``
also wraps any existing ``sdk.Client``.
"""

from __future__ import annotations

from burrow.codegen._errors import CodegenError
from burrow.codegen._ir import ContractDef, FieldDef, Lock, MetaType, ServiceDef, StructDef
from burrow.codegen._pytypes import TypeWriter
from burrow.codegen._render_structs import reachable_types, render_definitions, service_variable
from burrow.codegen._source import Imports, bracketed, docstring, is_identifier, method_name, service_class

__all__ = ["OPTION_NAMES", "render_client"]

OPTION_NAMES = frozenset({"self", "client", "delay", "at", "timeout", "headers", "message_id"})
"""Names a payload field may not have: they are the methods' own parameters."""

_TASK_OPTIONS = [
    "delay: float | timedelta | None = None",
    "at: datetime | None = None",
]
_TASK_OPTION_DOCS = [
    "delay: deliver no sooner than this many seconds (or this ``timedelta``) from now.",
    "at: deliver no sooner than this timezone-aware moment. Not with ``delay``.",
]
_METADATA_OPTIONS = [
    "headers: Mapping[str, Any] | None = None",
    "message_id: str | None = None",
]
_METADATA_OPTION_DOCS = [
    "headers: AMQP headers of your own, read by the handler from ``Context.headers``.",
    "message_id: the message id (default: a new one); reuse it to send the same message again.",
]
_EMPTY = {"list": "[]", "dict": "{}", "set": "set()", "frozenset": "frozenset()", "bytearray": "bytearray()"}


def render_client(lock: Lock, *, header: str, local: bool, services: list[str] | None = None) -> str:
    """The client module's source.

    Args:
        header: the ``DO NOT EDIT`` first line.
        local: define the contract types in the module from the lock, so that it
            needs only ``sdk`` (a client for another repository's services);
            otherwise import them from the contracts' modules.
        services: only these services (default: all in the lock).
    """
    chosen = _choose(lock, services)
    imports = Imports()
    imports.name("__future__", "annotations")
    writer = TypeWriter(lock, imports, local=local)
    blocks = render_definitions(lock, chosen, writer) if local else []
    blocks += [_namespace(lock, service, writer) for service in chosen]
    blocks.append(_client_class(chosen, imports))
    exports = sorted({"Client", *(_class_name(s) for s in chosen), *(reachable_types(lock, chosen) if local else ())})
    if local:
        _check_names(lock, chosen)
    module_doc = docstring(_module_doc(chosen, local), "")
    all_block = bracketed("__all__ = ", [f'"{name}"' for name in exports], "", brackets="[]")
    return f"{header}\n{module_doc}\n{imports.render()}\n{all_block}\n\n\n" + "\n\n".join(blocks)


def _choose(lock: Lock, services: list[str] | None) -> list[ServiceDef]:
    if services is None:
        return list(lock.services)
    known = {service.name for service in lock.services}
    unknown = sorted(set(services) - known)
    if unknown:
        raise CodegenError(f"the lock has no service {unknown[0]!r}; it has: {', '.join(sorted(known))}")
    return [service for service in lock.services if service.name in services]


def _module_doc(services: list[ServiceDef], local: bool) -> str:
    names = ", ".join(service.name for service in services)
    doc = f"Typed client for the services: {names}.\n\nasync with Client.connect(url) as client: ..."
    if local:
        doc += (
            "\n\nThe contract types are defined here from the lock, so this module needs only the"
            "\n``sdk`` runtime. Retry policies are the worker's business and are not repeated here."
        )
    return doc


def _class_name(service: ServiceDef) -> str:
    return service_class(service.name, "Client")


def _check_names(lock: Lock, services: list[ServiceDef]) -> None:
    """Types defined in the module must not shadow the names the module itself uses."""
    taken = {
        "Annotated",
        "Any",
        "Literal",
        "Mapping",
        "UUID",
        "Decimal",
        "cached_property",
        "msgspec",
        "sdk",
        "enum",
        "Client",
    }
    taken |= {"date", "datetime", "time", "timedelta"}
    taken |= {_class_name(service) for service in services} | {service_variable(service) for service in services}
    clashes = sorted(taken & set(lock.types))
    if clashes:
        raise CodegenError(
            f"type {clashes[0]!r} clashes with a name the generated client uses: rename the type in the contracts"
        )


def _namespace(lock: Lock, service: ServiceDef, writer: TypeWriter) -> str:
    writer.imports.name("burrow", "sdk")
    names = [method_name(contract.name) for contract in service.contracts]
    twins = sorted({name for name in names if names.count(name) > 1})
    if twins:
        raise CodegenError(f"service {service.name}: two contracts would both become the method {twins[0]}()")
    methods = "\n".join(_method(lock, contract, writer) for contract in service.contracts)
    return (
        f"class {_class_name(service)}:\n"
        f'    """The ``{service.name}`` service. Reach it as ``client.{service.name}``."""\n\n'
        "    def __init__(self, client: sdk.Client) -> None:\n"
        "        self._client = client\n\n"
        f"{methods}"
    )


def _method(lock: Lock, contract: ContractDef, writer: TypeWriter) -> str:
    request = lock.types[contract.request]
    assert isinstance(request, StructDef)
    _check_fields(contract, request)
    request_name = writer.ref(request.name)
    required = [f for f in request.fields if f.required]
    optional = [f for f in request.fields if not f.required]
    parameters = ["self", *(_parameter(f, writer) for f in required), "*", *(_parameter(f, writer) for f in optional)]
    if contract.kind == "task":
        writer.imports.name("datetime", "datetime")
        writer.imports.name("datetime", "timedelta")
        parameters += _TASK_OPTIONS
        returns, verb, options = "None", "await self._client.send", ["delay=delay", "at=at"]
    else:
        assert contract.result is not None
        writer.imports.name("datetime", "timedelta")
        parameters.append("timeout: float | timedelta | None = None")
        returns, verb, options = (
            writer.annotation(contract.result),
            "return await self._client.call",
            ["timeout=timeout"],
        )
    writer.imports.name("collections.abc", "Mapping")
    writer.imports.name("typing", "Any")
    parameters += _METADATA_OPTIONS
    options = [*options, "headers=headers", "message_id=message_id"]
    signature = bracketed(f"async def {method_name(contract.name)}", parameters, f" -> {returns}:", prefix="    ")
    # Built at the indentation it has if the call around it is split, as the formatter would.
    construct = bracketed(request_name, [_argument(f) for f in request.fields], "", prefix=" " * 12).lstrip()
    call = bracketed(verb, [construct, *options], "", prefix="        ")
    return f"{signature}\n{docstring(_method_doc(lock, contract, request), '        ')}{call}\n"


def _check_fields(contract: ContractDef, request: StructDef) -> None:
    for field in request.fields:
        if field.name in OPTION_NAMES or field.name == request.name or not is_identifier(field.name):
            raise CodegenError(
                f"{contract.wire_name}: field {request.name}.{field.name} would clash with the generated "
                f"method's own parameter {field.name!r} ({', '.join(sorted(OPTION_NAMES))} are reserved): "
                "rename the field in Python and keep its wire name with msgspec's rename"
            )


def _parameter(field: FieldDef, writer: TypeWriter) -> str:
    annotation = writer.annotation(field.type, constraints=False)
    if field.required:
        return f"{field.name}: {annotation}"
    if field.default_factory is not None:
        return f"{field.name}: {annotation} | None = None"
    return f"{field.name}: {annotation} = {writer.default(field)}"


def _argument(field: FieldDef) -> str:
    if field.default_factory is not None:
        empty = _EMPTY[field.default_factory]
        return f"{field.name}={field.name} if {field.name} is not None else {empty}"
    return f"{field.name}={field.name}"


def _method_doc(lock: Lock, contract: ContractDef, request: StructDef) -> str:
    lines = [contract.doc or f"Send ``{contract.wire_name}``.", ""]
    if contract.kind == "task":
        lines.append(f"Sends the task ``{contract.wire_name}``; returns once the broker has stored it.")
    else:
        default = f"{contract.timeout:g} s, the contract's default" if contract.timeout else "the client's default"
        lines.append(f"Calls ``{contract.wire_name}`` and waits for its result (timeout: {default}).")
    lines += ["", "Args:"]
    lines += [f"    {field.name}: {_field_doc(request, field)}" for field in request.fields]
    if contract.kind == "task":
        lines += [f"    {doc}" for doc in _TASK_OPTION_DOCS]
    else:
        lines.append("    timeout: seconds (or a ``timedelta``) to wait for the result.")
    lines += [f"    {doc}" for doc in _METADATA_OPTION_DOCS]
    if contract.errors:
        lines += [
            "",
            "Raises:",
            "    burrow.sdk.DeclaredError: the handler answered with a declared error, in ``.error``:",
        ]
        for error in contract.errors:
            summary = lock.types[error].doc.split("\n")[0] or "a declared error."
            lines.append(f"        ``{error}``: {summary}")
    return "\n".join(lines)


def _field_doc(request: StructDef, field: FieldDef) -> str:
    if isinstance(field.type, MetaType) and field.type.extra_json_schema:
        description = field.type.extra_json_schema.get("description")
        if isinstance(description, str):
            return description
    return f"``{request.name}.{field.name}``."


def _client_class(services: list[ServiceDef], imports: Imports) -> str:
    imports.name("functools", "cached_property")
    properties = "\n".join(
        f"    @cached_property\n"
        f"    def {service.name}(self) -> {_class_name(service)}:\n"
        f'        """The ``{service.name}`` service."""\n'
        f"        return {_class_name(service)}(self)\n"
        for service in services
    )
    example = _usage_example(services)
    return (
        "class Client(sdk.Client):\n"
        f'    """A ``burrow.sdk.Client`` with one attribute per service{example}."""\n\n'
        f"{properties}"
    )


def _usage_example(services: list[ServiceDef]) -> str:
    # Name one of the lock's own contracts, so that the docstring speaks of the user's services.
    for service in services:
        for contract in sorted(service.contracts, key=lambda contract: contract.name):
            return f": ``await client.{service.name}.{method_name(contract.name)}(...)``"
    return ""
