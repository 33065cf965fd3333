"""Try messages across versions: does a reader read what a writer wrote?"""

from __future__ import annotations

from burrow.codegen import RefType
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.breaking._case import Probe
from tests.breaking._strategies import values
from tests.breaking._wire import CODECS, Message, Side, Unreadable, same_meaning

__all__ = ["assert_reads_everything", "breaks", "messages", "probe", "refuses"]


def probe(witness: Probe, reader: Side) -> tuple[Message, Side]:
    """A witness's message and its reader (``reader`` unless the witness names another)."""
    return witness if isinstance(witness, tuple) else (witness, reader)


def breaks(message: Message, reader: Side) -> bool:
    """True when, in some codec, the reader refuses the message or reads another value."""
    for codec in CODECS:
        try:
            value = reader.read(message, codec)
        except Unreadable:
            return True
        if not same_meaning(message.value, value):
            return True
    return False


def refuses(message: Message, reader: Side) -> bool:
    """True when the reader refuses the message in some codec."""
    for codec in CODECS:
        try:
            reader.read(message, codec)
        except Unreadable:
            return True
    return False


def assert_reads_everything(writer: Side, reader: Side, *, examples: int = 60) -> None:
    """Generated requests, results and declared errors of every contract both sides share
    are read with the same meaning, in both codecs."""
    for message in messages(writer, reader, examples):
        assert not breaks(message, reader), f"{reader.label} misreads {message.value!r} from {writer.label}"


def messages(writer: Side, reader: Side, examples: int) -> list[Message]:
    """Generated requests, results and declared errors of every contract both sides share."""
    strategies: list[st.SearchStrategy[Message]] = []
    for service in writer.lock.services:
        for contract in service.contracts:
            if reader.find(service.name, contract.name) is None:
                continue  # a contract one side lacks is a contract-level rule's business
            strategies += _contract_messages(writer, service.name, contract.name)
    return _draw(st.one_of(*strategies), examples) if strategies else []


def _contract_messages(writer: Side, service: str, name: str) -> list[st.SearchStrategy[Message]]:
    contract, lock, types = writer.contract(name, service), writer.lock, writer.types
    found = [values(lock, types, RefType(name=contract.request)).map(lambda v: writer.request_value(name, v, service))]
    if contract.result is not None:
        found.append(values(lock, types, contract.result).map(lambda v: writer.result(name, v, service)))
    for error in contract.errors:
        found.append(values(lock, types, RefType(name=error)).map(lambda v: writer.error_value(name, v, service)))
    return found


def _draw(strategy: st.SearchStrategy[Message], examples: int) -> list[Message]:
    drawn: list[Message] = []

    # Derandomized: the same examples on every run, so CI never flakes on a lucky draw.
    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(message: Message) -> None:
        drawn.append(message)

    collect()
    return drawn
