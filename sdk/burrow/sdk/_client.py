"""The generic, typed client: send tasks (and, later, calls) to services."""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

from burrow.sdk._amqp import AmqpTransport
from burrow.sdk._codec import JSON, encode
from burrow.sdk._contract import Call, ContractInfo, Service, Task, contract_info
from burrow.sdk._delay import Delayer, delay_seconds
from burrow.sdk._errors import BurrowError, ClientStateError, ConfigurationError, Unroutable
from burrow.sdk._hooks import Hook, Sending, around, installed, listen
from burrow.sdk._ids import new_message_id
from burrow.sdk._metadata import caller_headers, caller_message_id
from burrow.sdk._rpc import DEFAULT_TIMEOUT, Caller
from burrow.sdk._topology import Topology
from burrow.sdk._transport import Headers, OutgoingMessage, Transport
from burrow.sdk._url import BrokerURL, broker_url
from burrow.sdk._window import DEFAULT_WINDOW, Window
from burrow.sdk._wire import HEADER_FINGERPRINT

__all__ = ["Client", "ClientState"]

R = TypeVar("R")


class ClientState(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class Client:
    """Sends messages to services. Open it once, use it from any task, close it once.

        async with Client.connect("amqp://localhost/") as client:
            await client.send(DeleteFile(path="/tmp/x"))

    Args:
        transport: how to reach the broker; ``Client.connect`` builds an AMQP one.
        topology: exchange and queue settings; must match the workers'.
        app_id: names this application in every message's ``app_id``.
        content_type: ``application/json`` (default) or ``application/msgpack``.
        declare: declare each service's queues before its first send, so tasks
            wait for a worker that has not started yet. Turn off where the
            topology is managed elsewhere; a send with no queue bound then
            raises ``Unroutable``. The delay cascade is not declared either: a
            delayed send needs it to exist already (docs/delays.md).
        default_timeout: seconds a call waits for its reply when neither the
            call nor its contract sets a timeout.
        hooks: run around every send and call, the first outermost
            (docs/observability.md).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        topology: Topology | None = None,
        app_id: str | None = None,
        content_type: str = JSON,
        declare: bool = True,
        default_timeout: float = DEFAULT_TIMEOUT,
        hooks: Sequence[Hook] | None = None,
    ) -> None:
        self._transport = transport
        self._hooks = installed(hooks)
        self._topology = topology or Topology()
        self._app_id = app_id
        self._content_type = content_type
        self._declare_topology = declare
        self._state = ClientState.UNOPENED
        # One declaration per service, shared by the sends that race to make it.
        self._declaring: dict[str, asyncio.Future[None]] = {}
        self._ready: set[str] = set()
        self._delayer = Delayer(transport, self._topology, declare=declare)
        self._caller = Caller(
            transport,
            exchange=self._topology.exchange,
            content_type=content_type,
            app_id=app_id,
            default_timeout=default_timeout,
            expiration=self._topology.queue_type == "classic",
        )

    @classmethod
    def connect(
        cls,
        url: BrokerURL | None = None,
        *,
        topology: Topology | None = None,
        app_id: str | None = None,
        content_type: str = JSON,
        declare: bool = True,
        default_timeout: float = DEFAULT_TIMEOUT,
        hooks: Sequence[Hook] | None = None,
    ) -> Self:
        """A client for the RabbitMQ at ``url``; it connects when opened (``async with``).

        Without ``url``, the broker is ``$BURROW_URL``, then ``$RABBITMQ_URL``, then
        ``amqp://guest:guest@localhost/``, as for ``Worker``. On a cluster, ``url`` may
        name several nodes (a list, or URLs separated by ``;``): the client connects to
        the first that answers and, when that node dies, reconnects to the next.
        """
        transport = AmqpTransport(broker_url(url), connection_name=app_id or "burrow-client")
        return cls(
            transport,
            topology=topology,
            app_id=app_id,
            content_type=content_type,
            declare=declare,
            default_timeout=default_timeout,
            hooks=hooks,
        )

    @property
    def state(self) -> ClientState:
        return self._state

    @property
    def topology(self) -> Topology:
        return self._topology

    async def open(self) -> None:
        """Connect to the broker. Raises ``TransportError`` when it cannot be reached."""
        if self._state is not ClientState.UNOPENED:
            raise ClientStateError(f"a client can be opened once; this one is {self._state.value}")
        listen(self._hooks, self._transport)
        await self._transport.open()
        self._state = ClientState.OPEN

    async def aclose(self) -> None:
        """Disconnect. Sends still waiting for a confirm, and calls still waiting for
        their reply, fail with ``ConnectionLost``."""
        if self._state is ClientState.OPEN:
            self._state = ClientState.CLOSED
            self._caller.close()
            await self._transport.close()
        self._state = ClientState.CLOSED

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def send(
        self,
        task: Task,
        *,
        delay: float | timedelta | None = None,
        at: datetime | None = None,
        headers: Mapping[str, Any] | None = None,
        message_id: str | None = None,
    ) -> None:
        """Send a task; return once the broker has confirmed it is stored.

        Args:
            delay: deliver no sooner than this many seconds (or this ``timedelta``) from now.
                Delays are durable and held by the broker (docs/delays.md).
            at: deliver no sooner than this timezone-aware moment. Not with ``delay``.
            headers: AMQP headers of your own; the handler reads them from
                ``Context.headers``. ``x-burrow-*`` names are Burrow's.
            message_id: the message id (default: a new random one). Pass the
                same id when sending again after ``ConnectionLost``, and a
                handler keyed on ``Context.message_id`` runs the task once.

        Raises:
            Unroutable: no queue is bound for the task's contract.
            PublishError: the broker refused the message.
            ConnectionLost: the connection dropped before the confirm; the task
                may or may not have been stored.
            ContractError: the task cannot be encoded.
            ConfigurationError: both ``delay`` and ``at``, a naive ``at``, a delay
                outside 0 to about 8.5 years, a reserved or unencodable header,
                or an empty or over-long message id.

        If cancelled, the task may or may not have been published.
        """
        info = contract_info(task)
        if info.kind != "task":
            raise ConfigurationError(f"{info.wire_name} is a call: use client.call(...)")
        seconds = delay_seconds(delay, at)
        extra = caller_headers(headers)
        chosen_id = caller_message_id(message_id) or new_message_id()
        if self._hooks is None:
            await self._publish(
                info.service,
                info.wire_name,
                info.routing_key,
                info.fingerprint,
                task,
                seconds,
                info.queue,
                extra,
                chosen_id,
            )
            return
        sending = Sending(
            contract=info.wire_name,
            kind="task",
            message_id=chosen_id,
            headers=extra,
            exchange=self._topology.exchange,
            routing_key=info.routing_key,
            delay=seconds,
        )

        async def proceed() -> None:
            await self._publish(
                info.service,
                info.wire_name,
                info.routing_key,
                info.fingerprint,
                task,
                seconds,
                info.queue,
                caller_headers(sending.headers),
                chosen_id,
            )

        await around(self._hooks, "around_send", sending, proceed)

    async def send_many(
        self,
        tasks: Iterable[Task] | AsyncIterable[Task],
        *,
        delay: float | timedelta | None = None,
        at: datetime | None = None,
        headers: Mapping[str, Any] | None = None,
        window: int = DEFAULT_WINDOW,
    ) -> None:
        """Send a stream of tasks with their confirms pipelined; return once all are confirmed.

            await client.send_many(DeleteFile(path=path) for path in paths)

        The tasks are taken from ``tasks`` one at a time as the window has room:
        a generator of a million tasks is never held in memory at once, and the
        first task is on its way before the second is taken.

        Args:
            tasks: an iterable or async iterable of tasks, of any services.
            delay: deliver no sooner than this many seconds (or this ``timedelta``)
                after this call: every task is due at the same moment, however
                long the stream takes to send.
            at: deliver no sooner than this timezone-aware moment. Not with ``delay``.
            headers: AMQP headers of your own, set on every task (as for ``send``).
                Each task gets its own new message id.
            window: at most this many tasks waiting for their confirms at once.

        Every task is sent, whatever happened to the ones before it. Raises an
        ``ExceptionGroup`` of the failures once every send has settled; each
        failure carries a note with the index of its task (``task #3``), counted
        from 0 in the order ``tasks`` yielded them. A reserved or unencodable
        header, or a wrong ``delay``, ``at`` or ``window``, raises
        ``ConfigurationError`` before anything is sent; an exception raised by
        ``tasks`` itself is raised as it is once the sends before it settled, or
        in the ``ExceptionGroup``, with their failures, if some of them failed.

        If cancelled, the tasks in flight are cancelled: each may or may not
        have been published.
        """
        seconds = delay_seconds(delay, at)
        extra = caller_headers(headers)
        sends = Window(window, self._forget)
        self._require_open()
        due = time.time() + seconds if seconds > 0 else None

        def start(index: int, task: Task) -> tuple[str, Awaitable[None]]:
            try:
                info: ContractInfo | None = contract_info(task)
            except Exception:
                info = None  # ``send`` raises the error, as the task's failure
            service = info.service.name if info is not None else ""
            if due is None:
                return service, self._send_soon(info, task, extra)
            return service, self._send_later(info, task, extra, due)

        try:
            count = await sends.run(tasks, start, self._declare_ahead)
        except Exception as exc:
            if not sends.failures:
                raise
            # Keep the sends that failed before the stream did: the caller must know them too.
            raise ExceptionGroup(
                f"the task stream raised after {len(sends.failures)} tasks were not sent", [*sends.failures, exc]
            ) from None
        if sends.interrupted is not None:
            raise sends.interrupted
        if sends.failures:
            raise ExceptionGroup(f"{len(sends.failures)} of {count} tasks were not sent", sends.failures)

    def _send_soon(self, info: ContractInfo | None, task: Task, headers: Headers) -> Awaitable[None]:
        """``send(task)``, with two coroutine layers fewer when nothing is left to check or declare.

        Every send in a window waits for its confirm at once, so each layer is
        hundreds of suspended frames (and garbage-collector work) at a time.
        Anything unusual (an undeclared service, a failure) goes through
        ``send``, which raises its errors as usual.
        """
        try:
            if info is None or info.kind != "task" or self._state is not ClientState.OPEN:
                return self.send(task, headers=headers)
            if self._declare_topology and info.service.name not in self._ready:
                return self.send(task, headers=headers)
            if self._hooks is not None:
                return self._send_hooked(self._hooks, info, task, headers)
            message = self._message(info.wire_name, info.routing_key, info.fingerprint, task, headers)
        except Exception:
            return self.send(task, headers=headers)
        return self._transport.publish(message)

    def _send_later(self, info: ContractInfo | None, task: Task, headers: Headers, due: float) -> Awaitable[None]:
        """``send(task, delay=...)`` due at ``due`` (``time.time()``), or at once if that has passed."""
        seconds = due - time.time()
        if seconds <= 0:
            return self._send_soon(info, task, headers)
        if info is None or info.kind != "task" or self._hooks is not None:
            return self.send(task, delay=seconds, headers=headers)
        return self._publish(
            info.service,
            info.wire_name,
            info.routing_key,
            info.fingerprint,
            task,
            seconds,
            info.queue,
            headers,
            new_message_id(),
        )

    def _send_hooked(
        self, hooks: tuple[Hook, ...], info: ContractInfo, task: Task, headers: Headers
    ) -> Awaitable[None]:
        """``_send_soon`` through the hooks: the hooks' own layers, and no more."""
        sending = Sending(
            contract=info.wire_name,
            kind="task",
            message_id=new_message_id(),
            headers=dict(headers),  # each task's own: a hook may add to it
            exchange=self._topology.exchange,
            routing_key=info.routing_key,
        )

        def publish() -> Awaitable[None]:
            headers = caller_headers(sending.headers)
            message = self._message(
                info.wire_name, info.routing_key, info.fingerprint, task, headers, sending.message_id
            )
            return self._transport.publish(message)

        result: Awaitable[None] = around(hooks, "around_send", sending, publish)
        return result

    async def call(
        self,
        request: Call[R],
        *,
        timeout: float | timedelta | None = None,
        headers: Mapping[str, Any] | None = None,
        message_id: str | None = None,
    ) -> R:
        """Send a call and wait for its typed result.

            info = await client.call(StatFile(path="a.png"), timeout=5)

        The request expires unserved if no worker starts it within the timeout.

        Args:
            timeout: seconds (or a ``timedelta``) to wait; defaults to the
                contract's timeout, then to the client's ``default_timeout``.
            headers: AMQP headers of your own; the handler reads them from
                ``Context.headers``. ``x-burrow-*`` names are Burrow's.
            message_id: the request's message id (default: a new random one);
                the reply finds its call by a correlation id of its own.

        Raises:
            DeclaredError: the handler answered with one of the contract's
                declared errors, in ``.error``.
            RemoteError: the handler failed with an undeclared exception.
            CallTimeout: no reply within the timeout.
            ContractError: the request does not encode, or the reply does not
                decode as the contract's result type.
            Unroutable: no queue is bound for the contract.
            ConnectionLost: the connection dropped before the reply came; the
                call may or may not have run.
            ConfigurationError: a reserved or unencodable header, or an empty
                or over-long message id.

        If cancelled, the call may or may not have been published (and run).
        """
        info = contract_info(request)
        if info.kind != "call":
            raise ConfigurationError(f"{info.wire_name} is a task: use client.send(...)")
        seconds = self._caller.timeout_for(info, timeout)
        extra = caller_headers(headers)
        chosen_id = caller_message_id(message_id)
        self._require_open()
        if self._hooks is None:
            return await self._call(info, request, seconds, extra, chosen_id)
        calling = Sending(
            contract=info.wire_name,
            kind="call",
            message_id=chosen_id or new_message_id(),
            headers=extra,
            exchange=self._topology.exchange,
            routing_key=info.routing_key,
            timeout=seconds,
        )

        def replied(headers: Headers) -> None:
            calling.reply_headers = headers

        async def proceed() -> R:
            return await self._call(
                info, request, seconds, caller_headers(calling.headers), calling.message_id, replied
            )

        result: R = await around(self._hooks, "around_send", calling, proceed)
        return result

    async def _call(
        self,
        info: ContractInfo,
        request: Call[R],
        seconds: float,
        headers: Headers,
        message_id: str | None,
        replied: Callable[[Headers], None] | None = None,
    ) -> R:
        if self._declare_topology and info.service.name not in self._ready:
            await self._declare(info.service)
        result: R = await self._caller.call(
            info, request, seconds, headers=headers, message_id=message_id, replied=replied
        )
        return result

    def _require_open(self) -> None:
        if self._state is not ClientState.OPEN:
            raise ClientStateError(f"the client is {self._state.value}: open it first (async with Client...)")

    async def _publish(
        self,
        service: Service,
        type_: str,
        routing_key: str,
        fingerprint: str,
        payload: Task,
        delay: float,
        queue: str,
        headers: Headers,
        message_id: str,
    ) -> None:
        if self._state is not ClientState.OPEN:
            raise ClientStateError(f"the client is {self._state.value}: open it first (async with Client...)")
        if self._declare_topology and service.name not in self._ready:
            await self._declare(service)
        message = self._message(type_, routing_key, fingerprint, payload, headers, message_id)
        if delay > 0:
            await self._delayer.publish(message, delay=delay, queue=queue)
            return
        try:
            await self._transport.publish(message)
        except Unroutable:
            if not self._declare_topology:
                raise
            # The queue was deleted since it was declared (and the declaration
            # cached): declare it again and send once more.
            self._forget(service.name)
            await self._declare(service)
            await self._transport.publish(message)

    def _message(
        self,
        type_: str,
        routing_key: str,
        fingerprint: str,
        payload: Task,
        headers: Headers,
        message_id: str | None = None,
    ) -> OutgoingMessage:
        # The caller's headers first: Burrow's own (checked not to clash) follow.
        return OutgoingMessage(
            exchange=self._topology.exchange,
            routing_key=routing_key,
            body=encode(payload, self._content_type, label=type_),
            type=type_,
            message_id=message_id or new_message_id(),
            content_type=self._content_type,
            headers={**headers, HEADER_FINGERPRINT: fingerprint} if headers else {HEADER_FINGERPRINT: fingerprint},
            timestamp=int(time.time()),
            app_id=self._app_id,
        )

    async def _declare_ahead(self, task: Task) -> None:
        """Declare the first task's service before a burst, so the sends do not all queue up behind it."""
        with contextlib.suppress(BurrowError):  # each send retries the declaration and reports its failure
            service = contract_info(task).service
            if self._declare_topology and service.name not in self._ready:
                await self._declare(service)

    async def _declare(self, service: Service) -> None:
        """Declare the service's queue so a task sent before any worker started waits there."""
        # One task shared by every sender: cancelling one sender must not cancel
        # the declaration (or the other senders waiting for it).
        declaring = self._declaring.get(service.name)
        if declaring is None:
            declaring = self._declaring[service.name] = asyncio.ensure_future(
                self._transport.declare(self._topology.service(service))
            )
            declaring.add_done_callback(lambda done: self._declared(service.name, done))
        await asyncio.shield(declaring)

    def _forget(self, name: str) -> None:
        """Declare service ``name`` again at its next send (its queue was deleted)."""
        self._ready.discard(name)
        declaring = self._declaring.get(name)
        if declaring is not None and declaring.done():
            del self._declaring[name]

    def _declared(self, name: str, done: asyncio.Future[None]) -> None:
        if done.cancelled() or done.exception() is not None:
            del self._declaring[name]  # let the next send try again
        else:
            self._ready.add(name)
