"""``burrow worker``: run a worker from an import path until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time

from burrow.cli._errors import EXIT_OK, EXIT_USAGE, CommandError
from burrow.cli._loop import LOOPS, loop_factory
from burrow.cli._loop import run as run_on_loop
from burrow.cli._supervisor import Supervisor, SupervisorLink, cpu_count
from burrow.cli._targets import import_target
from burrow.sdk import AmqpTransport, BrokerUnreachable
from burrow.sdk._url import broker_url
from burrow.server import JsonFormatter, Worker

__all__ = ["add_worker_command", "load_worker"]

log = logging.getLogger("burrow.worker")

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
_RETRY_PAUSE = 2.0  # seconds between attempts to reach a broker that is not up yet


def add_worker_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "worker",
        help="run a worker until SIGTERM or SIGINT",
        description="Run the Worker found at MODULE:ATTRIBUTE (a Worker, or a function returning one) until "
        "SIGTERM or SIGINT: in-flight handlers finish within the grace period, a second signal cancels them, "
        "and nothing started is lost. The current directory is searched for MODULE first.",
    )
    parser.add_argument("target", metavar="MODULE:ATTRIBUTE", help="e.g. myservice.worker:worker")
    parser.add_argument(
        "--url",
        help="broker URL, or the URLs of a cluster's nodes separated by ';' "
        "(default: the worker's, then $BURROW_URL, $RABBITMQ_URL, localhost)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=LOG_LEVELS,
        help="INFO logs start, stop and failures; DEBUG adds one line per handled message (default: INFO)",
    )
    parser.add_argument(
        "--http-port",
        type=int,
        metavar="PORT",
        help="serve /healthz, /readyz and /metrics (with a MetricsHook) on this port (default: the worker's, none)",
    )
    parser.add_argument(
        "--log-format",
        default="text",
        choices=("text", "json"),
        help="text lines, or one JSON object per line with the message's fields (default: text)",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for a broker that is not reachable yet, trying every 2 s (default: 60; 0: fail at once)",
    )
    parser.add_argument(
        "--queue",
        action="append",
        dest="queues",
        metavar="NAME",
        help="consume only this queue of the worker's services, e.g. a contract's own queue deployed apart; "
        "repeat for several (default: all of them)",
    )
    parser.add_argument(
        "--concurrency",
        action="append",
        type=_concurrency,
        metavar="N|QUEUE=N",
        help="handlers running at once per queue (each queue's prefetch): N for every queue, QUEUE=N for one; "
        "repeatable (default: the worker's)",
    )
    parser.add_argument(
        "--processes",
        type=_processes,
        default=1,
        metavar="N",
        help="run N worker processes, or 'auto' for one per CPU; one that dies is started again, SIGTERM stops "
        "them all gracefully, and with --http-port process i listens on PORT+i-1 (default: 1)",
    )
    parser.add_argument(
        "--loop",
        default="auto",
        choices=LOOPS,
        help="the event loop: uvloop where it is installed (pip install 'burrow-mq[uvloop]'), asyncio's own, "
        "or uvloop or fail (default: auto)",
    )
    parser.set_defaults(run=_run_worker)


def _concurrency(value: str) -> tuple[str | None, int]:
    queue, _, number = value.rpartition("=")
    if number.isdigit() and int(number) >= 1 and (queue or "=" not in value):
        return queue or None, int(number)
    raise argparse.ArgumentTypeError(f"expected N or QUEUE=N with N at least 1, got {value!r}")


def _processes(value: str) -> int:
    if value == "auto":
        return cpu_count()
    try:
        count = int(value)
    except ValueError:
        count = 0
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected a number of processes (at least 1) or 'auto', got {value!r}")
    return count


def load_worker(target: str) -> Worker:
    """The Worker at ``MODULE:ATTRIBUTE``, calling it first if it is a factory function."""
    found = import_target(target)
    worker = found() if callable(found) and not isinstance(found, Worker) else found
    if not isinstance(worker, Worker):
        raise CommandError(
            f"{target} is {type(worker).__name__}, not a Worker",
            hint="point at a Worker, or at a function that returns one",
            code=EXIT_USAGE,
        )
    return worker


def _run_worker(args: argparse.Namespace) -> int:
    link = SupervisorLink.from_environment()
    # Several processes share one stderr: each line names its process.
    shared = args.processes > 1 or link is not None
    logging.basicConfig(
        level=args.log_level,
        format=f"%(asctime)s %(levelname)s {'[%(process)d] ' if shared else ''}%(name)s: %(message)s",
        force=True,
    )
    if args.log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter(process=shared))
    worker = load_worker(args.target)
    if args.url:
        worker.url = args.url
    if args.http_port is not None:
        worker.http_port = args.http_port
    if args.queues:
        _select_queues(worker, args.queues)
    if args.concurrency:
        worker.concurrency = _merged_concurrency(worker, args.concurrency)
    worker.check()  # once, in one line, rather than in every process
    loop_factory(args.loop)  # --loop uvloop without uvloop fails here, once
    if args.processes > 1:
        return asyncio.run(Supervisor(lambda index: _child_command(args, worker, index), args.processes).run())
    run_on_loop(_serve(worker, wait=args.wait, link=link), args.loop)
    return EXIT_OK


def _select_queues(worker: Worker, queues: list[str]) -> None:
    known = worker.all_queues
    unknown = [queue for queue in queues if queue not in known]
    if unknown:
        raise CommandError(
            f"the worker has no queue named {unknown[0]!r}",
            hint=f"its services' queues are: {', '.join(known) or 'none (it binds no contract)'}",
            code=EXIT_USAGE,
        )
    worker.queues = queues


def _merged_concurrency(worker: Worker, given: list[tuple[str | None, int]]) -> dict[str, int]:
    """The worker's concurrency per queue, the command line's over it: a plain N for every queue, QUEUE=N over that."""
    known = worker.all_queues
    for queue, _ in given:
        if queue is not None and queue not in known:
            raise CommandError(
                f"--concurrency names {queue!r}, not a queue of the worker's services",
                hint=f"its services' queues are: {', '.join(known) or 'none (it binds no contract)'}",
                code=EXIT_USAGE,
            )
    merged = {queue: worker.concurrency_of(queue) for queue in known}
    # A plain N sets every queue, then QUEUE=N its own, whatever their order on the line.
    for queue, number in sorted(given, key=lambda option: option[0] is not None):
        merged.update({queue: number} if queue is not None else dict.fromkeys(known, number))
    return merged


def _child_command(args: argparse.Namespace, worker: Worker, index: int) -> list[str]:
    """The same command for worker process ``index``, as one process."""
    command = [sys.executable, "-m", "burrow.cli", *(["--debug"] if args.debug else []), "worker", args.target]
    command += ["--processes", "1", "--log-level", args.log_level, "--log-format", args.log_format]
    command += ["--wait", repr(args.wait), "--loop", args.loop]
    if args.url:
        command += ["--url", args.url]
    if worker.http_port is not None:
        # One port each: process i on PORT+i-1 (0 still lets each pick a free one).
        command += ["--http-port", str(worker.http_port + index - 1 if worker.http_port else 0)]
    for queue in args.queues or ():
        command += ["--queue", queue]
    for queue, number in args.concurrency or ():
        command += ["--concurrency", f"{queue}={number}" if queue else str(number)]
    return command


async def _serve(worker: Worker, *, wait: float, link: SupervisorLink | None = None) -> None:
    loop = asyncio.get_running_loop()
    log.debug("event loop: %s.%s", type(loop).__module__, type(loop).__qualname__)
    stop = asyncio.Event()

    def request_stop() -> None:
        worker.request_stop()  # a second request cancels in-flight handlers
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, request_stop)
    if link is not None:
        link.watch(request_stop, exit_after=worker.grace_period + 30)
    if worker.transport is None and not await wait_for_broker(broker_url(worker.url), wait, stop=stop):
        return  # stopped while waiting
    async with worker:
        if link is not None:
            link.ready()
        await stop.wait()


async def wait_for_broker(url: str, timeout: float, *, stop: asyncio.Event | None = None) -> bool:
    """Return True once the broker at ``url`` accepts a connection; raise ``BrokerUnreachable`` after ``timeout``.

    Deployments start the broker and its workers together, and RabbitMQ takes
    seconds to boot: a worker that exits at once would only be restarted in a loop.
    Wrong credentials are not retried: waiting does not fix them. Returns False
    when ``stop`` is set during a pause between attempts (an attempt itself is
    not cancelled: a connection cancelled half-open leaves tasks behind).
    """
    deadline = time.monotonic() + timeout
    attempt = 1
    while True:
        probe = AmqpTransport(url, connection_name="burrow-worker-probe")
        try:
            await probe.open()
        except BrokerUnreachable as exc:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrokerUnreachable(f"{exc} (gave up after {timeout:g} s)") from exc
            log.warning("%s; trying again in %g s (attempt %d)", exc, _RETRY_PAUSE, attempt)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for((stop or asyncio.Event()).wait(), min(_RETRY_PAUSE, left))
            if stop is not None and stop.is_set():
                return False
            attempt += 1
        else:
            await probe.close()
            return True
