"""Delayed tasks and a rolling restart on the three-node cluster: nothing lost, nothing early."""

from __future__ import annotations

import asyncio
import random
import time

from burrow.sdk import Client

from contracts.cleanup import DeleteFile
from tests.cluster._load import QUORUM, WAIT, Handled, steady_sends
from tests.cluster.conftest import ClusterVhost, record

_DOWN = 8.0  # seconds the killed node stays down


async def test_delayed_tasks_pending_while_a_node_dies_are_all_delivered_none_early(
    cluster_vhost: ClusterVhost,
) -> None:
    a, b, _ = cluster_vhost.cluster.nodes
    count = 300
    rng = random.Random(11)
    handled = Handled()
    due: dict[str, float] = {}
    # The client (and so the leaders of the cascade's queues) on a, the worker on b.
    async with (
        Client.connect(cluster_vhost.urls, topology=QUORUM) as client,
        handled.worker(cluster_vhost.urls_from(b)),
    ):
        for start in range(0, count, 25):
            for index in range(start, start + 25):
                delay = rng.uniform(3, 15)
                due[f"d{index}"] = time.monotonic() + delay
                await client.send(DeleteFile(path=f"d{index}"), delay=delay)
        pending = len(handled.missing(set(due)))
        await asyncio.to_thread(a.kill)
        # Down for a while, as a crashed node is until it is restarted: delays fall due meanwhile.
        await asyncio.sleep(_DOWN)
        while_down = len(due) - len(handled.missing(set(due)))
        await asyncio.to_thread(a.start_node)
        missing = await handled.wait_for(set(due), timeout=2 * WAIT)
        await asyncio.sleep(1)  # time for a duplicate to show up, if there were one
    earliest = min(times[0] - due[path] for path, times in handled.times.items())
    latest = max(times[0] - due[path] for path, times in handled.times.items())
    record(
        f"delays: {count} sent, {pending} pending when the node died, {while_down} delivered in the "
        f"{_DOWN:g} s it was down, {len(missing)} lost, "
        f"{sum(len(times) > 1 for times in handled.times.values())} handled twice, latest {latest:.2f} s late"
    )
    assert not missing, f"{len(missing)} delayed tasks were never delivered"
    assert pending > 0  # the node died with delays in its queues
    assert earliest >= 0, f"a task ran {-earliest * 1000:.1f} ms early"


async def test_a_rolling_restart_under_a_steady_send_rate_loses_nothing(cluster_vhost: ClusterVhost) -> None:
    cluster = cluster_vhost.cluster
    b = cluster.nodes[1]
    handled = Handled()
    started = time.monotonic()
    async with (
        Client.connect(cluster_vhost.urls, topology=QUORUM) as client,
        handled.worker(cluster_vhost.urls_from(b)),
    ):
        async with steady_sends(client, "r", rate=50) as sent:
            await asyncio.sleep(1)
            for node in cluster.nodes:
                # One node at a time, as an operator upgrades a cluster: stop it cleanly,
                # start it, and go on once it is back in the cluster.
                await asyncio.to_thread(node.stop_node)
                await asyncio.to_thread(node.start_node)
                await asyncio.to_thread(cluster.wait_for_members)
            await asyncio.sleep(1)
        missing = await handled.wait_for(sent.confirmed)
    record(
        f"rolling restart: {len(sent.confirmed)} sends confirmed, {sent.lost} ConnectionLost, {len(missing)} lost, "
        f"longest gap {handled.gap_after(started):.2f} s; {time.monotonic() - started:.1f} s"
    )
    assert sent.confirmed
    assert not missing, f"{len(missing)} confirmed sends were never handled"
