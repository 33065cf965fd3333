"""Hooks: the one seam around every send and call a client makes and every message a worker handles.

A hook is an object with ``around_send`` and/or ``around_handle``; each gets a
description of the message and a ``proceed`` callable, and must await
``proceed()`` exactly once (and return what it returns). Hooks nest in the
order given: the first is outermost. Burrow's tracing and metrics are hooks.
With no hook installed the client and worker take their usual path, which
checks one attribute.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from burrow.sdk._errors import ConfigurationError
from burrow.sdk._transport import Headers, Transport, TransportEvent

__all__ = ["Handling", "Hook", "Outcome", "Sending", "around", "installed", "listen"]


class Outcome(enum.StrEnum):
    """How the worker settled a message (``Handling.outcome``)."""

    OK = "ok"  # the handler returned; a task was acked, a call answered with its result
    ERROR = "error"  # a call's handler raised: the caller got an error reply
    RETRIED = "retried"  # a task's handler raised and a later attempt is scheduled
    DEAD_LETTERED = "dead-lettered"  # moved to the dead-letter queue (see ``dead_reason``)
    REQUEUED = "requeued"  # given back to its queue unhandled (the worker is stopping, or could not settle)


@dataclass(slots=True, kw_only=True)
class Sending:
    """A task send or a call, as a client hook sees it before it goes out; or a worker's own publish.

    ``around_send`` sees a client's sends (``kind`` ``task`` or ``call``);
    ``around_publish`` sees what a worker publishes while it settles a message:
    a call's ``reply``, a ``retry`` copy, a ``dead-letter`` copy, or a
    ``requeue`` copy (a message that came back unsettled, put at the back of
    its queue with its delivery count).

    Attributes:
        contract: the contract's wire name, e.g. ``cleanup.delete_file``.
        kind: ``task`` or ``call``; for a worker's publish ``reply``, ``retry``,
            ``dead-letter`` or ``requeue``.
        message_id: the message id it will carry.
        headers: the caller's headers; a hook may add its own (e.g. a trace
            context), except ``x-burrow-*`` names.
        exchange: the exchange it is published to.
        routing_key: its routing key.
        delay: seconds a task (or a retry) waits before delivery (0 for none).
        timeout: seconds a call waits for its reply (None for a task).
        reply_headers: a call's reply's headers once it arrived (e.g. the
            worker's trace context), whether it carried a result or an error;
            None before, for a task, and when no reply came.
    """

    contract: str
    kind: str
    message_id: str
    headers: Headers
    exchange: str
    routing_key: str
    delay: float = 0.0
    timeout: float | None = None
    reply_headers: Headers | None = None


@dataclass(slots=True, kw_only=True)
class Handling:
    """One delivery handled by a worker, as a worker hook sees it.

    The first attributes are known before ``proceed()``; ``outcome``,
    ``duration``, ``exception`` and ``dead_reason`` are set when it returns.

    Attributes:
        contract: the message's contract wire name (its AMQP ``type``), or ``""``.
        message_id: its message id, or ``""``.
        attempt: 1 on the first attempt, incremented by each retry.
        redelivered: the broker delivered it before.
        kind: ``call`` for a request that expects a reply, else ``task``.
        queue: the queue it came from.
        exchange: the exchange it was published to (``""`` for the default exchange).
        routing_key: its routing key.
        correlation_id: a call's correlation id, else None.
        headers: its AMQP headers (read-only by convention).
        outcome: how it was settled.
        duration: seconds the worker spent on the message: decoding, the handler, settling.
        exception: what the handler raised, or what stopped the worker from handling it.
        dead_reason: for ``DEAD_LETTERED``, the ``x-burrow-dead-reason`` value.
    """

    contract: str
    message_id: str
    attempt: int
    redelivered: bool
    queue: str
    headers: Headers
    kind: str = "task"
    exchange: str = ""
    routing_key: str = ""
    correlation_id: str | None = None
    outcome: Outcome = Outcome.OK
    duration: float = 0.0
    exception: BaseException | None = None
    dead_reason: str | None = None


class Hook:
    """Base class for hooks: override what you need; the defaults just proceed.

        class Timing(Hook):
            async def around_handle(self, message, proceed):
                await proceed()
                print(message.contract, message.outcome, message.duration)

    Install hooks with ``Client(..., hooks=[...])`` and ``Worker(..., hooks=[...])``.
    An exception a hook raises propagates: from ``around_send`` to the caller
    of ``send``/``call``, from ``around_handle`` into the worker, which logs
    it (the message is settled as usual).
    """

    async def around_send(self, message: Sending, proceed: Callable[[], Awaitable[Any]]) -> Any:
        """Runs around each ``send`` (until the broker confirms) and each ``call`` (until its result or error)."""
        return await proceed()

    async def around_handle(self, message: Handling, proceed: Callable[[], Awaitable[None]]) -> None:
        """Runs around each delivery a worker handles, from its arrival to its settlement."""
        await proceed()

    async def around_publish(self, message: Sending, proceed: Callable[[], Awaitable[None]]) -> None:
        """Runs around each message a worker publishes while settling one, inside ``around_handle``.

        ``message.kind`` is ``reply``, ``retry``, ``dead-letter`` or ``requeue``;
        a hook may add headers (e.g. a trace context), not change ``x-burrow-*`` ones.
        """
        await proceed()

    def on_transport_event(self, event: TransportEvent, queue: str | None) -> None:
        """Called when the client's or worker's connection is lost or restored, and a worker's consumer starts or stops.

        ``queue`` names the consumer's queue (None for connection events). Runs
        on the event loop: keep it short and do not block.
        """


def installed(hooks: Sequence[Hook] | None) -> tuple[Hook, ...] | None:
    """The hooks to run, or None for none (the hot path tests ``is None``)."""
    if not hooks:
        return None
    for hook in hooks:
        if not isinstance(hook, Hook):
            raise ConfigurationError(f"a hook subclasses burrow.sdk.Hook, got {hook!r}")
    return tuple(hooks)


def listen(hooks: tuple[Hook, ...] | None, transport: Transport) -> None:
    """Have the hooks that override ``on_transport_event`` hear ``transport``'s events."""
    for hook in hooks or ():
        if type(hook).on_transport_event is not Hook.on_transport_event:
            transport.add_listener(hook.on_transport_event)


def around(
    hooks: tuple[Hook, ...], method: str, message: Any, innermost: Callable[[], Awaitable[Any]]
) -> Awaitable[Any]:
    """``innermost()`` wrapped by each hook's ``method``, the first hook outermost."""
    proceed = innermost
    for hook in reversed(hooks):
        proceed = _bind(getattr(hook, method), message, proceed)
    return proceed()


def _bind(
    method: Callable[[Any, Callable[[], Awaitable[Any]]], Awaitable[Any]],
    message: Any,
    proceed: Callable[[], Awaitable[Any]],
) -> Callable[[], Awaitable[Any]]:
    return lambda: method(message, proceed)
