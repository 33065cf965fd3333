"""Names and arguments of the exchanges and queues a deployment uses.

Client and worker build their declarations from the same ``Topology``, so
both declare each queue with identical arguments.

Queue arguments by type (docs/protocol.md, *Topology*; docs/deploy.md):

- ``quorum`` (the default): a work queue is declared with ``x-delivery-limit``
  and dead-letters at least once into ``<service>.dead`` through the default
  exchange; the broker counts deliveries and moves a message that keeps coming
  back unsettled (the worker died, hung or lost its connection) on its own. The
  dead-letter queue gets a delivery limit too, a very high one: see
  ``DEAD_LETTER_DELIVERY_LIMIT``.
- ``classic``: no arguments at all, as earlier versions declared them; the
  worker counts redeliveries itself (``x-burrow-deliveries``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from burrow.sdk._contract import Service
from burrow.sdk._errors import ConfigurationError, TopologyError
from burrow.sdk._transport import BindingSpec, ExchangeSpec, QueueSpec, QueueType, TopologySpec
from burrow.sdk._wire import DEFAULT_EXCHANGE

__all__ = ["DEAD_LETTER_DELIVERY_LIMIT", "DEFAULT_DELIVERY_LIMIT", "Topology", "inequivalent_queue"]

DEFAULT_DELIVERY_LIMIT = 5
"""Returns a message may have before the broker dead-letters it: handled at most 6 times."""

DEAD_LETTER_DELIVERY_LIMIT = 2**31 - 1
"""The delivery limit of a quorum ``<service>.dead``: reading it must cost nothing.

``burrow dead list`` reads with ``basic.get`` and puts every message back, and a
quorum queue counts each return. Without a limit of its own the queue would get
RabbitMQ 4's default of 20, after which a message is dropped (the dead-letter
queue has nowhere to dead-letter to); ``-1`` (no limit) is refused on 3.x, which
reads it as 0; and a quorum queue with no limit at all (3.x) puts returned
messages at its back, so listing the first 100 would reorder the queue. A
finite limit keeps returned messages in their places on every version, and at
2^31 - 1 listing the queue once a second would take 68 years to reach it.
"""

_BURROW_QUORUM_ARGUMENTS = (
    "x-queue-type",
    "x-delivery-limit",
    "x-dead-letter-exchange",
    "x-dead-letter-routing-key",
    "x-dead-letter-strategy",
    "x-overflow",
)
_MIGRATION = 'docs/deploy.md, "Moving from classic to quorum queues"'


@dataclass(frozen=True, slots=True)
class Topology:
    """Where a deployment's messages go. Every client and worker of a deployment uses the same.

    Args:
        exchange: the direct exchange every contract is routed through.
        queue_type: ``"quorum"`` (default: replicated, delivery-limited, dead-lettering
            at least once) or ``"classic"`` (a single node, e.g. for development).
            An existing queue keeps its type: see docs/deploy.md to migrate.
        delivery_limit: how many times a message may come back unsettled (its
            worker died, hung past RabbitMQ's ``consumer_timeout`` or lost its
            connection while handling it) before it is dead-lettered with reason
            ``delivery-limit``: a handler runs at most ``delivery_limit + 1`` times
            on it. On a quorum queue the broker counts and moves it (the
            ``x-delivery-limit`` argument, so it cannot change on an existing
            queue); on a classic one the worker does.
        delays: ``"cascade"`` (default, no plugin) or ``"plugin"`` to use RabbitMQ's
            delayed-message plugin where the broker has it (the cascade otherwise);
            see docs/delays.md.
    """

    exchange: str = DEFAULT_EXCHANGE
    queue_type: QueueType = "quorum"
    delivery_limit: int = DEFAULT_DELIVERY_LIMIT
    delays: Literal["cascade", "plugin"] = "cascade"

    def __post_init__(self) -> None:
        if self.queue_type not in ("quorum", "classic"):
            raise ConfigurationError(f'queue_type is "quorum" or "classic", got {self.queue_type!r}')
        if isinstance(self.delivery_limit, bool) or not isinstance(self.delivery_limit, int) or self.delivery_limit < 1:
            # No "unlimited": RabbitMQ 4 caps quorum queues at 20 when unset, and reads -1 as
            # unlimited where 3.x reads it as 0.
            raise ConfigurationError(
                f"delivery_limit must be a whole number of at least 1, got {self.delivery_limit!r}"
            )

    def queue(self, name: str) -> QueueSpec:
        """A durable queue of the topology's type, with no other arguments."""
        # Classic queues are declared without x-queue-type so that queues made
        # by older clients, which did not set it, still match.
        arguments: dict[str, Any] = {} if self.queue_type == "classic" else {"x-queue-type": self.queue_type}
        return QueueSpec(name=name, durable=True, arguments=arguments)

    def work_queue(self, service: Service, name: str) -> QueueSpec:
        """One of the service's queues: on a quorum queue, delivery-limited and dead-lettering to ``<service>.dead``."""
        spec = self.queue(name)
        if self.queue_type == "classic":
            return spec
        arguments = {
            **spec.arguments,
            "x-delivery-limit": self.delivery_limit,
            "x-dead-letter-exchange": "",  # the default exchange: straight to the queue named by the key
            "x-dead-letter-routing-key": self.dead_letter_queue(service).name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",  # at-least-once dead-lettering requires it
        }
        return QueueSpec(name=name, durable=True, arguments=arguments)

    def service(self, service: Service) -> TopologySpec:
        """The exchange, the service's queues (dead letters last) and one binding per contract."""
        return TopologySpec(
            exchanges=(ExchangeSpec(self.exchange, "direct", durable=True),),
            # Work queues first: when one exists with another type, nothing new is left behind
            # (a quorum <service>.dead would then refuse the classic declaration that keeps going).
            queues=(*(self.work_queue(service, name) for name in service.queues), self.dead_letter_queue(service)),
            bindings=tuple(
                BindingSpec(queue=info.queue, exchange=self.exchange, routing_key=info.routing_key)
                for _, info in sorted(service.contracts.items())
            ),
        )

    def dead_letter_queue(self, service: Service) -> QueueSpec:
        """``<service>.dead``: where messages that cannot be handled are kept."""
        spec = self.queue(f"{service.name}.dead")
        if self.queue_type == "classic":
            return spec
        return QueueSpec(
            name=spec.name, durable=True, arguments={**spec.arguments, "x-delivery-limit": DEAD_LETTER_DELIVERY_LIMIT}
        )


