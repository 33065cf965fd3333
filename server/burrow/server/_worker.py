"""The worker: binds contracts to handlers, consumes their queues, shuts down gracefully."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, Self, TypeVar

from burrow.sdk import (
    AmqpTransport,
    Bindable,
    ClientStateError,
    ConfigurationError,
    Service,
    Subscription,
    Topology,
    Transport,
    contract_info,
)
from burrow.sdk._hooks import Hook, installed, listen
from burrow.sdk._retry import RetryPolicy
from burrow.sdk._url import BrokerURL, broker_url
from burrow.server._context import Context
from burrow.server._dispatch import Binding, Dispatcher
from burrow.server._logging import MessageLog
from burrow.server._ops import OpsServer, exposition
from burrow.server._queues import (
    DEFAULT_CONCURRENCY,
    Concurrency,
    ServedQueue,
    check_concurrency,
    concurrency_of,
    plan,
    sync_slots,
)
from burrow.server._retry import Retrier
from burrow.server._schedules import Scheduler

__all__ = ["Handler", "Worker", "WorkerState"]

log = logging.getLogger("burrow.worker")

C = TypeVar("C")
R = TypeVar("R")

Handler = Callable[[C, Context], Awaitable[R]] | Callable[[C, Context], R]
"""An async function, or a sync one (run in a thread), taking the message and its context."""


def _check_time_limit(time_limit: float | None) -> None:
    if time_limit is not None and not time_limit > 0:
        raise ConfigurationError(f"a time limit is a positive number of seconds (or None), got {time_limit}")


class WorkerState(enum.Enum):
    IDLE = "idle"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"


class Worker:
    """Serves contracts from their queues.

        worker = Worker("amqp://localhost/")
        worker.bind(DeleteFile, delete_file)
        await worker.run()          # until SIGTERM / worker.request_stop()

    Args:
        url: the broker; defaults to ``$BURROW_URL``, then ``$RABBITMQ_URL``, then localhost.
            Several nodes of a cluster (a list, or URLs separated by ``;``): the worker
            reconnects to the next when the one it is connected to dies.
        transport: use this transport instead of connecting to ``url`` (e.g. in-memory).
        topology: exchange, queue type and delivery limit; must match the clients'.
            A message that keeps coming back unsettled (the worker crashed, hung or
            lost its connection while handling it) is dead-lettered with reason
            ``delivery-limit`` after ``topology.delivery_limit`` returns.
        concurrency: handlers running at once per queue (each queue's consumer
            prefetch): one number for every queue, or a number per queue name,
            e.g. ``{"orders": 8, "orders.reports": 2}`` (a queue it does not name
            gets 32).
        grace_period: seconds that in-flight handlers get to finish at shutdown;
            those still running then are cancelled and their messages requeued
            (a synchronous handler's thread runs on: make handlers idempotent).
        threads: size of the pool that runs synchronous handlers (default: the
            sum of the concurrency of the queues that have one, so none waits for a thread).
        schedules: run the schedules of the services it serves (docs/schedules.md);
            any number of workers may, each tick is still sent once.
        time_limit: seconds a handler may run (``bind`` can set its own); past it
            the handler is cancelled and the attempt counts as a failure, so its
            retry policy applies. None: no limit. Keep it below RabbitMQ's
            ``consumer_timeout`` (docs/protocol.md, *Consuming*).
        hooks: run around each message handled, the first outermost
            (docs/observability.md).
        http_port: serve ``/healthz``, ``/readyz`` and ``/metrics`` (the registry
            of a ``MetricsHook`` among ``hooks``) on this port; 0 picks a free
            one (``ops_port`` tells which). None: no endpoint.
        http_host: the address the endpoint listens on.
        queues: consume only these queues of the services it binds (a contract
            declared with its own ``queue=`` can then be deployed on its own);
            contracts of the other queues need no handler. None: all of them.
    """

    def __init__(
        self,
        url: BrokerURL | None = None,
        *,
        transport: Transport | None = None,
        topology: Topology | None = None,
        concurrency: Concurrency = DEFAULT_CONCURRENCY,
        grace_period: float = 30.0,
        threads: int | None = None,
        name: str = "burrow-worker",
        schedules: bool = True,
        time_limit: float | None = None,
        hooks: Sequence[Hook] | None = None,
        http_port: int | None = None,
        http_host: str = "0.0.0.0",
        queues: Sequence[str] | None = None,
    ) -> None:
        check_concurrency(concurrency)
        _check_time_limit(time_limit)
        self._hooks = installed(hooks)
        self.http_port = http_port
        self.http_host = http_host
        self._ops: OpsServer | None = None
        self._consumers: list[tuple[str, Subscription]] = []  # the queues it serves, for /readyz
        self.time_limit = time_limit
        self.url = url
        self.topology = topology or Topology()
        self.concurrency = concurrency
        self.queues = None if queues is None else list(queues)
        self.grace_period = grace_period
        self.name = name
        self._threads = threads
        self._transport = transport
        self._bindings: dict[str, Binding] = {}
        self._state = WorkerState.IDLE
        self._subscriptions: list[Subscription] = []
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._executor: ThreadPoolExecutor | None = None
        # Made here (an Event binds to a loop only when awaited) so that a stop
        # requested before start, e.g. by an early SIGTERM, is not lost.
        self._stop_requested = asyncio.Event()
        self._stopping: asyncio.Future[None] | None = None
        self._run_schedules = schedules
        self._scheduler: Scheduler | None = None

    @property
    def state(self) -> WorkerState:
        return self._state

    @property
    def transport(self) -> Transport | None:
        """The transport given to the constructor, or, once started, the one opened from ``url``."""
        return self._transport

    def bind(
        self,
        contract: type[Bindable[C, R]],
        handler: Handler[C, R],
        *,
        retry: RetryPolicy | None = None,
        time_limit: float | None = None,
    ) -> None:
        """Serve ``contract`` with ``handler``.

        The type checker verifies that the handler takes this contract and
        returns its result type (``None`` for a task).

        Args:
            retry: how a failing handler is retried, overriding the contract's policy.
            time_limit: seconds this handler may run, overriding the worker's ``time_limit``.
        """
        if self._state is not WorkerState.IDLE:
            raise ClientStateError("bind handlers before the worker starts")
        info = contract_info(contract)  # type: ignore[arg-type]  # Bindable is the static view of a Contract
        if info.wire_name in self._bindings:
            raise ConfigurationError(f"{info.wire_name} is already bound to {self._bindings[info.wire_name].handler!r}")
        if not callable(handler):
            raise ConfigurationError(f"the handler for {info.wire_name} is not callable: {handler!r}")
        if retry is not None and info.kind == "call":
            raise ConfigurationError(
                f"{info.wire_name} is a call: calls are not retried (the caller gets the failure and decides)"
            )
        _check_time_limit(time_limit)
        self._bindings[info.wire_name] = Binding(info, handler, retry, time_limit)

    @property
    def services(self) -> list[Service]:
        """The services this worker serves, by name."""
        found = {binding.info.service.name: binding.info.service for binding in self._bindings.values()}
        return [found[name] for name in sorted(found)]

    @property
    def all_queues(self) -> list[str]:
        """Every queue of the services it binds, sorted (``queues`` may pick some of them)."""
        return sorted({queue for service in self.services for queue in service.queues})

    def concurrency_of(self, queue: str) -> int:
        """How many handlers may run at once for ``queue`` (its consumer's prefetch)."""
        return concurrency_of(queue, self.concurrency)

    def check(self) -> None:
        """Raise ``ConfigurationError`` if the worker cannot start as configured.

        It cannot when it binds nothing, when ``queues`` or ``concurrency`` names a
        queue that none of its services uses, or when a contract of a queue it
        serves has no handler (its messages would only be dead-lettered).
        """
        self._plan()

    def _plan(self) -> list[ServedQueue]:
        return plan(self.services, self._bindings, queues=self.queues, concurrency=self.concurrency)

    async def start(self) -> None:
        """Connect, declare the topology and start consuming."""
        if self._state is not WorkerState.IDLE:
            raise ClientStateError(f"a worker can be started once; this one is {self._state.value}")
        served = self._plan()
        if self._transport is None:
            self._transport = AmqpTransport(broker_url(self.url), connection_name=self.name)
        listen(self._hooks, self._transport)
        if slots := sync_slots(served):
            self._executor = ThreadPoolExecutor(self._threads or slots, thread_name_prefix="burrow-handler")
        self._state = WorkerState.RUNNING
        try:
            if self.http_port is not None:
                self._ops = OpsServer(
                    host=self.http_host, port=self.http_port, ready=self._not_ready, metrics=self._exposition
                )
                await self._ops.start()
            await self._transport.open()
            await self._consume_all(self._transport, served)
        except BaseException:
            await self.stop()
            raise
        log.info(
            "worker %s serving %s",
            self.name,
            ", ".join(name for queue in served for name in sorted(queue.bindings)),
        )

    async def _consume_all(self, transport: Transport, served: list[ServedQueue]) -> None:
        retrier = Retrier(transport, self.topology)  # one, so the delay topology is declared once
        hooks = self._hooks
        if log.isEnabledFor(logging.DEBUG):
            # One record per handled message; innermost, so a tracing hook's span is current.
            hooks = (*(hooks or ()), MessageLog())
        # The whole service is declared, served queues or not, so that its
        # messages wait in their queues for the deployment that serves them.
        topologies = {service.name: self.topology.service(service) for service in self.services}
        for topology in topologies.values():
            await transport.declare(topology)
        for queue in served:
            topology = topologies[queue.service.name]
            dispatcher = Dispatcher(
                transport=transport,
                bindings=queue.bindings,
                dead_letter_queue=self.topology.dead_letter_queue(queue.service).name,
                executor=self._executor,
                in_flight=self._in_flight,
                accepting=self._accepting,
                retrier=retrier,
                time_limit=self.time_limit,
                # A quorum queue's broker counts returns and dead-letters past the limit itself.
                delivery_limit=self.topology.delivery_limit if self.topology.queue_type == "classic" else None,
                topology=topology,
                hooks=hooks,
            )
            subscription = await transport.consume(
                self.topology.work_queue(queue.service, queue.name),
                dispatcher,
                prefetch=queue.concurrency,
                topology=topology,
            )
            self._subscriptions.append(subscription)
            self._consumers.append((queue.name, subscription))
        if self._run_schedules:
            self._scheduler = Scheduler(
                transport=transport,
                topology=self.topology,
                in_flight=self._in_flight,
                accepting=self._accepting,
                app_id=self.name,
            )
            self._subscriptions.extend(await self._scheduler.start(self.services))

    @property
    def ops_port(self) -> int | None:
        """The port of the ``/healthz``, ``/readyz`` and ``/metrics`` endpoint while it runs."""
        return self._ops.port if self._ops is not None else None

    def _not_ready(self) -> str | None:
        """Why the worker is not ready to take messages, or None when it is."""
        if self._state is not WorkerState.RUNNING:
            return f"the worker is {self._state.value}"
        if not self._consumers:
            return "not consuming yet"
        idle = [queue for queue, subscription in self._consumers if not subscription.consuming]
        if idle:
            return f"not consuming {', '.join(sorted(idle))}"
        return None

    def _exposition(self) -> tuple[bytes, str] | None:
        for hook in self._hooks or ():
            registry = getattr(hook, "prometheus_registry", None)
            if registry is not None:
                return exposition(registry)
        return None

    def _accepting(self) -> bool:
        return self._state is WorkerState.RUNNING

    def request_stop(self) -> None:
        """Ask ``run()`` to shut down gracefully; a second request cancels in-flight handlers.

        Safe to call from a signal handler.
        """
        if self._stop_requested.is_set():
            log.warning("second stop request: cancelling %d in-flight handlers", len(self._in_flight))
            for task in list(self._in_flight):
                task.cancel()
        self._stop_requested.set()

    async def stop(self) -> None:
        """Stop consuming, let in-flight handlers finish within the grace period, disconnect.

        Handlers still running after the grace period are cancelled and their
        messages return to the queue (they will be delivered again). A synchronous
        handler's thread cannot be interrupted: it runs on until it returns, while
        its message is already back in the queue.

        A second call waits for the first to finish.
        """
        if self._state is WorkerState.IDLE:
            self._state = WorkerState.STOPPED
            return
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        if self._state is WorkerState.STOPPED:
            return
        self._state = WorkerState.STOPPING
        if self._scheduler is not None:
            await self._scheduler.stop()
        for subscription in self._subscriptions:
            await subscription.cancel()
        self._subscriptions.clear()
        self._consumers.clear()
        if self._in_flight:
            log.info("waiting up to %.1f s for %d in-flight handlers", self.grace_period, len(self._in_flight))
            _, pending = await asyncio.wait(set(self._in_flight), timeout=self.grace_period)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("cancelled %d handlers still running after the grace period", len(pending))
                await asyncio.wait(pending, timeout=5)
        assert self._transport is not None
        await self._transport.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
        if self._ops is not None:
            await self._ops.stop()
            self._ops = None
        self._state = WorkerState.STOPPED
        log.info("worker %s stopped", self.name)

    async def run(self) -> None:
        """Start, serve until ``request_stop()`` (or cancellation), then stop gracefully."""
        await self.start()
        try:
            await self._stop_requested.wait()
        finally:
            await self.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
