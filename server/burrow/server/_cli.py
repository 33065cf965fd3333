"""``burrow worker``: run a worker from an import path until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
import sys

from burrow.server._worker import Worker

__all__ = ["add_worker_command"]


def add_worker_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "worker",
        help="run a worker",
        description="Run the Worker found at MODULE:ATTRIBUTE (a Worker, or a function returning one) "
        "until SIGTERM or SIGINT; a second signal cancels in-flight handlers.",
    )
    parser.add_argument("target", metavar="MODULE:ATTRIBUTE")
    parser.add_argument("--url", help="broker URL (default: the worker's, then $BURROW_URL, $RABBITMQ_URL)")
    parser.add_argument("--log-level", default="INFO")
    parser.set_defaults(run=_run_worker)


def load_worker(target: str) -> Worker:
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise SystemExit(f"burrow worker: expected MODULE:ATTRIBUTE, got {target!r}")
    sys.path.insert(0, "")  # like `python -m`, find modules in the current directory
    module = importlib.import_module(module_name)
    found = getattr(module, attribute, None)
    if found is None:
        raise SystemExit(f"burrow worker: {module_name} has no attribute {attribute!r}")
    worker = found() if callable(found) and not isinstance(found, Worker) else found
    if not isinstance(worker, Worker):
        raise SystemExit(f"burrow worker: {target} is {worker!r}, not a Worker")
    return worker


def _run_worker(args: argparse.Namespace) -> int:
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker = load_worker(args.target)
    if args.url:
        worker.url = args.url
    asyncio.run(_serve(worker))
    return 0


async def _serve(worker: Worker) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, worker.request_stop)
    await worker.run()
