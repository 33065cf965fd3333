"""Durable delayed delivery without a broker plugin: the delay cascade.

A delay is counted in units of 125 ms and written bit by bit into the routing
key, most significant bit first, before the destination's own routing key::

    0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.1.0.0.0.0.0.cleanup.delete_file
    \\_______________ 31 bits: 160 units = 20 s _______________/ \\__ destination __/

Level ``n`` (0 to 30) is a topic exchange and a quorum queue holding every
message for ``125 ms * 2**n`` (queue-wide TTL). Exchange ``n`` sends a key with
bit ``n`` set into queue ``n`` and one with bit ``n`` clear on to exchange
``n - 1``; queue ``n`` dead-letters expired messages to exchange ``n - 1`` as
well. Below level 0, the delivery exchange routes the key to the destination's
queue. A message enters at the level of its highest set bit and so stays in
exactly the queues of its set bits: their TTLs add up to its delay.

Every message of a level waits the same time, so expiry in arrival order is
expiry in due order: a short delay never waits behind a long one. Quorum queues
with at-least-once dead-lettering keep the messages through a broker restart and
move them between levels without loss. The remainder below 125 ms is waited out
by the worker against the ``x-burrow-due`` header (see ``wait_until_due``), and
the cascade aims ``LEAD`` (50 ms) early so that the broker's latency between
levels is absorbed by that wait too.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from burrow.sdk._amqp import AmqpTransport
from burrow.sdk._errors import ConfigurationError
from burrow.sdk._memory import MemoryTransport
from burrow.sdk._topology import Topology
from burrow.sdk._transport import (
    BindingSpec,
    ExchangeBindingSpec,
    ExchangeSpec,
    Headers,
    OutgoingMessage,
    QueueSpec,
    TopologySpec,
    Transport,
)
from burrow.sdk._wire import HEADER_DUE

__all__ = [
    "LEAD",
    "LEVELS",
    "MAX_DELAY",
    "UNIT",
    "DelayCascade",
    "Delayer",
    "delay_seconds",
    "strip_death_headers",
    "wait_until_due",
]

log = logging.getLogger("burrow.delay")

UNIT_MS = 125
UNIT = UNIT_MS / 1000
"""The cascade's resolution in seconds; the worker waits out what is left below it."""
LEAD = 0.05
"""The cascade aims this much before the due time, so that the broker's own latency
(a few ms per level, more on a busy node) is absorbed by the worker's final wait."""
LEVELS = 31
MAX_DELAY = ((1 << LEVELS) - 1) * UNIT
"""The longest delay, about 8.5 years."""

# Headers the broker adds when it dead-letters; a message that still carries them
# when it passes a level again looks like a dead-letter cycle and is dropped.
_DEATH_HEADERS = ("x-death", "x-first-death-", "x-last-death-")


def delay_seconds(delay: float | timedelta | None, at: datetime | None) -> float:
    """Seconds from now until a message sent with ``delay=`` or ``at=`` is due (0 for now)."""
    if delay is not None and at is not None:
        raise ConfigurationError("pass delay= or at=, not both")
    if at is not None:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ConfigurationError(f"at={at!r} has no time zone: pass an aware datetime, e.g. with tzinfo=UTC")
        seconds = max(at.timestamp() - time.time(), 0.0)  # a moment in the past means now
        if seconds > MAX_DELAY:
            raise ConfigurationError(f"at={at.isoformat()} is more than {MAX_DELAY:.0f} s (about 8.5 years) away")
        return seconds
    if delay is None:
        return 0.0
    seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
    if not 0 <= seconds <= MAX_DELAY or math.isnan(seconds):
        raise ConfigurationError(f"delay must be between 0 and {MAX_DELAY:.0f} seconds (about 8.5 years), got {delay}")
    return seconds


def strip_death_headers(headers: Headers) -> Headers:
    """A copy of ``headers`` without the broker's dead-lettering history."""
    return {key: value for key, value in headers.items() if not key.startswith(_DEATH_HEADERS)}


async def wait_until_due(headers: Headers) -> None:
    """Sleep until the ``x-burrow-due`` moment, if a delayed message arrived a little early.

    The cascade delivers at most one unit plus its lead (175 ms) before the due
    time by design, so the wait is capped there: a skewed clock between sender and
    worker cannot hold a message longer than that.
    """
    due = headers.get(HEADER_DUE)
    if not isinstance(due, int | float) or isinstance(due, bool):
        return
    wait = min(due / 1000 - time.time(), UNIT + LEAD)
    if wait > 0:
        await asyncio.sleep(wait)


