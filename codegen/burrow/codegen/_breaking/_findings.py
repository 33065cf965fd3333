"""What the checker reports: one ``Change`` per difference, with the directions it breaks.

**backward**: a new reader cannot read old messages (messages already queued or
delayed, or sent by old clients). **forward**: an old reader cannot read new
messages (an old worker or an old client still running during a deploy).
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["BOTH", "RULES", "Change", "Direction", "Role", "directions"]

Direction = Literal["backward", "forward"]
Role = Literal["request", "reply"]
BOTH: tuple[Direction, ...] = ("backward", "forward")


class Change(msgspec.Struct, frozen=True, kw_only=True):
    """One difference between two locks.

    Attributes:
        rule: the rule's name (``required-field-added``); ``docs/breaking.md`` lists them.
        path: where: ``cleanup.delete_file`` (a contract) or ``cleanup.DeleteFile.path`` (a type).
        service: the service whose contract reaches this path (its policy applies).
        role: ``request`` or ``reply`` (results and declared errors travel in replies).
        old: the old side, rendered (``-`` when absent).
        new: the new side, rendered (``-`` when absent).
        breaks: the directions this change breaks; empty for a compatible change.
        why: one sentence on what fails on the wire.
    """

    rule: str
    path: str
    service: str
    role: Role
    old: str
    new: str
    breaks: tuple[Direction, ...]
    why: str


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
