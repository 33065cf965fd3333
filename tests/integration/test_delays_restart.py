"""Delayed tasks survive a broker restart (on a node of their own: it is stopped)."""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Iterator

import pytest
from burrow.sdk import Client, Service, Task
from burrow.server import Context, Worker
from burrow.testing import LocalRabbitMQ

alarms = Service("alarms")


@alarms.task("wake")
class Wake(Task, frozen=True, kw_only=True):
    name: str


@pytest.fixture
def own_node() -> Iterator[LocalRabbitMQ]:
    if os.environ.get("RABBITMQ_URL"):
        pytest.skip("restarts a broker node, which needs a node of its own (RABBITMQ_URL is set)")
    with LocalRabbitMQ() as node:
        yield node


async def test_delayed_tasks_survive_a_broker_restart(own_node: LocalRabbitMQ) -> None:
    count = 500
    rng = random.Random(7)
    names = {f"w{index}" for index in range(count)}
    started = time.monotonic()
    async with Client.connect(own_node.url) as client:
        await asyncio.gather(*(client.send(Wake(name=name), delay=rng.uniform(2, 8)) for name in sorted(names)))
    # The node must go down while every task still waits in the cascade.
    assert time.monotonic() - started < 2, "sending took too long for the test to mean anything"

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
