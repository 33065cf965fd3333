"""What the checker reports: one ``Change`` per difference, with the directions it breaks.

**backward**: a new reader cannot read old messages (messages already queued or
delayed, or sent by old clients). **forward**: an old reader cannot read new
messages (an old worker or an old client still running during a deploy).
"""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["BOTH", "Change", "Direction", "Role", "directions"]

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
