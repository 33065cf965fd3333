"""Running a delivery through the worker's hooks, and noting how it was settled.

The settling code (retries, dead letters, call replies) notes its outcome in a
context variable that only exists while hooks run: each delivery is handled in
a task of its own, so the note reaches the right ``Handling``. With no hooks the
dispatcher never comes here, and the notes find nothing to write to.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable

from burrow.sdk import Delivery, TransportError
from burrow.sdk._hooks import Handling, Hook, Outcome, around
from burrow.sdk._wire import HEADER_ATTEMPT

__all__ = ["handle_hooked", "note"]

_handling: contextvars.ContextVar[Handling | None] = contextvars.ContextVar("burrow_handling", default=None)


def note(outcome: Outcome, *, exception: BaseException | None = None, dead_reason: str | None = None) -> None:
    """Record how the message being handled was settled (no-op when no hook runs)."""
    handling = _handling.get()
    if handling is None:
        return
    handling.outcome = outcome
    if exception is not None:
        handling.exception = exception
    if dead_reason is not None:
        handling.dead_reason = dead_reason


async def handle_hooked(
    hooks: tuple[Hook, ...], dispatch: Callable[[Delivery], Awaitable[None]], delivery: Delivery
) -> None:
    """``dispatch(delivery)`` inside every hook's ``around_handle``, with the outcome filled in."""
    handling = Handling(
        contract=delivery.type or "",
        message_id=delivery.message_id or "",
        attempt=_attempt(delivery),
        redelivered=delivery.redelivered,
        queue=delivery.queue,
        headers=delivery.headers,
        kind="call" if delivery.reply_to else "task",
        exchange=delivery.exchange,
        routing_key=delivery.routing_key,
        correlation_id=delivery.correlation_id,
    )

    async def innermost() -> None:
        token = _handling.set(handling)
        started = time.perf_counter()
        try:
            await dispatch(delivery)
        except asyncio.CancelledError as exc:
            handling.outcome, handling.exception = Outcome.REQUEUED, exc
            raise
        except Exception as exc:
            # The worker settles it after the hooks: dead-lettered with reason
            # worker-error, or (a transport failure) given back to its queue.
            if isinstance(exc, TransportError) and not delivery.settled:
                handling.outcome = Outcome.REQUEUED
            elif not delivery.settled:
                handling.outcome, handling.dead_reason = Outcome.DEAD_LETTERED, "worker-error"
            handling.exception = exc
            raise
        finally:
            handling.duration = time.perf_counter() - started
            _handling.reset(token)

    await around(hooks, "around_handle", handling, innermost)


def _attempt(delivery: Delivery) -> int:
    # As the retrier counts (server._retry.attempt_of, which imports the dead-letter code that notes here).
    value = delivery.headers.get(HEADER_ATTEMPT, 1)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1
