"""The three-node cluster the cluster tests run on, started once, only when they are selected.

Every test gets a vhost of its own and finds all three nodes running; a test that
killed or stopped a node has it started again afterwards. The failover gaps and
counts the tests measure are printed at the end of the run (never asserted).
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from burrow.testing import LocalRabbitMQ

from tests.cluster._cluster import ClusterNode, LocalRabbitMQCluster

_HERE = Path(__file__).parent
_figures: list[str] = []


def record(figure: str) -> None:
    """Keep a measured figure for the summary at the end of the run."""
    _figures.append(figure)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(_HERE):
            item.add_marker(pytest.mark.cluster)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _figures:
        terminalreporter.section("three-node cluster: measured, not asserted")
        for figure in _figures:
            terminalreporter.write_line(figure)


@pytest.fixture(scope="session")
def cluster() -> Iterator[LocalRabbitMQCluster]:
    started = time.monotonic()
    with LocalRabbitMQCluster() as cluster:
        record(f"cluster start: {time.monotonic() - started:.1f} s")
        yield cluster
        stopping = time.monotonic()
    record(f"cluster stop: {time.monotonic() - stopping:.1f} s")


@dataclass
class ClusterVhost:
    """A vhost of its own on the cluster: ``urls[i]`` reaches it through ``cluster.nodes[i]``."""

    name: str
    cluster: LocalRabbitMQCluster
    urls: list[str] = field(default_factory=list)

    def url(self, node: ClusterNode) -> str:
        return self.urls[self.cluster.nodes.index(node)]

    def urls_from(self, node: ClusterNode) -> list[str]:
        """All the URLs, ``node``'s first and the others in turn after it."""
        first = self.cluster.nodes.index(node)
        return self.urls[first:] + self.urls[:first]

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """The management API of a running node."""
        node = next(node for node in self.cluster.nodes if node.running)
        return management(node, method, path, body)

    def queue(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.api("GET", f"/queues/{_quoted(self.name)}/{_quoted(name)}")
        return found

    def leader(self, queue: str) -> ClusterNode:
        """The node holding the leader of a quorum queue."""
        name = self.queue(queue)["leader"]
        return next(node for node in self.cluster.nodes if node.nodename == name)


def _quoted(text: str) -> str:
    return urllib.parse.quote(text, safe="")


def management(node: LocalRabbitMQ, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{node.management_port}/api{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={
            "Authorization": "Basic " + base64.b64encode(b"guest:guest").decode(),
            "Content-Type": "application/json",
        },
    )
    # Just after the cluster formed, a node can take longer than a timeout to answer a
    # vhost's creation (it waits for every node); PUT and GET are safe to send again.
    attempts = 1 if method == "DELETE" else 3
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                payload = response.read()
            return json.loads(payload) if payload else None
        except TimeoutError:
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


@pytest.fixture
def cluster_vhost(cluster: LocalRabbitMQCluster) -> Iterator[ClusterVhost]:
    name = f"test-{uuid.uuid4().hex[:12]}"
    vhost = ClusterVhost(name=name, cluster=cluster, urls=[f"{url}{_quoted(name)}" for url in cluster.urls])
    vhost.api("PUT", f"/vhosts/{_quoted(name)}")
    vhost.api("PUT", f"/permissions/{_quoted(name)}/guest", {"configure": ".*", "write": ".*", "read": ".*"})
    try:
        yield vhost
    finally:
        down = [node for node in cluster.nodes if not node.running]
        for node in down:
            node.start_node()
        if down:
            cluster.wait_for_members()
        vhost.api("DELETE", f"/vhosts/{_quoted(name)}")
