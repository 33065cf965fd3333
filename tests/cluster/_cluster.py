"""A local three-node RabbitMQ cluster for the cluster tests, from the system install.

Each node is a ``LocalRabbitMQ`` with its own name, ports and data, sharing the
cluster's Erlang cookie and ``epmd``; the nodes find each other through classic
peer discovery (the list of their names in each node's config), so no
``join_cluster`` round trips are needed. Everything started here is stopped, or
killed, by the pid it was started with.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Self

from burrow.testing import LocalRabbitMQ
from burrow.testing._rabbitmq import _free_port, start_epmd, stop_epmd

__all__ = ["ClusterNode", "LocalRabbitMQCluster"]

DEAD_LETTER_CONFIRM_TIMEOUT_MS = 5000
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rabbitmq-spawner")


class ClusterNode(LocalRabbitMQ):
    """One node of a ``LocalRabbitMQCluster``: a ``LocalRabbitMQ`` that may be killed and started again."""

    def __init__(self, cluster: LocalRabbitMQCluster, name: str) -> None:
        super().__init__(startup_timeout=cluster.startup_timeout)
        self._cluster = cluster
        self.nodename = f"{name}@localhost"
        self._epmd_port = cluster.epmd_port
        self._deferred = False  # set while ``spawn`` starts the process: the wait comes later

    def env(self) -> dict[str, str]:
        # The cluster's home holds the shared cookie (rabbitmqctl reads it there too).
        return {**super().env(), "HOME": str(self._cluster.home)}

    def _write_config(self) -> None:
        super()._write_config()
        # A quorum queue dead-letters at least once (the delay cascade does) by
        # publishing to the target and waiting for its confirm; one that does not
        # come (the target lost its leader with a killed node) is published again
        # only after this timeout, 2 minutes by default (docs/deploy.md).
        (self._dir / "advanced.config").write_text(
            f"[{{rabbit, [{{dead_letter_worker_publisher_confirm_timeout, {DEAD_LETTER_CONFIRM_TIMEOUT_MS}}}]}}].\n"
        )
        if self.nodename == self._cluster.nodenames[0]:
            return  # the first node forms the cluster: it has no one to wait for
        peers = [
            "cluster_formation.peer_discovery_backend = classic_config",
            *(
                f"cluster_formation.classic_config.nodes.{i} = {name}"
                for i, name in enumerate(self._cluster.nodenames, 1)
            ),
            # A node that cannot reach the first one yet keeps asking instead of
            # forming a cluster of its own.
            "cluster_formation.discovery_retry_limit = 240",
            "cluster_formation.discovery_retry_interval = 500",
            "",
        ]
        config = self._dir / "rabbitmq.conf"
        config.write_text(config.read_text() + "\n".join(peers))

    def start(self) -> None:
        # No epmd of its own: the cluster's is shared, so the nodes see each other.
        self._write_config()
        (self._dir / "log").mkdir(exist_ok=True)
        self.spawn("wb")

    def spawn(self, log_mode: str = "ab") -> None:
        """Start the node's process without waiting for it (``wait_until_up`` does)."""

        def start() -> None:
            self._deferred = True
            try:
                self._start_server(log_mode)
            finally:
                self._deferred = False

        # Linux sends the node SIGTERM when the *thread* that started it ends
        # (``PR_SET_PDEATHSIG``), e.g. an event loop's executor thread at the end of
        # a test: every node is started from one thread that lives as long as the run.
        _SPAWNER.submit(start).result()

    def start_node(self) -> None:
        self.spawn()
        self.wait_until_up()

    def _wait_until_up(self) -> None:
        if not self._deferred:
            super()._wait_until_up()

    def wait_until_up(self) -> None:
        super()._wait_until_up()

    @property
    def pid(self) -> int | None:
        """The pid of the node's Erlang VM while it runs, else None.

        ``rabbitmq-server`` runs the VM as its child and forwards SIGTERM to it;
        a ``kill -9`` must reach the VM itself.
        """
        server = self._server
        if server is None or server.poll() is not None:
            return None
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        return int(children[0]) if children else None

    @property
    def running(self) -> bool:
        return self._server is not None and self._server.poll() is None

    def kill(self) -> None:
        """``kill -9`` the node's VM: no clean shutdown, its connections drop at once (its data stays)."""
        vm = self.pid
        server, self._server = self._server, None
        if server is None:
            return
        if vm is not None:
            os.kill(vm, signal.SIGKILL)
        server.wait()

    def send_stop(self) -> None:
        """SIGTERM the node without waiting, so that several nodes stop together."""
        if self._server is not None and self._server.poll() is None:
            self._server.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        self.stop_node()


class LocalRabbitMQCluster:
    """Three (or ``size``) RabbitMQ nodes on loopback, joined into one cluster.

    Use it as a context manager. ``nodes`` are the members (each with ``url``,
    ``management_url``, ``kill``, ``stop_node`` and ``start_node``); ``urls``
    are their AMQP URLs, in the node order.
    """

    def __init__(self, size: int = 3, *, startup_timeout: float = 120.0) -> None:
        self.startup_timeout = startup_timeout
        self.epmd_port = _free_port()
        tag = f"{os.getpid()}-{self.epmd_port}"
        self.nodenames = [f"burrow-{chr(ord('a') + i)}-{tag}@localhost" for i in range(size)]
        self.home = Path(tempfile.mkdtemp(prefix="burrow-cluster-"))
        self.nodes = [ClusterNode(self, name.partition("@")[0]) for name in self.nodenames]
        self._epmd: subprocess.Popen[bytes] | None = None

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    def start(self) -> None:
        cookie = self.home / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(20))
        cookie.chmod(0o400)  # Erlang refuses a cookie others can read
        self._epmd = start_epmd(self.epmd_port, dict(os.environ))
        # The first node forms the cluster; the others, configured to find it, boot
        # together once it is up. One joining a first node still enabling its feature
        # flags at boot fails RabbitMQ's schema check, so they cannot all start at once.
        first, *others = self.nodes
        first.start()
        first.wait_until_up()
        for node in others:
            node.start()
        for node in others:
            node.wait_until_up()
        self.wait_for_members()

    def running_members(self, via: ClusterNode | None = None) -> set[str]:
        """The node names ``via`` (or the first running node) counts as running members of its cluster."""
        node = via or next(node for node in self.nodes if node.running)
        request = urllib.request.Request(
            f"http://127.0.0.1:{node.management_port}/api/nodes?columns=name,running",
            headers={"Authorization": "Basic Z3Vlc3Q6Z3Vlc3Q="},  # guest:guest
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                listed = json.load(response)
        except (OSError, urllib.error.URLError, ValueError):
            return set()
        return {entry["name"] for entry in listed if entry.get("running")}

    def wait_for_members(self, timeout: float = 60.0) -> None:
        """Wait until every running node counts every running node as a member of its cluster."""
        deadline = time.monotonic() + timeout
        expected = {node.nodename for node in self.nodes if node.running}
        while True:
            seen = [self.running_members(node) for node in self.nodes if node.running]
            if all(members == expected for members in seen):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the cluster did not form: expected {sorted(expected)}, saw {seen}")
            time.sleep(0.5)

    def stop(self) -> None:
        for node in self.nodes:
            if node.running:
                node.send_stop()
        for node in self.nodes:
            node.stop_node()
        if self._epmd is not None:
            stop_epmd(self._epmd)
            self._epmd = None
        for node in self.nodes:
            shutil.rmtree(node._dir, ignore_errors=True)
        shutil.rmtree(self.home, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
