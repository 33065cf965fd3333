"""The typed server module: per service a Protocol to implement and a ``bind_<service>`` function.

    class Cleanup(CleanupService):
        async def delete_file(self, task: DeleteFile, ctx: Context) -> None: ...

    bind_cleanup(worker, Cleanup())

mypy checks an implementation's signatures where it subclasses the Protocol
(``[override]``) and where it is passed to ``bind_<service>`` (``[arg-type]``).
"""

from __future__ import annotations

from burrow.codegen._ir import ContractDef, Lock, ServiceDef
from burrow.codegen._pytypes import TypeWriter
from burrow.codegen._source import Imports, bracketed, docstring, method_name, service_class

__all__ = ["render_server"]

_REQUIRE_IMPLEMENTED = """\
def _require_implemented(impl: object, protocol: type, service: str) -> None:
    # A class that subclasses the Protocol inherits its empty stubs; binding one
    # would answer every message with None, so refuse it here, by name.
    for name, stub in vars(protocol).items():
        if not name.startswith("_") and callable(stub) and getattr(type(impl), name, stub) is stub:
            raise ConfigurationError(
                f"{type(impl).__qualname__} does not implement {service}.{name}: define async def {name}(self, ...)"
            )
"""


def render_server(lock: Lock, *, header: str) -> str:
    """The server module's source; contract types are imported from their modules."""
    imports = Imports()
    imports.name("__future__", "annotations")
    imports.name("typing", "Protocol")
    imports.name("burrow.sdk", "ConfigurationError")
    imports.name("burrow.server", "Context")
    imports.name("burrow.server", "Worker")
    writer = TypeWriter(lock, imports, local=False)
    blocks = [_REQUIRE_IMPLEMENTED]
    for service in lock.services:
        blocks += [_protocol(service, writer), _bind(service, writer)]
    exports = sorted([_protocol_name(s) for s in lock.services] + [f"bind_{s.name}" for s in lock.services])
    names = ", ".join(service.name for service in lock.services)
    module_doc = docstring(f"Typed server bases for the services: {names}.", "")
    all_block = bracketed("__all__ = ", [f'"{name}"' for name in exports], "", brackets="[]")
    return f"{header}\n{module_doc}\n{imports.render()}\n{all_block}\n\n\n" + "\n\n".join(blocks)


def _protocol_name(service: ServiceDef) -> str:
    return service_class(service.name, "Service")


def _protocol(service: ServiceDef, writer: TypeWriter) -> str:
    methods = "\n".join(_stub(contract, writer) for contract in service.contracts)
    doc = (
        f"Implements the ``{service.name}`` service: subclass it (or match it) and pass an instance to "
        f"``bind_{service.name}``.\n\nHandlers receive the message and its ``Context`` positionally."
    )
    return f"class {_protocol_name(service)}(Protocol):\n{docstring(doc, '    ')}\n{methods}"


def _stub(contract: ContractDef, writer: TypeWriter) -> str:
    request = writer.ref(contract.request)
    returns = "None" if contract.result is None else writer.annotation(contract.result)
    parameters = ["self", f"task: {request}", "ctx: Context", "/"]
    signature = bracketed(f"async def {method_name(contract.name)}", parameters, f" -> {returns}:", prefix="    ")
    doc = contract.doc or f"Handle ``{contract.wire_name}``."
    if contract.errors:
        errors = ", ".join(f"``{error}``" for error in contract.errors)
        doc += f"\n\nDeclared errors: {errors}; answer with one by raising ``burrow.sdk.DeclaredError(error)``."
    return f"{signature}\n{docstring(doc, '        ')}        ...\n"


def _bind(service: ServiceDef, writer: TypeWriter) -> str:
    binds = "".join(
        f"    worker.bind({writer.ref(contract.request)}, impl.{method_name(contract.name)})\n"
        for contract in service.contracts
    )
    return (
        f"def bind_{service.name}(worker: Worker, impl: {_protocol_name(service)}) -> None:\n"
        f'    """Serve every ``{service.name}`` contract with ``impl``\'s methods.\n\n'
        "    Raises:\n"
        "        ConfigurationError: ``impl`` lacks one of the methods, or one is already bound.\n"
        '    """\n'
        f'    _require_implemented(impl, {_protocol_name(service)}, "{service.name}")\n'
        f"{binds}"
    )
