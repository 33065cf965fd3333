"""Per-message log records, and a formatter that writes records as JSON lines.

Records about a message carry ``extra`` fields: ``contract``, ``message_id``,
``attempt``, ``outcome``, ``duration_ms`` (where known) and, when
OpenTelemetry tracing is on, ``trace_id``. ``JsonFormatter`` writes them, and
the record's own fields, as one JSON object per line
(``burrow worker --log-format json``).
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from burrow.sdk._hooks import Handling, Hook

__all__ = ["JsonFormatter", "MessageLog", "message_fields"]

log = logging.getLogger("burrow.worker")

# The extra fields Burrow sets on its per-message records, in the order written.
FIELDS = ("contract", "message_id", "attempt", "outcome", "duration_ms", "dead_reason", "trace_id")


def message_fields(contract: str | None, message_id: str | None, attempt: int, outcome: str) -> dict[str, Any]:
    """The ``extra`` of a record about one message."""
    return {"contract": contract or "", "message_id": message_id or "", "attempt": attempt, "outcome": outcome}


class MessageLog(Hook):
    """Logs one DEBUG record per handled message (the worker installs it when DEBUG is on).

    Retries and dead letters are also logged at WARNING and ERROR where they
    happen, with the same fields.
    """

    async def around_handle(self, message: Handling, proceed: Callable[[], Awaitable[None]]) -> None:
        try:
            await proceed()
        finally:
            fields = message_fields(message.contract, message.message_id, message.attempt, str(message.outcome))
            fields["duration_ms"] = round(message.duration * 1000, 3)
            if message.dead_reason is not None:
                fields["dead_reason"] = message.dead_reason
            log.debug(
                "%s message %s attempt %d: %s in %.1f ms",
                message.contract,
                message.message_id,
                message.attempt,
                message.outcome,
                message.duration * 1000,
                extra=fields,
            )


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, message, Burrow's fields, exception.

    ``trace_id`` is the current OpenTelemetry trace's, when ``opentelemetry``
    is in use (it is never imported for this).

    Args:
        process: add ``process``, the pid, for processes that share one output
            (``burrow worker --processes``).
    """

    def __init__(self, *, process: bool = False) -> None:
        super().__init__()
        self._process = process

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self._process:
            entry["process"] = record.process
        for name in FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value
        if "trace_id" not in entry and (trace_id := _current_trace_id()) is not None:
            entry["trace_id"] = trace_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def _current_trace_id() -> str | None:
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None
