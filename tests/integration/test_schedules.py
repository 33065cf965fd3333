"""Schedules on RabbitMQ: each tick sent once by any number of worker processes.

An observer queue bound to the scheduled contract's routing key receives a copy
of every task a schedule sends, so the tests count sends, not handler runs.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from burrow.cli import main
from burrow.sdk import (
    AmqpTransport,
    BindingSpec,
    Delivery,
    ExchangeSpec,
    QueueSpec,
    Service,
    Task,
    Topology,
    TopologySpec,
)
from burrow.sdk._schedule import ScheduleQueues
from burrow.sdk._wire import HEADER_SCHEDULE, HEADER_TICK
from burrow.server import Context, Worker
from burrow.server._schedule_control import pause, resume, status

from tests.integration._schedule_worker import make_worker, ticks

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # a safety net against hangs, never a measurement


@dataclass
class Observed:
    """Every scheduled task published to ``ticks.beat``, in arrival order."""

    sends: list[tuple[str, int, bytes]] = field(default_factory=list)  # (message id, tick ms, body)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def on_delivery(self, delivery: Delivery) -> None:
        tick = delivery.headers.get(HEADER_TICK)
        assert isinstance(tick, int)
        assert delivery.headers.get(HEADER_SCHEDULE) == "ticks.every_second"
        self.sends.append((delivery.message_id or "", tick, delivery.body))
        self.arrived.set()
        await delivery.ack()

    async def until(self, count: int) -> None:
        async with asyncio.timeout(WAIT):
            while len(self.distinct()) < count:
                self.arrived.clear()
                await self.arrived.wait()

    def distinct(self) -> list[int]:
        return sorted({tick for _, tick, _ in self.sends})


@asynccontextmanager
async def observer(url: str, routing_key: str = "ticks.beat") -> AsyncIterator[Observed]:
    observed = Observed()
    transport = AmqpTransport(url, connection_name="observer")
    await transport.open()
    try:
        await transport.declare(
            TopologySpec(
                exchanges=(ExchangeSpec("burrow", "direct"),),
                queues=(QueueSpec("observer"),),
                bindings=(BindingSpec(queue="observer", exchange="burrow", routing_key=routing_key),),
            )
        )
        subscription = await transport.consume(QueueSpec("observer"), observed.on_delivery, prefetch=100)
        yield observed
        await subscription.cancel()
    finally:
        await transport.close()


class Replicas:
    """``burrow worker`` processes of ``_schedule_worker``, started and stopped by the test, by pid."""

    def __init__(self, url: str, logs: Path) -> None:
        self.url = url
        self.logs = logs
        self.running: list[asyncio.subprocess.Process] = []
        self.kills = 0
        self._started = 0

    async def start(self, payload: str = "v1") -> None:
        self._started += 1
        log = (self.logs / f"worker-{self._started}.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "burrow.cli",
            "worker",
            "tests.integration._schedule_worker:make_worker",
            "--url",
            self.url,
            cwd=ROOT,
            env={**os.environ, "BURROW_TEST_PAYLOAD": payload},
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
        log.close()
        self.running.append(process)

    async def stop(self, process: asyncio.subprocess.Process, *, kill: bool) -> None:
        self.running.remove(process)
        process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self.kills += kill
        async with asyncio.timeout(WAIT):
            await process.wait()

    async def stop_all(self) -> None:
        for process in list(self.running):
            await self.stop(process, kill=False)

    def kill_all_left(self) -> None:
        for process in self.running:
            if process.returncode is None:
                process.kill()


def assert_every_tick_once(observed: Observed, *, duplicates_allowed: int) -> Counter[int]:
    """No tick missing between the first and the last seen; duplicates only up to the kills."""
    ticks = observed.distinct()
    assert ticks == list(range(ticks[0], ticks[-1] + 1000, 1000)), "a tick is missing"
    copies = Counter(tick for _, tick, _ in observed.sends)
    duplicated = {tick: count for tick, count in copies.items() if count > 1}
    assert sum(count - 1 for count in duplicated.values()) <= duplicates_allowed, duplicated
    ids = {tick: {message_id for message_id, seen, _ in observed.sends if seen == tick} for tick in duplicated}
    assert all(len(found) == 1 for found in ids.values()), "copies of one tick must carry one tick id"
    return copies


async def test_five_replicas_started_and_stopped_at_random_send_each_tick_once(amqp_url: str, tmp_path: Path) -> None:
    rng = random.Random(14)
    replicas = Replicas(amqp_url, tmp_path)
    try:
        async with observer(amqp_url) as observed:
            for _ in range(5):
                await replicas.start()
            await observed.until(1)
            first = len(observed.distinct())
            while len(observed.distinct()) < first + 30:
                await asyncio.sleep(rng.uniform(0.2, 1.2))
                if len(replicas.running) > 1 and (len(replicas.running) == 5 or rng.random() < 0.5):
                    # Kill -9 at least once; never the last worker, so ticks must keep coming.
                    kill = replicas.kills == 0 or rng.random() < 0.5
                    await replicas.stop(rng.choice(replicas.running), kill=kill)
                else:
                    await replicas.start()
            await replicas.stop_all()
    finally:
        replicas.kill_all_left()
    assert replicas.kills >= 1
    copies = assert_every_tick_once(observed, duplicates_allowed=replicas.kills)
    assert len(copies) >= 30
    print(f"ticks: {len(copies)}, sends: {sum(copies.values())}, kills: {replicas.kills}")


removed = Service("ticks")


@removed.task("beat")
class Beat(Task, frozen=True, kw_only=True):
    version: str


async def beat(task: Beat, ctx: Context) -> None:
    pass


async def test_one_worker_per_deploy_a_changed_schedule_replaces_the_old_and_a_removed_one_stops(
    amqp_url: str, tmp_path: Path
) -> None:
    replicas = Replicas(amqp_url, tmp_path)
    try:
        async with observer(amqp_url) as observed:
            await replicas.start("v1")
            await observed.until(3)
            await replicas.stop_all()
            changed_at = len(observed.sends)
            await replicas.start("v2")  # the next deploy changes the payload
            await observed.until(len(observed.distinct()) + 3)
            await replicas.stop_all()
            removed_at = len(observed.sends)
            # The deploy after that has no schedule: its worker serves the task and nothing sends it.
            worker = Worker(amqp_url)
            worker.bind(Beat, beat)
            async with worker:
                await asyncio.sleep(2.5)  # two ticks would have come by now
            assert len(observed.sends) == removed_at
    finally:
        replicas.kill_all_left()
    v1, v2 = Observed(observed.sends[:changed_at]), Observed(observed.sends[changed_at:])
    assert set(assert_every_tick_once(v1, duplicates_allowed=0).values()) == {1}
    assert set(assert_every_tick_once(v2, duplicates_allowed=0).values()) == {1}
    assert {body for _, _, body in v1.sends} == {b'{"version":"v1"}'}
    assert {body for _, _, body in v2.sends} == {b'{"version":"v2"}'}  # the old version's pending tick never fired


async def test_status_shows_the_next_tick(amqp_url: str) -> None:
    service = Service("status")

    @service.task("job")
    class Job(Task, frozen=True):
        pass

    schedule = service.schedule("hourly", Job(), every=timedelta(hours=1))

    async def job(task: Job, ctx: Context) -> None:
        pass

    worker = Worker(amqp_url)
    worker.bind(Job, job)
    async with worker:
        assert worker.transport is not None
        found = await status(worker.transport, Topology(), schedule)
    assert found.alive
    assert found.next_tick is not None
    assert found.next_tick.timestamp() == schedule.next_after(found.next_tick.timestamp() - 3600)
    assert not found.paused


async def test_a_resume_while_a_worker_holds_the_pause_marker_still_resumes(amqp_url: str) -> None:
    # Workers read the marker on every tick; a resume that landed while one held it
    # (a purge skips unacknowledged messages) once left the schedule paused for good.
    schedule = ticks.schedules["every_second"]
    topology = Topology()
    control, worker_side = AmqpTransport(amqp_url), AmqpTransport(amqp_url)
    await control.open()
    await worker_side.open()
    try:
        await pause(control, topology, schedule)
        held = await worker_side.get(ScheduleQueues(topology.exchange, schedule).paused)
        assert held is not None
        await resume(control, topology, schedule)
        await held.reject(requeue=True)
        assert not (await status(control, topology, schedule)).paused
        await pause(control, topology, schedule)
        assert (await status(control, topology, schedule)).paused
    finally:
        await worker_side.close()
        await control.close()


async def test_the_command_line_lists_pauses_and_resumes(
    amqp_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def burrow(*argv: str) -> Awaitable[int]:
        contracts = ("--contracts", "tests.integration._schedule_worker", "--url", amqp_url)
        return asyncio.to_thread(main, ["schedules", *argv, *contracts])

    monkeypatch.setenv("BURROW_URL", amqp_url)
    async with observer(amqp_url) as observed, make_worker():
        await observed.until(1)
        assert await burrow("list") == 0
        listed = capsys.readouterr().out
        assert listed.startswith("ticks.every_second  every 1s  ticks.beat  20")
        assert listed.endswith("  alive\n")

        assert await burrow("pause", "ticks.every_second") == 0
        paused_at = len(observed.sends)
        await asyncio.sleep(2.5)  # two ticks come and go, sending nothing
        assert len(observed.sends) <= paused_at + 1  # a tick already past its pause check may still send
        assert await burrow("list") == 0
        assert capsys.readouterr().out.endswith("  alive, paused\n")

        assert await burrow("resume", "ticks.every_second") == 0
        await observed.until(len(observed.distinct()) + 2)

    assert await burrow("pause", "ticks.nope") == 2
    assert capsys.readouterr().err == (
        "burrow: error: no schedule named 'ticks.nope' in the contracts\nhint: declared: ticks.every_second\n"
    )
