"""Running a delivery through the worker's hooks, noting how it was settled, and its publishes.

The settling code (retries, dead letters, call replies) notes its outcome in a
context variable that only exists while hooks run: each delivery is handled in
a task of its own, so the note reaches the right ``Handling``. The same
variable holds the hooks that wrap the worker's own publishes (``publish``).
With no hooks the dispatcher never comes here, and the notes and publishes
find nothing there.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Sequence

from burrow.sdk import ConfigurationError, Delivery, OutgoingMessage, TransportError
from burrow.sdk._hooks import Handling, Hook, Outcome, Sending, around
from burrow.sdk._metadata import RESERVED_PREFIX
from burrow.sdk._wire import HEADER_ATTEMPT

__all__ = ["handle_hooked", "note", "publish", "publishing_hooks"]

# The message being handled, and the hooks that wrap the worker's publishes while it is.
_handling: contextvars.ContextVar[tuple[Handling, tuple[Hook, ...]] | None] = contextvars.ContextVar(
    "burrow_handling", default=None
)


def publishing_hooks(hooks: Sequence[Hook]) -> tuple[Hook, ...]:
    """The hooks that override ``around_publish``: the others would only add a layer per publish."""
    return tuple(hook for hook in hooks if type(hook).around_publish is not Hook.around_publish)


def note(outcome: Outcome, *, exception: BaseException | None = None, dead_reason: str | None = None) -> None:
    """Record how the message being handled was settled (no-op when no hook runs)."""
    current = _handling.get()
    if current is None:
        return
    handling = current[0]
    handling.outcome = outcome
    if exception is not None:
        handling.exception = exception
    if dead_reason is not None:
        handling.dead_reason = dead_reason


async def publish(
    message: OutgoingMessage,
    kind: str,
    send: Callable[[OutgoingMessage], Awaitable[None]],
    *,
    delay: float = 0.0,
) -> None:
    """``send(message)``, a publish of the worker's own, inside the hooks' ``around_publish``.

    ``kind`` says what it is: ``reply``, ``retry``, ``dead-letter`` or ``requeue``.
    A hook may add headers (a trace context) but not change Burrow's.
    """
    current = _handling.get()
    if current is None or not current[1]:
        await send(message)
        return
    sending = Sending(
        contract=message.type,
        kind=kind,
        message_id=message.message_id,
        headers=message.headers,
        exchange=message.exchange,
        routing_key=message.routing_key,
        delay=delay,
    )
    protocol = _protocol_headers(message.headers)

    async def proceed() -> None:
        if _protocol_headers(message.headers) != protocol:
            raise ConfigurationError(
                f"a hook changed the {RESERVED_PREFIX}* headers of a {kind} copy; they are Burrow's"
            )
        await send(message)

    await around(current[1], "around_publish", sending, proceed)


def _protocol_headers(headers: dict[str, object]) -> dict[str, object]:
    return {name: value for name, value in headers.items() if name.lower().startswith(RESERVED_PREFIX)}


async def handle_hooked(
    hooks: tuple[Hook, ...],
    dispatch: Callable[[Delivery], Awaitable[None]],
    delivery: Delivery,
    publishers: tuple[Hook, ...] = (),
) -> None:
    """``dispatch(delivery)`` inside every hook's ``around_handle``, with the outcome filled in.

    ``publishers`` (``publishing_hooks(hooks)``) wrap the worker's publishes meanwhile.
    """
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
        token = _handling.set((handling, publishers))
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
