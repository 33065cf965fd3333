"""The command line against a real broker: what a user sees when the broker, the URL or the queue is wrong."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest
from burrow.cli import main
from burrow.server import Worker

from tests._proxy import Proxy
from tests.integration._raw import raw_channel
from tests.integration.test_shutdown import burrow_worker


def _with(url: str, *, password: str | None = None, vhost: str | None = None) -> str:
    parts = urllib.parse.urlsplit(url)
    netloc = f"{parts.username}:{password or parts.password}@{parts.hostname}:{parts.port}"
    path = parts.path if vhost is None else "/" + urllib.parse.quote(vhost, safe="")
    return urllib.parse.urlunsplit((parts.scheme, netloc, path, "", ""))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, list[str]]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err.splitlines()


def test_wrong_credentials_name_the_user(amqp_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "dead", "list", "cleanup", "--url", _with(amqp_url, password="s3cret-typo"))
    assert code == 3
    user = urllib.parse.urlsplit(amqp_url).username
    assert err[0].startswith("burrow: error: RabbitMQ at amqp://")
    assert err[0].endswith(f"refused the login of user {user!r}: wrong user name or password")
    assert "s3cret-typo" not in err[0] + out  # the password never reaches the terminal
    assert err[1:] == ["hint: check the user, password and vhost in the URL"]


def test_an_unknown_vhost_is_named(amqp_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "dead", "list", "cleanup", "--url", _with(amqp_url, vhost="no-such-vhost"))
    assert code == 3
    assert err[0].endswith("access to vhost 'no-such-vhost': it does not exist, or the user has no permission on it")


def test_an_unknown_service_has_no_dead_letter_queue(amqp_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "dead", "list", "nosuchservice", "--url", amqp_url)
    assert code == 3
    assert out == ""
    assert err[0].startswith("burrow: error: cannot use the dead-letter queue nosuchservice.dead: ")
    assert err[1] == ("hint: is 'nosuchservice' the service's name? Its queues exist once a worker or client of it ran")


def test_an_empty_dead_letter_queue_says_so(
    amqp_url: str, serve_cleanup: Callable[[Worker], None], capsys: pytest.CaptureFixture[str]
) -> None:
    async def declare() -> None:
        worker = Worker(amqp_url)
        serve_cleanup(worker)
        async with worker:
            pass

    asyncio.run(declare())
    code, out, err = run(capsys, "dead", "list", "cleanup", "--url", amqp_url)
    assert (code, out, err) == (0, "", ["no dead letters in cleanup.dead"])


async def test_the_worker_waits_for_a_broker_that_starts_later(amqp_url: str) -> None:
    async with Proxy.to(amqp_url) as (proxy, proxied_url):
        await proxy.cut()  # the broker's port refuses connections, as while RabbitMQ boots
        async with burrow_worker(proxied_url, "--wait", "120") as worker:
            await worker.read_log_until("trying again in 2 s (attempt 1)")
            await proxy.restore()
            await worker.read_log_until("serving cleanup.delete_file, cleanup.stat_file")
            worker.process.send_signal(signal.SIGTERM)
            assert await worker.wait() == 0
    assert "Connection refused; trying again" in "".join(worker.log)


async def test_the_worker_gives_up_on_a_broker_that_never_comes(amqp_url: str) -> None:
    async with Proxy.to(amqp_url) as (proxy, proxied_url):
        await proxy.cut()
        async with burrow_worker(proxied_url, "--wait", "1") as worker:
            assert await worker.wait() == 3
    assert worker.log[-2].startswith("burrow: error: cannot reach RabbitMQ at amqp://")
    assert worker.log[-2].rstrip().endswith("Connection refused (gave up after 1 s)")
    assert worker.log[-1].startswith("hint: is RabbitMQ running?")
    assert "Traceback" not in "".join(worker.log)


WORKER = "tests.integration._crashing_worker:make_worker"


def test_a_classic_queue_of_an_earlier_version_stops_the_worker_with_a_hint(amqp_url: str) -> None:
    async def declare_classic() -> None:
        async with raw_channel(amqp_url) as channel:
            await channel.declare_queue("cleanup", durable=True)  # as earlier versions did: no arguments

    asyncio.run(declare_classic())
    # In a child process: `burrow worker` sets up logging to the stderr it finds.
    done = subprocess.run(
        [sys.executable, "-m", "burrow.cli", "worker", WORKER, "--url", amqp_url],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3
    assert done.stdout == ""
    (error, hint) = [line for line in done.stderr.splitlines() if line.startswith(("burrow: error:", "hint:"))]
    assert error.startswith(
        "burrow: error: queue 'cleanup' exists without the quorum arguments Burrow declares by default "
        "(the broker said: inequivalent arg '"
    )
    assert error.endswith('cannot change in place. See docs/deploy.md, "Moving from classic to quorum queues"')
    assert hint == (
        'hint: keep it with Topology(queue_type="classic") on every client and worker, '
        'or migrate (docs/deploy.md, "Moving from classic to quorum queues")'
    )


async def test_a_stop_signal_ends_the_wait_for_the_broker(amqp_url: str) -> None:
    async with Proxy.to(amqp_url) as (proxy, proxied_url):
        await proxy.cut()
        async with burrow_worker(proxied_url, "--wait", "3600") as worker:
            await worker.read_log_until("trying again in 2 s (attempt 1)")
            worker.process.send_signal(signal.SIGTERM)
            assert await worker.wait() == 0  # (within the helper's safety timeout, not after the hour)
    assert "burrow: error" not in "".join(worker.log)
    assert "serving" not in "".join(worker.log)
