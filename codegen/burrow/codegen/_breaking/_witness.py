"""Prove each claimed direction with a message: written by one version, refused or misread by the other.

For a change inside a type, values of that type are generated from the writer's
lock (its types rebuilt with ``rebuild_types``, hypothesis strategies honouring
every constraint), encoded with msgspec in JSON and MessagePack, and decoded with
the reader's rebuilt type. A refusal or a misreading counts when it concerns the
change's field. Contract-level changes (routing, queues, kinds, declared errors)
are shown with a generated request or error and what the reader does with it.

A direction with no witness is reported as *possible*, with the reason; the
search is derandomized, so the same locks always give the same report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import Callable
from typing import Any

import msgspec
from burrow.codegen._breaking._findings import Change, Direction, Witness
from burrow.codegen._breaking._meaning import same_meaning
from burrow.codegen._errors import CodegenError
from burrow.codegen._ir import ContractDef, FieldDef, Lock, RefType, ScalarType, StructDef, TypeExpr
from burrow.codegen._rebuild import rebuild_type, rebuild_types

__all__ = ["EXAMPLES", "prove", "rendered"]

EXAMPLES = 200
"""Values tried per direction before a direction is called possible."""

_CODECS: dict[str, tuple[Callable[[Any], bytes], Callable[..., Any]]] = {
    "json": (msgspec.json.encode, msgspec.json.decode),
    "msgpack": (msgspec.msgpack.encode, msgspec.msgpack.decode),
}


@dataclasses.dataclass
class _Version:
    lock: Lock
    types: dict[str, Any] | None
    problem: str


def prove(old: Lock, new: Lock, changes: list[Change], *, examples: int = EXAMPLES) -> list[Change]:
    """``changes`` with a witness per demonstrated direction; the others are listed as ``possible``.

    A direction claimed as a refusal whose only witness is a misreading (or the
    reverse) is moved to what the witness shows.
    """
    versions = {"backward": (_version(old), _version(new)), "forward": (_version(new), _version(old))}
    proven = []
    for change in changes:
        breaks: list[Direction] = []
        meaning: list[Direction] = []
        witnesses: list[Witness] = []
        possible: list[Direction] = []
        for direction in change.affected:
            writer, reader = versions[direction]
            found = _search(change, direction, writer, reader, examples)
            if isinstance(found, str):
                possible.append(direction)
                (breaks if direction in change.breaks else meaning).append(direction)
                witnesses.append(Witness(direction=direction, codec="", message="", sent="", error=found))
                continue
            witnesses.append(found)
            (breaks if found.error else meaning).append(direction)
        proven.append(
            msgspec.structs.replace(
                change,
                breaks=tuple(breaks),
                meaning=tuple(meaning),
                possible=tuple(possible),
                witnesses=tuple(witnesses),
            )
        )
    return proven


def _version(lock: Lock) -> _Version:
    try:
        return _Version(lock, rebuild_types(lock), "")
    except CodegenError as exc:
        return _Version(lock, None, f"its types cannot be rebuilt from the lock ({exc})")


def _search(change: Change, direction: Direction, writer: _Version, reader: _Version, examples: int) -> Witness | str:
    """A witness, or why none was found."""
    scope = change.scope
    if change.rule == "reserved-name-reused":
        return "the messages that carry a reserved name come from a version before the old lock"
    if scope is None:
        return "no message type to search"
    if writer.types is None or reader.types is None:
        return writer.problem or reader.problem
    try:
        import hypothesis  # noqa: F401  (only to say why no witness can be searched)
    except ImportError:
        return "no witness searched: install burrow-mq[breaking] (hypothesis) to find one"
    if scope.old is None or scope.new is None:
        return _contract_witness(change, direction, writer, reader)
    write_expr, read_expr = (scope.old, scope.new) if direction == "backward" else (scope.new, scope.old)
    write_field, read_field = (
        (scope.old_field, scope.new_field) if direction == "backward" else (scope.new_field, scope.old_field)
    )
    reading = _Reading(
        direction,
        rebuild_type(reader.lock, read_expr, reader.types),
        write_field,
        read_field,
        _names(writer.lock, write_expr, write_field) | _names(reader.lock, read_expr, read_field),
        _field_type(reader, read_expr, read_field) if write_field is not None else None,
        _lenient(reader, read_expr, read_field, _wire_names(writer.lock, write_expr, write_field)),
    )
    return _generate(writer, write_expr, reading, examples, want_error=direction in change.breaks) or (
        f"no {_what(change, direction)} found in {examples} generated values"
    )


def _what(change: Change, direction: Direction) -> str:
    return "message the reader refuses" if direction in change.breaks else "message read with another meaning"


@dataclasses.dataclass
class _Reading:
    """How the reader reads a writer's value, and which errors and fields concern the change."""

    direction: Direction
    reader_type: Any
    write_field: str | None
    read_field: str | None
    names: set[str]
    field_type: Any = None
    lenient_type: Any = None

    def witness(self, value: Any) -> tuple[Witness | None, Witness | None]:
        """(refusal, misreading) witnesses for one value, in any codec."""
        refused = misread = None
        for codec, (encode, decode) in _CODECS.items():
            body = encode(value)
            try:
                read = decode(body, type=self.reader_type)
            except msgspec.ValidationError as exc:
                if self._concerns(str(exc)):
                    refused = refused or self._make(codec, body, value, error=str(exc))
                    continue
                own, lenient_read = self._behind(decode, body)
                if own:
                    refused = refused or self._make(codec, body, value, error=own, first=str(exc))
                elif lenient_read is not None and not self._same(value, lenient_read):
                    # A change of meaning behind another field's refusal.
                    misread = misread or self._make(codec, body, value, read=rendered(lenient_read), first=str(exc))
                elif self.field_type is not None:
                    # msgspec reports the first error only: another field's may hide this one's,
                    # so the field's own value is read alone.
                    alone, misread_alone = self._alone(codec, getattr(value, self.write_field or ""))
                    refused, misread = refused or alone, misread or misread_alone
                continue
            if misread is None and not self._same(value, read):
                misread = self._make(codec, body, value, read=rendered(read))
        return refused, misread

    def _behind(self, decode: Callable[..., Any], body: bytes) -> tuple[str, Any]:
        """The change's own error behind another field's, or what the change's field reads,
        from a reader lenient about every other field."""
        if self.lenient_type is None or (self.write_field is None and self.read_field is None):
            return "", None
        try:
            return "", decode(body, type=self.lenient_type)
        except msgspec.ValidationError as exc:
            return (str(exc) if self._concerns(str(exc)) else ""), None

    def _alone(self, codec: str, value: Any) -> tuple[Witness | None, Witness | None]:
        encode, decode = _CODECS[codec]
        body = encode(value)
        try:
            read = decode(body, type=self.field_type)
        except msgspec.ValidationError as exc:
            return self._make(codec, body, value, error=str(exc), field=self.read_field or ""), None
        if same_meaning(value, read):
            return None, None
        return None, self._make(codec, body, value, read=rendered(read), field=self.read_field or "")

    def _concerns(self, error: str) -> bool:
        if not self.names:
            return True  # a change to the whole type: any refusal shows it
        for name in self.names:
            if f"`{name}`" in error or re.search(rf"\$\.{re.escape(name)}(?![\w])", error):
                return True
            if name.startswith("[") and re.search(rf"`\${re.escape(name)}", error):
                return True
        return "`array` of" in error and any(name.startswith("[") for name in self.names)

    def _same(self, written: Any, read: Any) -> bool:
        if self.write_field is None and self.read_field is None:
            return same_meaning(written, read)
        if self.write_field is None or self.read_field is None:
            return True  # a field one side lacks carries no meaning across
        return same_meaning(getattr(written, self.write_field), getattr(read, self.read_field))

    def _make(
        self,
        codec: str,
        body: bytes,
        value: Any,
        *,
        error: str = "",
        read: str = "",
        field: str = "",
        first: str = "",
    ) -> Witness:
        message = body.decode() if codec == "json" else body.hex()
        return Witness(
            direction=self.direction,
            codec=codec,
            message=message,
            sent=rendered(value),
            error=error,
            first=first,
            read=read,
            field=field,
        )


