"""What a send promises on RabbitMQ only (the rest is in tests/conformance/test_sending.py)."""

from __future__ import annotations

import aio_pika
import pytest
from burrow.sdk import AmqpTransport, Client, TopologyError, Unroutable

from contracts.cleanup import DeleteFile
from tests.integration._raw import drain, raw_channel


async def test_a_sent_task_is_stored_persistently(amqp_url: str) -> None:
    async with Client.connect(amqp_url, app_id="uploads") as client:
        await client.send(DeleteFile(path="/tmp/a"))
    (message,) = await drain(amqp_url, "cleanup")
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT


async def test_a_send_after_the_queue_was_deleted_raises_unroutable_without_declarations(amqp_url: str) -> None:
    # A client that declares declares again instead (tests/integration/test_deleted_queue.py).
    async with Client.connect(amqp_url) as declaring:
        await declaring.send(DeleteFile(path="/tmp/a"))
    async with Client(AmqpTransport(amqp_url), declare=False) as client:
        await client.send(DeleteFile(path="/tmp/b"))
        async with raw_channel(amqp_url) as channel:
            await channel.queue_delete("cleanup")
        with pytest.raises(Unroutable):
            await client.send(DeleteFile(path="/tmp/c"))


async def test_a_send_to_a_missing_exchange_raises_and_the_client_recovers(amqp_url: str) -> None:
    async with Client(AmqpTransport(amqp_url), declare=False) as client:
        with pytest.raises(TopologyError, match="NOT_FOUND"):
            await client.send(DeleteFile(path="/tmp/a"))
        async with raw_channel(amqp_url) as channel:
            await channel.declare_exchange("burrow", aio_pika.ExchangeType.DIRECT, durable=True)
            queue = await channel.declare_queue("cleanup", durable=True)
            await queue.bind("burrow", "cleanup.delete_file")
        await client.send(DeleteFile(path="/tmp/b"))
    assert [message.body for message in await drain(amqp_url, "cleanup")] == [b'{"path":"/tmp/b"}']
