"""Schedules on the in-memory broker with a manual clock: ticks, replicas, missed ticks, pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from burrow.sdk import (
    ConfigurationError,
    ConnectionLost,
    ManualClock,
    MemoryBroker,
    MemoryTransport,
    OutgoingMessage,
    Service,
    Task,
    Topology,
)
from burrow.sdk._schedule import ScheduleQueues
from burrow.sdk._wire import HEADER_DELIVERIES
from burrow.server import Context, Worker
from burrow.server._schedule_control import ScheduleStatus, pause, resume, status
from burrow.testing import burrow_harness

# 2026-11-30 00:00:00 UTC: a day's ticks are easy to count from here.
MIDNIGHT = datetime(2026, 11, 30, tzinfo=UTC).timestamp()

reports = Service("reports")


@reports.task("build")
class Build(Task, frozen=True, kw_only=True):
    kind: str


every_five = reports.schedule("every_five", Build(kind="short"), every=timedelta(minutes=5))

nightly_service = Service("nightly")


@nightly_service.task("purge")
class Purge(Task, frozen=True, kw_only=True):
    older_than: int


nightly = nightly_service.schedule("purge", Purge(older_than=3600), cron="30 2 * * *", timezone="Europe/Paris")

lenient_service = Service("lenient")


@lenient_service.task("poll")
class Poll(Task, frozen=True, kw_only=True):
    pass


skipping = lenient_service.schedule("poll", Poll(), every=timedelta(minutes=1), missed="skip")


class Seen:
    def __init__(self) -> None:
        self.ticks: list[tuple[str, datetime | None, str | None]] = []

    async def __call__(self, task: object, ctx: Context) -> None:
        self.ticks.append((ctx.message_id, ctx.tick, ctx.schedule))


async def test_a_day_of_five_minute_ticks_is_288_ticks_each_once() -> None:
    seen = Seen()
    async with burrow_harness(lambda w: w.bind(Build, seen), clock=ManualClock(MIDNIGHT)) as h:
        for _ in range(288):
            await h.advance(300)
        sent = h.sent(Build)
    assert len(seen.ticks) == 288
    assert sent == [Build(kind="short")] * 288
    ticks = [tick for _, tick, _ in seen.ticks]
    assert ticks == [datetime.fromtimestamp(MIDNIGHT + 300 * n, UTC) for n in range(1, 289)]
    assert {schedule for _, _, schedule in seen.ticks} == {"reports.every_five"}
    assert seen.ticks[0][0] == "reports.every_five@2026-11-30T00:05:00.000Z"


async def test_five_workers_on_one_broker_send_each_tick_once() -> None:
    broker = MemoryBroker(clock=ManualClock(MIDNIGHT))
    seen = Seen()
    workers = [Worker(transport=broker.transport(), name=f"w{n}") for n in range(5)]
    for worker in workers:
        worker.bind(Build, seen)
        await worker.start()
    try:
        for _ in range(12):
            broker.advance(300)
            await broker.drain()
    finally:
        for worker in workers:
            await worker.stop()
    assert [tick for _, tick, _ in seen.ticks] == [
        datetime.fromtimestamp(MIDNIGHT + 300 * n, UTC) for n in range(1, 13)
    ]


async def test_a_tick_found_late_fires_once_then_the_schedule_resumes() -> None:
    seen = Seen()
    async with burrow_harness(lambda w: w.bind(Build, seen), clock=ManualClock(MIDNIGHT)) as h:
        await h.advance(3600)  # an hour without anyone handling ticks: eleven more were due
        await h.advance(300)
    assert [tick for _, tick, _ in seen.ticks] == [
        datetime.fromtimestamp(MIDNIGHT + 300, UTC),  # the late one, once, with its own tick time
        datetime.fromtimestamp(MIDNIGHT + 3900, UTC),  # then on schedule again
    ]


async def test_missed_skip_drops_a_late_tick() -> None:
    seen = Seen()
    async with burrow_harness(lambda w: w.bind(Poll, seen), clock=ManualClock(MIDNIGHT)) as h:
        await h.advance(600)
        assert seen.ticks == []
        await h.advance(60)
    assert [tick for _, tick, _ in seen.ticks] == [datetime.fromtimestamp(MIDNIGHT + 660, UTC)]


async def test_cron_in_a_time_zone_fires_at_local_time() -> None:
    seen = Seen()
    async with burrow_harness(lambda w: w.bind(Purge, seen), clock=ManualClock(MIDNIGHT)) as h:
        for _ in range(3 * 24):
            await h.advance(3600)
    # 02:30 in Paris is 01:30 UTC in winter.
    assert [tick for _, tick, _ in seen.ticks] == [datetime(2026, 11, day, 1, 30, tzinfo=UTC) for day in (30,)] + [
        datetime(2026, 12, day, 1, 30, tzinfo=UTC) for day in (1, 2)
    ]


async def test_a_paused_schedule_sends_nothing_until_resumed() -> None:
    broker = MemoryBroker(clock=ManualClock(MIDNIGHT))
    seen = Seen()
    topology = Topology()
    worker = Worker(transport=broker.transport())
    worker.bind(Build, seen)
    control = broker.transport()
    await control.open()
    async with worker:
        await pause(control, topology, every_five)
        assert await status(control, topology, every_five) == ScheduleStatus(
            every_five, datetime.fromtimestamp(MIDNIGHT + 300, UTC), paused=True
        )
        broker.advance(300)
        await broker.drain()
        assert seen.ticks == []
        await resume(control, topology, every_five)
        broker.advance(300)
        await broker.drain()
        found = await status(control, topology, every_five)
    await control.close()
    assert [tick for _, tick, _ in seen.ticks] == [datetime.fromtimestamp(MIDNIGHT + 600, UTC)]
    assert found == ScheduleStatus(every_five, datetime.fromtimestamp(MIDNIGHT + 900, UTC), paused=False)


async def test_a_worker_starting_while_a_tick_waits_skips_no_tick() -> None:
    broker = MemoryBroker(clock=ManualClock(MIDNIGHT))
    seen = Seen()
    first = Worker(transport=broker.transport(), name="first")
    first.bind(Build, seen)
    async with first:
        pass  # it offered the 00:05 tick and stopped: nobody handles it when it is due
    broker.advance(600)  # 00:10: the 00:05 tick waits in the due queue, the 00:10 one was never offered
    second = Worker(transport=broker.transport(), name="second")
    second.bind(Build, seen)
    async with second:  # it offers 00:15 to the empty slot, then handles 00:05
        await broker.drain()
        broker.advance(300)
        await broker.drain()
    # 00:10 was caught up when the seed's 00:15 tick came: each tick once, none missing.
    assert [tick for _, tick, _ in seen.ticks] == [datetime.fromtimestamp(MIDNIGHT + 300 * n, UTC) for n in (1, 2, 3)]


class DiesAfterSendingATick(MemoryTransport):
    """A connection that drops right after the broker confirmed a scheduled task, once:
    its worker dies between handing the task off and settling the tick."""

    died = False

    async def publish(self, message: OutgoingMessage) -> None:
        await super().publish(message)
        if message.type == "reports.build" and not self.died:
            self.died = True
            await self.close()
            raise ConnectionLost("the connection dropped before the tick was acked")


async def test_a_worker_dying_mid_tick_makes_one_duplicate_with_the_same_tick_id() -> None:
    broker = MemoryBroker(clock=ManualClock(MIDNIGHT))
    seen = Seen()
    dying = Worker(transport=DiesAfterSendingATick(broker), name="dying")
    dying.bind(Build, seen)
    await dying.start()
    broker.advance(300)
    await broker.drain()
    takeover = Worker(transport=broker.transport(), name="takeover")
    takeover.bind(Build, seen)
    async with takeover:
        await broker.drain()  # the unsettled tick came back to the due queue: the new worker sends it again
        broker.advance(300)
        await broker.drain()
    await dying.stop()
    sent = [
        (message.message_id, message.headers["x-burrow-tick"])
        for message in broker.published
        # A copy that puts an unsettled delivery back (counting deliveries on a
        # classic queue, docs/protocol.md) is not a new send of the tick.
        if message.type == "reports.build" and HEADER_DELIVERIES not in message.headers
    ]
    first, second = (f"reports.every_five@2026-11-30T00:{minute}:00.000Z" for minute in ("05", "10"))
    tick = round(MIDNIGHT * 1000)
    assert sent == [(first, tick + 300_000), (first, tick + 300_000), (second, tick + 600_000)]


def test_declarations_are_checked() -> None:
    service = Service("checked")

    @service.task("job")
    class Job(Task, frozen=True):
        pass

    with pytest.raises(ConfigurationError, match="exactly one of cron= and every="):
        service.schedule("both", Job(), cron="* * * * *", every=timedelta(minutes=1))
    with pytest.raises(ConfigurationError, match="is not valid"):
        service.schedule("bad", Job(), cron="61 * * * *")
    with pytest.raises(ConfigurationError, match="five fields"):
        service.schedule("short", Job(), cron="* * *")
    with pytest.raises(ConfigurationError, match="unknown time zone 'Mars/Olympus'"):
        service.schedule("zone", Job(), cron="* * * * *", timezone="Mars/Olympus")
    with pytest.raises(ConfigurationError, match="at least 1 second"):
        service.schedule("fast", Job(), every=timedelta(milliseconds=10))
    with pytest.raises(ConfigurationError, match="is not a task of service 'checked'"):
        service.schedule("foreign", Build(kind="x"), every=timedelta(minutes=1))
    service.schedule("ok", Job(), every=timedelta(minutes=1))
    with pytest.raises(ConfigurationError, match="already declared"):
        service.schedule("ok", Job(), every=timedelta(minutes=2))


def test_a_task_not_sent_by_a_schedule_has_no_tick() -> None:
    ctx = Context(message_id="abc", contract="reports.build", headers={"x-burrow-tick": 1000})
    assert (ctx.schedule, ctx.tick) == (None, None)
    ctx = Context(
        message_id="abc", contract="reports.build", headers={"x-burrow-schedule": "reports.x", "x-burrow-tick": 1500}
    )
    assert (ctx.schedule, ctx.tick) == ("reports.x", datetime(1970, 1, 1, 0, 0, 1, 500000, tzinfo=UTC))


async def test_a_resume_while_a_worker_holds_the_pause_marker_still_resumes() -> None:
    # A worker reads the marker on every tick; a resume landing while it holds the
    # marker once left the schedule paused for good.
    broker = MemoryBroker(clock=ManualClock(MIDNIGHT))
    control = broker.transport()
    worker_side = broker.transport()
    await control.open()
    await worker_side.open()
    topology = Topology()
    await pause(control, topology, every_five)
    held = await worker_side.get(ScheduleQueues(topology.exchange, every_five).paused)
    assert held is not None
    await resume(control, topology, every_five)
    await held.reject(requeue=True)
    found = await status(control, topology, every_five)
    await pause(control, topology, every_five)
    paused_again = await status(control, topology, every_five)
    await control.close()
    await worker_side.close()
    assert (found.paused, paused_again.paused) == (False, True)
