"""From a delivery to a settled message: decode, run the handler, ack or dead-letter.

One ``Dispatcher`` serves one queue. Every path ends with the delivery settled
exactly once: acked after the handler finished, acked after a confirmed copy
reached the dead-letter queue, or rejected back to its queue when the worker
stops before finishing it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor
from typing import Any, TypeGuard

from burrow.sdk import (
    ContractError,
    ContractInfo,
    Delivery,
    RetryPolicy,
    Topology,
    TopologySpec,
    Transport,
    TransportError,
    Unroutable,
)
from burrow.sdk._delay import wait_until_due
from burrow.sdk._hooks import Hook, Outcome
from burrow.sdk._retry import NO_RETRY
from burrow.sdk._wire import HEADER_DELIVERIES, HEADER_DUE
from burrow.server._context import Context
from burrow.server._dead_letters import DeadReason, counted_copy, dead_letter
from burrow.server._hooked import handle_hooked, note, publish, publishing_hooks
from burrow.server._logging import message_fields
from burrow.server._replies import reply_rejected, serve_call
from burrow.server._retry import Retrier, attempt_of

__all__ = ["Binding", "Dispatcher", "HandlerCancelled", "HandlerTimeout"]


class HandlerCancelled(Exception):
    """Raised when a handler ends with a ``CancelledError`` the worker did not cause."""


class HandlerTimeout(Exception):
    """Raised when a handler runs past its time limit (it is cancelled; a thread runs on)."""


log = logging.getLogger("burrow.worker")

# After a failure to settle (e.g. the dead-letter queue is gone), wait before the
# message comes back so that a persistent fault does not spin the CPU.
_REQUEUE_PAUSE = 1.0


class Binding:
    """A contract, the function that implements it, and its retry policy.

    ``retry`` overrides the contract's own policy; with neither, a failure
    dead-letters at once.
    """

    __slots__ = ("handler", "info", "is_async", "retry", "time_limit")

    def __init__(
        self,
        info: ContractInfo,
        handler: Callable[..., Any],
        retry: RetryPolicy | None = None,
        time_limit: float | None = None,
    ) -> None:
        self.info = info
        self.handler = handler
        self.is_async = _is_async(handler)
        self.retry = retry or info.retry or NO_RETRY
        self.time_limit = time_limit  # None: the worker's


def _is_async(handler: Callable[..., Any]) -> bool:
    """Whether calling ``handler`` returns a coroutine, as far as can be told without calling it.

    Looks through ``functools.partial`` and ``functools.wraps`` (a sync decorator
    around an async function). What this cannot see, such as a lambda that
    returns a coroutine, runs in the thread pool and its coroutine is then
    awaited on the event loop (``Dispatcher._run``).
    """
    while isinstance(handler, functools.partial):
        handler = handler.func
    if inspect.iscoroutinefunction(handler) or inspect.iscoroutinefunction(inspect.unwrap(handler)):
        return True
    # A callable object whose __call__ is async.
    return inspect.iscoroutinefunction(type(handler).__call__)


class Dispatcher:
    """Handles the deliveries of one queue.

    Args:
        bindings: by contract wire name, the contracts served from this queue.
        dead_letter_queue: where undecodable, unknown and failed messages go.
        executor: runs synchronous handlers off the event loop.
        in_flight: the worker's set of running dispatches, for graceful shutdown.
        accepting: returns False once the worker is stopping.
        retrier: re-publishes failed messages for a later attempt (retry policies).
        time_limit: the worker's default handler time limit, in seconds.
        delivery_limit: on a classic queue, how many times a message may come back
            unsettled before it is dead-lettered (a quorum queue's broker counts: None).
        topology: the service's entities, declared again when the dead-letter queue has gone.
        hooks: run around each dispatch (None: none, the usual path).
    """

    def __init__(
        self,
        *,
        transport: Transport,
        bindings: Mapping[str, Binding],
        dead_letter_queue: str,
        executor: Executor | None,
        in_flight: set[asyncio.Task[Any]],
        accepting: Callable[[], bool],
        retrier: Retrier | None = None,
        time_limit: float | None = None,
        delivery_limit: int | None = None,
        topology: TopologySpec | None = None,
        hooks: tuple[Hook, ...] | None = None,
    ) -> None:
        self._hooks = hooks
        self._publishers = publishing_hooks(hooks) if hooks is not None else ()
        self._topology = topology
        self._time_limit = time_limit
        self._delivery_limit = delivery_limit
        self._transport = transport
        self._bindings = bindings
        self._dead_letter_queue = dead_letter_queue
        self._executor = executor
        self._in_flight = in_flight
        self._accepting = accepting
        self._retrier = retrier or Retrier(transport, Topology())
        # Message ids whose counted copy is published but whose original is not acked yet.
        self._counting: dict[str, asyncio.Event] = {}

    async def __call__(self, delivery: Delivery) -> None:
        if not self._accepting():
            # Arrived after shutdown began: not started, so it goes back untouched.
            if self._hooks is None:
                await _give_back(delivery)
            else:
                await handle_hooked(self._hooks, _give_back, delivery)
            return
        task = asyncio.current_task()
        assert task is not None
        self._in_flight.add(task)
        try:
            if delivery.redelivered and self._delivery_limit is not None:
                settle = self._redelivery(delivery)
                # Settled without running the handler; the hooks still see how.
                if self._hooks is None:
                    await settle(delivery)
                else:
                    await handle_hooked(self._hooks, settle, delivery, self._publishers)
                return
            if self._counting and delivery.message_id and (counting := self._counting.get(delivery.message_id)):
                # The copy can arrive before its original is acked (a confirm waits for the disk,
                # a delivery does not). Run it first and a poison message that kills the worker
                # brings back both, and each keeps its own count: wait for the ack.
                await counting.wait()
            if HEADER_DUE in delivery.headers:  # skips a coroutine per delivery for messages sent without delay
                await wait_until_due(delivery.headers)  # a delayed message may arrive up to 175 ms early
            if self._hooks is None:
                await self._dispatch(delivery)
            else:
                await handle_hooked(self._hooks, self._dispatch, delivery, self._publishers)
        except asyncio.CancelledError:
            # The worker gave up waiting for this handler at shutdown.
            await _settle_quietly(delivery.reject(requeue=True))
            raise
        except TransportError as exc:
            if delivery.settled:
                return  # e.g. a call's reply could not be sent after its request was acked
            # The broker refused the dead-letter or retry copy, or the connection
            # dropped: the message itself is fine, so it waits on its queue.
            log.exception(
                "could not settle %s message %r; it goes back to its queue", delivery.type, delivery.message_id
            )
            if isinstance(exc, Unroutable) and self._topology is not None:
                # The dead-letter queue was deleted under the worker: declare it
                # (and the service's other entities) again for the next try.
                with contextlib.suppress(TransportError):
                    await self._transport.declare(self._topology)
            await asyncio.sleep(_REQUEUE_PAUSE)
            await _settle_quietly(delivery.reject(requeue=True))
        except Exception as exc:
            if not delivery.settled:
                await self._contain(delivery, exc)
        finally:
            self._in_flight.discard(task)

    async def _dispatch(self, delivery: Delivery) -> None:
        if delivery.malformed is not None:
            log.error("dead-lettering message %r: %s", delivery.message_id, delivery.malformed)
            await self._refuse(delivery, DeadReason.UNDECODABLE, "MalformedProperties", delivery.malformed)
            return
        binding = self._bindings.get(delivery.type) if delivery.type else None
        if binding is None:
            await self._reject_unknown(delivery)
            return
        info = binding.info
        try:
            message = info.decode(delivery.body, delivery.content_type)
        except ContractError as exc:
            log.error("dead-lettering message %s: %s", delivery.message_id, exc)
            await self._refuse(delivery, DeadReason.UNDECODABLE, type(exc).__qualname__, str(exc))
            return
        context = Context(
            message_id=delivery.message_id or "",
            contract=info.wire_name,
            attempt=attempt_of(delivery),
            redelivered=delivery.redelivered,
            app_id=delivery.app_id,
            sent_at=delivery.timestamp,
            headers=delivery.headers,
        )
        if info.kind == "call":
            await serve_call(self._transport, delivery, info, lambda: self._run(binding, message, context))
            return
        try:
            await self._run(binding, message, context)
        except Exception as exc:
            await self._retrier.failed(
                delivery,
                exc,
                policy=binding.retry,
                routing_key=info.routing_key,
                dead_letter_queue=self._dead_letter_queue,
            )
            return
        await delivery.ack()

    async def _run(self, binding: Binding, message: Any, context: Context) -> Any:
        limit = binding.time_limit or self._time_limit
        if limit is None:
            return await self._call(binding, message, context)
        timeout = asyncio.timeout(limit)
        try:
            async with timeout:
                return await self._call(binding, message, context)
        except TimeoutError:
            if not timeout.expired():
                raise  # the handler's own
            raise HandlerTimeout(
                f"{binding.info.wire_name} handler ran past its time limit of {limit:g} s and was cancelled"
            ) from None

    async def _call(self, binding: Binding, message: Any, context: Context) -> Any:
        try:
            if binding.is_async:
                result = binding.handler(message, context)
                # A sync wrapper found by unwrapping returns the coroutine; one that ran it itself does not.
                return await result if inspect.isawaitable(result) else result
            loop = asyncio.get_running_loop()
            # In a copy of this task's context, as asyncio.to_thread does: the thread sees what
            # hooks set around the handler (the current span), so its own sends join the trace.
            run = contextvars.copy_context().run
            result = await loop.run_in_executor(self._executor, run, binding.handler, message, context)
            if inspect.isawaitable(result):
                # A plain function that returns a coroutine (a lambda, a sync decorator
                # around an async handler): its work is in the coroutine, so it runs here.
                return await result
            return result
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # the worker is cancelling it (shutdown): the message goes back to its queue
            # The handler let a cancellation of its own escape (e.g. it awaited a task
            # someone else cancelled): a failure like any other, not a shutdown, so it
            # is retried or dead-lettered instead of requeued in a loop.
            raise HandlerCancelled(f"{binding.info.wire_name} handler was cancelled from inside") from None

    async def _reject_unknown(self, delivery: Delivery) -> None:
        if delivery.type:
            detail = f"no contract named {delivery.type!r} is served from queue {delivery.queue!r}"
        else:
            detail = "the message has no type property naming its contract"
        log.error("dead-lettering message %s: %s", delivery.message_id, detail)
        await self._refuse(delivery, DeadReason.UNKNOWN_CONTRACT, "UnknownContract", detail)

    def _redelivery(self, delivery: Delivery) -> Callable[[Delivery], Awaitable[None]]:
        """How to settle a delivery that came back unsettled on a classic queue.

        A quorum queue counts returns itself and dead-letters past its
        ``x-delivery-limit``. A classic queue does not: the count travels in
        ``x-burrow-deliveries`` on a copy, republished to the back of its queue
        with the count raised, the redelivered original then acked. Past the
        limit the message is dead-lettered instead, as a quorum queue would.
        """
        assert self._delivery_limit is not None
        previous = delivery.headers.get(HEADER_DELIVERIES)
        deliveries = (previous if _is_count(previous) else 1) + 1
        if deliveries - 1 > self._delivery_limit:
            return functools.partial(self._dead_letter_redelivered, returns=deliveries - 1)
        return functools.partial(self._count_delivery, deliveries=deliveries)

    async def _dead_letter_redelivered(self, delivery: Delivery, *, returns: int) -> None:
        detail = (
            f"came back unsettled {returns} times, more than the delivery limit of {self._delivery_limit}: "
            "its worker died, hung or lost its connection while handling it"
        )
        log.error(
            "dead-lettering %s message %r: %s",
            delivery.type,
            delivery.message_id,
            detail,
            extra={
                **message_fields(delivery.type, delivery.message_id, attempt_of(delivery), "dead-lettered"),
                "dead_reason": DeadReason.DELIVERY_LIMIT.value,
            },
        )
        await self._refuse(delivery, DeadReason.DELIVERY_LIMIT, "DeliveryLimit", detail)

    async def _count_delivery(self, delivery: Delivery, *, deliveries: int) -> None:
        assert self._delivery_limit is not None
        log.warning(
            "%s message %r came back unsettled (delivery %d of at most %d)",
            delivery.type,
            delivery.message_id,
            deliveries,
            self._delivery_limit + 1,
        )
        copy = counted_copy(delivery, deliveries)
        key = copy.message_id  # the original's, or a new one when it had none
        counting = asyncio.Event()
        if key:
            self._counting[key] = counting
        try:
            await publish(copy, "requeue", self._transport.publish)
            await delivery.ack()
        finally:
            if key and self._counting.get(key) is counting:
                del self._counting[key]
            counting.set()
        note(Outcome.REQUEUED)

    async def _contain(self, delivery: Delivery, exc: Exception) -> None:
        """Dead-letter a delivery the worker itself failed on, instead of requeueing it in a loop."""
        log.error(
            "could not process %s message %r; dead-lettering it", delivery.type, delivery.message_id, exc_info=exc
        )
        try:
            await self._dead_letter(delivery, DeadReason.WORKER_ERROR, type(exc).__qualname__, str(exc))
        except Exception:
            log.exception("could not dead-letter message %r either; it goes back to its queue", delivery.message_id)
            await asyncio.sleep(_REQUEUE_PAUSE)
            await _settle_quietly(delivery.reject(requeue=True))

    async def _dead_letter(self, delivery: Delivery, reason: DeadReason, error_type: str, detail: str) -> None:
        await dead_letter(
            self._transport,
            delivery,
            queue=self._dead_letter_queue,
            reason=reason,
            error_type=error_type,
            error_message=detail,
        )

    async def _refuse(self, delivery: Delivery, reason: DeadReason, error_type: str, detail: str) -> None:
        """Dead-letter a message the worker will not handle, and tell a caller waiting on it why."""
        await self._dead_letter(delivery, reason, error_type, detail)
        await reply_rejected(self._transport, delivery, detail)


def _is_count(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


async def _give_back(delivery: Delivery) -> None:
    await _settle_quietly(delivery.reject(requeue=True))
    note(Outcome.REQUEUED)


async def _settle_quietly(settling: Awaitable[None]) -> None:
    # Settling fails only when the channel is gone, and then the broker requeues anyway.
    with contextlib.suppress(Exception):
        await settling
