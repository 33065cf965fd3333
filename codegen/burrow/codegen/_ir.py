"""The intermediate representation: contracts and their types as plain data.

The lock document is this model encoded as JSON, so everything a renderer or
the compatibility checker needs is here and nothing needs the Python source.
Type expressions form a tagged union on ``kind``; named types (Structs and
enums) live once in ``Lock.types`` and are referred to by name.
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

__all__ = [
    "FORMAT_VERSION",
    "ArrayType",
    "ContractDef",
    "DictType",
    "EnumDef",
    "EnumMember",
    "FieldDef",
    "LiteralType",
    "Lock",
    "MetaType",
    "RefType",
    "RetryDef",
    "ScalarType",
    "ScheduleDef",
    "ServiceDef",
    "StructDef",
    "TupleType",
    "TypeDef",
    "TypeExpr",
    "UnionType",
]

FORMAT_VERSION = 1
"""Bumped when a lock written by this version cannot be read by older ones."""

ScalarName = Literal[
    "any", "none", "bool", "int", "float", "str", "bytes", "bytearray",
    "datetime", "date", "time", "timedelta", "uuid", "decimal",
]  # fmt: skip
Container = Literal["list", "set", "frozenset", "tuple"]


class _Node(msgspec.Struct, kw_only=True, omit_defaults=True, forbid_unknown_fields=True):
    """Base of the IR nodes: unset options are left out of the lock, unknown keys are refused.

    Treat nodes as immutable; they are not frozen only so that subclasses stay simple.
    """


class ScalarType(_Node, tag="scalar", tag_field="kind"):
    """A leaf type with the ``Meta`` constraints that apply to it.

    ``tz`` is the timezone requirement of ``datetime`` and ``time``:
    true (aware only), false (naive only) or null (either).
    """

    name: ScalarName
    gt: int | float | None = None
    ge: int | float | None = None
    lt: int | float | None = None
    le: int | float | None = None
    multiple_of: int | float | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    tz: bool | None = None


class ArrayType(_Node, tag="array", tag_field="kind"):
    """``list[T]``, ``set[T]``, ``frozenset[T]`` or ``tuple[T, ...]``."""

    container: Container
    item: TypeExpr
    min_length: int | None = None
    max_length: int | None = None


class TupleType(_Node, tag="tuple", tag_field="kind"):
    """A fixed-length tuple such as ``tuple[int, str]``."""

    items: list[TypeExpr]


class DictType(_Node, tag="dict", tag_field="kind"):
    key: TypeExpr
    value: TypeExpr
    min_length: int | None = None
    max_length: int | None = None


class UnionType(_Node, tag="union", tag_field="kind"):
    """``A | B``; ``None`` is a member like any other."""

    types: list[TypeExpr]


class LiteralType(_Node, tag="literal", tag_field="kind"):
    values: list[str | int | None]


class RefType(_Node, tag="ref", tag_field="kind"):
    """A named Struct or enum, defined in ``Lock.types``."""

    name: str


class MetaType(_Node, tag="meta", tag_field="kind"):
    """Schema-only metadata (``Meta(title=..., description=..., examples=...)``) around a type."""

    type: TypeExpr
    extra_json_schema: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None


TypeExpr = ScalarType | ArrayType | TupleType | DictType | UnionType | LiteralType | RefType | MetaType

DefaultFactory = Literal["list", "dict", "set", "frozenset", "bytearray"]


class FieldDef(_Node):
    """One Struct field in declaration order.

    A field is required, or has ``default`` (JSON data, converted to the field's
    type when rebuilt), or has ``default_factory`` (an empty container), or is
    ``unset`` (declared ``T | UnsetType = UNSET``: ``type`` is ``T``, and a writer
    leaves the field out while it holds ``UNSET``).
    """

    name: str
    wire_name: str
    type: TypeExpr
    required: bool
    default: Any = None
    default_factory: DefaultFactory | None = None
    unset: bool = False


class StructDef(_Node, tag="struct", tag_field="kind"):
    """A msgspec Struct: fields and every config option that changes the wire format.

    ``reserved`` lists wire names that no field may use again (declared with
    ``__burrow_reserved__``): removed fields whose old messages may still be queued.
    """

    name: str
    module: str
    doc: str = ""
    fields: list[FieldDef] = []
    tag_field: str | None = None
    tag: str | int | None = None
    array_like: bool = False
    forbid_unknown_fields: bool = False
    omit_defaults: bool = False
    frozen: bool = False
    reserved: list[str] = []


class EnumMember(_Node):
    name: str
    value: str | int


class EnumDef(_Node, tag="enum", tag_field="kind"):
    """An ``enum.Enum`` (str or int values; msgspec enums are closed)."""

    name: str
    module: str
    doc: str = ""
    members: list[EnumMember] = []


TypeDef = StructDef | EnumDef


class RetryDef(_Node):
    """A ``RetryPolicy``; exception types by qualified name (``builtins.TimeoutError``)."""

    attempts: int
    backoff: float
    multiplier: float
    max_backoff: float
    jitter: float
    retry_on: list[str]
    fail_on: list[str] = []


class ContractDef(_Node):
    """One contract: how it is addressed, what it carries and what it answers."""

    name: str
    wire_name: str
    kind: Literal["task", "call"]
    routing_key: str
    queue: str
    request: str
    doc: str = ""
    result: TypeExpr | None = None
    errors: list[str] = []
    timeout: float | None = None
    retry: RetryDef | None = None
    fingerprint: str = ""


class ScheduleDef(_Node):
    """A schedule: which task the service's workers send, with what payload, and when.

    Exactly one of ``cron`` (read in ``timezone``) and ``every`` (seconds) is set.
    ``fingerprint`` names the version: a new one means new queues (docs/schedules.md).
    """

    name: str
    wire_name: str
    contract: str
    payload: Any
    missed: Literal["once", "skip"]
    fingerprint: str
    cron: str | None = None
    timezone: str | None = None
    every: float | None = None


class ServiceDef(_Node):
    name: str
    queue: str
    contracts: list[ContractDef]
    schedules: list[ScheduleDef] = []


class Lock(_Node, kw_only=True):
    """The lock document (``burrow.lock.json``).

    ``services`` are sorted by name and their contracts by name; ``types`` by name.
    """

    comment: str = msgspec.field(default="", name="$comment")
    format_version: int  # required, so it is always written despite omit_defaults
    services: list[ServiceDef] = []
    types: dict[str, TypeDef] = {}

    def service(self, name: str) -> ServiceDef:
        for service in self.services:
            if service.name == name:
                return service
        raise KeyError(name)
