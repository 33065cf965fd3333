"""Names and arguments of the exchanges and queues a deployment uses.

Client and worker build their declarations from the same ``Topology``, so
both declare each queue with identical arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from burrow.sdk._contract import Service
from burrow.sdk._transport import BindingSpec, ExchangeSpec, QueueSpec, QueueType, TopologySpec
from burrow.sdk._wire import DEFAULT_EXCHANGE

__all__ = ["Topology"]


@dataclass(frozen=True, slots=True)
class Topology:
    """Where a deployment's messages go.

    Args:
        exchange: the direct exchange every contract is routed through.
        queue_type: ``"classic"`` (a single node) or ``"quorum"`` (replicated, for clusters).
        delays: ``"cascade"`` (default, no plugin) or ``"plugin"`` to use RabbitMQ's
            delayed-message plugin where the broker has it (the cascade otherwise);
            see docs/delays.md.
    """

    exchange: str = DEFAULT_EXCHANGE
    queue_type: QueueType = "classic"
    delays: Literal["cascade", "plugin"] = "cascade"

    def queue(self, name: str) -> QueueSpec:
        # Classic queues are declared without x-queue-type so that queues made
        # by older clients, which did not set it, still match.
        arguments: dict[str, Any] = {} if self.queue_type == "classic" else {"x-queue-type": self.queue_type}
        return QueueSpec(name=name, durable=True, arguments=arguments)

    def service(self, service: Service) -> TopologySpec:
        """The exchange, the service's queues (dead letters included) and one binding per contract."""
        return TopologySpec(
            exchanges=(ExchangeSpec(self.exchange, "direct", durable=True),),
            queues=(*(self.queue(name) for name in service.queues), self.dead_letter_queue(service)),
            bindings=tuple(
                BindingSpec(queue=info.queue, exchange=self.exchange, routing_key=info.routing_key)
                for _, info in sorted(service.contracts.items())
            ),
        )

    def dead_letter_queue(self, service: Service) -> QueueSpec:
        """``<service>.dead``: where messages that cannot be handled are kept."""
        return self.queue(f"{service.name}.dead")
