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
from sdk._retry import RetryPolicy
from sdk._topology import Topology
from sdk._transport import (
    BindingSpec,
    Delivery,
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
    "JSON",
    "MSGPACK",
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
    "ExchangeSpec",
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
    "TopologyError",
    "TopologySpec",
    "Topology",
    "Transport",
    "TransportError",
    "Unroutable",
    "contract_info",
]
