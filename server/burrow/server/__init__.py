"""Burrow's worker runtime: bind contracts to handlers and serve them."""

from burrow.server._context import Context
from burrow.server._dead_letter_tools import DeadLetter, DeadLetters
from burrow.server._dead_letters import DeadReason
from burrow.server._dispatch import HandlerTimeout
from burrow.server._logging import JsonFormatter
from burrow.server._worker import Handler, Worker, WorkerState

__all__ = [
    "Context",
    "DeadLetter",
    "DeadLetters",
    "DeadReason",
    "Handler",
    "HandlerTimeout",
    "JsonFormatter",
    "Worker",
    "WorkerState",
]
