"""The public surface changes only on purpose: update these lists when it does."""

from __future__ import annotations

from types import ModuleType

import burrow.cli
import burrow.testing
import pytest
from burrow import sdk, server

SDK = [
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
SERVER = [
    "Context",
    "DeadLetter",
    "DeadLetters",
    "DeadReason",
    "Handler",
    "HandlerTimeout",
    "JsonFormatter",
    "Worker",
    "WorkerState",
]
TESTING = [
    "ContractReport",
    "ExampleResult",
    "Harness",
    "LocalRabbitMQ",
    "Outcome",
    "RabbitMQNotInstalled",
    "burrow_harness",
    "verify_contracts",
]

CLI = ["main"]

PUBLIC = [(sdk, SDK), (server, SERVER), (burrow.testing, TESTING), (burrow.cli, CLI)]


@pytest.mark.parametrize(("module", "expected"), PUBLIC, ids=[module.__name__ for module, _ in PUBLIC])
def test_public_names_are_exactly_the_expected_ones(module: ModuleType, expected: list[str]) -> None:
    exported = vars(module)["__all__"]
    assert exported == expected  # sorted, and exactly these
    assert len(set(exported)) == len(exported)
    assert [name for name in exported if not hasattr(module, name)] == []
