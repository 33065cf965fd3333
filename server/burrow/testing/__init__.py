"""Helpers for testing services built on Burrow: an in-process harness and contract tests."""

from burrow.testing._harness import Harness, burrow_harness
from burrow.testing._rabbitmq import LocalRabbitMQ, RabbitMQNotInstalled
from burrow.testing._verify import ContractReport, ExampleResult, Outcome, verify_contracts

__all__ = [
    "ContractReport",
    "ExampleResult",
    "Harness",
    "LocalRabbitMQ",
    "Outcome",
    "RabbitMQNotInstalled",
    "burrow_harness",
    "verify_contracts",
]
