"""Fixtures for the integration tests that need more than a vhost of the shared node."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from burrow.testing import LocalRabbitMQ


@pytest.fixture
def own_node() -> Iterator[LocalRabbitMQ]:
    """A private node for one test, which may stop, restart or alarm it."""
    if os.environ.get("RABBITMQ_URL"):
        pytest.skip("stops or restarts a broker node, which needs a node of its own (RABBITMQ_URL is set)")
    with LocalRabbitMQ() as node:
        yield node