@dataclass(frozen=True, slots=True)
class DelayCascade:
    """Names, arguments and routing keys of the cascade under ``prefix`` (``<exchange>.delay``)."""

    prefix: str

    def level_name(self, level: int) -> str:
        return f"{self.prefix}.{level:02d}"

    @property
    def delivery_exchange(self) -> str:
        return f"{self.prefix}.deliver"

    def units(self, seconds: float) -> int:
        """Whole units of the delay; the cascade never holds a message longer than asked."""
        return min(max(int(seconds * 1000), 0) // UNIT_MS, (1 << LEVELS) - 1)

    def routing_key(self, units: int, destination: str) -> str:
        bits = format(units, f"0{LEVELS}b")
        return ".".join(bits) + "." + destination

    def entry_exchange(self, units: int) -> str:
        """The exchange of the highest set bit: lower levels are all the message passes."""
        return self.level_name(units.bit_length() - 1)

    def levels(self, count: int) -> TopologySpec:
        """Levels ``0 .. count - 1`` and the delivery exchange."""
        exchanges = [ExchangeSpec(self.delivery_exchange, "topic")]
        queues: list[QueueSpec] = []
        bindings: list[BindingSpec] = []
        links: list[ExchangeBindingSpec] = []
        for level in range(count):
            name = self.level_name(level)
            below = self.level_name(level - 1) if level else self.delivery_exchange
            skip = "*." * (LEVELS - 1 - level)  # the bits above this level
            exchanges.append(ExchangeSpec(name, "topic"))
            queues.append(QueueSpec(name, durable=True, arguments=self._level_arguments(level, below)))
            bindings.append(BindingSpec(queue=name, exchange=name, routing_key=f"{skip}1.#"))
            links.append(ExchangeBindingSpec(destination=below, source=name, routing_key=f"{skip}0.#"))
        return TopologySpec(
            exchanges=tuple(exchanges), queues=tuple(queues), bindings=tuple(bindings), exchange_bindings=tuple(links)
        )

    def _level_arguments(self, level: int, dead_letter_exchange: str) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-message-ttl": UNIT_MS << level,
            "x-dead-letter-exchange": dead_letter_exchange,
            "x-dead-letter-strategy": "at-least-once",  # needs reject-publish; keeps messages until routed
            "x-overflow": "reject-publish",
        }

    def delivery(self, routing_key: str, queue: str) -> TopologySpec:
        """Route keys whose delay bits all passed to ``queue``."""
        return TopologySpec(
            exchanges=(ExchangeSpec(self.delivery_exchange, "topic"),),
            bindings=(
                BindingSpec(queue=queue, exchange=self.delivery_exchange, routing_key="*." * LEVELS + routing_key),
            ),
        )


class Delayer:
    """Publishes messages for later delivery, declaring what it needs on first use.

    On RabbitMQ it uses the cascade, or the delayed-message plugin when the
    topology opts in and the broker has it; on the in-memory broker, its clock.
    With ``declare=False`` it declares nothing: the cascade levels and bindings
    (or the plugin's exchange and bindings) must exist already, as for a
    producer without the configure permission.
    """

    def __init__(self, transport: Transport, topology: Topology, *, declare: bool = True) -> None:
        self._transport = transport
        self._declare = declare
        self._topology = topology
        self.cascade = DelayCascade(f"{topology.exchange}.delay")
        self._levels = 0
        self._routes: set[tuple[str, str]] = set()
        self._lock = asyncio.Lock()
        self._plugin: bool | None = None if topology.delays == "plugin" else False

    async def publish(self, message: OutgoingMessage, *, delay: float, queue: str) -> None:
        """Publish ``message`` (addressed to its contract's exchange and key) due ``delay`` s from now.

        ``queue`` is where the message's routing key leads; the cascade's delivery
        exchange is bound to it.
        """
        message.headers = strip_death_headers(message.headers)
        if isinstance(self._transport, MemoryTransport):
            await self._transport.publish_delayed(message, delay)
            return
        due = time.time() + delay
        message.headers[HEADER_DUE] = math.ceil(due * 1000)  # rounded up: never early
        units = self.cascade.units(delay - LEAD)
        if units == 0:  # shorter than one unit: the worker waits it out
            await self._transport.publish(message)
        elif await self._use_plugin():
            await self._publish_with_plugin(message, max(due - time.time(), 0.0), queue)
        else:
            await self._prepare(units, message.routing_key, queue)
            # Declaring may have taken a while: count it as part of the delay.
            units = self.cascade.units(due - time.time() - LEAD)
            if units == 0:
                await self._transport.publish(message)
                return
            message.exchange = self.cascade.entry_exchange(units)
            message.routing_key = self.cascade.routing_key(units, message.routing_key)
            await self._transport.publish(message)

    async def _prepare(self, units: int, routing_key: str, queue: str) -> None:
        needed = units.bit_length()
        if not self._declare or (needed <= self._levels and (routing_key, queue) in self._routes):
            return
        async with self._lock:
            if needed > self._levels:
                await self._transport.declare(self.cascade.levels(needed))
                self._levels = needed
            if (routing_key, queue) not in self._routes:
                await self._transport.declare(self.cascade.delivery(routing_key, queue))
                self._routes.add((routing_key, queue))

    # -- the delayed-message plugin, opt-in with Topology(delays="plugin") --

    @property
    def _plugin_exchange(self) -> ExchangeSpec:
        return ExchangeSpec(
            f"{self.cascade.prefix}.plugin", "x-delayed-message", arguments={"x-delayed-type": "direct"}
        )

    async def _use_plugin(self) -> bool:
        if self._plugin is None:
            async with self._lock:
                if self._plugin is None:
                    self._plugin = isinstance(
                        self._transport, AmqpTransport
                    ) and await self._transport.supports_exchange(self._plugin_exchange)
                    if not self._plugin:
                        log.warning("the delayed-message plugin is not enabled on the broker; using the delay cascade")
        return self._plugin

    async def _publish_with_plugin(self, message: OutgoingMessage, delay: float, queue: str) -> None:
        exchange = self._plugin_exchange
        if self._declare and (exchange.name + message.routing_key, queue) not in self._routes:
            binding = BindingSpec(queue=queue, exchange=exchange.name, routing_key=message.routing_key)
            await self._transport.declare(TopologySpec(exchanges=(exchange,), bindings=(binding,)))
            self._routes.add((exchange.name + message.routing_key, queue))
        message.headers["x-delay"] = int(delay * 1000)
        message.exchange = exchange.name
        message.mandatory = False  # the plugin routes only when the delay is over, so it would always return it
        await self._transport.publish(message)
