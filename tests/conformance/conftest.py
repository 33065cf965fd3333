"""The ``stack`` fixture: each conformance test runs once per transport.

A test gets a fresh ``MemoryBroker`` or a fresh RabbitMQ vhost behind the same
``Stack`` methods, and observes the broker only through the transport seam, as
a program would. A difference between the two runs is a bug in the in-memory
transport.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from burrow.sdk import AmqpTransport, Client, Delivery, MemoryBroker, OutgoingMessage, Topology, Transport
from burrow.server import Worker

WAIT = 30.0  # seconds; generous because the machine is shared


class Stack:
    """Clients, workers and raw access to one broker: a RabbitMQ vhost or a ``MemoryBroker``."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self.memory = MemoryBroker() if url is None else None

    def transport(self) -> Transport:
        if self.memory is not None:
            return self.memory.transport()
        assert self.url is not None
        return AmqpTransport(self.url)

    def client(self, *, declare: bool = True, app_id: str | None = None, topology: Topology | None = None) -> Client:
        return Client(self.transport(), declare=declare, app_id=app_id, topology=topology)

    def worker(self, *, concurrency: int = 32, grace_period: float = 30.0, topology: Topology | None = None) -> Worker:
        return Worker(transport=self.transport(), concurrency=concurrency, grace_period=grace_period, topology=topology)

    async def take_all(self, queue: str) -> list[Delivery]:
        """Take (and ack) every message ready in ``queue``."""
        found: list[Delivery] = []
        transport = self.transport()
        await transport.open()
        try:
            while (delivery := await transport.get(queue)) is not None:
                await delivery.ack()
                found.append(delivery)
        finally:
            await transport.close()
        return found

    async def count(self, queue: str) -> int:
        """Messages ready in ``queue`` (taken and put back, so the count is exact on both)."""
        transport = self.transport()
        await transport.open()
        held: list[Delivery] = []
        try:
            while (delivery := await transport.get(queue)) is not None:
                held.append(delivery)
            for delivery in held:
                await delivery.reject(requeue=True)
        finally:
            await transport.close()
        return len(held)

    async def next_message(self, queue: str) -> Delivery:
        """Wait for the next message to arrive in ``queue`` and ack it.

        Polls with ``get`` rather than consuming: a consumer would declare the
        queue, and its type and arguments are the topology's business.
        """
        transport = self.transport()
        await transport.open()
        try:
            async with asyncio.timeout(WAIT):
                while (delivery := await transport.get(queue)) is None:  # noqa: ASYNC110 - polling the broker
                    await asyncio.sleep(0.05)
            await delivery.ack()
            return delivery
        finally:
            await transport.close()

    async def publish_raw(self, message: OutgoingMessage) -> None:
        """Publish around Burrow's client, as another program might."""
        transport = self.transport()
        await transport.open()
        try:
            await transport.publish(message)
        finally:
            await transport.close()


def raw(
    queue: str, body: bytes, *, type: str | None, content_type: str = "application/json", **more: Any
) -> OutgoingMessage:
    """A message for ``queue`` through the default exchange, with only the properties given."""
    return OutgoingMessage(
        exchange="",
        routing_key=queue,
        body=body,
        type=type or "",
        message_id="raw-1",
        content_type=content_type,
        **more,
    )


@pytest.fixture(params=["memory", "rabbitmq"])
def stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    if request.param == "memory":
        yield Stack(None)
    else:
        yield Stack(request.getfixturevalue("amqp_url"))
