"""The caller's side of calls: publish a request, wait for its reply, decode it.

One reply consumer per client connection serves every call; replies find their
call through the correlation id in a table of pending futures. Nothing here
serialises calls: any number can be in flight.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import msgspec
from burrow.sdk._codec import decode, encode
from burrow.sdk._contract import Call, ContractInfo
from burrow.sdk._envelope import ErrorCode, ErrorEnvelope
from burrow.sdk._errors import (
    CallTimeout,
    ConfigurationError,
    ConnectionLost,
    ContractError,
    DeclaredError,
    RemoteError,
    TransportError,
)
from burrow.sdk._ids import new_message_id
from burrow.sdk._transport import Delivery, Headers, OutgoingMessage, Transport
from burrow.sdk._wire import HEADER_DEADLINE, HEADER_FINGERPRINT, HEADER_REPLY, REPLY_RESULT

__all__ = ["Caller", "DEFAULT_TIMEOUT"]

log = logging.getLogger("burrow.client")

DEFAULT_TIMEOUT = 30.0


class _Replies:
    """The pending-call table, fed by the transport's reply consumer (a ``ReplyListener``)."""

    def __init__(self) -> None:
        self.pending: dict[str, asyncio.Future[Delivery]] = {}
        self.address = ""
        # Set while the reply consumer runs; calls wait on it during a reconnect.
        self.ready = asyncio.Event()

    def on_reply(self, reply: Delivery) -> None:
        future = self.pending.pop(reply.correlation_id or "", None)
        if future is None:
            # Its call gave up (timeout, cancellation) before the reply came.
            log.debug("dropping a reply for no pending call (correlation id %s)", reply.correlation_id)
        elif not future.done():
            future.set_result(reply)

    def on_lost(self, error: TransportError) -> None:
        self.ready.clear()
        self.fail_all(f"the connection to the broker dropped before the reply came ({error})")

    def on_restored(self, address: str) -> None:
        self.address = address
        self.ready.set()

    def fail_all(self, reason: str) -> None:
        pending, self.pending = self.pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(ConnectionLost(reason))


