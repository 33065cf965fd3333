"""Burrow's client runtime: contracts, the typed client, transports and errors."""

from sdk._amqp import AmqpTransport
from sdk._client import Client, ClientState
from sdk._codec import JSON, MSGPACK
from sdk._contract import Bindable, Call, Contract, ContractInfo, Service, Task, contract_info
from sdk._errors import (
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
from sdk._memory import MemoryBroker, MemoryTransport
from sdk._memory_delay import ManualClock
from sdk._retry import RetryPolicy
from sdk._topology import Topology
from sdk._transport import (
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
)

__all__ = [
    "AmqpTransport",
    "Bindable",
    "BindingSpec",
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
    "JSON",
    "MSGPACK",
    "ManualClock",
    "MemoryBroker",
    "MemoryTransport",
    "OutgoingMessage",
    "PublishError",
    "QueueSpec",
    "QueueType",
    "RemoteError",
    "ReplyListener",
    "RetryPolicy",
    "Service",
    "Subscription",
    "Task",
    "Topology",
    "TopologyError",
    "TopologySpec",
    "Transport",
    "TransportError",
    "Unroutable",
    "contract_info",
]
