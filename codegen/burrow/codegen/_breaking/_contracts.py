"""Walk two locks service by service and contract by contract.

Contracts are matched by service and contract name (their wire name); their
request, result and declared-error types are then compared structurally.
Declared errors are matched by name, because a reply's error envelope names
the error Struct (``type``) and the caller picks the declared error by it.
"""

from __future__ import annotations

from burrow.codegen._breaking._findings import BOTH, Change, Scope, directions
from burrow.codegen._breaking._structs import compare_structs
from burrow.codegen._breaking._types import compare_types
from burrow.codegen._breaking._walker import Walker
from burrow.codegen._ir import ContractDef, Lock, ServiceDef, StructDef

__all__ = ["compare_locks"]


def compare_locks(old: Lock, new: Lock) -> list[Change]:
    """Every change from ``old`` to ``new``, in lock order (services, contracts, then types)."""
    w = Walker(old, new)
    new_services = {s.name: s for s in new.services}
    for service in old.services:
        w.service = service.name
        _service(w, service, new_services.get(service.name))
    for service in new.services:
        if service.name not in {s.name for s in old.services}:
            w.service = service.name
            for contract in service.contracts:
                _added(w, contract, None)
    return w.changes


def _service(w: Walker, old: ServiceDef, new: ServiceDef | None) -> None:
    new_contracts = {c.name: c for c in new.contracts} if new else {}
    for contract in old.contracts:
        match = new_contracts.get(contract.name)
        w.scope = Scope(contract=contract.name)
        if match is None:
            w.role = "request"
            why = "queued and delayed messages for it are no longer served, nor are old clients' sends"
            w.emit("contract-removed", _path(w, contract), contract.kind, "-", directions(backward=True), why)
        else:
            _contract(w, contract, match)
    old_names = {c.name for c in old.contracts}
    for contract in new.contracts if new else []:
        if contract.name not in old_names:
            _added(w, contract, old)


def _added(w: Walker, contract: ContractDef, old: ServiceDef | None) -> None:
    """A new contract breaks forward when its queue is one that old workers consume.

    Clients declare a binding for every contract of their service, so a new
    client routes the new contract into that queue, and an old worker that
    takes it from there does not serve it: it dead-letters it (``unknown-contract``).
    """
    w.role = "request"
    w.scope = Scope(contract=contract.name)
    shared = old is not None and any(c.queue == contract.queue for c in old.contracts)
    if shared:
        why = (
            f"new clients route it into {contract.queue}, which old workers consume: "
            "they dead-letter it as unknown-contract (deploy the workers first)"
        )
    else:
        why = "no old worker consumes its queue: messages wait there for the new workers"
    w.emit("contract-added", _path(w, contract), "-", contract.kind, directions(forward=shared), why)


def _contract(w: Walker, old: ContractDef, new: ContractDef) -> None:
    path = _path(w, old)
    w.role = "request"
    if old.routing_key != new.routing_key:
        w.emit(
            "routing-changed",
            path,
            old.routing_key,
            new.routing_key,
            BOTH,
            "each side publishes where the other does not consume",
        )
    if old.queue != new.queue:
        why = "queued messages stay in the old queue; old workers never see the new one"
        w.emit("queue-changed", path, old.queue, new.queue, BOTH, why)
    if old.kind != new.kind:
        why = "a task has no reply and a call waits for one: each side misreads the other's messages"
        w.emit("kind-changed", path, old.kind, new.kind, BOTH, why)
    compare_structs(w, _struct(w.old, old.request), _struct(w.new, new.request))
    w.role = "reply"
    if old.result is not None and new.result is not None:
        w.scope = Scope(old=old.result, new=new.result, contract=new.name)
        compare_types(w, old.result, new.result, f"{path}.result")
    w.scope = Scope(contract=new.name)
    _errors(w, old, new, path)


def _errors(w: Walker, old: ContractDef, new: ContractDef, path: str) -> None:
    for name in new.errors:
        if name not in old.errors:
            why = f"old callers do not know {name}: it reaches them as an untyped RemoteError"
            w.emit("error-added", f"{path}.errors", "-", name, directions(forward=True), why)
    for name in old.errors:
        if name not in new.errors:
            why = f"new callers do not know {name}: old workers' replies reach them as an untyped RemoteError"
            w.emit("error-removed", f"{path}.errors", name, "-", directions(backward=True), why)
        else:
            compare_structs(w, _struct(w.old, name), _struct(w.new, name))


def _struct(lock: Lock, name: str) -> StructDef:
    definition = lock.types[name]
    assert isinstance(definition, StructDef), f"{name} is not a Struct"
    return definition


def _path(w: Walker, contract: ContractDef) -> str:
    return f"{w.service}.{contract.name}"
