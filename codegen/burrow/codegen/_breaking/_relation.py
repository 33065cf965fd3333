"""One finding for two types that relate as a whole: widened, narrowed, changed or equivalent."""

from __future__ import annotations

from burrow.codegen._breaking._findings import Direction
from burrow.codegen._breaking._show import show_type
from burrow.codegen._breaking._walker import Walker
from burrow.codegen._ir import TypeExpr

__all__ = ["emit_relation"]


def emit_relation(w: Walker, path: str, old: TypeExpr, new: TypeExpr, breaks: tuple[Direction, ...]) -> None:
    if breaks == ("forward",):
        rule, why = "type-widened", "old readers refuse some values the new type allows"
    elif breaks == ("backward",):
        rule, why = "type-narrowed", "the new type refuses some values old messages may hold"
    elif breaks:
        rule, why = "type-changed", "neither side reads all of the other's values"
    else:
        rule, why = "type-equivalent", "both types read the same wire values"
    w.emit(rule, path, show_type(old), show_type(new), breaks, why)
