"""Looking at and steering running schedules from outside the workers (``burrow schedules``).

Everything goes through the broker: a pause is a marker message in the
schedule's ``paused`` queue, which the worker handling a tick looks at before
it sends the task; resuming publishes a newer marker that says so. A paused schedule keeps
ticking (its chain stays alive) but sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from burrow.sdk import MemoryTransport, Schedule, Topology, Transport
from burrow.sdk._schedule import ScheduleQueues
from burrow.sdk._wire import HEADER_TICK
from burrow.server._schedule_pause import marker, read_paused
from burrow.server._schedules import schedule_topology

__all__ = ["ScheduleStatus", "pause", "resume", "status"]


@dataclass(frozen=True, slots=True)
class ScheduleStatus:
    """What the broker holds for one schedule version.

    Attributes:
        schedule: the declaration.
        next_tick: the pending tick's time, or None when the slot is empty (no
            chain, or its tick is being handled right now).
        paused: whether ``pause`` left its marker.
    """

    schedule: Schedule
    next_tick: datetime | None
    paused: bool

    @property
    def alive(self) -> bool:
        return self.next_tick is not None


async def _declared(transport: Transport, topology: Topology, schedule: Schedule) -> ScheduleQueues:
    await transport.declare(schedule_topology(topology, schedule))
    return ScheduleQueues(topology.exchange, schedule)


async def pause(transport: Transport, topology: Topology, schedule: Schedule) -> None:
    """Stop sending ``schedule``'s task (its ticks go on) until ``resume``; idempotent."""
    await _switch(transport, topology, schedule, paused=True)


async def resume(transport: Transport, topology: Topology, schedule: Schedule) -> None:
    """Send ``schedule``'s task again from its next tick; idempotent."""
    await _switch(transport, topology, schedule, paused=False)


async def _switch(transport: Transport, topology: Topology, schedule: Schedule, *, paused: bool) -> None:
    queues = await _declared(transport, topology, schedule)
    await transport.publish(marker(queues.paused, schedule.wire_name, paused=paused))
    await read_paused(transport, queues.paused)  # drops the marker it replaced, unless a reader holds it


async def status(transport: Transport, topology: Topology, schedule: Schedule) -> ScheduleStatus:
    """Peek at the pending tick and the pause marker, leaving both in place."""
    queues = await _declared(transport, topology, schedule)
    return ScheduleStatus(
        schedule=schedule,
        next_tick=await _pending_tick(transport, queues),
        paused=await read_paused(transport, queues.paused),
    )


async def _pending_tick(transport: Transport, queues: ScheduleQueues) -> datetime | None:
    if isinstance(transport, MemoryTransport):  # the in-memory slot is a delayed message
        for message in transport.broker.delayed():
            if message.routing_key == queues.due and isinstance(message.headers.get(HEADER_TICK), int):
                return datetime.fromtimestamp(message.headers[HEADER_TICK] / 1000, UTC)
        return None
    headers = await _peek(transport, queues.slot)
    tick = None if headers is None else headers.get(HEADER_TICK)
    return datetime.fromtimestamp(tick / 1000, UTC) if isinstance(tick, int) else None


async def _peek(transport: Transport, queue: str) -> dict[str, object] | None:
    """The headers of the message at the head of ``queue``, which stays there (a classic queue)."""
    delivery = await transport.get(queue)
    if delivery is None:
        return None
    await delivery.reject(requeue=True)
    return dict(delivery.headers)
