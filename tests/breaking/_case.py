"""Fixture pairs for the checker: two versions of a service, what the checker must report,
and witness messages proving each claimed direction on the wire."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, cast

import msgspec
from burrow.codegen import Lock, build_lock
from burrow.sdk import Call, Service, Task

from tests.breaking._wire import Message, Side

__all__ = ["Case", "Probe", "Sides", "call", "full", "lock_of", "task", "task_struct"]

Expected = tuple[str, str, tuple[str, ...]] | tuple[str, str, tuple[str, ...], tuple[str, ...], str]
"""(rule, path, breaks) for a break or a compatible change, or (rule, path, breaks, meaning, category)."""


class Sides:
    """The locks of one case as wire sides: ``old``, ``new``, and any extra versions by name."""

    def __init__(self, sides: dict[str, Side]) -> None:
        self.by_name = sides
        self.old = sides["old"]
        self.new = sides["new"]

    def __getitem__(self, name: str) -> Side:
        return self.by_name[name]


Probe = Message | tuple[Message, Side]
"""A witness: a message, read by the other side unless a reader is given."""


@dataclasses.dataclass(frozen=True)
class Case:
    """Two versions of the ``fx`` service and what comparing them must report.

    ``backward`` writes a message with an old side that the new reader must fail
    to read (or read with another meaning); ``forward`` the other way round. A
    witness is required for each direction the expected findings claim.
    """

    old: Callable[[], Service | list[Service]]
    new: Callable[[], Service | list[Service]]
    expected: Sequence[Expected]
    backward: Callable[[Sides], Probe] | None = None
    forward: Callable[[Sides], Probe] | None = None
    extra: dict[str, Callable[[], Service]] = dataclasses.field(default_factory=dict)
    edit_new: Callable[[Lock], Lock] | None = None
    possible: tuple[str, ...] = ()
    """Directions the checker can claim but not demonstrate from the two locks alone."""

    def locks(self) -> dict[str, Lock]:
        locks = {"old": lock_of(self.old()), "new": lock_of(self.new())}
        if self.edit_new is not None:
            locks["new"] = self.edit_new(locks["new"])
        locks.update({name: lock_of(build()) for name, build in self.extra.items()})
        return locks

    def sides(self) -> Sides:
        return Sides({name: Side(lock, name) for name, lock in self.locks().items()})

    @property
    def verdicts(self) -> list[tuple[str, str, tuple[str, ...], tuple[str, ...], str]]:
        """Every expected change as (rule, path, breaks, meaning, category)."""
        return [full(expected) for expected in self.expected]

    @property
    def refused(self) -> set[str]:
        """The directions in which some message is refused."""
        return {direction for _, _, breaks, _, _ in self.verdicts for direction in breaks}

    @property
    def claimed(self) -> set[str]:
        """The directions in which some message is refused or read with another meaning."""
        return {d for _, _, breaks, meaning, _ in self.verdicts for d in (*breaks, *meaning)}


def full(expected: Expected) -> tuple[str, str, tuple[str, ...], tuple[str, ...], str]:
    if len(expected) == 5:
        return expected
    rule, path, breaks = expected[0], expected[1], expected[2]
    return (rule, path, breaks, (), "breaking" if breaks else "compatible")


def lock_of(service: Service | list[Service]) -> Lock:
    """The lock of services, through the real codegen IR (and back through its JSON, as a lock file would)."""
    lock = build_lock(service if isinstance(service, list) else [service], source="tests.breaking.fixtures")
    return msgspec.json.decode(msgspec.json.encode(lock), type=Lock)


def task(request: type[Task], *, name: str = "send", queue: str | None = None, **more: type[Task]) -> Service:
    """Service ``fx`` with the task ``request`` (``fx.send``) and any ``more`` tasks by name."""
    fx = Service("fx")
    fx.task(name, queue=queue)(request)
    for other, cls in more.items():
        fx.task(other)(cls)
    return fx


def call(request: type[Call[Any]], *, errors: Sequence[type[msgspec.Struct]] = ()) -> Service:
    """Service ``fx`` with the call ``request`` (``fx.ask``)."""
    fx = Service("fx")
    fx.call("ask", errors=errors)(request)
    return fx


def task_struct(name: str, fields: Sequence[tuple[str, Any] | tuple[str, Any, Any]], **options: Any) -> type[Task]:
    """A ``Task`` Struct built at run time (``msgspec.defstruct``), for one-field fixtures."""
    built = msgspec.defstruct(name, list(fields), bases=(Task,), kw_only=True, frozen=True, **options)
    return cast(type[Task], built)
