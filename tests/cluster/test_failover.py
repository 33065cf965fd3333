"""Clients and workers carry on through the other nodes when a node of the cluster dies (kill -9).

The gaps (time without a handled task) are measured and printed at the end of
the run, never asserted: on a shared machine any bound fails at random.
"""

from __future__ import annotations

import asyncio
import itertools
import time

from burrow.sdk import Client, ConnectionLost

from contracts.cleanup import DeleteFile
from tests.cluster._load import QUORUM, WAIT, Handled, steady_sends
from tests.cluster.conftest import ClusterVhost, record

_SENDERS = 64  # sends in flight at once during the burst


async def test_a_burst_of_sends_survives_the_death_of_the_clients_node(cluster_vhost: ClusterVhost) -> None:
    a, b, _ = cluster_vhost.cluster.nodes
    total, kill_at = 20_000, 5_000
    handled = Handled()
    confirmed: set[str] = set()
    after_kill = 0
    failed = 0
    killed = asyncio.Event()
    numbers = iter(range(total))

    async def sender(client: Client) -> None:
        nonlocal after_kill, failed
        for number in numbers:
            path = f"t{number}"
            try:
                await client.send(DeleteFile(path=path))
            except ConnectionLost:
                failed += 1  # in flight when the node died: reported, so not counted as sent
                continue
            confirmed.add(path)
            after_kill += killed.is_set()
            if len(confirmed) == kill_at:
                await asyncio.to_thread(a.kill)
                killed.set()

    # The client declares the queue first, so its leader is on a too: both die together.
    started = time.monotonic()
    async with Client.connect(cluster_vhost.urls, topology=QUORUM) as client:
        async with handled.worker(cluster_vhost.urls_from(b)):
            await asyncio.gather(*(sender(client) for _ in range(_SENDERS)))
            missing = await handled.wait_for(confirmed, timeout=4 * WAIT)
        connections = cluster_vhost.api("GET", f"/vhosts/{cluster_vhost.name}/connections")
        client_nodes = {
            entry["node"] for entry in connections if entry["client_properties"]["connection_name"] == "burrow-client"
        }
    record(
        f"burst of {total} sends, client's node killed after {kill_at}: {len(confirmed)} confirmed "
        f"({after_kill} after the kill), {failed} failed with ConnectionLost, {len(missing)} lost, "
        f"{sum(len(times) > 1 for times in handled.times.values())} handled twice; {time.monotonic() - started:.1f} s"
    )
    assert not missing, f"{len(missing)} confirmed sends were never handled, e.g. {sorted(missing)[:5]}"
    assert len(confirmed) + failed == total
    assert after_kill > 0, "the client sent nothing after its node died"
    assert client_nodes, "the client has no connection"
    assert a.nodename not in client_nodes


async def test_a_worker_keeps_consuming_when_its_node_and_the_queue_leader_die(cluster_vhost: ClusterVhost) -> None:
    a, b, c = cluster_vhost.cluster.nodes
    handled = Handled()
    # The queue's leader on b (the node that declares it first), the worker on a, the
    # sender on c: killing a takes the worker's connection only, killing b the leader only.
    async with Client.connect(cluster_vhost.url(b), topology=QUORUM) as declaring:
        await declaring.send(DeleteFile(path="first"))  # a client declares a service's queue at its first send
    assert cluster_vhost.leader("cleanup") is b
    worker_urls = [cluster_vhost.url(a), cluster_vhost.url(c), cluster_vhost.url(b)]
    async with Client.connect(cluster_vhost.url(c), topology=QUORUM) as client, handled.worker(worker_urls):
        async with steady_sends(client, "s", rate=100) as sent:
            await asyncio.sleep(2)
            killed = time.monotonic()
            await asyncio.to_thread(a.kill)
            await _until_handled_after(handled, killed)
            await asyncio.sleep(2)
            worker_gap = handled.gap_after(killed)

            await asyncio.to_thread(a.start_node)
            leader = cluster_vhost.leader("cleanup")
            assert leader is b
            killed = time.monotonic()
            await asyncio.to_thread(b.kill)
            await _until_handled_after(handled, killed)
            await asyncio.sleep(2)
            leader_gap = handled.gap_after(killed)
        missing = await handled.wait_for(sent.confirmed)
    record(f"gap when the worker's node died (kill -9): {worker_gap:.2f} s")
    new_leader = cluster_vhost.leader("cleanup").nodename
    record(f"gap when the queue leader's node died (kill -9): {leader_gap:.2f} s (new leader {new_leader})")
    record(
        f"steady sends during both: {len(sent.confirmed)} confirmed, {sent.lost} ConnectionLost, {len(missing)} lost"
    )
    assert not missing, f"{len(missing)} confirmed sends were never handled"


async def _until_handled_after(handled: Handled, moment: float) -> None:
    """Wait until a task is handled after ``moment``: the worker consumes again."""
    async with asyncio.timeout(WAIT):
        while not any(t > moment for t in itertools.chain.from_iterable(handled.times.values())):
            handled.arrived.clear()
            await handled.arrived.wait()
