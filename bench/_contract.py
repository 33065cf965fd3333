"""The contract both sides of the benchmark send: a small task like ``delete_file``."""

from __future__ import annotations

from burrow.sdk import Service, Task

__all__ = ["EXCHANGE", "QUEUES", "ROUTING_KEY", "TYPE", "Touch", "bench"]

bench = Service("bench")


@bench.task("touch")
class Touch(Task, frozen=True, kw_only=True):
    """A task with a short payload; its handler does nothing."""

    index: int
    path: str


# The baseline uses the same exchange, queue and routing key as Burrow, so both
# pay for the same broker work.
EXCHANGE = "burrow"
ROUTING_KEY = TYPE = "bench.touch"
QUEUES = ("bench", "bench.dead")
