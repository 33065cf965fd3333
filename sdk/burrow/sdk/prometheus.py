"""Prometheus metrics for Burrow, as a hook (``pip install burrow-mq[prometheus]``).

    from prometheus_client import CollectorRegistry
    from burrow.sdk.prometheus import MetricsHook

    registry = CollectorRegistry()
    metrics = MetricsHook(registry)
    worker = Worker(url, hooks=[metrics])
    client = Client.connect(url, hooks=[metrics])

The metrics are registered in the registry given (one ``MetricsHook`` per
registry; share it between a process's client and worker). Their names and
labels are listed in docs/observability.md. This module imports
``prometheus_client``; ``burrow.sdk`` itself never does.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from burrow.sdk._hooks import Handling, Hook, Outcome, Sending
from burrow.sdk._transport import TransportEvent
from burrow.sdk._wire import HEADER_DUE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["MetricsHook"]

# Seconds: from a fast handler (1 ms) to one near a typical time limit (5 min).
DURATION_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
# Seconds a delayed message was handled after its due time (the cascade delivers up to ~1 s late).
LATENESS_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


_NOT_A_CONTRACT = frozenset({"unknown-contract", "worker-error", "undecodable"})


class MetricsHook(Hook):
    """Counts and times sends, calls and handled messages in a Prometheus registry.

    Args:
        registry: where the metrics are registered (an explicit registry, e.g.
            ``prometheus_client.REGISTRY`` for the process-wide default).
        namespace: the metric names' prefix.
    """

    def __init__(self, registry: CollectorRegistry, *, namespace: str = "burrow") -> None:
        self.prometheus_registry = registry  # what a worker's /metrics serves (Worker(http_port=...))

        def counter(name: str, doc: str, labels: list[str]) -> Counter:
            return Counter(name, doc, labels, namespace=namespace, registry=registry)

        def histogram(name: str, doc: str, labels: list[str], buckets: tuple[float, ...]) -> Histogram:
            return Histogram(name, doc, labels, namespace=namespace, registry=registry, buckets=buckets)

        self.handled = counter(
            "messages_handled", "Messages a worker handled, by how they were settled.", ["contract", "outcome"]
        )
        self.handler_duration = histogram(
            "handler_duration_seconds",
            "Seconds from the start of handling a message to its settlement.",
            ["contract"],
            DURATION_BUCKETS,
        )
        self.in_flight = Gauge(
            "messages_in_flight",
            "Messages being handled now, by queue (a contract is known only once decoded).",
            ["queue"],
            namespace=namespace,
            registry=registry,
        )
        self.retries = counter("retries", "Failed attempts scheduled to be tried again.", ["contract"])
        self.dead_lettered = counter(
            "dead_lettered", "Messages moved to a dead-letter queue, by reason.", ["contract", "reason"]
        )
        self.lateness = histogram(
            "delay_lateness_seconds",
            "Seconds after its due time a delayed message started being handled.",
            ["contract"],
            LATENESS_BUCKETS,
        )
        self.sent = counter("sends", "Tasks sent, by outcome (ok or the exception's type).", ["contract", "outcome"])
        self.send_duration = histogram(
            "send_duration_seconds",
            "Seconds from send to the broker's confirm.",
            ["contract"],
            DURATION_BUCKETS,
        )
        self.calls = counter("calls", "Calls made, by outcome (ok or the exception's type).", ["contract", "outcome"])
        self.call_duration = histogram(
            "call_duration_seconds",
            "Seconds from a call's publish to its result or error.",
            ["contract"],
            DURATION_BUCKETS,
        )

        self.reconnects = Counter(
            "reconnects",
            "Connections to the broker restored after a loss (a client's and a worker's each count).",
            namespace=namespace,
            registry=registry,
        )
        self.consumers = Gauge(
            "consumers",
            "Consumers a worker has on each queue now (0 while the queue or the connection is gone).",
            ["queue"],
            namespace=namespace,
            registry=registry,
        )

        # Labelled children by label values: ``labels()`` costs more than the update itself.
        self._children: dict[tuple[Any, ...], Any] = {}

    def _child(self, metric: Counter | Gauge | Histogram, *values: str) -> Any:
        key = (id(metric), *values)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*values)
        return child

    def on_transport_event(self, event: TransportEvent, queue: str | None) -> None:
        if event is TransportEvent.CONNECTION_RESTORED:
            self.reconnects.inc()
        elif queue is not None and event is TransportEvent.CONSUMER_STARTED:
            self._child(self.consumers, queue).inc()
        elif queue is not None and event is TransportEvent.CONSUMER_STOPPED:
            self._child(self.consumers, queue).dec()

    async def around_send(self, message: Sending, proceed: Callable[[], Awaitable[Any]]) -> Any:
        is_call = message.kind == "call"
        started = time.perf_counter()
        outcome = "ok"
        try:
            return await proceed()
        except BaseException as exc:
            outcome = type(exc).__qualname__
            raise
        finally:
            took = time.perf_counter() - started
            count, duration = (self.calls, self.call_duration) if is_call else (self.sent, self.send_duration)
            self._child(count, message.contract, outcome).inc()
            self._child(duration, message.contract).observe(took)

    async def around_handle(self, message: Handling, proceed: Callable[[], Awaitable[None]]) -> None:
        due = message.headers.get(HEADER_DUE)
        lateness = time.time() - due / 1000 if isinstance(due, int) and not isinstance(due, bool) else None
        in_flight = self._child(self.in_flight, message.queue)
        in_flight.inc()
        try:
            await proceed()
        finally:
            in_flight.dec()
            # A message's type is the sender's to choose: one that names no contract the
            # worker serves is counted as "unknown", so a stray sender cannot add label values.
            known = message.dead_reason not in _NOT_A_CONTRACT and message.contract
            contract = message.contract if known else "unknown"
            if lateness is not None:
                self._child(self.lateness, contract).observe(max(lateness, 0.0))
            self._child(self.handled, contract, message.outcome.value).inc()
            self._child(self.handler_duration, contract).observe(message.duration)
            if message.outcome is Outcome.RETRIED:
                self._child(self.retries, contract).inc()
            elif message.outcome is Outcome.DEAD_LETTERED:
                self._child(self.dead_lettered, contract, message.dead_reason or "unknown").inc()