class Caller:
    """Makes calls over one transport; ``Client.call`` delegates here.

    Args:
        exchange: the exchange requests are published to.
        default_timeout: seconds a call waits when neither it nor its contract says.
        expiration: give requests an AMQP ``expiration``. Off for quorum queues,
            which dead-letter what expires (into ``<service>.dead``, where expired
            requests do not belong); the worker's deadline check drops them instead.
    """

    def __init__(
        self,
        transport: Transport,
        *,
        exchange: str,
        content_type: str,
        app_id: str | None,
        default_timeout: float = DEFAULT_TIMEOUT,
        expiration: bool = True,
    ) -> None:
        if default_timeout <= 0:
            raise ConfigurationError(f"default_timeout must be positive, got {default_timeout}")
        self._transport = transport
        self._exchange = exchange
        self._content_type = content_type
        self._app_id = app_id
        self.default_timeout = default_timeout
        self._expiration = expiration
        self._replies = _Replies()
        self._starting: asyncio.Future[None] | None = None
        # Per contract, one result decoder per content type.
        self._decoders: dict[str, dict[str, Callable[[bytes], Any]]] = {}

    def timeout_for(self, info: ContractInfo, timeout: float | timedelta | None) -> float:
        """The call's own timeout, else its contract's, else the client's default."""
        if isinstance(timeout, timedelta):
            timeout = timeout.total_seconds()
        seconds = timeout if timeout is not None else info.timeout or self.default_timeout
        if seconds <= 0:
            raise ConfigurationError(f"{info.wire_name}: timeout must be positive, got {seconds}")
        return seconds

    async def call(
        self,
        info: ContractInfo,
        request: Call[Any],
        seconds: float,
        *,
        headers: Headers | None = None,
        message_id: str | None = None,
        replied: Callable[[Headers], None] | None = None,
    ) -> Any:
        """Publish ``request`` and return its decoded result, or raise what the reply says.

        ``headers`` (already checked) go on the request; ``message_id`` is its
        message id (by default its correlation id). ``replied`` gets the reply's
        headers when it arrives (for hooks).
        """
        body = encode(request, self._content_type, label=info.wire_name)
        started = time.monotonic()
        deadline = time.time() + seconds
        try:
            async with asyncio.timeout(seconds):
                await self._ensure_replies()
                reply = await self._exchange_messages(info, body, deadline, headers, message_id)
        except TimeoutError:
            raise CallTimeout(info.wire_name, seconds) from None
        if replied is not None:
            replied(reply.headers)
        return self._result(info, reply, time.monotonic() - started)

    async def _exchange_messages(
        self, info: ContractInfo, body: bytes, deadline: float, headers: Headers | None, message_id: str | None
    ) -> Delivery:
        """Publish the request and wait for its reply; ``deadline`` is in seconds since the epoch."""
        replies = self._replies
        if not replies.ready.is_set():
            await replies.ready.wait()  # reconnecting: the reply address is about to change
        correlation_id = new_message_id()
        now = time.time()
        future: asyncio.Future[Delivery] = asyncio.get_running_loop().create_future()
        replies.pending[correlation_id] = future
        try:
            await self._transport.publish(
                OutgoingMessage(
                    exchange=self._exchange,
                    routing_key=info.routing_key,
                    body=body,
                    type=info.wire_name,
                    message_id=message_id or correlation_id,
                    content_type=self._content_type,
                    headers={
                        **(headers or {}),
                        HEADER_FINGERPRINT: info.fingerprint,
                        HEADER_DEADLINE: int(deadline * 1000),
                    },
                    timestamp=int(now),
                    app_id=self._app_id,
                    correlation_id=correlation_id,
                    reply_to=replies.address,
                    # What is left of the deadline (the call may have waited for a reconnect).
                    expiration=max(math.ceil((deadline - now) * 1000), 1) if self._expiration else None,
                    # A request outliving a broker restart has lost its caller (the reply
                    # consumer went with the connection): nobody would read its result.
                    persistent=False,
                )
            )
            return await future
        except ConnectionLost as exc:
            raise ConnectionLost(f"{info.wire_name}: {exc}; the call may or may not have run") from exc
        finally:
            replies.pending.pop(correlation_id, None)

    async def _ensure_replies(self) -> None:
        """Open the reply consumer at the first call; concurrent first calls share the opening."""
        if self._replies.address:
            return
        if self._starting is None:
            self._starting = asyncio.ensure_future(self._open_replies())
        await asyncio.shield(self._starting)

    async def _open_replies(self) -> None:
        try:
            address = await self._transport.open_replies(self._replies)
        except BaseException:
            self._starting = None  # the next call tries again
            raise
        self._replies.on_restored(address)

    def _result(self, info: ContractInfo, reply: Delivery, waited: float) -> Any:
        if reply.headers.get(HEADER_REPLY) == REPLY_RESULT:
            cache = self._decoders.setdefault(info.wire_name, {})
            try:
                return decode(reply.body, info.result_type, reply.content_type, label=info.wire_name, cache=cache)
            except ContractError as exc:
                raise ContractError(
                    info.wire_name, f"the reply does not decode as {_type_name(info.result_type)}: {exc.detail}"
                ) from exc
        raise self._error(info, reply, waited)

    def _error(self, info: ContractInfo, reply: Delivery, waited: float) -> Exception:
        try:
            envelope: ErrorEnvelope = decode(
                reply.body, ErrorEnvelope, reply.content_type, label=info.wire_name, cache=_ENVELOPE_DECODERS
            )
        except ContractError as exc:
            return ContractError(info.wire_name, f"the error reply is not an error envelope: {exc.detail}")
        if envelope.code == ErrorCode.DECLARED:
            return _declared(info, envelope)
        if envelope.code == ErrorCode.EXPIRED:
            return CallTimeout(info.wire_name, waited, "a worker got the request after its deadline and did not run it")
        return RemoteError(info.wire_name, code=envelope.code, type=envelope.type, message=envelope.message)

    def close(self) -> None:
        """Fail the calls still waiting: the client is closing."""
        self._replies.fail_all("the client was closed before the reply came")
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()


_ENVELOPE_DECODERS: dict[str, Callable[[bytes], Any]] = {}


def _declared(info: ContractInfo, envelope: ErrorEnvelope) -> Exception:
    for kind in info.errors:
        if kind.__name__ == envelope.type:
            try:
                error = msgspec.convert(envelope.data, kind)
            except Exception as exc:  # ValidationError, or what the error type's own checks raise
                return ContractError(info.wire_name, f"the declared error {envelope.type} does not decode: {exc}")
            return DeclaredError(error, contract=info.wire_name)
    # Declared by the worker's version of the contract, not by ours.
    return RemoteError(info.wire_name, code=envelope.code, type=envelope.type, message=envelope.message)


def _type_name(kind: Any) -> str:
    return getattr(kind, "__name__", None) or repr(kind)