_INEQUIVALENT = re.compile(
    r"inequivalent arg '(?P<argument>[^']+)'.*?: received (?P<received>.+?) but current is (?P<current>.+)$"
)


def inequivalent_queue(declared: QueueSpec, detail: str) -> TopologyError:
    """The error for a queue that exists with other arguments than ``declared``.

    ``detail`` is the broker's own words (``inequivalent arg 'x-delivery-limit' for
    queue 'q' in vhost '/': received '3' but current is '2'``); RabbitMQ names the
    first argument that differs, which for a type change is seldom ``x-queue-type``.
    """
    found = _INEQUIVALENT.search(detail)
    argument = found["argument"] if found else ""
    received, current = (found["received"].strip(), found["current"].strip()) if found else ("", "")
    wants_quorum = declared.arguments.get("x-queue-type") == "quorum"
    # RabbitMQ 3.x stores no x-queue-type on a classic queue declared without one ("current
    # is none"); 4.x stores "classic", and names x-queue-type when it is the first to differ.
    classic_there = current == "none" or (argument == "x-queue-type" and "'classic'" in current)
    quorum_there = received == "none" or (argument == "x-queue-type" and "'quorum'" in current)
    queue = declared.name
    if wants_quorum and argument in _BURROW_QUORUM_ARGUMENTS and classic_there:
        return TopologyError(
            f"queue {queue!r} exists without the quorum arguments Burrow declares by default "
            f"(the broker said: {detail}); it was probably declared by an earlier version, as a classic queue "
            f"(the default then) or without a delivery limit, and a queue's type and arguments cannot change "
            f"in place. See {_MIGRATION}",
            hint=f'keep it with Topology(queue_type="classic") on every client and worker, or migrate ({_MIGRATION})',
        )
    if not wants_quorum and quorum_there:
        return TopologyError(
            f"queue {queue!r} is a quorum queue, but this declaration is for a classic one (the broker said: {detail})",
            hint='use Topology(queue_type="quorum") (the default) on every client and worker of this deployment',
        )
    if argument == "x-delivery-limit":
        return TopologyError(
            f"queue {queue!r} exists with another delivery limit (the broker said: {detail}); "
            "a quorum queue's arguments cannot change in place",
            hint="use the queue's delivery limit in Topology(delivery_limit=...) everywhere, "
            f"or move to a new queue ({_MIGRATION})",
        )
    return TopologyError(
        f"queue {queue!r} exists with other arguments than this declaration (the broker said: {detail})",
        hint="every client and worker of a deployment must use the same Topology; see docs/deploy.md",
    )
