"""Where the broker is when the code does not say: ``$BURROW_URL``, ``$RABBITMQ_URL``, then localhost."""

from __future__ import annotations

import os

__all__ = ["DEFAULT_URL", "broker_url"]

DEFAULT_URL = "amqp://guest:guest@localhost/"


def broker_url(url: str | None = None) -> str:
    """``url`` if given, else ``$BURROW_URL``, else ``$RABBITMQ_URL``, else RabbitMQ's default on localhost.

    Clients, workers and the command line resolve it the same way, so one
    environment variable points a whole deployment at its broker.
    """
    return url or os.environ.get("BURROW_URL") or os.environ.get("RABBITMQ_URL") or DEFAULT_URL
