"""Run the cleanup example end to end: broker, worker, web app, one request.

    python -m examples.demo

Starts a private RabbitMQ node unless ``$RABBITMQ_URL`` (or ``$BURROW_URL``) is
set, starts ``burrow worker examples.cleanup.worker:worker`` and the FastAPI app
under uvicorn as subprocesses, asks the app for temporary files, waits until the
worker has deleted them all, prints a summary and stops what it started by pid.
Exits with 1 and a message saying what went wrong when any step fails. Ctrl-C
stops everything it started (the worker and the app gracefully, then the broker);
a second Ctrl-C kills the children at once. It exits with 130 then.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from burrow.testing import LocalRabbitMQ

__all__ = ["main"]

STARTUP_TIMEOUT = 60.0
# Seconds before the delayed deletes are due: short for a demo; $BURROW_DEMO_DELETE_AFTER changes it.
DELETE_AFTER = float(os.environ.get("BURROW_DEMO_DELETE_AFTER", "3"))
CLEANUP_TIMEOUT = DELETE_AFTER + 60.0  # seconds after the request: the delay, then time to delete
STOP_TIMEOUT = 30.0


class DemoFailed(Exception):
    """Raised when a step of the demo does not complete; the message says which."""


@contextlib.contextmanager
def broker() -> Iterator[str]:
    """The broker URL from the environment, or a private node for the demo's duration."""
    url = os.environ.get("BURROW_URL") or os.environ.get("RABBITMQ_URL")
    if url:
        say("using the broker at $BURROW_URL / $RABBITMQ_URL")
        yield url
        return
    say("starting a private RabbitMQ node ...")
    with LocalRabbitMQ() as node:
        say(f"RabbitMQ is up on port {node.amqp_port} (management UI on {node.management_port})")
        yield node.url


class Child:
    """A subprocess whose output is echoed with a prefix, stopped by its pid."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.ready = threading.Event()
        self._ready_marker: str | None = None
        self.process = subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        assert self.process.stdout is not None
        threading.Thread(target=self._echo, args=(self.process.stdout,), daemon=True).start()

    def wait_for_line(self, marker: str, timeout: float) -> None:
        """Wait until the child prints a line containing ``marker``."""
        self._ready_marker = marker
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.1):
            self.check_running()
            if time.monotonic() > deadline:
                raise DemoFailed(f"the {self.name} did not start within {timeout:.0f} s")

    def check_running(self) -> None:
        if self.process.poll() is not None:
            raise DemoFailed(f"the {self.name} exited early with status {self.process.returncode} (output above)")

    def terminate(self) -> None:
        """Ask for a graceful exit (SIGTERM)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self) -> int:
        """Wait for the exit that ``terminate`` asked for (SIGKILL after a timeout); return the status."""
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            say(f"the {self.name} did not stop within {STOP_TIMEOUT:.0f} s: killing it")
            self.kill()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def _echo(self, stream: IO[str]) -> None:
        for line in stream:
            _print_line(f"  [{self.name}] {line.rstrip()}")
            if self._ready_marker is not None and self._ready_marker in line:
                self.ready.set()


def say(message: str) -> None:
    _print_line(f"demo: {message}")


# The children's output is echoed from threads: one lock keeps each line whole.
_printing = threading.Lock()


