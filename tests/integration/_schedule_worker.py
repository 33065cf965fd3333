"""A worker with an every-second schedule, run by ``burrow worker`` in child processes.

``BURROW_TEST_PAYLOAD`` sets the schedule's payload, so that two deploys of
this module can declare two versions of one schedule.
"""

from __future__ import annotations

import os
from datetime import timedelta

from burrow.sdk import Service, Task
from burrow.server import Context, Worker

ticks = Service("ticks")


@ticks.task("beat")
class Beat(Task, frozen=True, kw_only=True):
    version: str


ticks.schedule("every_second", Beat(version=os.environ.get("BURROW_TEST_PAYLOAD", "v1")), every=timedelta(seconds=1))


async def beat(task: Beat, ctx: Context) -> None:
    pass


def make_worker() -> Worker:
    worker = Worker(grace_period=5)
    worker.bind(Beat, beat)
    return worker
