"""What the checker reports: one ``Change`` per difference, with the directions it affects.

**backward**: a new reader reads old messages (messages already queued or delayed,
or sent by old clients). **forward**: an old reader reads new messages (an old
worker or an old client still running during a deploy). In a direction, a reader
may refuse some message (``breaks``) or read it with another meaning (``meaning``);
a change that affects no message today may still be a ``hygiene`` finding. Each
demonstrated direction carries a ``Witness``.
"""

from __future__ import annotations

from typing import Literal

import msgspec
from burrow.codegen._ir import TypeExpr

__all__ = [
    "BOTH",
    "CATEGORIES",
    "HYGIENE",
    "RULES",
    "Category",
    "Change",
    "Direction",
    "Role",
    "Scope",
    "Witness",
    "directions",
]

Direction = Literal["backward", "forward"]
Role = Literal["request", "reply"]
Category = Literal["breaking", "meaning", "hygiene", "compatible"]
BOTH: tuple[Direction, ...] = ("backward", "forward")
CATEGORIES: tuple[Category, ...] = ("breaking", "meaning", "hygiene", "compatible")
HYGIENE = frozenset({"removed-name-not-reserved"})
"""Rules about what a later version could break, not about any message today."""


class Witness(msgspec.Struct, frozen=True, kw_only=True):
    """A message that proves one direction: what the writer sends and what the reader makes of it.

    Attributes:
        direction: ``backward`` (an old writer, the new reader) or ``forward``.
        codec: ``json`` or ``msgpack``: the content type the message travels in.
        message: the body as the writer sends it (JSON text, or MessagePack as hex).
        sent: the value the writer meant, as JSON text.
        error: the reader's error when it refuses the message ("" when it reads it).
        first: an error about another field that the reader raises before this change's
            (msgspec reports one error per message); ``error`` or ``read`` then say what
            this change does once that other field reads.
        read: what the reader reads instead, as JSON text, for a change of meaning ("" otherwise).
        field: when set, the message is the value of this field of the reader's Struct alone
            (msgspec reports one error per message, and another field's error came first).
    """

    direction: Direction
    codec: str
    message: str
    sent: str
    error: str = ""
    first: str = ""
    read: str = ""
    field: str = ""


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    """Where a witness for a change is searched: the message type (or contract) on each side."""

    old: TypeExpr | None = None
    new: TypeExpr | None = None
    old_field: str | None = None
    new_field: str | None = None
    contract: str | None = None


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One difference between two locks.

    Attributes:
        rule: the rule's name (``required-field-added``); ``docs/breaking.md`` lists them.
        path: where: ``cleanup.delete_file`` (a contract) or ``cleanup.DeleteFile.path`` (a type).
        service: the service whose contract reaches this path (its policy applies).
        role: ``request`` or ``reply`` (results and declared errors travel in replies).
        old: the old side, rendered (``-`` when absent).
        new: the new side, rendered (``-`` when absent).
        breaks: the directions in which the reader refuses some message.
        meaning: the directions in which the reader reads some message with another meaning
            (and refuses none of them, or ``breaks`` names the direction too).
        why: one sentence on what happens on the wire.
        possible: the directions of ``breaks`` and ``meaning`` no witness demonstrates.
        witnesses: one message per demonstrated direction.
        scope: where witnesses are searched (not part of the report).
    """

    rule: str
    path: str
    service: str
    role: Role
    old: str
    new: str
    breaks: tuple[Direction, ...]
    why: str
    meaning: tuple[Direction, ...] = ()
    possible: tuple[Direction, ...] = ()
    witnesses: tuple[Witness, ...] = ()
    scope: Scope | None = None

    @property
    def category(self) -> Category:
        """``breaking`` (a reader refuses), ``meaning`` (it reads another value), ``hygiene`` or ``compatible``."""
        if self.breaks:
            return "breaking"
        if self.meaning:
            return "meaning"
        return "hygiene" if self.rule in HYGIENE else "compatible"

    @property
    def affected(self) -> tuple[Direction, ...]:
        """Every direction this change breaks or changes the meaning of."""
        return directions(
            backward="backward" in self.breaks + self.meaning, forward="forward" in self.breaks + self.meaning
        )


def directions(*, backward: bool = False, forward: bool = False) -> tuple[Direction, ...]:
    """The broken directions in their canonical order."""
    found: list[Direction] = []
    if backward:
        found.append("backward")
    if forward:
        found.append("forward")
    return tuple(found)


RULES: dict[str, str] = {
    # contracts
    "contract-removed": "a contract is gone",
    "contract-added": "a new contract",
    "routing-changed": "a contract's routing key changed",
    "queue-changed": "a contract is served from another queue",
    "kind-changed": "a task became a call or back",
    "error-added": "a call declares a new error",
    "error-removed": "a call no longer declares an error",
    # Structs and fields
    "array-like-changed": "array_like turned on or off",
    "fields-reordered": "array_like fields in another order",
    "forbid-unknown-fields-enabled": "forbid_unknown_fields turned on",
    "required-field-added": "a field without a default",
    "field-added": "a field with a default",
    "required-field-removed": "a required field is gone",
    "field-removed": "a field with a default is gone",
    "removed-name-not-reserved": "a removed field's wire name is not reserved",
    "reserved-name-reused": "a field uses a reserved wire name",
    "wire-name-changed": "a field's wire name changed (rename)",
    "default-added": "a required field got a default",
    "default-removed": "a field lost its default",
    "default-changed": "a field's default changed",
    # types
    "type-changed": "a type changed incompatibly",
    "type-widened": "the new type accepts more values",
    "type-narrowed": "the new type accepts fewer values",
    "type-equivalent": "another type with the same wire values",
    "container-changed": "a list or tuple became a set or back",
    "constraint-tightened": "constraints accept fewer values",
    "constraint-loosened": "constraints accept more values",
    "constraint-changed": "constraints accept other values",
    "timezone-requirement-added": "a datetime or time must now be aware (or naive)",
    "timezone-requirement-removed": "a datetime or time may now be aware or naive",
    "timezone-requirement-changed": "aware became naive or back",
    "enum-value-added": "an enum member was added",
    "enum-value-removed": "an enum member was removed",
    "enum-value-changed": "an enum member's value changed",
    "literal-value-added": "a Literal value was added",
    "literal-value-removed": "a Literal value was removed",
    # tagged unions
    "variant-added": "a tagged union gained a variant",
    "variant-removed": "a tagged union lost a variant",
    "tag-changed": "a Struct's tag value changed",
    "tag-field-changed": "the tag field changed",
}
"""Every rule the checker applies, with a one-line summary (``docs/breaking.md`` explains each)."""
