"""A producer without the configure permission sends tasks, delayed ones included, with ``declare=False``."""

from __future__ import annotations

import asyncio
import urllib.parse
import uuid
from collections.abc import Iterator

import pytest
from burrow.sdk import Client

from contracts.cleanup import DeleteFile
from tests.conftest import Vhost
from tests.integration._raw import WAIT, message_count


@pytest.fixture
def producer_url(vhost: Vhost) -> Iterator[str]:
    """A user of the vhost that may write and read but not declare (configure) anything."""
    user, password = f"producer-{uuid.uuid4().hex[:8]}", "secret"
    broker = vhost.broker
    broker._request("PUT", f"/users/{user}", {"password": password, "tags": ""})
    quoted = urllib.parse.quote(vhost.name, safe="")
    broker._request("PUT", f"/permissions/{quoted}/{user}", {"configure": "^$", "write": ".*", "read": ".*"})
    parts = urllib.parse.urlsplit(vhost.url)
    host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
    try:
        yield urllib.parse.urlunsplit((parts.scheme, f"{user}:{password}@{host}", parts.path, "", ""))
    finally:
        broker._request("DELETE", f"/users/{user}")


async def test_a_producer_that_may_not_declare_sends_delayed_tasks(amqp_url: str, producer_url: str) -> None:
    # The deployment declared the service and the cascade (here: a client that may).
    async with Client.connect(amqp_url) as admin:
        await admin.send(DeleteFile(path="/tmp/setup"), delay=5)
    async with Client.connect(producer_url, declare=False) as producer:
        await producer.send(DeleteFile(path="/tmp/now"))
        await producer.send(DeleteFile(path="/tmp/later"), delay=1.5)  # TopologyError (access refused) before
    async with asyncio.timeout(WAIT):
        while await message_count(amqp_url, "cleanup") < 3:  # noqa: ASYNC110  # polling the broker
            await asyncio.sleep(0.2)
