"""The state of one comparison: both locks, where we are, and what was found so far."""

from __future__ import annotations

from burrow.codegen._breaking._findings import RULES, Change, Direction, Role, Scope
from burrow.codegen._ir import Lock, StructDef, TypeDef

__all__ = ["Walker"]


class Walker:
    """Collects ``Change``s while the contract, struct and type comparisons walk both locks.

    ``service`` and ``role`` say whose policy applies to what is found; named
    types reached twice in one role are compared once (this also stops recursion).
    """

    def __init__(self, old: Lock, new: Lock) -> None:
        self.old = old
        self.new = new
        self.service = ""
        self.role: Role = "request"
        self.changes: list[Change] = []
        self.scope: Scope | None = None
        self._seen: set[tuple[str, Role, str, str]] = set()

    def emit(
        self,
        rule: str,
        path: str,
        old: str,
        new: str,
        breaks: tuple[Direction, ...],
        why: str,
        *,
        meaning: tuple[Direction, ...] = (),
    ) -> None:
        """Record a change; ``meaning`` lists the directions read with another meaning rather than refused."""
        assert rule in RULES, f"{rule} is not in RULES"
        change = Change(
            rule=rule,
            path=path,
            service=self.service,
            role=self.role,
            old=old,
            new=new,
            breaks=breaks,
            meaning=tuple(d for d in meaning if d not in breaks),
            why=why,
            scope=self.scope,
        )
        self.changes.append(change)

    def first_visit(self, old_name: str, new_name: str) -> bool:
        key = (self.service, self.role, old_name, new_name)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def old_type(self, name: str) -> TypeDef:
        return self.old.types[name]

    def new_type(self, name: str) -> TypeDef:
        return self.new.types[name]

    def type_path(self, definition: StructDef | TypeDef) -> str:
        """Paths start at the service and the type's (new) name: ``cleanup.DeleteFile``."""
        return f"{self.service}.{definition.name}"
