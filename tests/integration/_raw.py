"""Raw aio-pika helpers: reach the broker around Burrow, as another program would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aio_pika
import aio_pika.abc

WAIT = 30.0  # seconds; generous because the machine is shared


@asynccontextmanager
async def raw_channel(url: str) -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    connection = await aio_pika.connect(url)
    try:
        yield await connection.channel()
    finally:
        await connection.close()


async def publish_raw(
    url: str,
    queue: str,
    body: bytes,
    *,
    type: str | None,
    content_type: str = "application/json",
    message_id: str = "raw-1",
) -> None:
    """Publish straight to ``queue`` through the default exchange, as a foreign program might."""
    async with raw_channel(url) as channel:
        message = aio_pika.Message(body, type=type, content_type=content_type, message_id=message_id)
        await channel.default_exchange.publish(message, routing_key=queue)


async def message_count(url: str, queue: str) -> int:
    """Messages ready in ``queue`` (a passive declare; no management-API lag)."""
    async with raw_channel(url) as channel:
        declared = await channel.declare_queue(queue, passive=True)
        count = declared.declaration_result.message_count
        assert count is not None
        return count


async def next_message(url: str, queue: str) -> aio_pika.abc.AbstractIncomingMessage:
    """Wait for the next message in ``queue`` and ack it."""
    async with raw_channel(url) as channel:
        declared = await channel.declare_queue(queue, passive=True)
        async with declared.iterator() as messages:
            message = await asyncio.wait_for(anext(messages), WAIT)
            await message.ack()
            return message


async def drain(url: str, queue: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Take every message ready in ``queue`` (acking them)."""
    found: list[aio_pika.abc.AbstractIncomingMessage] = []
    async with raw_channel(url) as channel:
        declared = await channel.declare_queue(queue, passive=True)
        while (message := await declared.get(fail=False)) is not None:
            await message.ack()
            found.append(message)
    return found


def header(message: aio_pika.abc.AbstractIncomingMessage, name: str) -> Any:
    value = message.headers.get(name)
    return value.decode() if isinstance(value, bytes) else value
