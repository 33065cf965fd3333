"""Contract declarations: the message types services agree on.

A contract is a msgspec Struct registered with a ``Service`` under a stable wire
name ``<service>.<contract>``; the Python class name never reaches the wire.

    cleanup = Service("cleanup")

    @cleanup.task("delete_file")
    class DeleteFile(Task, kw_only=True):
        path: str

    @cleanup.call("stat_file", errors=[FileMissing])
    class StatFile(Call[FileInfo], kw_only=True):
        path: str
"""

from __future__ import annotations

import hashlib
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar, Generic, Literal, Protocol, Self, TypeVar

import msgspec
from burrow.sdk._codec import decode
from burrow.sdk._errors import ConfigurationError
from burrow.sdk._retry import RetryPolicy
from burrow.sdk._schedule import Missed, Schedule

__all__ = [
    "Bindable",
    "Call",
    "Contract",
    "ContractInfo",
    "Service",
    "Task",
    "contract_info",
]

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
C_co = TypeVar("C_co", covariant=True)
TaskT = TypeVar("TaskT", bound="Task")
CallT = TypeVar("CallT", bound="Call[Any]")

Kind = Literal["task", "call"]

_SERVICE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# A trailing version (``delete_file.v2``) is the way out of a breaking change.
_CONTRACT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.v[0-9]+)?$")


class Contract(msgspec.Struct, frozen=True):
    """Base of every contract. Messages are immutable once built."""

    __burrow_contract__: ClassVar[ContractInfo]


class Task(Contract, frozen=True):
    """A contract that is sent and handled, with no result for the sender."""

    # Phantom methods: they let the type checker read a contract's own type and
    # result type off the class (see ``Bindable``). They are never called.
    def _burrow_self(self) -> Self:
        return self

    def _burrow_result(self) -> None:
        return None


class Call(Contract, Generic[R], frozen=True):
    """A contract whose sender awaits a result of type ``R``."""

    def _burrow_self(self) -> Self:
        return self

    def _burrow_result(self) -> R:
        raise NotImplementedError


class Bindable(Protocol[C_co, R_co]):
    """What the type checker sees of a contract class: its own type and its result type.

    ``type[Bindable[C, R]]`` matches ``StatFile`` with ``C = StatFile`` and
    ``R = FileInfo``, so one signature can tie a handler's parameter and return
    type to the contract it is bound to.
    """

    def _burrow_self(self) -> C_co: ...

    def _burrow_result(self) -> R_co: ...


class ContractInfo:
    """Everything Burrow knows about one registered contract."""

    __slots__ = (
        "_decoders",
        "_fingerprint",
        "doc",
        "errors",
        "examples",
        "kind",
        "name",
        "queue",
        "request_type",
        "result_type",
        "retry",
        "routing_key",
        "service",
        "timeout",
        "wire_name",
    )

    def __init__(
        self,
        *,
        service: Service,
        name: str,
        kind: Kind,
        request_type: type[Contract],
        result_type: Any,
        errors: tuple[type[msgspec.Struct], ...],
        timeout: float | None,
        queue: str,
        retry: RetryPolicy | None,
    ) -> None:
        self.service = service
        self.name = name
        self.kind: Kind = kind
        self.request_type = request_type
        self.result_type = result_type
        self.errors = errors
        self.timeout = timeout
        self.queue = queue
        self.retry = retry
        self.wire_name = f"{service.name}.{name}"
        self.routing_key = self.wire_name
        self.doc = (request_type.__doc__ or "").strip()
        self._decoders: dict[str, Callable[[bytes], Any]] = {}
        self._fingerprint: str | None = None
        self.examples: tuple[Contract, ...] = ()  # for contract tests (burrow.testing.verify_contracts)

    @property
    def fingerprint(self) -> str:
        """A short hash of the request's JSON schema, carried in a header.

        Docstrings are left out: they do not change the wire, and a client
        generated from the lock must send the same fingerprint as the contracts.
        """
        if self._fingerprint is None:
            schema = _without_prose(msgspec.json.schema(self.request_type))
            self._fingerprint = hashlib.sha256(msgspec.json.encode(schema, order="sorted")).hexdigest()[:16]
        return self._fingerprint

    def decode(self, body: bytes, content_type: str | None) -> Contract:
        """Decode a request body. Raises ``ContractError`` naming this contract."""
        message: Contract = decode(body, self.request_type, content_type, label=self.wire_name, cache=self._decoders)
        return message

    def __repr__(self) -> str:
        return f"<ContractInfo {self.wire_name} ({self.kind})>"


