"""Delays on a real RabbitMQ: once and never early, the cascade's levels, the plugin fallback.

How late they arrive is measured in bench/delays.py, not asserted: on a shared
machine any bound on lateness fails at random.

Retries and dead letters run on both transports in tests/conformance/test_delays.py.
"""

from __future__ import annotations

import asyncio
import random
import time

import aio_pika
from burrow.sdk import Client, Service, Task, Topology
from burrow.server import Context, Worker

timers = Service("timers")


@timers.task("ring")
class Ring(Task, frozen=True, kw_only=True):
    name: str


async def test_random_delays_are_delivered_once_and_never_early(amqp_url: str) -> None:
    count = 1000
    rng = random.Random(1)
    due: dict[str, float] = {}
    lateness: dict[str, list[float]] = {}
    all_in = asyncio.Event()

    async def ring(task: Ring, ctx: Context) -> None:
        lateness.setdefault(task.name, []).append(time.time() - due[task.name])
        if len(lateness) == count:
            all_in.set()

    async def send(client: Client, name: str) -> None:
        delay = rng.uniform(0.1, 20)
        due[name] = time.time() + delay
        await client.send(Ring(name=name), delay=delay)

    worker = Worker(amqp_url)
    worker.bind(Ring, ring)
    async with Client.connect(amqp_url) as client, worker:
        # In batches, as a service sends: a burst of 1,000 at once would queue at
        # the broker for longer than the precision being measured.
        for start in range(0, count, 25):
            await asyncio.gather(*(send(client, f"t{index}") for index in range(start, start + 25)))
            await asyncio.sleep(0.02)
        await asyncio.wait_for(all_in.wait(), 60)
        await asyncio.sleep(0.5)  # time for a duplicate to show up, if there were one
    assert sorted(len(times) for times in lateness.values()) == [1] * count
    earliest = min(times[0] for times in lateness.values())
    assert earliest >= 0, f"a task ran {-earliest * 1000:.1f} ms early"


async def test_a_short_delay_sent_later_is_delivered_first(amqp_url: str) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()

    async def ring(task: Ring, ctx: Context) -> None:
        await handled.put(task.name)

    worker = Worker(amqp_url)
    worker.bind(Ring, ring)
    async with Client.connect(amqp_url) as client, worker:
        await client.send(Ring(name="sixty"), delay=60)
        await client.send(Ring(name="one"), delay=1)
        assert await asyncio.wait_for(handled.get(), 10) == "one"
        # 60 s is some 480 units of 125 ms: it waits in level 8 (32 s) first.
        assert await _ready_messages(amqp_url, "burrow.delay.08") == 1
        assert handled.empty()


async def _ready_messages(url: str, queue: str) -> int:
    """The queue's ready messages, as the broker counts them now (a passive declare)."""
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        count = declared.declaration_result.message_count
        return int(count or 0)


async def test_without_the_plugin_an_opt_in_falls_back_to_the_cascade(amqp_url: str) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()

    async def ring(task: Ring, ctx: Context) -> None:
        await handled.put(task.name)

    topology = Topology(delays="plugin")
    worker = Worker(amqp_url, topology=topology)
    worker.bind(Ring, ring)
    async with Client.connect(amqp_url, topology=topology) as client, worker:
        await client.send(Ring(name="delayed"), delay=0.5)
        await client.send(Ring(name="now"))  # the probe did not break the client's connection
        assert await asyncio.wait_for(handled.get(), 10) == "now"
        assert await asyncio.wait_for(handled.get(), 10) == "delayed"