def _print_line(line: str) -> None:
    with _printing:
        print(line, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def post_json(url: str) -> Any:
    request = urllib.request.Request(url, method="POST", data=b"")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise DemoFailed(f"POST {url} answered {exc.code}: {exc.read().decode(errors='replace')}") from exc


def wait_for_http(url: str, app: Child) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        app.check_running()
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise DemoFailed(f"the app did not answer at {url} within {STARTUP_TIMEOUT:.0f} s")


def remaining_files(directory: Path) -> int:
    return sum(1 for path in directory.iterdir() if path.is_file())


def wait_until_deleted(directory: Path, worker: Child) -> None:
    deadline = time.monotonic() + CLEANUP_TIMEOUT
    while (left := remaining_files(directory)) > 0:
        worker.check_running()
        if time.monotonic() > deadline:
            raise DemoFailed(f"{left} files were still there after {CLEANUP_TIMEOUT:.0f} s; see the worker's output")
        time.sleep(0.02)


def start_worker(env: dict[str, str], children: list[Child]) -> Child:
    burrow = str(Path(sys.executable).with_name("burrow"))
    worker = Child("worker", [burrow, "worker", "examples.cleanup.worker:worker"], env)
    children.append(worker)  # before waiting: a worker that never gets ready is stopped too
    worker.wait_for_line("serving", STARTUP_TIMEOUT)
    say(f"the worker is serving (pid {worker.process.pid})")
    return worker


def start_app(env: dict[str, str], port: int, children: list[Child]) -> Child:
    argv = [sys.executable, "-m", "uvicorn", "examples.cleanup.app:app", "--host", "127.0.0.1", "--port", str(port)]
    app = Child("app", argv, env)
    children.append(app)
    wait_for_http(f"http://127.0.0.1:{port}/openapi.json", app)
    say(f"the app is answering on port {port} (pid {app.process.pid})")
    return app


def stop(children: list[Child]) -> None:
    """Stop the app and the worker gracefully, and fail unless both exit cleanly.

    The children run in sessions of their own (a Ctrl-C reaches only the demo), so
    the demo stops them itself, by pid; a Ctrl-C while they stop kills them.
    """
    try:
        say("stopping the app and the worker with SIGTERM (the worker finishes in-flight tasks first) ...")
        for child in reversed(children):
            child.terminate()
        statuses = {child.name: child.wait_stopped() for child in reversed(children)}
    except BaseException:
        # A second Ctrl-C (a terminal sends one to the demo and `uv run` forwards
        # another): stop waiting, but leave nothing running behind.
        for child in children:
            child.kill()
        raise
    for name, status in statuses.items():
        # uvicorn shuts down gracefully, then re-raises the SIGTERM it caught.
        if status not in (0, -signal.SIGTERM):
            raise DemoFailed(f"the {name} exited with status {status} after SIGTERM (output above)")


def run(url: str, temp_dir: Path) -> None:
    env = {**os.environ, "BURROW_URL": url, "CLEANUP_DIR": str(temp_dir), "PYTHONUNBUFFERED": "1"}
    port = free_port()
    children: list[Child] = []
    try:
        worker = start_worker(env, children)
        start_app(env, port, children)
        url = f"http://127.0.0.1:{port}/files?delete_after={DELETE_AFTER}"
        say(f"worker and app are up; POST {url}")
        started = time.perf_counter()
        answer = post_json(url)
        published = time.perf_counter()
        directory = Path(answer["directory"])
        if (early := answer["files"] - remaining_files(directory)) > 0:
            raise DemoFailed(f"{early} files were deleted before their {DELETE_AFTER} s delay")
        wait_until_deleted(directory, worker)
        deleted = time.perf_counter()
    finally:
        stop(children)
    created = answer["files"]
    say(
        f"the app created {created} files and published {created} delete_file tasks "
        f"(delay={DELETE_AFTER} s) in {published - started:.3f} s"
    )
    say(f"the worker deleted all {created} files {deleted - started:.3f} s after the request")
    say("the worker and the app stopped cleanly on SIGTERM")


def tell_the_plan() -> None:
    say("this runs the cleanup example (docs/example.md) end to end:")
    for step in (
        "1. a RabbitMQ broker: $BURROW_URL / $RABBITMQ_URL if set, else a private node on free ports",
        "2. the worker: burrow worker examples.cleanup.worker:worker",
        "3. the web app: uvicorn examples.cleanup.app:app",
        f"4. POST /files?delete_after={DELETE_AFTER:g}: the app writes 150 files, sends 150 delayed delete_file tasks",
        "5. wait until the worker has deleted them all (none before its delay), then stop everything",
    ):
        say(f"   {step}")


def tell_how_to_run_the_pieces() -> None:
    say("to run the pieces yourself, with a RabbitMQ on localhost (see docs/example.md):")
    say("   export BURROW_URL=amqp://guest:guest@localhost/ CLEANUP_DIR=/tmp/burrow-cleanup")
    say("   uv run burrow worker examples.cleanup.worker:worker &")
    say("   uv run uvicorn examples.cleanup.app:app &")
    say('   curl -X POST "localhost:8000/files?delete_after=5"')


def main() -> int:
    begun = time.perf_counter()
    tell_the_plan()
    temp_dir = Path(tempfile.mkdtemp(prefix="burrow-demo-"))
    try:
        with broker() as url:
            run(url, temp_dir)
    except KeyboardInterrupt:
        say("interrupted: stopped the worker, the app and the broker it had started")
        return 130
    except (DemoFailed, OSError, RuntimeError) as exc:
        say(f"FAILED: {exc}")
        return 1
    finally:
        shutil.rmtree(temp_dir, ignore_errors=True)
    say(f"done in {time.perf_counter() - begun:.1f} s")
    tell_how_to_run_the_pieces()
    return 0


if __name__ == "__main__":
    sys.exit(main())
