"""A service with two queues: ``orders`` and ``orders.reports``, its slow work on a queue of its own."""

from __future__ import annotations

from burrow.sdk import Service, Task

orders = Service("orders")


@orders.task("place")
class Place(Task, kw_only=True, frozen=True):
    id: int


@orders.task("report", queue="orders.reports")
class Report(Task, kw_only=True, frozen=True):
    id: int
