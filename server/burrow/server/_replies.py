"""Serving a call: run its handler, publish the reply, then ack the request.

The reply goes to the default exchange with the request's ``reply_to`` as
routing key and its ``correlation_id``. Its ``x-burrow-reply`` header says what
the body is: ``result`` (the handler's return value, in the request's content
type) or ``error`` (an ``ErrorEnvelope``; ``docs/calls.md``). A request whose
deadline has passed is not run: the worker logs it, answers ``expired`` in case
the caller still listens, and acks it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from burrow.sdk import (
    JSON,
    ContractError,
    ContractInfo,
    DeclaredError,
    Delivery,
    OutgoingMessage,
    Transport,
    TransportError,
)
from burrow.sdk._codec import encode
from burrow.sdk._envelope import ErrorCode, ErrorEnvelope
from burrow.sdk._errors import Unroutable
from burrow.sdk._hooks import Outcome
from burrow.sdk._ids import new_message_id
from burrow.sdk._wire import HEADER_DEADLINE, HEADER_REPLY, REPLY_ERROR, REPLY_RESULT
from burrow.server._hooked import note, publish

__all__ = ["ms_past_deadline", "reply_rejected", "serve_call"]

log = logging.getLogger("burrow.worker")

_Reply = tuple[str, bytes]  # the x-burrow-reply value and the body


async def serve_call(
    transport: Transport,
    delivery: Delivery,
    info: ContractInfo,
    run: Callable[[], Awaitable[Any]],
) -> None:
    """Run the handler (``run``) unless the deadline has passed, reply, then ack."""
    late = ms_past_deadline(delivery)
    if late is not None:
        log.warning(
            "%s call %s expired %d ms before a worker got it; not running it", info.wire_name, delivery.message_id, late
        )
        envelope = ErrorEnvelope(code=ErrorCode.EXPIRED, message=f"the request reached a worker {late} ms late")
        reply = _error(envelope, delivery)
    else:
        reply = await _outcome(info, delivery, run)
    await _publish(transport, delivery, reply)
    await delivery.ack()


def ms_past_deadline(delivery: Delivery) -> int | None:
    """How many milliseconds past its ``x-burrow-deadline`` the request is, or None if in time."""
    deadline = delivery.headers.get(HEADER_DEADLINE)
    if not isinstance(deadline, int):
        return None
    late = int(time.time() * 1000) - deadline
    return late if late >= 0 else None


async def _outcome(info: ContractInfo, delivery: Delivery, run: Callable[[], Awaitable[Any]]) -> _Reply:
    try:
        result = await run()
    except DeclaredError as exc:
        note(Outcome.ERROR, exception=exc)
        return _declared(info, delivery, exc.error)
    except Exception as exc:
        note(Outcome.ERROR, exception=exc)
        log.exception(
            "%s handler failed for call %s; the caller gets a RemoteError", info.wire_name, delivery.message_id
        )
        return _error(ErrorEnvelope(code=ErrorCode.FAILED, type=type(exc).__qualname__, message=str(exc)), delivery)
    if info.errors and isinstance(result, info.errors):
        return _declared(info, delivery, result)
    try:
        return REPLY_RESULT, encode(result, delivery.content_type or JSON, label=info.wire_name)
    except ContractError as exc:
        log.error("%s handler returned a result that cannot be encoded: %s", info.wire_name, exc)
        return _error(ErrorEnvelope(code=ErrorCode.FAILED, type="ContractError", message=str(exc)), delivery)


def _declared(info: ContractInfo, delivery: Delivery, error: msgspec.Struct) -> _Reply:
    name = type(error).__name__
    if not isinstance(error, info.errors):
        log.error(
            "%s handler answered with %r, which the contract does not declare; add it to errors=[...] "
            "in its @service.call(...) so callers can catch it",
            info.wire_name,
            error,
        )
        message = f"the handler answered with an undeclared error: {error!r}"
        return _error(ErrorEnvelope(code=ErrorCode.FAILED, type=name, message=message), delivery)
    envelope = ErrorEnvelope(code=ErrorCode.DECLARED, type=name, message=repr(error), data=error)
    return _error(envelope, delivery)


def _error(envelope: ErrorEnvelope, delivery: Delivery) -> _Reply:
    return REPLY_ERROR, encode(envelope, delivery.content_type or JSON, label="error envelope")


async def _publish(transport: Transport, delivery: Delivery, reply: _Reply) -> None:
    if not delivery.reply_to:
        log.warning("%s call %s names no reply_to; its reply is dropped", delivery.type, delivery.message_id)
        return
    kind, body = reply
    try:
        await publish(
            OutgoingMessage(
                exchange="",  # the default exchange routes to the queue named by the key
                routing_key=delivery.reply_to,
                body=body,
                type=delivery.type or "",
                message_id=new_message_id(),
                content_type=delivery.content_type or JSON,
                headers={HEADER_REPLY: kind},
                correlation_id=delivery.correlation_id,
                persistent=False,
            ),
            "reply",
            transport.publish,
        )
    except Unroutable:
        # The caller's connection, and its reply queue with it, is gone: nobody to answer.
        log.warning(
            "the caller of %s call %s is gone (no reply queue %s); dropping its reply",
            delivery.type,
            delivery.message_id,
            delivery.reply_to,
        )


async def reply_rejected(transport: Transport, delivery: Delivery, detail: str) -> None:
    """Tell a waiting caller that its request went to the dead-letter queue (best effort).

    Called after the request was dead-lettered and acked, so a failure here only
    means the caller waits for its timeout: it is logged, not raised.
    """
    if not delivery.reply_to:
        return
    envelope = ErrorEnvelope(code=ErrorCode.BAD_REQUEST, type="BadRequest", message=detail)
    try:
        await _publish(transport, delivery, _error(envelope, delivery))
    except TransportError as exc:
        log.warning("could not tell the caller of %s that it was dead-lettered: %s", delivery.message_id, exc)
