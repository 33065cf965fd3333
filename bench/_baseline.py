"""The baseline: the leanest raw aio-pika producer and consumer we could write.

Persistent messages, ``mandatory``, publisher confirms pipelined (a sliding
window of ``WINDOW`` publishes in flight, or every publish at once), msgspec
encoding, a tuned prefetch and a manual ack after a trivial handler: the same
guarantees Burrow gives, with nothing else.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import aio_pika
import msgspec
from aiormq.abc import DeliveredMessage
from pamqp.commands import Basic

from bench._contract import EXCHANGE, QUEUES, ROUTING_KEY, TYPE, Touch

__all__ = ["WINDOW", "consume", "produce", "produce_windowed"]

WINDOW = 256


def _properties() -> Basic.Properties:
    # A fresh object per publish: aiormq writes a generated message_id into the
    # properties it is given, and matches returned (unroutable) messages to their
    # publish by that id. One shared object would send 20,000 messages with the
    # same id, which is cheaper but breaks ``mandatory``: not the same work.
    return Basic.Properties(delivery_mode=2, content_type="application/json", message_type=TYPE)


async def produce(url: str, count: int) -> tuple[float, float, float]:
    """Publish ``count`` tasks; return (start, end, CPU seconds) of the publishing phase."""
    encode = msgspec.json.Encoder().encode
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        raw = await channel.get_underlay_channel()
        cpu, start = time.process_time(), time.monotonic()
        await asyncio.gather(
            *(
                raw.basic_publish(
                    encode(Touch(index=index, path=f"/tmp/bench/{index}.png")),
                    exchange=EXCHANGE,
                    routing_key=ROUTING_KEY,
                    properties=_properties(),
                    mandatory=True,
                )
                for index in range(count)
            )
        )
        return start, time.monotonic(), time.process_time() - cpu


async def produce_windowed(url: str, count: int, exchange: str = EXCHANGE) -> tuple[float, float, float]:
    """Publish ``count`` tasks with at most ``WINDOW`` confirms outstanding, taking each as there is room."""
    encode = msgspec.json.Encoder().encode
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        raw = await channel.get_underlay_channel()
        room = asyncio.Semaphore(WINDOW)
        pending: set[asyncio.Task[object]] = set()

        def settled(task: asyncio.Task[object]) -> None:
            pending.discard(task)
            room.release()
            task.result()  # a failed publish fails the run

        cpu, start = time.process_time(), time.monotonic()
        for index in range(count):
            await room.acquire()
            task = asyncio.ensure_future(
                raw.basic_publish(
                    encode(Touch(index=index, path=f"/tmp/bench/{index}.png")),
                    exchange=exchange,
                    routing_key=ROUTING_KEY,
                    properties=_properties(),
                    mandatory=True,
                )
            )
            pending.add(task)
            task.add_done_callback(settled)
        while pending:
            await asyncio.wait(pending)
        return start, time.monotonic(), time.process_time() - cpu


async def consume(
    url: str, count: int, prefetch: int, ready: Callable[[], None], *, queue_type: str = "classic"
) -> tuple[float, float]:
    """Handle ``count`` tasks and return when the first and the last one were handled."""
    decode = msgspec.json.Decoder(Touch).decode
    handled = 0
    done = asyncio.Event()
    first = last = 0.0

    def handle(task: Touch) -> None:
        nonlocal handled, first, last
        handled += 1
        if handled == 1:
            first = time.monotonic()
        if handled == count:
            last = time.monotonic()
            done.set()

    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
        queue = await channel.declare_queue(
            QUEUES[0], durable=True, arguments=None if queue_type == "classic" else {"x-queue-type": queue_type}
        )
        await queue.bind(exchange, ROUTING_KEY)
        # The underlying aiormq channel: aio-pika's own consume wraps every
        # delivery in an IncomingMessage and a second task, which costs ~40%.
        raw = await channel.get_underlay_channel()
        await raw.basic_qos(prefetch_count=prefetch)

        async def on_message(message: DeliveredMessage) -> None:
            handle(decode(message.body))
            assert message.delivery_tag is not None  # set on every Basic.Deliver
            await raw.basic_ack(message.delivery_tag)

        await raw.basic_consume(QUEUES[0], on_message)
        ready()
        await done.wait()
    return first, last
