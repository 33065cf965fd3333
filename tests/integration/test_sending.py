"""What a send promises: confirmed, or a clear error."""

from __future__ import annotations

import aio_pika
import pytest

from contracts.cleanup import DeleteFile
from sdk import AmqpTransport, Client, TopologyError, Unroutable
from tests.conftest import Vhost
from tests.integration._raw import drain, message_count, raw_channel


async def test_a_sent_task_is_stored_persistently_with_its_properties(amqp_url: str) -> None:
    async with Client.connect(amqp_url, app_id="uploads") as client:
        await client.send(DeleteFile(path="/tmp/a"))
    (message,) = await drain(amqp_url, "cleanup")
    assert message.body == b'{"path":"/tmp/a"}'
    assert message.type == "cleanup.delete_file"
    assert message.routing_key == "cleanup.delete_file"
    assert message.exchange == "burrow"
    assert message.content_type == "application/json"
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.app_id == "uploads"
    assert message.message_id is not None
    assert len(message.message_id) == 32
    assert message.timestamp is not None


async def test_a_send_with_no_queue_bound_raises_unroutable(amqp_url: str) -> None:
    async with raw_channel(amqp_url) as channel:
        await channel.declare_exchange("burrow", aio_pika.ExchangeType.DIRECT, durable=True)

    async with Client(AmqpTransport(amqp_url), declare=False) as client:
        with pytest.raises(Unroutable) as caught:
            await client.send(DeleteFile(path="/tmp/a"))
        assert str(caught.value) == (
            "no queue is bound to exchange 'burrow' for routing key 'cleanup.delete_file'; "
            "the message was returned by the broker and not stored"
        )
        # The client is still usable: once a queue is bound, the same send goes through.
        async with raw_channel(amqp_url) as channel:
            queue = await channel.declare_queue("cleanup", durable=True)
            await queue.bind("burrow", "cleanup.delete_file")
        await client.send(DeleteFile(path="/tmp/a"))
    assert await message_count(amqp_url, "cleanup") == 1


async def test_a_send_after_the_queue_was_deleted_raises_unroutable(amqp_url: str) -> None:
    async with Client.connect(amqp_url) as client:
        await client.send(DeleteFile(path="/tmp/a"))
        async with raw_channel(amqp_url) as channel:
            await channel.queue_delete("cleanup")
        with pytest.raises(Unroutable):
            await client.send(DeleteFile(path="/tmp/b"))


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


async def test_a_client_refuses_a_queue_declared_with_other_arguments(vhost: Vhost) -> None:
    amqp_url = vhost.url
    async with raw_channel(amqp_url) as channel:
        await channel.declare_queue("cleanup", durable=True, arguments={"x-queue-type": "quorum"})

    async with Client.connect(amqp_url) as client:
        with pytest.raises(TopologyError) as caught:
            await client.send(DeleteFile(path="/tmp/a"))
        assert str(caught.value) == (
            "the broker refused declaring the topology: PRECONDITION_FAILED - inequivalent arg 'x-queue-type' "
            f"for queue 'cleanup' in vhost '{vhost.name}': received none but current is the value 'quorum' "
            "of type 'longstr'"
        )
        # Nothing was published, and a second send reports the same problem.
        with pytest.raises(TopologyError, match="PRECONDITION_FAILED"):
            await client.send(DeleteFile(path="/tmp/a"))
    assert await message_count(amqp_url, "cleanup") == 0
