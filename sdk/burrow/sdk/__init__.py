"""Burrow's client runtime: contracts, the typed client, transports and errors."""

from burrow.sdk._amqp import AmqpTransport
from burrow.sdk._client import Client, ClientState
from burrow.sdk._codec import JSON, MSGPACK
from burrow.sdk._contract import Bindable, Call, Contract, ContractInfo, Service, Task, contract_info
from burrow.sdk._errors import (
    AccessRefused,
    BrokerUnreachable,
    BurrowError,
    CallError,
    CallTimeout,
    ClientStateError,
    ConfigurationError,
    ConnectionLost,
    ContractError,
    DeclaredError,
    PublishError,
    RemoteError,
    TopologyError,
    TransportError,
    Unroutable,
)
from burrow.sdk._hooks import Handling, Hook, Outcome, Sending
from burrow.sdk._memory import MemoryBroker, MemoryTransport
from burrow.sdk._memory_delay import ManualClock
from burrow.sdk._retry import RetryPolicy
from burrow.sdk._schedule import Schedule
from burrow.sdk._topology import Topology
from burrow.sdk._transport import (
    BindingSpec,
    Delivery,
    ExchangeBindingSpec,
    ExchangeSpec,
    OutgoingMessage,
    QueueSpec,
    QueueType,
    ReplyListener,
    Subscription,
    TopologySpec,
    Transport,
    TransportEvent,
    TransportListener,
)

__all__ = [
    "AccessRefused",
    "AmqpTransport",
    "Bindable",
    "BindingSpec",
    "BrokerUnreachable",
    "BurrowError",
    "Call",
    "CallError",
    "CallTimeout",
    "Client",
    "ClientState",
    "ClientStateError",
    "ConfigurationError",
    "ConnectionLost",
    "Contract",
    "ContractError",
    "ContractInfo",
    "DeclaredError",
    "Delivery",
    "ExchangeBindingSpec",
    "ExchangeSpec",
    "Handling",
    "Hook",
    "JSON",
    "MSGPACK",
    "ManualClock",
    "MemoryBroker",
    "MemoryTransport",
    "Outcome",
    "OutgoingMessage",
    "PublishError",
    "QueueSpec",
    "QueueType",
    "RemoteError",
    "ReplyListener",
    "RetryPolicy",
    "Schedule",
    "Sending",
    "Service",
    "Subscription",
    "Task",
    "Topology",
    "TopologyError",
    "TopologySpec",
    "Transport",
    "TransportError",
    "TransportEvent",
    "TransportListener",
    "Unroutable",
    "contract_info",
]
