"""Where the broker is when the code does not say: ``$BURROW_URL``, ``$RABBITMQ_URL``, then localhost.

A deployment on a RabbitMQ cluster may name several nodes: a list of URLs, or one
string of URLs separated by ``;`` (as kombu and Celery accept), e.g.
``amqp://u:p@rabbit-1/;amqp://u:p@rabbit-2/;amqp://u:p@rabbit-3/``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from burrow.sdk._errors import ConfigurationError

__all__ = ["DEFAULT_URL", "BrokerURL", "broker_url", "split_urls"]

DEFAULT_URL = "amqp://guest:guest@localhost/"

BrokerURL = str | Sequence[str]
"""One broker URL, several separated by ``;``, or a sequence of them (the nodes of one cluster)."""


def broker_url(url: BrokerURL | None = None) -> str:
    """``url`` if given, else ``$BURROW_URL``, else ``$RABBITMQ_URL``, else RabbitMQ's default on localhost.

    Clients, workers and the command line resolve it the same way, so one
    environment variable points a whole deployment at its broker. Several URLs
    come back as one string separated by ``;``.
    """
    if url is not None and not isinstance(url, str):
        return ";".join(split_urls(url))
    return url or os.environ.get("BURROW_URL") or os.environ.get("RABBITMQ_URL") or DEFAULT_URL


def split_urls(url: BrokerURL) -> list[str]:
    """The URLs in ``url``: a ``;``-separated string or a sequence of them, in order, blanks dropped.

    A ``;`` inside a URL's password must be written ``%3B``.
    """
    parts = [url] if isinstance(url, str) else list(url)
    urls = [piece.strip() for part in parts for piece in part.split(";") if piece.strip()]
    if not urls:
        raise ConfigurationError(f"no broker URL in {url!r}")
    return urls
