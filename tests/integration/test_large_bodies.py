"""A body over the broker's ``max_message_size`` fails alone, with a clear error, before it disturbs other sends."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest
from burrow.sdk import Client, PublishError
from burrow.testing import LocalRabbitMQ

from contracts.cleanup import DeleteFile
from tests.integration._raw import message_count

MAX_SIZE = 2 * 1024 * 1024


@pytest.fixture
def small_node() -> Iterator[LocalRabbitMQ]:
    if os.environ.get("RABBITMQ_URL"):
        pytest.skip("changes the broker's max_message_size, which needs a node of its own (RABBITMQ_URL is set)")
    with LocalRabbitMQ() as node:
        node.ctl("eval", f"application:set_env(rabbit, max_message_size, {MAX_SIZE}).")
        yield node


async def test_a_body_over_max_message_size_fails_alone_with_publish_error(small_node: LocalRabbitMQ) -> None:
    async with Client.connect(small_node.url) as client:
        await client.send(DeleteFile(path="/tmp/first"))  # declares the service
        others = [client.send(DeleteFile(path=f"/tmp/{n}")) for n in range(50)]
        too_big = client.send(DeleteFile(path="x" * (MAX_SIZE + 1)))
        results = await asyncio.gather(too_big, *others, return_exceptions=True)
        big_result, *other_results = results
        assert isinstance(big_result, PublishError), big_result
        assert "larger than configured max size" in str(big_result)
        assert other_results == [None] * 50  # no ConnectionLost for the sends in flight beside it
        await client.send(DeleteFile(path="x" * (MAX_SIZE // 2)))  # a large body under the limit goes through
    assert await message_count(small_node.url, "cleanup") == 1 + 50 + 1
