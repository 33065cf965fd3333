"""Helpers for testing services built on Burrow."""

from sdk.testing._rabbitmq import LocalRabbitMQ, RabbitMQNotInstalled

__all__ = ["LocalRabbitMQ", "RabbitMQNotInstalled"]
