"""Delayed tasks survive a broker restart (on a node of their own: it is stopped)."""

from __future__ import annotations

import asyncio
import random

from burrow.sdk import Client, Service, Task
from burrow.server import Context, Worker
from burrow.testing import LocalRabbitMQ

alarms = Service("alarms")


@alarms.task("wake")
class Wake(Task, frozen=True, kw_only=True):
    name: str


async def test_delayed_tasks_survive_a_broker_restart(own_node: LocalRabbitMQ) -> None:
    count = 500
    rng = random.Random(7)
    names = {f"w{index}" for index in range(count)}
    async with Client.connect(own_node.url) as client:
        # Delays long enough that the node goes down while the tasks still wait in
        # the cascade (a task already due would wait in its durable work queue instead).
        await asyncio.gather(*(client.send(Wake(name=name), delay=rng.uniform(4, 10)) for name in sorted(names)))

    await asyncio.to_thread(own_node.restart_node)

    handled: list[str] = []
    all_in = asyncio.Event()

    async def wake(task: Wake, ctx: Context) -> None:
        handled.append(task.name)
        if names.issubset(handled):
            all_in.set()

    worker = Worker(own_node.url)
    worker.bind(Wake, wake)
    async with worker:
        await asyncio.wait_for(all_in.wait(), 60)
    assert set(handled) == names  # none lost; at-least-once allows a duplicate
