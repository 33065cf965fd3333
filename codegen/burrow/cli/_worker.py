"""``burrow worker``: run a worker from an import path until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import time

from burrow.cli._errors import EXIT_OK, EXIT_USAGE, CommandError
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
    parser.set_defaults(run=_run_worker)


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
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    if args.log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    worker = load_worker(args.target)
    if args.url:
        worker.url = args.url
    if args.http_port is not None:
        worker.http_port = args.http_port
    asyncio.run(_serve(worker, wait=args.wait))
    return EXIT_OK


async def _serve(worker: Worker, *, wait: float) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.request_stop)
    if worker.transport is None:
        await wait_for_broker(broker_url(worker.url), wait)
    await worker.run()


async def wait_for_broker(url: str, timeout: float) -> None:
    """Return once the broker at ``url`` accepts a connection; raise ``BrokerUnreachable`` after ``timeout``.

    Deployments start the broker and its workers together, and RabbitMQ takes
    seconds to boot: a worker that exits at once would only be restarted in a loop.
    Wrong credentials are not retried: waiting does not fix them.
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
            await asyncio.sleep(min(_RETRY_PAUSE, left))
            attempt += 1
        else:
            await probe.close()
            return
