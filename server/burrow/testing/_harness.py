"""An in-process worker and client on one in-memory broker, for users' tests.

    async with burrow_harness(lambda worker: bind_cleanup(worker, Cleanup())) as h:
        await h.client.send(DeleteFile(path="x"))
        await h.drain()
        assert h.sent(DeleteFile) == [DeleteFile(path="x")]

Nothing is mocked: messages are encoded, routed, decoded, retried and
dead-lettered by the same code as on RabbitMQ, through ``MemoryTransport``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Generic, TypeVar, overload

from burrow.sdk._client import Client
from burrow.sdk._contract import Contract, Service, contract_info
from burrow.sdk._memory import MemoryBroker
from burrow.sdk._memory_delay import ManualClock
from burrow.sdk._topology import Topology
from burrow.sdk._transport import OutgoingMessage
from burrow.server._worker import Worker

__all__ = ["Harness", "burrow_harness"]

ClientT = TypeVar("ClientT", bound=Client)
ContractT = TypeVar("ContractT", bound=Contract)


class Harness(Generic[ClientT]):
    """A running worker and an open client sharing one ``MemoryBroker``.

    Attributes:
        broker: the broker, for what the helpers below do not cover.
        client: an open client (the generated one when ``client=`` was given).
        worker: the started worker, with the handlers ``bind`` put on it.
    """

    def __init__(self, broker: MemoryBroker, client: ClientT, worker: Worker, topology: Topology) -> None:
        self.broker = broker
        self.client = client
        self.worker = worker
        self._topology = topology

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until every queue the worker serves is empty and no handler is running.

        Delayed messages not yet due stay delayed: move a manual clock with ``advance``.
        """
        await self.broker.drain(timeout)

    async def advance(self, seconds: float) -> int:
        """Move the manual clock forward, then ``drain()``; return how many delayed messages came due."""
        released = self.broker.advance(seconds)
        await self.drain()
        return released

    def sent(self, contract: type[ContractT]) -> list[ContractT]:
        """Every message of ``contract`` published so far, decoded, once each, in send order.

        Delayed messages count from when they were sent; a retry is not a new message.
        """
        info = contract_info(contract)
        seen: set[str] = set()
        found: list[ContractT] = []
        for message in [*self.broker.published, *self.broker.delayed()]:
            is_reply = message.correlation_id is not None and message.reply_to is None
            if message.type != info.wire_name or message.message_id in seen or is_reply:
                continue
            seen.add(message.message_id)
            found.append(_decoded(contract, message))
        return found

    def delayed(self, contract: type[ContractT]) -> list[ContractT]:
        """Messages of ``contract`` waiting for their due time, soonest first."""
        info = contract_info(contract)
        return [_decoded(contract, message) for message in self.broker.delayed() if message.type == info.wire_name]

    def dead_letters(self, service: Service) -> list[OutgoingMessage]:
        """The messages in ``service``'s dead-letter queue; ``headers`` say why each is there."""
        return self.broker.messages(self._topology.dead_letter_queue(service).name)


def _decoded(contract: type[ContractT], message: OutgoingMessage) -> ContractT:
    decoded = contract_info(contract).decode(message.body, message.content_type)
    assert isinstance(decoded, contract)
    return decoded


@overload
def burrow_harness(
    bind: Callable[[Worker], Any],
    *,
    clock: ManualClock | None = None,
    topology: Topology | None = None,
) -> AbstractAsyncContextManager[Harness[Client]]: ...


@overload
def burrow_harness(
    bind: Callable[[Worker], Any],
    *,
    client: type[ClientT],
    clock: ManualClock | None = None,
    topology: Topology | None = None,
) -> AbstractAsyncContextManager[Harness[ClientT]]: ...


def burrow_harness(
    bind: Callable[[Worker], Any],
    *,
    client: type[Client] = Client,
    clock: ManualClock | None = None,
    topology: Topology | None = None,
) -> AbstractAsyncContextManager[Harness[Any]]:
    """Run a worker and a client in-process on a fresh ``MemoryBroker``.

    Args:
        bind: puts the handlers on the worker, e.g. ``lambda w: bind_cleanup(w, Cleanup())``
            or ``lambda w: w.bind(DeleteFile, delete_file)``.
        client: the client class; pass a generated ``Client``
            to reach services as ``h.client.cleanup.delete_file(...)``.
        clock: a ``ManualClock`` holds delayed messages and retries until ``h.advance()``;
            without one they wait in real time.
        topology: exchange and queue settings, when the service uses non-default ones.

    On exit the worker stops gracefully and the client closes.
    """
    return _harness(bind, client, clock, topology or Topology())


@asynccontextmanager
async def _harness(
    bind: Callable[[Worker], Any],
    make_client: type[Client],
    clock: ManualClock | None,
    topology: Topology,
) -> AsyncIterator[Harness[Any]]:
    broker = MemoryBroker(clock=clock)
    worker = Worker(transport=broker.transport(), topology=topology, name="burrow-harness-worker")
    bind(worker)
    made = make_client(broker.transport(), topology=topology)
    async with worker, made as opened:
        yield Harness(broker, opened, worker, topology)