def _generate(
    writer: _Version, expr: TypeExpr, reading: _Reading, examples: int, *, want_error: bool
) -> Witness | None:
    """The first witness of the wanted kind in derandomized generated values, else the other kind, else None."""
    from burrow.codegen._breaking._samples import values
    from hypothesis import HealthCheck, Phase, given, settings

    assert writer.types is not None
    found: dict[str, Witness] = {}

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=True,
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=list(HealthCheck),
    )
    @given(values(writer.lock, writer.types, expr))
    def search(value: Any) -> None:
        refused, misread = reading.witness(value)
        for kind, witness in (("error", refused), ("read", misread)):
            if witness is not None:
                found.setdefault(kind, witness)
        if ("error" if want_error else "read") in found:
            raise _Found

    with contextlib.suppress(_Found):
        search()
    return found.get("error" if want_error else "read") or found.get("read" if want_error else "error")


class _Found(Exception):
    """Stops the search at the first witness of the wanted kind."""


def _field_type(reader: _Version, expr: TypeExpr, field: str | None) -> Any:
    """The reader's rebuilt type of one field (None when the reader has no such field)."""
    if field is None or not isinstance(expr, RefType):
        return None
    definition = reader.lock.types[expr.name]
    assert isinstance(definition, StructDef)
    found = next((f for f in definition.fields if f.name == field), None)
    return None if found is None else rebuild_type(reader.lock, found.type, reader.types)


def _wire_names(lock: Lock, expr: TypeExpr, field: str | None) -> list[str]:
    """The wire names a writer's Struct sends, but the one of the change's own ``field``."""
    definition = lock.types.get(expr.name) if isinstance(expr, RefType) else None
    if not isinstance(definition, StructDef) or definition.array_like:
        return []
    return [f.wire_name for f in definition.fields if f.name != field]


