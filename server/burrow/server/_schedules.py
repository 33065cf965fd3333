"""Running schedules inside the workers: each tick sends its task once, no beat process.

Per schedule version (docs/schedules.md), the broker holds the whole state:

- the **slot** queue (``x-max-length=1``, ``reject-publish``) holds the one
  pending tick; its per-message TTL ends at the tick's due time and the tick is
  dead-lettered to
- the **due** queue, consumed by every worker with a single active consumer.

The active consumer sends the tick's task, offers the next tick to the slot and
acks only when both are confirmed. A second offer of a next tick (a redelivered
tick, a worker starting) is refused by the slot, so there is one chain however
many workers run. Every worker offers a tick when it starts and every
``RESEED_PERIOD`` seconds: while a chain exists the slot refuses it, and if its
tick was lost (a classic queue dead-letters at most once) the chain starts again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from burrow.sdk import (
    Delivery,
    MemoryTransport,
    OutgoingMessage,
    PublishError,
    QueueSpec,
    Schedule,
    Service,
    Subscription,
    Topology,
    TopologySpec,
    Transport,
    Unroutable,
)
from burrow.sdk._codec import JSON
from burrow.sdk._delay import wait_until_due
from burrow.sdk._schedule import ScheduleQueues, tick_id
from burrow.sdk._wire import HEADER_DUE, HEADER_FINGERPRINT, HEADER_SCHEDULE, HEADER_SCHEDULE_VERSION, HEADER_TICK
from burrow.server._schedule_pause import read_paused

__all__ = ["LATE_AFTER", "RESEED_PERIOD", "TICK_TYPE", "Scheduler", "schedule_topology"]

log = logging.getLogger("burrow.schedule")

TICK_TYPE = "burrow.tick"
"""The ``type`` property of tick messages (they are not a contract's messages)."""
LATE_AFTER = 5.0
"""Seconds after the following tick's due time from which a tick counts as missed.

Ticks less late than that (a slow handover between workers) are caught up one
by one; later ones follow the schedule's ``missed`` policy."""
RESEED_PERIOD = 30.0
"""Seconds between a worker's offers of a tick to each slot (refused while the chain lives)."""
_REQUEUE_PAUSE = 1.0
_MAX_CATCH_UP = 16  # ticks; LATE_AFTER bounds how many can be caught up anyway


def schedule_topology(topology: Topology, schedule: Schedule) -> TopologySpec:
    """The slot, due and paused queues of one schedule version."""
    queues = ScheduleQueues(topology.exchange, schedule)
    return TopologySpec(
        queues=(
            # Classic on purpose: a classic queue expires its head message on time and has
            # no delivery limit, so `burrow schedules list` can peek at the pending tick.
            QueueSpec(queues.slot, durable=True, arguments=queues.slot_arguments()),
            # Classic too, whatever the service queues' type: the slot dead-letters into it
            # at most once, and a quorum queue still electing its leader after a broker
            # restart would lose the tick that expired meanwhile.
            QueueSpec(queues.due, durable=True, arguments=queues.due_arguments()),
            QueueSpec(queues.paused, durable=True, arguments={"x-max-length": 1}),
        )
    )


@dataclass(eq=False)
class _Running:
    schedule: Schedule
    queues: ScheduleQueues
    last_fired: float = -math.inf  # ticks at or before it are copies of one already sent
    expected: float | None = None  # the tick this worker offered last: the next it should see


class Scheduler:
    """Runs the schedules of a worker's services on the worker's connection.

    Args:
        transport: the worker's open transport.
        topology: where the contracts' exchange is; the queues are named after it.
        in_flight: the worker's running handlers, so that graceful shutdown waits for ticks too.
        accepting: returns False once the worker is stopping.
        app_id: written in each scheduled task's ``app_id``.
    """

    def __init__(
        self,
        *,
        transport: Transport,
        topology: Topology,
        in_flight: set[asyncio.Task[Any]],
        accepting: Callable[[], bool],
        app_id: str,
    ) -> None:
        self._transport = transport
        self._topology = topology
        self._in_flight = in_flight
        self._accepting = accepting
        self._app_id = app_id
        self._running: list[_Running] = []
        self._reseeding: asyncio.Task[None] | None = None

    async def start(self, services: list[Service]) -> list[Subscription]:
        """Declare each schedule's queues, offer its next tick and consume its due ticks."""
        subscriptions: list[Subscription] = []
        for service in services:
            for _, schedule in sorted(service.schedules.items()):
                running = _Running(schedule, ScheduleQueues(self._topology.exchange, schedule))
                await self._transport.declare(schedule_topology(self._topology, schedule))
                await self._offer(running, schedule.next_after(self._now()))
                due = schedule_topology(self._topology, schedule).queues[1]
                subscriptions.append(await self._transport.consume(due, self._consumer(running), prefetch=1))
                self._running.append(running)
        if self._running:
            self._reseeding = asyncio.create_task(self._reseed_forever(), name="burrow-schedules")
            log.info("running schedules %s", ", ".join(r.schedule.wire_name for r in self._running))
        return subscriptions

    def _consumer(self, running: _Running) -> Callable[[Delivery], Coroutine[Any, Any, None]]:
        async def on_delivery(delivery: Delivery) -> None:
            await self._on_tick(running, delivery)

        return on_delivery

    async def stop(self) -> None:
        if self._reseeding is not None:
            self._reseeding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reseeding
            self._reseeding = None

    def _now(self) -> float:
        transport = self._transport
        if isinstance(transport, MemoryTransport) and transport.broker.clock is not None:
            return transport.broker.clock.now()
        return time.time()

    async def _reseed_forever(self) -> None:
        while True:
            await asyncio.sleep(RESEED_PERIOD)
            for running in self._running:
                try:
                    await self._offer(running, running.schedule.next_after(self._now()))
                except Exception as exc:  # the next round tries again; ticks meanwhile are unaffected
                    log.warning("could not offer a tick for %s: %s", running.schedule.wire_name, exc)

    async def _offer(self, running: _Running, tick: float) -> bool:
        """Put ``tick`` in the slot; False when the slot already holds a tick (the chain lives)."""
        schedule = running.schedule
        millis = round(tick * 1000)
        delay = max(tick - self._now(), 0.0)
        message = OutgoingMessage(
            exchange="",
            routing_key=running.queues.slot,
            body=b"",
            type=TICK_TYPE,
            message_id=tick_id(schedule.wire_name, tick),
            content_type=None,
            headers={
                HEADER_SCHEDULE: schedule.wire_name,
                HEADER_TICK: millis,
                HEADER_SCHEDULE_VERSION: schedule.fingerprint,
            },
            timestamp=int(time.time()),
            app_id=self._app_id,
        )
        if isinstance(self._transport, MemoryTransport):
            message.routing_key = running.queues.due
        else:
            message.headers[HEADER_DUE] = millis
            message.expiration = math.ceil(delay * 1000)
        try:
            await self._publish_tick(running, message, delay)
        except Unroutable:
            # Someone deleted the schedule's queues: declare them again and start a new chain.
            log.warning("%s: its queues were gone; declaring them again", schedule.wire_name)
            await self._transport.declare(schedule_topology(self._topology, schedule))
            try:
                await self._publish_tick(running, message, delay)
            except Unroutable:
                raise
            except PublishError:
                return False
        except PublishError:
            return False
        log.debug("%s: next tick %s", schedule.wire_name, message.message_id)
        return True

    async def _publish_tick(self, running: _Running, message: OutgoingMessage, delay: float) -> None:
        if isinstance(self._transport, MemoryTransport):
            await self._transport.publish_delayed(message, delay, slot=running.queues.slot)
        else:
            await self._transport.publish(message)

    async def _on_tick(self, running: _Running, delivery: Delivery) -> None:
        if not self._accepting():
            await _quietly(delivery.reject(requeue=True))
            return
        task = asyncio.current_task()
        assert task is not None
        self._in_flight.add(task)
        try:
            await self._tick(running, delivery)
        except asyncio.CancelledError:
            await _quietly(delivery.reject(requeue=True))
            raise
        except Exception:
            log.exception("could not handle tick %s; it goes back to its queue", delivery.message_id)
            await asyncio.sleep(_REQUEUE_PAUSE)
            await _quietly(delivery.reject(requeue=True))
        finally:
            self._in_flight.discard(task)

    async def _tick(self, running: _Running, delivery: Delivery) -> None:
        """Send the tick's task (unless it is a copy, paused or skipped), offer the next tick, then ack."""
        schedule = running.schedule
        tick = _tick_of(delivery)
        if tick is None or delivery.headers.get(HEADER_SCHEDULE_VERSION) != schedule.fingerprint:
            log.warning("dropping message %s from %s: not a tick of %s", delivery.message_id, delivery.queue, schedule)
            await delivery.ack()
            return
        if HEADER_DUE in delivery.headers:
            await wait_until_due(delivery.headers)
        now = self._now()
        following = schedule.next_after(tick)
        late = now >= following + LATE_AFTER
        if tick > running.last_fired:
            paused = await self._paused(running)
            await self._catch_up(running, tick, now, paused)
            if paused:
                log.info("%s is paused: tick %s not sent", schedule.wire_name, delivery.message_id)
            elif late and schedule.missed == "skip":
                log.warning("%s: tick %s came too late and is skipped", schedule.wire_name, delivery.message_id)
            else:
                if late:
                    log.warning("%s: tick %s came late, sent once", schedule.wire_name, delivery.message_id)
                await self._fire(schedule, tick, now)
            running.last_fired = tick
        offered = schedule.next_after(now) if late else following
        await self._offer(running, offered)
        running.expected = offered
        await delivery.ack()

    async def _catch_up(self, running: _Running, tick: float, now: float, paused: bool) -> None:
        """Send the ticks between the one this worker offered last and ``tick``, unless late.

        A worker starting while the chain's tick waits in the due queue offers the
        first tick after now; if the waiting tick was over an interval old, that skips
        a tick the chain would have offered (the slot then refuses the chain's own).
        The active consumer, which handled the tick before, sees the gap here.
        """
        schedule = running.schedule
        skipped = running.expected
        for _ in range(_MAX_CATCH_UP):
            if skipped is None or skipped >= tick:
                return
            if skipped > running.last_fired and now < schedule.next_after(skipped) + LATE_AFTER and not paused:
                log.info(
                    "%s: sending tick %s, skipped by a seed", schedule.wire_name, tick_id(schedule.wire_name, skipped)
                )
                await self._fire(schedule, skipped, now)
            skipped = schedule.next_after(skipped)

    async def _fire(self, schedule: Schedule, tick: float, now: float) -> None:
        contract = schedule.contract
        await self._transport.publish(
            OutgoingMessage(
                exchange=self._topology.exchange,
                routing_key=contract.routing_key,
                body=schedule.body,
                type=contract.wire_name,
                message_id=tick_id(schedule.wire_name, tick),  # the same for every copy of the tick
                content_type=JSON,
                headers={
                    HEADER_FINGERPRINT: contract.fingerprint,
                    HEADER_SCHEDULE: schedule.wire_name,
                    HEADER_TICK: round(tick * 1000),
                },
                timestamp=int(now),
                app_id=self._app_id,
            )
        )

    async def _paused(self, running: _Running) -> bool:
        """Whether ``burrow schedules pause`` left the newest marker in the paused queue."""
        return await read_paused(self._transport, running.queues.paused)


def _tick_of(delivery: Delivery) -> float | None:
    value = delivery.headers.get(HEADER_TICK)
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return value / 1000


async def _quietly(settling: Any) -> None:
    with contextlib.suppress(Exception):
        await settling
