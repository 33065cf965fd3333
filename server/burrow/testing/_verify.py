"""Contract tests for users' CI: does this implementation serve every contract, correctly?

``verify_contracts`` starts the implementation on the in-memory broker and runs
example messages (declared with ``examples=``, else minimal valid ones made from
the types) through the real encoder, decoder, handler and reply path:

    report = await verify_contracts(cleanup, lambda worker: bind_cleanup(worker, Cleanup(tmp)))
    assert report.ok, report
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from burrow.sdk._contract import Contract, ContractInfo, Service
from burrow.sdk._errors import BurrowError, ConfigurationError, DeclaredError
from burrow.sdk._memory_delay import ManualClock
from burrow.sdk._wire import HEADER_ERROR_MESSAGE, HEADER_ERROR_TYPE
from burrow.server._worker import Worker
from burrow.testing._examples import CannotMakeExample, minimal_example
from burrow.testing._harness import Harness, burrow_harness

__all__ = ["ContractReport", "ExampleResult", "Outcome", "verify_contracts"]

_RETRY_STEP = 24 * 3600.0  # seconds the manual clock moves per step while a retry is pending
_MAX_RETRY_STEPS = 100


class Outcome(enum.StrEnum):
    """How one example fared."""

    OK = "ok"  # handled; a call's reply decoded into the declared result type
    DECLARED_ERROR = "declared-error"  # a call answered with one of its declared errors: valid
    FAILED = "failed"  # the handler raised, the reply did not decode, or the message was dead-lettered
    UNBOUND = "unbound"  # no handler serves the contract
    NO_EXAMPLE = "no-example"  # no example declared and none could be made from the types


@dataclass(frozen=True, slots=True)
class ExampleResult:
    """One example message run through the implementation."""

    contract: str
    outcome: Outcome
    detail: str = ""
    example: Contract | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.OK, Outcome.DECLARED_ERROR)

    def __str__(self) -> str:
        shown = f" {self.example!r}" if self.example is not None else ""
        return f"{self.outcome.value:<14} {self.contract}{shown}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True, slots=True)
class ContractReport:
    """What ``verify_contracts`` found; ``str()`` gives one line per example."""

    results: tuple[ExampleResult, ...]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def failures(self) -> list[ExampleResult]:
        return [result for result in self.results if not result.ok]

    def __str__(self) -> str:
        passed = sum(result.ok for result in self.results)
        lines = [str(result) for result in self.results]
        return "\n".join([*lines, f"{passed} of {len(self.results)} examples passed"])


async def verify_contracts(
    contracts: Service | ModuleType | Iterable[Service | ModuleType],
    bind: Callable[[Worker], Any],
    *,
    timeout: float = 10.0,
) -> ContractReport:
    """Check that ``bind``'s handlers serve every contract of ``contracts`` and answer its examples.

    Each contract's examples (``examples=`` on ``@service.task``/``@service.call``,
    else one minimal valid message made from its types and constraints) is sent
    through a real client to a real worker on a ``MemoryBroker``. A task passes
    when its handler returns (after any retries its policy allows); a call passes
    when its reply decodes into the declared result type or is a declared error.

    Args:
        contracts: services, or modules defining them (a contracts package's modules).
        bind: puts the implementation's handlers on a worker, e.g.
            ``lambda worker: bind_cleanup(worker, Cleanup(root))``.
        timeout: seconds each example may take.

    Handlers run for real: give them a sandbox (a temporary directory, a test database).
    """
    services = _services(contracts)
    served: set[str] = set()

    def bind_and_note(worker: Worker) -> None:
        bind(worker)
        served.update(service.name for service in worker.services)

    results: list[ExampleResult] = []
    try:
        async with burrow_harness(bind_and_note, clock=ManualClock()) as harness:
            for service in services:
                if service.name in served:
                    for info in _contracts(service):
                        results += [await _run(harness, info, example, timeout) for example in _examples(info)]
    except ConfigurationError as exc:  # the worker refused to start: a contract of a served service is unbound
        results.append(ExampleResult("*", Outcome.UNBOUND, str(exc)))
    unbound = [info for service in services for info in _contracts(service) if service.name not in served]
    results += [ExampleResult(info.wire_name, Outcome.UNBOUND, "its service is not bound") for info in unbound]
    return ContractReport(tuple(results))


def _services(contracts: Service | ModuleType | Iterable[Service | ModuleType]) -> list[Service]:
    given = [contracts] if isinstance(contracts, Service | ModuleType) else list(contracts)
    found: dict[str, Service] = {}
    for item in given:
        candidates = vars(item).values() if isinstance(item, ModuleType) else [item]
        found.update((value.name, value) for value in candidates if isinstance(value, Service))
    if not found:
        raise ConfigurationError(f"no Service found in {contracts!r}: pass services or the modules defining them")
    return [found[name] for name in sorted(found)]


def _contracts(service: Service) -> list[ContractInfo]:
    return [service.contracts[name] for name in sorted(service.contracts)]


def _examples(info: ContractInfo) -> list[Contract | ExampleResult]:
    if info.examples:
        return list(info.examples)
    try:
        return [minimal_example(info.request_type)]
    except CannotMakeExample as exc:
        return [ExampleResult(info.wire_name, Outcome.NO_EXAMPLE, str(exc))]


async def _run(
    harness: Harness[Any], info: ContractInfo, example: Contract | ExampleResult, timeout: float
) -> ExampleResult:
    if isinstance(example, ExampleResult):
        return example
    if info.kind == "call":
        return await _call(harness, info, example, timeout)
    return await _task(harness, info, example, timeout)


async def _call(harness: Harness[Any], info: ContractInfo, example: Any, timeout: float) -> ExampleResult:
    try:
        result = await harness.client.call(example, timeout=timeout)
    except DeclaredError as exc:
        return ExampleResult(info.wire_name, Outcome.DECLARED_ERROR, repr(exc.error), example)
    except BurrowError as exc:
        return ExampleResult(info.wire_name, Outcome.FAILED, f"{type(exc).__name__}: {exc}", example)
    return ExampleResult(info.wire_name, Outcome.OK, f"-> {result!r}", example)


async def _task(harness: Harness[Any], info: ContractInfo, example: Contract, timeout: float) -> ExampleResult:
    before = len(harness.dead_letters(info.service))
    await harness.client.send(example)
    await harness.drain(timeout)
    for _ in range(_MAX_RETRY_STEPS):  # let the retry policy play out on the manual clock
        if not harness.broker.delayed():
            break
        await harness.advance(_RETRY_STEP)
    dead = harness.dead_letters(info.service)[before:]
    if dead:
        headers = dead[-1].headers
        detail = f"dead-lettered: {headers.get(HEADER_ERROR_TYPE)}: {headers.get(HEADER_ERROR_MESSAGE)}"
        return ExampleResult(info.wire_name, Outcome.FAILED, detail, example)
    return ExampleResult(info.wire_name, Outcome.OK, "", example)
