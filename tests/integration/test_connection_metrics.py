"""Reconnects and consumers per queue, on RabbitMQ: the transport's events reach hooks and metrics."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from burrow.sdk import Client, Hook, TransportEvent
from burrow.sdk.prometheus import MetricsHook
from burrow.server import Context, Worker
from prometheus_client import CollectorRegistry

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from tests._proxy import Proxy
from tests.integration._raw import WAIT, raw_channel


async def _delete_file(task: DeleteFile, ctx: Context) -> None:
    pass


def _stat_file(task: StatFile, ctx: Context) -> FileInfo:
    raise NotImplementedError


class Events(Hook):
    def __init__(self) -> None:
        self.seen: list[tuple[TransportEvent, str | None]] = []

    def on_transport_event(self, event: TransportEvent, queue: str | None) -> None:
        self.seen.append((event, queue))


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110 - polled: nothing to wait on
            await asyncio.sleep(0.05)


async def test_a_lost_connection_counts_one_reconnect_per_connection_and_the_consumers_come_back(
    amqp_url: str,
) -> None:
    registry = CollectorRegistry()
    events = Events()
    hooks = [MetricsHook(registry), events]

    def sample(name: str, **labels: str) -> float | None:
        value: float | None = registry.get_sample_value(name, labels)
        return value

    async with Proxy.to(amqp_url) as (proxy, url_through_proxy):
        worker = Worker(url_through_proxy, hooks=hooks)
        worker.bind(DeleteFile, _delete_file)
        worker.bind(StatFile, _stat_file)
        async with Client.connect(url_through_proxy, hooks=hooks) as client, worker:
            await client.send(DeleteFile(path="/tmp/before"))
            assert sample("burrow_consumers", queue="cleanup") == 1
            assert sample("burrow_reconnects_total") == 0
            await proxy.cut()
            await _until(lambda: sample("burrow_consumers", queue="cleanup") == 0)
            await proxy.restore()
            # The client's connection and the worker's: one reconnect each.
            await _until(lambda: sample("burrow_reconnects_total") == 2)
            await _until(lambda: sample("burrow_consumers", queue="cleanup") == 1)
            await client.send(DeleteFile(path="/tmp/after"))
        assert sample("burrow_consumers", queue="cleanup") == 0  # the worker stopped

    lost, restored = TransportEvent.CONNECTION_LOST, TransportEvent.CONNECTION_RESTORED
    assert [event for event, _ in events.seen].count(lost) == 2
    assert [event for event, _ in events.seen].count(restored) == 2
    # The worker's consumer, in order: started, stopped with the connection, started again, stopped at the end.
    # (The schedules' consumers and a client's reply consumer are not reported.)
    cleanup = [event for event, queue in events.seen if queue == "cleanup"]
    assert cleanup == [
        TransportEvent.CONSUMER_STARTED,
        TransportEvent.CONSUMER_STOPPED,
        TransportEvent.CONSUMER_STARTED,
        TransportEvent.CONSUMER_STOPPED,
    ]


async def test_the_consumers_gauge_follows_a_deleted_queue(amqp_url: str) -> None:
    registry = CollectorRegistry()
    worker = Worker(amqp_url, hooks=[MetricsHook(registry)])
    worker.bind(DeleteFile, _delete_file)
    worker.bind(StatFile, _stat_file)

    def consumers() -> float | None:
        value: float | None = registry.get_sample_value("burrow_consumers", {"queue": "cleanup"})
        return value

    async with worker:
        assert consumers() == 1
        async with raw_channel(amqp_url) as channel:
            # Deleted and declared again with other arguments: the worker cannot consume it until it is gone.
            await channel.queue_delete("cleanup")
            await channel.declare_queue("cleanup", durable=True, arguments={"x-max-length": 1})
        await _until(lambda: consumers() == 0)
        async with raw_channel(amqp_url) as channel:
            await channel.queue_delete("cleanup")
        await _until(lambda: consumers() == 1)
    assert consumers() == 0
