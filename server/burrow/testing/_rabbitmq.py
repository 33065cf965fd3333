"""Start a private RabbitMQ node from the system install, for tests and demos.

The node lives in a temporary directory, listens on free loopback ports and runs
its own ``epmd``, so it never touches a system broker. Everything started here is
stopped by the pid it was started with.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Self

__all__ = ["LocalRabbitMQ", "RabbitMQNotInstalled"]

_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
_CTL = Path("/usr/lib/rabbitmq/bin/rabbitmqctl")


class RabbitMQNotInstalled(RuntimeError):
    """Raised when no system RabbitMQ install is found to start a node from."""


def _end_with_parent() -> None:
    """In the child, before exec: ask Linux for SIGTERM when the parent process dies.

    SIGTERM is what ``stop`` sends too, so a node outlives no test run or demo,
    however it ends. Elsewhere than Linux this does nothing.
    """
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def start_epmd(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Erlang's port mapper on ``port``, for nodes of our own; it ends with this process."""
    return subprocess.Popen(
        ["epmd", "-port", str(port)],
        env={**env, "ERL_EPMD_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_end_with_parent,
    )


def stop_epmd(epmd: subprocess.Popen[bytes]) -> None:
    epmd.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        epmd.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalRabbitMQ:
    """A throw-away RabbitMQ node with the management API enabled.

    Use it as a context manager; ``url`` is the AMQP URL of its default vhost
    and ``management_url`` the base of its HTTP API.
    """

    def __init__(self, *, startup_timeout: float = 60.0) -> None:
        self.startup_timeout = startup_timeout
        self.amqp_port = _free_port()
        self.management_port = _free_port()
        self._dist_port = _free_port()
        self._epmd_port = _free_port()
        self.nodename = f"burrow-{os.getpid()}-{self.amqp_port}@localhost"
        self._dir = Path(tempfile.mkdtemp(prefix="burrow-rabbitmq-"))
        self._server: subprocess.Popen[bytes] | None = None
        self._epmd: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    @property
    def management_url(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.management_port}"

    @property
    def log_file(self) -> Path:
        return self._dir / "log" / "server.out"

    def env(self) -> dict[str, str]:
        """Environment that points rabbitmq-server and rabbitmqctl at this node."""
        return {
            **os.environ,
            "HOME": str(self._dir),  # the Erlang cookie lives here
            "ERL_EPMD_PORT": str(self._epmd_port),
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self._dist_port),
            "RABBITMQ_MNESIA_BASE": str(self._dir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self._dir / "log"),
            "RABBITMQ_CONFIG_FILE": str(self._dir / "rabbitmq"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self._dir / "enabled_plugins"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(self._dir / "plugins"),
            "RABBITMQ_PID_FILE": str(self._dir / "rabbitmq.pid"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self._dir / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(self._dir / "rabbitmq-env.conf"),
            "RABBITMQ_LOGS": "-",
        }

    def start(self) -> None:
        if not _SERVER.exists():
            raise RabbitMQNotInstalled(
                f"{_SERVER} not found: install Debian's rabbitmq-server "
                "(apt-get install rabbitmq-server) or set RABBITMQ_URL"
            )
        self._write_config()
        (self._dir / "log").mkdir(exist_ok=True)
        env = self.env()
        self._epmd = start_epmd(self._epmd_port, env)
        self._start_server("wb")

    def _start_server(self, log_mode: str) -> None:
        with self.log_file.open(log_mode) as log:
            self._server = subprocess.Popen(
                [str(_SERVER)],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                # A Ctrl-C aimed at the tests must not kill the node before they stop it...
                start_new_session=True,
                # ...but a test run that is killed outright must not leave it running.
                preexec_fn=_end_with_parent,
            )
        self._wait_until_up()

    def _write_config(self) -> None:
        (self._dir / "rabbitmq.conf").write_text(
            "\n".join(
                [
                    "loopback_users = none",
                    "management.tcp.ip = 127.0.0.1",
                    f"management.tcp.port = {self.management_port}",
                    "disk_free_limit.absolute = 50MB",
                    "collect_statistics_interval = 1000",
                    "",
                ]
            )
        )
        (self._dir / "enabled_plugins").write_text("[rabbitmq_management].\n")
        (self._dir / "advanced.config").write_text("[].\n")
        (self._dir / "rabbitmq-env.conf").write_text("")

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            assert self._server is not None
            if self._server.poll() is not None:
                raise RuntimeError(
                    f"rabbitmq-server exited with {self._server.returncode}; "
                    f"log:\n{self.log_file.read_text(errors='replace')[-4000:]}"
                )
            # The management listener can answer before the AMQP one accepts
            # (RabbitMQ opens client listeners last): wait for both.
            if self._management_answers() and self._amqp_accepts():
                return
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"RabbitMQ node did not start within {self.startup_timeout} s")

    def _management_answers(self) -> bool:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.management_port}/api/overview",
            headers={"Authorization": "Basic Z3Vlc3Q6Z3Vlc3Q="},  # guest:guest
        )
        try:
            with urllib.request.urlopen(request, timeout=1):
                return True
        except (OSError, urllib.error.URLError):
            return False

    def _amqp_accepts(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.amqp_port), timeout=1):
                return True
        except OSError:
            return False

    def ctl(self, *args: str, timeout: float = 60.0) -> str:
        """Run ``rabbitmqctl`` against this node and return its output."""
        done = subprocess.run(
            [str(_CTL), "-n", self.nodename, *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
        return done.stdout

    def stop_node(self) -> None:
        """Stop the broker process (keeping its data), e.g. to test a restart."""
        if self._server is not None and self._server.poll() is None:
            self._server.send_signal(signal.SIGTERM)
            try:
                self._server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()
        self._server = None

    def start_node(self) -> None:
        """Start the node again after ``stop_node``, on the same ports and data."""
        self._start_server("ab")

    def restart_node(self) -> None:
        """Stop the node and start it again on the same ports and data."""
        self.stop_node()
        self.start_node()

    def stop(self) -> None:
        self.stop_node()
        if self._epmd is not None:
            stop_epmd(self._epmd)
            self._epmd = None
        shutil.rmtree(self._dir, ignore_errors=True)

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
