"""Shared fixtures: a real RabbitMQ for the session, a fresh vhost per test."""

from __future__ import annotations

import logging
import os
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from burrow.server import Worker
from burrow.testing import LocalRabbitMQ

from tests._broker import TestBroker


@pytest.fixture(scope="session")
def rabbitmq() -> Iterator[TestBroker]:
    """``$RABBITMQ_URL`` when set (with ``$RABBITMQ_MANAGEMENT_URL``), else a private node."""
    url = os.environ.get("RABBITMQ_URL")
    if url:
        host = urllib.parse.urlsplit(url).hostname or "localhost"
        management = os.environ.get("RABBITMQ_MANAGEMENT_URL", f"http://guest:guest@{host}:15672")
        yield TestBroker(url=url, management_url=management)
        return
    with LocalRabbitMQ() as node:
        yield TestBroker(url=node.url, management_url=node.management_url, node=node)


@dataclass
class Vhost:
    """A vhost of its own for one test: no names shared with other tests."""

    name: str
    url: str
    broker: TestBroker


@pytest.fixture
def vhost(rabbitmq: TestBroker) -> Iterator[Vhost]:
    name = f"test-{uuid.uuid4().hex[:12]}"
    url = rabbitmq.create_vhost(name)
    try:
        yield Vhost(name=name, url=url, broker=rabbitmq)
    finally:
        rabbitmq.delete_vhost(name)


@pytest.fixture
def amqp_url(vhost: Vhost) -> str:
    return vhost.url


@pytest.fixture
def serve_cleanup(tmp_path: Path) -> Callable[[Worker], None]:
    """Binds the example ``cleanup`` implementation, serving the files below ``tmp_path``.

    The one place tests name the example implementation.
    """
    from contracts.generated.server import bind_cleanup
    from examples.cleanup.worker import Cleanup

    implementation = Cleanup(tmp_path)
    return lambda worker: bind_cleanup(worker, implementation)


@pytest.fixture(autouse=True)
def _root_logging_restored() -> Iterator[None]:
    """Undo what an in-process ``burrow worker`` does to the root logger.

    ``main(["worker", ...])`` configures logging with ``force=True``; its handler
    writes to the stderr pytest captured for that test, which is closed afterwards,
    so a later test's log record would print "--- Logging error ---" into its output.
    """
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
