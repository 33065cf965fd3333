"""``burrow worker --processes N``: run N worker processes, restart those that die, stop them together.

Each worker process is the same ``burrow worker`` command run again as a
subprocess with ``--processes 1``, not a ``multiprocessing`` child: it starts
from a fresh interpreter (no event loop, thread or broker connection copied
from the parent, which forking would do and spawning would need pickling for),
imports the user's module the way the command does, and reports its own
failures in the command's one line and exit code, which the supervisor reads.

The supervisor and each process share a socket pair. The process writes one
byte once its worker consumes (so the supervisor can tell a process that
cannot start from one that crashed later), and it stops gracefully when it
reads the end of the stream, which is what happens when the supervisor dies,
even by SIGKILL: no worker outlives its supervisor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from burrow.cli._errors import EXIT_BROKER, EXIT_FAILED, EXIT_OK, EXIT_USAGE, CommandError

__all__ = ["SUPERVISOR_FD", "Supervisor", "SupervisorLink", "cpu_count"]

log = logging.getLogger("burrow.supervisor")

SUPERVISOR_FD = "BURROW_SUPERVISOR_FD"  # the process's end of its socket pair
WORKER_PROCESS = "BURROW_WORKER_PROCESS"  # which process it is, 1 to N, for the user's code

FIRST_BACKOFF = 0.5  # seconds before the first restart of a process that died
MAX_BACKOFF = 30.0  # the pause doubles with each quick death, up to this
STABLE = 30.0  # a process that ran this long before dying starts the backoff over
MAX_FAILED_STARTS = 5  # processes that died before consuming, in a row, before giving up
# A process that cannot start with these has already waited for the broker (--wait)
# or failed on its configuration: starting it again would fail the same way.
_FINAL = {EXIT_USAGE: "its configuration", EXIT_BROKER: "the broker"}


def cpu_count() -> int:
    """The CPUs this process may run on: its affinity (a container's cpuset), not a CPU quota."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def backoff(quick_deaths: int) -> float:
    """Seconds before restarting a process, after ``quick_deaths`` deaths in a row (at least 1)."""
    return float(min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** min(quick_deaths - 1, 16)))


@dataclass
class _Child:
    index: int
    process: asyncio.subprocess.Process
    link: socket.socket
    started_at: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.process.pid


