"""A model of what a reader does with a message, built from a lock's rebuilt types.

A ``Side`` is one version of the contracts (a lock): it writes messages with its
own types and reads messages the way a worker (requests) or a caller (replies)
of that version would: find the contract by routing key in the queue it
consumes, check the kind, decode with msgspec. Declared errors are matched by
name, as a reply's error envelope names them. Every message is written in both
codecs (JSON and MessagePack), since a service may use either.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, Literal

import msgspec
from burrow.codegen import ContractDef, Lock, rebuild_type, rebuild_types
from burrow.codegen._breaking._meaning import same_meaning

__all__ = ["CODECS", "Message", "Side", "Unreadable", "same_meaning"]

Part = Literal["request", "result", "error"]
CODECS: dict[str, tuple[Callable[[Any], bytes], Callable[..., Any]]] = {
    "json": (msgspec.json.encode, msgspec.json.decode),
    "msgpack": (msgspec.msgpack.encode, msgspec.msgpack.decode),
}


class Unreadable(Exception):
    """Raised when a reader cannot read a message; the message says why."""


@dataclasses.dataclass(frozen=True)
class Message:
    """A message as one side wrote it: where it goes, what it is, its bodies per codec and its value."""

    part: Part
    service: str
    contract: str
    routing_key: str
    queue: str
    kind: str
    bodies: dict[str, bytes]
    value: Any
    error: str = ""


class Side:
    def __init__(self, lock: Lock, label: str) -> None:
        self.lock = lock
        self.label = label
        self.types = rebuild_types(lock)

    def contract(self, name: str, service: str = "fx") -> ContractDef:
        return next(c for c in self.lock.service(service).contracts if c.name == name)

    def find(self, service: str, name: str) -> ContractDef | None:
        try:
            return self.contract(name, service)
        except (KeyError, StopIteration):
            return None

    # Writing ---------------------------------------------------------------

    def request(self, contract: str, /, **fields: Any) -> Message:
        return self.request_value(contract, self.types[self.contract(contract).request](**fields))

    def request_value(self, contract: str, value: Any, service: str = "fx") -> Message:
        c = self.contract(contract, service)
        return self._message("request", c, service, value)

    def raw_request(self, contract: str, data: Any) -> Message:
        """A request as any writer may send it (e.g. leaving out an optional field); it must fit this side."""
        c = self.contract(contract)
        bodies = {name: encode(data) for name, (encode, _) in CODECS.items()}
        value = msgspec.json.decode(bodies["json"], type=self.types[c.request])
        return Message("request", "fx", c.name, c.routing_key, c.queue, c.kind, bodies, value)

    def decode_request(self, contract: str, message: str, codec: str) -> Any:
        """A request this side wrote, from a report's witness (JSON text or MessagePack hex)."""
        body = message.encode() if codec == "json" else bytes.fromhex(message)
        return CODECS[codec][1](body, type=self.types[self.contract(contract).request])

    def result(self, contract: str, value: Any, service: str = "fx") -> Message:
        return self._message("result", self.contract(contract, service), service, value)

    def error(self, contract: str, name: str, /, **fields: Any) -> Message:
        return self.error_value(contract, self.types[name](**fields))

    def error_value(self, contract: str, value: Any, service: str = "fx") -> Message:
        envelope = {"code": "declared", "type": type(value).__name__, "message": "", "data": value}
        c = self.contract(contract, service)
        bodies = {name: encode(envelope) for name, (encode, _) in CODECS.items()}
        return Message("error", service, c.name, c.routing_key, c.queue, c.kind, bodies, value, type(value).__name__)

    def _message(self, part: Part, c: ContractDef, service: str, value: Any) -> Message:
        bodies = {name: encode(value) for name, (encode, _) in CODECS.items()}
        return Message(part, service, c.name, c.routing_key, c.queue, c.kind, bodies, value)

    # Reading ---------------------------------------------------------------

    def read(self, message: Message, codec: str) -> Any:
        """The value this side reads from ``message``; raises ``Unreadable`` saying why not."""
        decode = CODECS[codec][1]
        if message.part == "request":
            return self._read_request(message, message.bodies[codec], decode)
        c = self.find(message.service, message.contract)
        if c is None or c.kind != "call":
            raise Unreadable(f"{self.label} made no call {message.service}.{message.contract}")
        if message.part == "result":
            assert c.result is not None
            return _decode(decode, message.bodies[codec], rebuild_type(self.lock, c.result, self.types))
        envelope = decode(message.bodies[codec])
        if envelope["type"] not in c.errors:
            raise Unreadable(f"{self.label} does not declare {envelope['type']}: an untyped RemoteError")
        try:
            return msgspec.convert(envelope["data"], self.types[envelope["type"]])
        except msgspec.ValidationError as exc:
            raise Unreadable(str(exc)) from exc

    def _read_request(self, message: Message, body: bytes, decode: Callable[..., Any]) -> Any:
        served = [c for s in self.lock.services for c in s.contracts if c.routing_key == message.routing_key]
        if not served:
            raise Unreadable(f"{self.label} binds no queue to {message.routing_key}: unroutable or never consumed")
        c = served[0]
        if c.queue != message.queue:
            raise Unreadable(f"{self.label} consumes {c.queue}; the message waits in {message.queue}")
        if c.kind != message.kind:
            raise Unreadable(f"{self.label} serves a {c.kind}; the message is a {message.kind}")
        return _decode(decode, body, self.types[c.request])


def _decode(decode: Callable[..., Any], body: bytes, kind: Any) -> Any:
    try:
        return decode(body, type=kind)
    except msgspec.ValidationError as exc:
        raise Unreadable(str(exc)) from exc
