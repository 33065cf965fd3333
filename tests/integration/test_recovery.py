"""Client and worker reconnect on their own when the broker drops their connections."""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from typing import Self

import pytest
from burrow.sdk import AccessRefused, AmqpTransport, BrokerUnreachable, Client, ConnectionLost
from burrow.server import Context, Worker, WorkerState

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from tests._proxy import Proxy
from tests.conftest import Vhost
from tests.integration._raw import WAIT, message_count


class LogWatch(logging.Handler):
    """Sets an event when ``logger`` logs a message containing ``text``."""

    def __init__(self, logger: str, text: str) -> None:
        super().__init__()
        self.logger = logging.getLogger(logger)
        self.text = text
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.seen.set()

    async def wait(self) -> None:
        await self.seen.wait()

    def __enter__(self) -> Self:
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.logger.removeHandler(self)


async def close_connections(vhost: Vhost, expected: int) -> None:
    closed = 0
    async with asyncio.timeout(WAIT):
        while closed < expected:  # the management API lists a connection a moment after it opens
            closed += await asyncio.to_thread(vhost.broker.close_connections, vhost.name)
            await asyncio.sleep(0.2)


async def test_client_and_worker_carry_on_after_the_broker_drops_their_connections(vhost: Vhost) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await handled.put(task.path)

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(vhost.url)
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with Client.connect(vhost.url) as client, worker:
        await client.send(DeleteFile(path="/tmp/before"))
        assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/before"

        await close_connections(vhost, expected=2)
        for _ in range(int(WAIT / 0.5)):
            try:  # during the outage a send may fail, but only with ConnectionLost
                await client.send(DeleteFile(path="/tmp/after"))
                break
            except ConnectionLost:
                await asyncio.sleep(0.5)
        else:
            pytest.fail("the client did not reconnect")
        assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/after"


async def test_a_lost_connection_neither_cancels_handlers_nor_blocks_shutdown(amqp_url: str) -> None:
    started, release, ended = asyncio.Event(), asyncio.Event(), asyncio.Event()
    outcome: list[str] = []

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        started.set()
        try:
            await release.wait()
        except asyncio.CancelledError:
            outcome.append("cancelled")
            raise
        finally:
            ended.set()
        outcome.append("finished")

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    async with Client.connect(amqp_url) as client:
        await client.send(DeleteFile(path="/tmp/a"))
    async with Proxy.to(amqp_url) as (proxy, url_through_proxy):
        worker = Worker(url_through_proxy)
        worker.bind(DeleteFile, delete_file)
        worker.bind(StatFile, stat_file)
        await worker.start()
        await asyncio.wait_for(started.wait(), WAIT)
        # aio-pika logs this once it knows the connection is gone and starts reconnecting.
        with LogWatch("aio_pika.robust_connection", "Reconnecting") as reconnecting:
            await proxy.cut()  # the broker is now unreachable, mid-handler
            await asyncio.wait_for(reconnecting.wait(), WAIT)
        release.set()
        await asyncio.wait_for(ended.wait(), WAIT)
        await asyncio.wait_for(worker.stop(), WAIT)  # must not wait for a reconnection

    assert outcome == ["finished"]
    assert worker.state is WorkerState.STOPPED
    assert await message_count(amqp_url, "cleanup") == 1  # never acked, so the broker kept it for redelivery


async def test_a_send_while_the_broker_is_unreachable_fails_clearly_and_does_not_hang(amqp_url: str) -> None:
    async with Proxy.to(amqp_url) as (proxy, url_through_proxy):
        transport = AmqpTransport(url_through_proxy, reconnect_timeout=1.0)
        async with Client(transport) as client:
            await client.send(DeleteFile(path="/tmp/before"))
            await proxy.cut()
            with pytest.raises(ConnectionLost, match=r"the message was not sent|connection to the broker"):
                await asyncio.wait_for(client.send(DeleteFile(path="/tmp/during")), timeout=10)


async def test_a_client_with_several_urls_connects_to_the_first_node_that_answers(amqp_url: str) -> None:
    dead = "amqp://guest:guest@127.0.0.1:1/"  # nothing listens on port 1
    async with Client.connect([dead, amqp_url]) as client:
        await client.send(DeleteFile(path="/tmp/through-the-second"))
    assert await message_count(amqp_url, "cleanup") == 1


async def test_a_login_refused_by_a_later_node_is_reported_as_refused(amqp_url: str) -> None:
    dead = "amqp://guest:guest@127.0.0.1:1/"  # nothing listens on port 1
    parts = urllib.parse.urlsplit(amqp_url)
    wrong = parts._replace(netloc=f"{parts.username}:typo@{parts.hostname}:{parts.port}").geturl()
    with pytest.raises(AccessRefused, match="refused the login"):
        async with Client.connect([dead, wrong]):
            pass


async def test_when_no_node_answers_the_error_names_the_first_and_counts_the_others() -> None:
    dead = ["amqp://guest:secret@127.0.0.1:1/", "amqp://guest:secret@127.0.0.1:2/"]
    with pytest.raises(BrokerUnreachable, match=r"127\.0\.0\.1:1/.*no other of the 2 nodes answered") as caught:
        async with Client.connect(";".join(dead)):
            pass
    assert "secret" not in str(caught.value)
