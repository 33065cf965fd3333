"""A schedule's pause switch: the newest marker in its ``paused`` queue.

``pause`` and ``resume`` each publish a marker; the newest one says whether the
schedule is paused. A reader takes every marker, acknowledges the ones a newer
marker replaced, and puts the newest back. A message put back returns to its
place in the queue, so queue order is publish order and no clock is compared.

Why a resume does not simply purge the pause marker: a purge skips messages a
reader holds unacknowledged at that moment, and workers read the marker on every
tick, so a resume that raced a tick left the marker in place and the schedule
paused for good. Now a marker held while a newer one is published stays until
the next reader sees both.

What remains: a reader holding the markers hides them from another for the
moment it holds them, so a tick read at that instant (e.g. while `burrow
schedules list` peeks) finds no marker and sends its task even when paused.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from burrow.sdk import Delivery, OutgoingMessage, Transport
from burrow.sdk._wire import HEADER_SCHEDULE

__all__ = ["PAUSE", "RESUME", "marker", "read_paused"]

PAUSE = "burrow.pause"
RESUME = "burrow.resume"
_MAX_MARKERS = 64  # more than readers can ever hold at once; the queue keeps one otherwise


def marker(queue: str, schedule: str, *, paused: bool) -> OutgoingMessage:
    """The marker that pauses (or resumes) ``schedule``, for its ``paused`` queue."""
    return OutgoingMessage(
        exchange="",
        routing_key=queue,
        body=b"",
        type=PAUSE if paused else RESUME,
        message_id=f"{'pause' if paused else 'resume'}:{schedule}",
        content_type=None,
        headers={HEADER_SCHEDULE: schedule},
        timestamp=int(datetime.now(UTC).timestamp()),
    )


async def read_paused(transport: Transport, queue: str) -> bool:
    """Whether the newest marker in ``queue`` is a pause; drops the markers it replaced."""
    taken: list[Delivery] = []
    try:
        while len(taken) < _MAX_MARKERS and (delivery := await transport.get(queue)) is not None:
            taken.append(delivery)
    except BaseException:
        for delivery in taken:  # a lost connection puts them back anyway; this covers a cancel
            with contextlib.suppress(Exception):
                await delivery.reject(requeue=True)
        raise
    if not taken:
        return False
    *replaced, newest = taken
    for delivery in replaced:
        await delivery.ack()
    await newest.reject(requeue=True)
    return newest.type == PAUSE