def _lenient(reader: _Version, expr: TypeExpr, field: str | None, written: list[str]) -> Any:
    """The reader's Struct with every field but ``field`` optional and of any type (None for a whole-type change).

    It also declares the writer's other keys, so that it refuses exactly what the real
    reader refuses because of ``field``, its options (``forbid_unknown_fields``,
    ``array_like``, the tag) included.
    """
    if not isinstance(expr, RefType) or not isinstance(reader.lock.types.get(expr.name), StructDef):
        return None
    definition = reader.lock.types[expr.name]
    assert isinstance(definition, StructDef)
    anything = ScalarType(name="any")
    fields = [
        f if f.name == field else FieldDef(name=f.name, wire_name=f.wire_name, type=anything, required=False)
        for f in definition.fields
    ]
    known = {f.wire_name for f in fields}
    fields += [
        FieldDef(name=f"_written_{i}", wire_name=wire, type=anything, required=False)
        for i, wire in enumerate(written)
        if wire not in known
    ]
    lenient = msgspec.structs.replace(definition, fields=fields)
    lock = msgspec.structs.replace(reader.lock, types={**reader.lock.types, expr.name: lenient})
    built = {name: kind for name, kind in (reader.types or {}).items() if name != expr.name}
    return rebuild_type(lock, expr, built)


def _names(lock: Lock, expr: TypeExpr, field: str | None) -> set[str]:
    """What a reader's error calls the field: its wire name, or ``[i]`` for an ``array_like`` position."""
    if field is None or not isinstance(expr, RefType):
        return set()
    definition = lock.types[expr.name]
    assert isinstance(definition, StructDef)
    for index, candidate in enumerate(definition.fields):
        if candidate.name == field:
            return {f"[{index}]"} if definition.array_like else {candidate.wire_name}
    return set()


def _contract_witness(change: Change, direction: Direction, writer: _Version, reader: _Version) -> Witness | str:
    """A request (or declared error) of the writer, and what the reader's routing or reply handling does."""
    scope = change.scope
    assert scope is not None
    assert scope.contract is not None
    assert writer.types is not None
    sent = _find(writer.lock, change.service, scope.contract)
    if sent is None:
        return "the writer has no such contract"
    if change.rule in ("error-added", "error-removed"):
        name = (change.new if change.rule == "error-added" else change.old).split(" ")[0]
        value = _example(writer, RefType(name=name))
        envelope = {"code": "declared", "type": name, "message": "", "data": value}
        error = f"the reader does not declare {name}: it raises an untyped RemoteError"
        return _plain(direction, envelope, error)
    routed = _routing_error(sent, reader.lock, change.service)
    if routed is None:
        return "the reader routes and serves the writer's message"
    return _plain(direction, _example(writer, RefType(name=sent.request)), routed)


def _routing_error(sent: ContractDef, reader: Lock, service: str) -> str | None:
    """What happens to a request published for ``sent`` on the reader's side (None: it is served)."""
    try:
        consumed = reader.service(service).contracts
    except KeyError:
        consumed = []
    served = [c for c in consumed if c.routing_key == sent.routing_key]
    if not served:
        if any(c.queue == sent.queue for c in consumed):
            return (
                f"the reader's workers consume {sent.queue} but serve no contract at {sent.routing_key}: "
                "they dead-letter it as unknown-contract"
            )
        return f"the reader binds no queue to {sent.routing_key}: the message is unroutable or never consumed"
    if served[0].queue != sent.queue:
        return f"the reader consumes {served[0].queue}; the message waits in {sent.queue}"
    if served[0].kind != sent.kind:
        return f"the reader serves a {served[0].kind}; the message is a {sent.kind}"
    return None


def _find(lock: Lock, service: str, name: str) -> ContractDef | None:
    try:
        return next((c for c in lock.service(service).contracts if c.name == name), None)
    except KeyError:
        return None


def _example(version: _Version, expr: TypeExpr) -> Any:
    from burrow.codegen._breaking._samples import values
    from hypothesis import HealthCheck, Phase, given, settings

    assert version.types is not None
    drawn: list[Any] = []

    @settings(
        max_examples=1,
        database=None,
        deadline=None,
        derandomize=True,
        phases=(Phase.generate,),
        suppress_health_check=list(HealthCheck),
    )
    @given(values(version.lock, version.types, expr))
    def draw(value: Any) -> None:
        drawn.append(value)

    draw()
    return drawn[0]


def _plain(direction: Direction, value: Any, error: str) -> Witness:
    body = msgspec.json.encode(value)
    return Witness(direction=direction, codec="json", message=body.decode(), sent=body.decode(), error=error)


def rendered(value: Any) -> str:
    """A value as JSON text with every Struct field (by wire name), defaults and ``UNSET`` included."""
    try:
        return msgspec.json.encode(_plain_data(value)).decode()
    except (TypeError, msgspec.EncodeError):
        return repr(value)


def _plain_data(value: Any) -> Any:
    if isinstance(value, msgspec.Struct):
        return {f.encode_name: _plain_data(getattr(value, f.name)) for f in msgspec.structs.fields(value)}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain_data(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain_data(item) for key, item in value.items()}
    return "UNSET" if value is msgspec.UNSET else value
