"""Burrow's worker runtime: bind contracts to handlers and serve them."""

from server._context import Context
from server._dead_letter_tools import DeadLetter, DeadLetters
from server._dead_letters import DeadReason
from server._worker import Handler, Worker, WorkerState

__all__ = ["Context", "DeadLetter", "DeadLetters", "DeadReason", "Handler", "Worker", "WorkerState"]
