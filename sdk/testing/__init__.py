"""Helpers for testing services built on Burrow."""

from sdk.testing._harness import Harness, burrow_harness
from sdk.testing._rabbitmq import LocalRabbitMQ, RabbitMQNotInstalled

__all__ = ["Harness", "LocalRabbitMQ", "RabbitMQNotInstalled", "burrow_harness"]