class Service:
    """A named group of contracts served from one queue.

    Args:
        name: the service's wire name; lowercase letters, digits and ``_``.
        queue: the queue its contracts are served from (default: ``name``).
    """

    def __init__(self, name: str, *, queue: str | None = None) -> None:
        if not _SERVICE_NAME.match(name):
            raise ConfigurationError(f"service name {name!r} is not valid: use lowercase letters, digits and _")
        self.name = name
        self.queue = queue or name
        self.contracts: dict[str, ContractInfo] = {}
        self.schedules: dict[str, Schedule] = {}

    def schedule(
        self,
        name: str,
        message: Task,
        *,
        cron: str | None = None,
        every: timedelta | None = None,
        timezone: str = "UTC",
        missed: Missed = "once",
    ) -> Schedule:
        """Send ``message`` on a schedule, from the workers that serve this service.

            cleanup.schedule("purge_nightly", PurgeTemp(older_than=86400), cron="0 3 * * *", timezone="Europe/Paris")
            cleanup.schedule("heartbeat", Ping(), every=timedelta(minutes=5))

        Each tick is sent once across any number of workers (docs/schedules.md).

        Args:
            name: the schedule's name, unique in this service.
            message: the task every tick sends; its contract must belong to this service.
            cron: five cron fields, read in ``timezone`` (DST as in docs/schedules.md).
            every: a fixed interval of at least a second, counted from the Unix epoch.
            timezone: an IANA zone name for ``cron``.
            missed: when a tick is handled after the next one was already due (no
                worker ran, the broker was down): ``"once"`` sends it once, ``"skip"`` drops it.
        """
        info = contract_info(message)
        if info.service is not self or info.kind != "task":
            raise ConfigurationError(
                f"schedule {self.name}.{name}: {info.wire_name} is not a task of service {self.name!r}"
            )
        if name in self.schedules:
            raise ConfigurationError(f"schedule {self.name}.{name} is already declared")
        declared = Schedule(
            name=name, contract=info, message=message, cron=cron, every=every, timezone=timezone, missed=missed
        )
        self.schedules[name] = declared
        return declared

    def task(
        self,
        name: str,
        *,
        queue: str | None = None,
        retry: RetryPolicy | None = None,
        examples: Sequence[Mapping[str, Any]] = (),
    ) -> Callable[[type[TaskT]], type[TaskT]]:
        """Register a ``Task`` subclass under ``<service>.<name>``.

        Args:
            queue: serve it from its own queue (isolates slow work) instead of the service's.
            retry: how a failing handler is retried; the binding may override it.
            examples: field values of example messages, validated now; contract tests
                (``burrow.testing.verify_contracts``) run them through the handler.
        """

        def register(cls: type[TaskT]) -> type[TaskT]:
            self._register(
                cls,
                name,
                kind="task",
                base=Task,
                result_type=None,
                errors=(),
                timeout=None,
                queue=queue,
                retry=retry,
                examples=examples,
            )
            return cls

        return register

    def call(
        self,
        name: str,
        *,
        errors: Sequence[type[msgspec.Struct]] = (),
        timeout: float | None = None,
        queue: str | None = None,
        examples: Sequence[Mapping[str, Any]] = (),
    ) -> Callable[[type[CallT]], type[CallT]]:
        """Register a ``Call[R]`` subclass under ``<service>.<name>``.

        Calls are not retried by the worker: the caller waits for one answer and
        gets a failure as ``RemoteError``, so it decides whether to call again.

        Args:
            errors: Structs the handler may raise or return as declared errors.
            timeout: default deadline in seconds for calls of this contract.
            examples: field values of example requests (see ``task``).
        """

        def register(cls: type[CallT]) -> type[CallT]:
            self._register(
                cls,
                name,
                kind="call",
                base=Call,
                result_type=_call_result_type(cls),
                errors=tuple(errors),
                timeout=timeout,
                queue=queue,
                retry=None,
                examples=examples,
            )
            return cls

        return register

    def _register(
        self,
        cls: type[Contract],
        name: str,
        *,
        kind: Kind,
        base: type[Contract],
        result_type: Any,
        errors: tuple[type[msgspec.Struct], ...],
        timeout: float | None,
        queue: str | None,
        retry: RetryPolicy | None,
        examples: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise ConfigurationError(f"@{self.name}.{kind}({name!r}) decorates {cls!r}, which is not a {base.__name__}")
        if not _CONTRACT_NAME.match(name):
            raise ConfigurationError(
                f"contract name {name!r} is not valid: use lowercase letters, digits and _, "
                "optionally followed by a version such as .v2"
            )
        if name in self.contracts:
            raise ConfigurationError(
                f"{self.name}.{name} is already registered to {self.contracts[name].request_type!r}"
            )
        if "__burrow_contract__" in cls.__dict__:
            raise ConfigurationError(f"{cls.__qualname__} is already registered as {cls.__burrow_contract__.wire_name}")
        if timeout is not None and timeout <= 0:
            raise ConfigurationError(f"{self.name}.{name}: timeout must be positive, got {timeout}")
        info = ContractInfo(
            service=self,
            name=name,
            kind=kind,
            request_type=cls,
            result_type=result_type,
            errors=errors,
            timeout=timeout,
            queue=queue or self.queue,
            retry=retry,
        )
        info.examples = tuple(_example(info, index, fields) for index, fields in enumerate(examples))
        cls.__burrow_contract__ = info
        self.contracts[name] = info

    @property
    def queues(self) -> list[str]:
        """Every queue this service's contracts are served from, sorted."""
        return sorted({info.queue for info in self.contracts.values()})

    def __repr__(self) -> str:
        return f"<Service {self.name} ({len(self.contracts)} contracts)>"


def contract_info(contract: type[Contract] | Contract) -> ContractInfo:
    """Return the registration of a contract class (or of a message's class)."""
    cls = contract if isinstance(contract, type) else type(contract)
    info: ContractInfo | None = cls.__dict__.get("__burrow_contract__")
    if info is None:
        raise ConfigurationError(
            f"{cls.__qualname__} is not a registered contract: decorate it with "
            "@service.task(...) or @service.call(...)"
        )
    return info


def _example(info: ContractInfo, index: int, fields: Mapping[str, Any]) -> Contract:
    try:
        example: Contract = msgspec.convert(fields, info.request_type)
    except msgspec.ValidationError as exc:
        raise ConfigurationError(f"{info.wire_name}: example #{index} is not a valid message: {exc}") from None
    return example


_PROSE = ("title", "description")
_NAMED_SCHEMAS = ("properties", "$defs")  # their keys are field and type names, not keywords


def _without_prose(schema: Any) -> Any:
    """A JSON schema without its ``title`` and ``description`` keywords."""
    if isinstance(schema, list):
        return [_without_prose(value) for value in schema]
    if not isinstance(schema, dict):
        return schema
    kept: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _NAMED_SCHEMAS and isinstance(value, dict):
            kept[key] = {name: _without_prose(sub) for name, sub in value.items()}
        elif key not in _PROSE:
            kept[key] = _without_prose(value)
    return kept


def _call_result_type(cls: type[Call[Any]]) -> Any:
    """Find ``R`` in the ``Call[R]`` a contract class derives from."""
    if not (isinstance(cls, type) and issubclass(cls, Call)):
        return None  # not a Call at all: ``_register`` says so
    for klass in cls.__mro__:
        for base in getattr(klass, "__orig_bases__", ()):
            if typing.get_origin(base) is Call:
                (result,) = typing.get_args(base)
                if isinstance(result, TypeVar):
                    break
                return result
    raise ConfigurationError(f"{cls.__qualname__} must name its result type: class {cls.__name__}(Call[ResultType])")
