"""The in-memory transport behaves like RabbitMQ where a user's test can tell the difference."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from burrow.sdk import (
    BindingSpec,
    Client,
    ClientStateError,
    Delivery,
    ExchangeSpec,
    MemoryBroker,
    MemoryTransport,
    OutgoingMessage,
    QueueSpec,
    Topology,
    TopologyError,
    TopologySpec,
    Unroutable,
)

from contracts.cleanup import DeleteFile, cleanup

TOPOLOGY = TopologySpec(
    exchanges=(ExchangeSpec("burrow"),),
    queues=(QueueSpec("cleanup"), QueueSpec("audit")),
    bindings=(
        BindingSpec(queue="cleanup", exchange="burrow", routing_key="cleanup.delete_file"),
        BindingSpec(queue="audit", exchange="burrow", routing_key="cleanup.delete_file"),
        BindingSpec(queue="audit", exchange="burrow", routing_key="audit.record"),
    ),
)


def message(routing_key: str = "cleanup.delete_file", body: bytes = b"{}", exchange: str = "burrow") -> OutgoingMessage:
    return OutgoingMessage(
        exchange=exchange, routing_key=routing_key, body=body, type=routing_key, message_id=body.hex()
    )


class Inbox:
    """Collects deliveries; the test settles them."""

    def __init__(self) -> None:
        self.deliveries: asyncio.Queue[Delivery] = asyncio.Queue()

    async def __call__(self, delivery: Delivery) -> None:
        await self.deliveries.put(delivery)

    async def next(self) -> Delivery:
        return await asyncio.wait_for(self.deliveries.get(), 1)


@pytest.fixture
async def broker() -> MemoryBroker:
    return MemoryBroker()


@pytest.fixture
async def transport(broker: MemoryBroker) -> AsyncIterator[MemoryTransport]:
    transport = broker.transport()
    await transport.open()
    await transport.declare(TOPOLOGY)
    yield transport
    await transport.close()


async def test_a_message_goes_to_every_queue_bound_to_its_routing_key(
    broker: MemoryBroker, transport: MemoryTransport
) -> None:
    await transport.publish(message("cleanup.delete_file", b"1"))
    await transport.publish(message("audit.record", b"2"))
    await transport.publish(message("cleanup", b"3", exchange=""))  # the default exchange routes by queue name
    assert [m.body for m in broker.messages("cleanup")] == [b"1", b"3"]
    assert [m.body for m in broker.messages("audit")] == [b"1", b"2"]
    assert [m.body for m in broker.published] == [b"1", b"2", b"3"]


async def test_a_message_no_queue_is_bound_for_is_unroutable(broker: MemoryBroker, transport: MemoryTransport) -> None:
    with pytest.raises(Unroutable) as caught:
        await transport.publish(message("cleanup.shred_file"))
    assert (caught.value.exchange, caught.value.routing_key) == ("burrow", "cleanup.shred_file")
    with pytest.raises(Unroutable):
        await transport.publish(message("no-such-queue", exchange=""))
    assert broker.published == []


async def test_publishing_to_a_missing_exchange_is_a_topology_error(transport: MemoryTransport) -> None:
    with pytest.raises(TopologyError, match=r"^no exchange 'elsewhere' \(NOT_FOUND on RabbitMQ\)$"):
        await transport.publish(message(exchange="elsewhere"))


async def test_a_consumer_holds_at_most_prefetch_unsettled_deliveries(
    broker: MemoryBroker, transport: MemoryTransport
) -> None:
    for i in range(5):
        await transport.publish(message(body=str(i).encode()))
    inbox = Inbox()
    await transport.consume(QueueSpec("cleanup"), inbox, prefetch=2)
    first, second = await inbox.next(), await inbox.next()
    assert inbox.deliveries.empty()
    assert len(broker.messages("cleanup")) == 3

    await first.ack()
    third = await inbox.next()
    assert [d.body for d in (first, second, third)] == [b"0", b"1", b"2"]
    assert inbox.deliveries.empty()


async def test_a_rejected_delivery_is_requeued_at_the_head_and_marked_redelivered(
    broker: MemoryBroker, transport: MemoryTransport
) -> None:
    for i in range(2):
        await transport.publish(message(body=str(i).encode()))
    inbox = Inbox()
    await transport.consume(QueueSpec("cleanup"), inbox, prefetch=1)
    first = await inbox.next()
    assert first.redelivered is False
    await first.reject(requeue=True)
    again = await inbox.next()
    assert (again.body, again.redelivered) == (b"0", True)
    await again.reject(requeue=False)  # dropped, like basic.reject without requeue
    assert (await inbox.next()).body == b"1"


async def test_a_delivery_is_settled_once(transport: MemoryTransport) -> None:
    await transport.publish(message())
    inbox = Inbox()
    await transport.consume(QueueSpec("cleanup"), inbox, prefetch=1)
    delivery = await inbox.next()
    await delivery.ack()
    with pytest.raises(ClientStateError, match="was already settled"):
        await delivery.ack()


async def test_closing_a_connection_returns_its_unsettled_deliveries(broker: MemoryBroker) -> None:
    consumer = broker.transport()
    await consumer.open()
    await consumer.declare(TOPOLOGY)
    for i in range(3):
        await consumer.publish(message(body=str(i).encode()))
    inbox = Inbox()
    await consumer.consume(QueueSpec("cleanup"), inbox, prefetch=1)
    await (await inbox.next()).ack()
    await inbox.next()  # delivered, never settled
    await consumer.close()

    assert [m.body for m in broker.messages("cleanup")] == [b"1", b"2"]
    other = broker.transport()
    await other.open()
    again = Inbox()
    await other.consume(QueueSpec("cleanup"), again, prefetch=5)
    redelivered = [await again.next(), await again.next()]
    assert [(d.body, d.redelivered) for d in redelivered] == [(b"1", True), (b"2", False)]
    await other.close()


async def test_a_cancelled_consumer_gets_nothing_new(transport: MemoryTransport) -> None:
    inbox = Inbox()
    subscription = await transport.consume(QueueSpec("cleanup"), inbox, prefetch=5)
    await subscription.cancel()
    await transport.publish(message())
    await asyncio.sleep(0)
    assert inbox.deliveries.empty()


async def test_a_queue_redeclared_with_other_arguments_is_refused(transport: MemoryTransport) -> None:
    classic, quorum = Topology(queue_type="classic"), Topology(queue_type="quorum")
    await transport.declare(classic.service(cleanup))
    await transport.declare(TopologySpec(queues=(QueueSpec("cleanup", arguments={"x-queue-type": "classic"}),)))
    with pytest.raises(TopologyError) as caught:
        await transport.declare(quorum.service(cleanup))
    assert str(caught.value) == (
        "queue 'cleanup' exists without the quorum arguments Burrow declares by default (the broker said: "
        "inequivalent arg 'x-dead-letter-exchange' for queue 'cleanup' in vhost '/': received '' but "
        "current is none); it was probably declared by an earlier version, as a classic queue (the default then) "
        "or without a delivery limit, and a queue's type and arguments cannot change in place. "
        'See docs/deploy.md, "Moving from classic to quorum queues"'
    )
    assert caught.value.hint == (
        'keep it with Topology(queue_type="classic") on every client and worker, or migrate '
        '(docs/deploy.md, "Moving from classic to quorum queues")'
    )


async def test_a_classic_declaration_of_a_quorum_queue_is_refused() -> None:
    transport = MemoryBroker().transport()
    await transport.open()
    await transport.declare(Topology().service(cleanup))
    with pytest.raises(TopologyError) as caught:
        await transport.declare(Topology(queue_type="classic").service(cleanup))
    assert str(caught.value) == (
        "queue 'cleanup' is a quorum queue, but this declaration is for a classic one (the broker said: "
        "inequivalent arg 'x-dead-letter-exchange' for queue 'cleanup' in vhost '/': received none but current "
        "is '')"
    )


async def test_another_delivery_limit_is_refused() -> None:
    transport = MemoryBroker().transport()
    await transport.open()
    await transport.declare(Topology().service(cleanup))
    with pytest.raises(TopologyError) as caught:
        await transport.declare(TopologySpec(queues=(Topology(delivery_limit=9).work_queue(cleanup, "cleanup"),)))
    assert str(caught.value) == (
        "queue 'cleanup' exists with another delivery limit (the broker said: inequivalent arg 'x-delivery-limit' "
        "for queue 'cleanup' in vhost '/': received '9' but current is '5'); a quorum queue's arguments cannot "
        "change in place"
    )


async def test_an_exchange_redeclared_with_another_type_is_refused(transport: MemoryTransport) -> None:
    with pytest.raises(TopologyError, match=r"^exchange 'burrow' exists with other settings"):
        await transport.declare(TopologySpec(exchanges=(ExchangeSpec("burrow", "topic"),)))


async def test_a_closed_transport_refuses_work(broker: MemoryBroker) -> None:
    transport = broker.transport()
    with pytest.raises(ClientStateError, match="the transport is not open"):
        await transport.publish(message())
    await transport.open()
    with pytest.raises(ClientStateError, match="the transport is already open"):
        await transport.open()
    await transport.close()
    with pytest.raises(ClientStateError, match="the transport is not open"):
        await transport.declare(TOPOLOGY)


async def test_a_client_declares_its_service_on_the_broker(broker: MemoryBroker) -> None:
    async with Client(broker.transport()) as client:
        await client.send(DeleteFile(path="/tmp/x"))
    assert [m.type for m in broker.messages("cleanup")] == ["cleanup.delete_file"]
    assert broker.queue_names() == ["cleanup", "cleanup.dead"]
