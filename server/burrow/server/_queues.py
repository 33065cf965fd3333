"""Which queues a worker consumes, with which handlers, how many at once.

A worker serves every queue of the services it binds, or the subset named by
``Worker(queues=...)``: a contract declared with its own ``queue=`` can then
run in a deployment of its own. The completeness check is per served queue:
every contract of a served queue needs a handler, contracts of the others
need none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from burrow.sdk import ConfigurationError, Service
from burrow.server._dispatch import Binding

__all__ = [
    "DEFAULT_CONCURRENCY",
    "Concurrency",
    "ServedQueue",
    "check_concurrency",
    "concurrency_of",
    "plan",
    "sync_slots",
]

DEFAULT_CONCURRENCY = 32

Concurrency = int | Mapping[str, int]
"""Handlers running at once: one number for every queue, or a number per queue name."""


@dataclass(frozen=True)
class ServedQueue:
    """One queue a worker consumes: its service, the handlers of its contracts, its prefetch."""

    service: Service
    name: str
    bindings: Mapping[str, Binding]
    concurrency: int

    @property
    def has_sync_handlers(self) -> bool:
        return any(not binding.is_async for binding in self.bindings.values())


def check_concurrency(concurrency: Concurrency) -> None:
    """Raise ``ConfigurationError`` unless every number is a positive int."""
    if isinstance(concurrency, Mapping):
        for queue, value in concurrency.items():
            if not isinstance(queue, str) or not _is_positive(value):
                raise ConfigurationError(f"concurrency of queue {queue!r} must be at least 1, got {value!r}")
    elif not _is_positive(concurrency):
        raise ConfigurationError(f"concurrency must be at least 1, got {concurrency}")


def _is_positive(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def plan(
    services: Sequence[Service],
    bindings: Mapping[str, Binding],
    *,
    queues: Sequence[str] | None,
    concurrency: Concurrency,
) -> list[ServedQueue]:
    """The queues to consume, in order; raises ``ConfigurationError`` for what cannot be served."""
    if not bindings:
        raise ConfigurationError("the worker has no handlers: bind at least one contract")
    known = {queue: service for service in services for queue in service.queues}
    _check_names("queues", queues or (), known)
    if isinstance(concurrency, Mapping):
        _check_names("concurrency", concurrency, known)
    if queues is not None and not queues:
        raise ConfigurationError("queues is empty: name at least one queue, or None for all of them")
    chosen = sorted(known) if queues is None else sorted(set(queues))
    served = [
        ServedQueue(
            service=known[queue],
            name=queue,
            bindings={name: binding for name, binding in bindings.items() if binding.info.queue == queue},
            concurrency=concurrency_of(queue, concurrency),
        )
        for queue in chosen
    ]
    _check_complete(served)
    return served


def _check_names(option: str, names: Sequence[str] | Mapping[str, int], known: Mapping[str, Service]) -> None:
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise ConfigurationError(
            f"{option} names {', '.join(map(repr, unknown))}, not a queue of the services this worker binds "
            f"(their queues: {', '.join(sorted(known))})"
        )


def concurrency_of(queue: str, concurrency: Concurrency) -> int:
    """The concurrency of ``queue``: its own, or the one number for every queue."""
    if isinstance(concurrency, Mapping):
        return concurrency.get(queue, DEFAULT_CONCURRENCY)
    return concurrency


def _check_complete(served: Sequence[ServedQueue]) -> None:
    missing = [
        info.wire_name
        for queue in served
        for info in queue.service.contracts.values()
        if info.queue == queue.name and info.wire_name not in queue.bindings
    ]
    if missing:
        raise ConfigurationError(
            "the worker serves these services but binds no handler for: "
            + ", ".join(sorted(missing))
            + " (their messages would only reach the dead-letter queue)"
        )


def sync_slots(served: Sequence[ServedQueue]) -> int:
    """How many synchronous handlers may run at once: the concurrency of every queue that has one."""
    return sum(queue.concurrency for queue in served if queue.has_sync_handlers)