class Supervisor:
    """Keeps ``processes`` copies of ``command(index)`` running until SIGTERM or SIGINT.

    Args:
        command: the argv of process ``index`` (1 to ``processes``).
        processes: how many to run.
    """

    def __init__(self, command: Callable[[int], Sequence[str]], processes: int) -> None:
        self._command = command
        self._processes = processes
        self._children: dict[int, _Child] = {}
        self._stopping = asyncio.Event()
        self._failure: CommandError | None = None
        self._exit_codes: list[int] = []

    async def run(self) -> int:
        """Run until stopped; the exit code (0: every process stopped cleanly)."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._forward, signum)
        log.info("starting %d worker processes", self._processes)
        await asyncio.gather(*(self._keep(index) for index in range(1, self._processes + 1)))
        if self._failure is not None:
            raise self._failure
        if any(code != 0 for code in self._exit_codes):
            log.error("worker processes exited with codes %s", sorted(self._exit_codes))
            return EXIT_FAILED
        log.info("all %d worker processes stopped", self._processes)
        return EXIT_OK

    def _forward(self, signum: int) -> None:
        # Each process stops gracefully on the first signal and cancels its
        # handlers on the second, so forwarding each one keeps that meaning.
        if not self._stopping.is_set():
            log.info("%s: stopping %d worker processes", signal.Signals(signum).name, len(self._children))
        self._signal_all(signum)

    def _signal_all(self, signum: int) -> None:
        self._stopping.set()
        for child in self._children.values():
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signum)

    async def _keep(self, index: int) -> None:
        failed_starts = quick_deaths = 0
        while not self._stopping.is_set():
            child = await self._spawn(index)
            started = await self._started(child)
            code = await child.process.wait()
            del self._children[index]
            child.link.close()
            if self._stopping.is_set():
                # A process the stop signal reached before it set up its own handlers
                # (still importing) dies of it: it had taken nothing, so that is clean.
                stopped_early = not started and code in (-signal.SIGTERM, -signal.SIGINT)
                self._exit_codes.append(0 if stopped_early else code)
                return
            ran = time.monotonic() - child.started_at
            if not started:
                failed_starts += 1
                if code in _FINAL or failed_starts >= MAX_FAILED_STARTS:
                    self._fail(index, code, failed_starts)
                    return
            else:
                failed_starts = 0
            quick_deaths = 1 if ran >= STABLE else quick_deaths + 1
            pause = backoff(quick_deaths)
            log.warning(
                "worker process %d (pid %d) %s%s; starting it again in %g s",
                index,
                child.pid,
                "" if started else "could not start: it ",
                _describe(code),
                pause,
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), pause)

    async def _spawn(self, index: int) -> _Child:
        ours, theirs = socket.socketpair()
        ours.setblocking(False)
        try:
            process = await asyncio.create_subprocess_exec(
                *self._command(index),
                stdin=asyncio.subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                env={**os.environ, SUPERVISOR_FD: str(theirs.fileno()), WORKER_PROCESS: str(index)},
                # Its own process group: a Ctrl-C in a terminal reaches the supervisor
                # only, which forwards it once (twice would cancel in-flight handlers).
                process_group=0,
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()  # the process has its copy; the stream ends when it exits
        child = _Child(index, process, ours)
        self._children[index] = child
        log.info("started worker process %d (pid %d)", index, child.pid)
        if self._stopping.is_set():  # stopped while it was being started
            process.send_signal(signal.SIGTERM)
        return child

    async def _started(self, child: _Child) -> bool:
        """Wait until the process consumes (True) or exits before it does (False)."""
        try:
            return await asyncio.get_running_loop().sock_recv(child.link, 1) != b""
        except OSError:
            return False

    def _fail(self, index: int, code: int, failed_starts: int) -> None:
        if code in _FINAL:
            message = f"worker process {index} could not start because of {_FINAL[code]}: it {_describe(code)}"
        else:
            message = f"worker process {index} could not start {failed_starts} times in a row: it {_describe(code)}"
        self._failure = CommandError(
            message,
            hint="its own error is logged above; run with --processes 1 to see it alone",
            code=code if code > 0 else EXIT_FAILED,
        )
        self._signal_all(signal.SIGTERM)


def _describe(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:  # a real-time signal has no name
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


class SupervisorLink:
    """A worker process's end of the socket pair, when ``--processes`` started it."""

    def __init__(self, fd: int) -> None:
        os.set_inheritable(fd, False)  # not for the processes the user's code may start
        self._socket = socket.socket(fileno=fd)
        self._socket.setblocking(False)

    @classmethod
    def from_environment(cls) -> SupervisorLink | None:
        fd = os.environ.pop(SUPERVISOR_FD, None)
        return cls(int(fd)) if fd else None

    def ready(self) -> None:
        """Tell the supervisor that the worker consumes."""
        with contextlib.suppress(OSError):  # the supervisor is gone: watch() stops the worker
            self._socket.send(b"r")

    def watch(self, on_lost: Callable[[], None], *, exit_after: float) -> None:
        """Call ``on_lost`` once when the supervisor is gone; end the process ``exit_after`` seconds later.

        The graceful stop that ``on_lost`` starts ends well before ``exit_after``;
        what it cannot end (a synchronous handler's thread stuck in a call) would
        otherwise keep an unsupervised process alive.
        """
        loop = asyncio.get_running_loop()

        def readable() -> None:
            try:
                data = self._socket.recv(1)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(self._socket)
                log.warning("the supervisor is gone: stopping")
                on_lost()
                last_resort = threading.Timer(exit_after, os._exit, (EXIT_FAILED,))
                last_resort.daemon = True
                last_resort.start()

        loop.add_reader(self._socket, readable)
