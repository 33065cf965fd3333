"""Fire-and-forget tasks: Burrow against a lean raw aio-pika baseline, in one run.

    python -m bench.tasks [--tasks 20000] [--runs 3] [--prefetch 512] [--with SIDE,...]

Uses the broker at ``$RABBITMQ_URL`` (or ``$BURROW_URL``), else starts a private
node. Each run deletes the benchmark's queues first, starts the consumer in a
subprocess, publishes every task from this process and waits until the consumer
handled the last one. The baseline is raw aio-pika with a sliding window of 256
publishes in flight; Burrow streams a generator through ``Client.send_many``.
Runs alternate baseline and Burrow (which goes first alternates too); the table
shows medians. ``--with`` adds sides: ``gather`` (raw aio-pika with every publish
in flight at once) and Burrow with hooks on the client and the worker
(docs/observability.md): ``hooked`` (a hook that only proceeds), ``metrics``
(Prometheus), ``traced`` (OpenTelemetry, exporting nowhere); and on quorum queues
(the other sides use classic ones, like the baseline): ``quorum`` (Burrow's default
topology) and ``raw-quorum`` (the baseline on a quorum queue).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import aio_pika
from burrow.testing import LocalRabbitMQ

from bench import _baseline, _burrow
from bench._contract import QUEUES

__all__ = ["main"]

SIDES = ("baseline", "burrow")
CONSUMER_TIMEOUT = 300.0


@dataclass(frozen=True)
class Run:
    """The figures of one run of one side."""

    side: str
    producer_rate: float  # tasks confirmed per second, first send to last confirm
    end_to_end_rate: float  # tasks handled per second, first send to last handled
    first_ms: float  # first send to first task handled
    producer_cpu_us: float  # producer process CPU per task
    consumer_cpu_us: float  # consumer process CPU per task


METRICS = (
    ("producer msg/s", "producer_rate", "{:,.0f}"),
    ("end-to-end msg/s", "end_to_end_rate", "{:,.0f}"),
    ("first task ms", "first_ms", "{:.1f}"),
    ("producer CPU µs/msg", "producer_cpu_us", "{:.1f}"),
    ("consumer CPU µs/msg", "consumer_cpu_us", "{:.1f}"),
)


async def reset(url: str) -> None:
    """Delete the benchmark's queues so that every run starts empty."""
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        for queue in QUEUES:
            await channel.queue_delete(queue)


def run_once(side: str, url: str, count: int, prefetch: int) -> Run:
    asyncio.run(reset(url))
    argv = [sys.executable, "-m", "bench._consumer", side, url, str(count), str(prefetch)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as consumer:
        assert consumer.stdout is not None
        if consumer.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the {side} consumer failed to start (exit status {consumer.wait()})")
        producers: dict[str, Callable[[str, int], Coroutine[Any, Any, tuple[float, float, float]]]] = {
            "baseline": _baseline.produce_windowed,
            "gather": _baseline.produce,
            "burrow": _burrow.produce,
            **{hooks: partial(_burrow.produce, hooks=hooks) for hooks in _burrow.HOOKED},
            "quorum": partial(_burrow.produce, topology=_burrow.QUORUM),
            "raw-quorum": _baseline.produce_windowed,
            "uvloop": _burrow.produce,
        }
        produce = producers[side]
        start, end, cpu = _burrow.run(side, produce(url, count))
        output, _ = consumer.communicate(timeout=CONSUMER_TIMEOUT)
    if consumer.returncode != 0:
        raise RuntimeError(f"the {side} consumer exited with status {consumer.returncode}")
    handled = json.loads(output)
    return Run(
        side=side,
        producer_rate=count / (end - start),
        end_to_end_rate=count / (handled["last"] - start),
        first_ms=(handled["first"] - start) * 1000,
        producer_cpu_us=cpu / count * 1e6,
        consumer_cpu_us=handled["cpu"] / count * 1e6,
    )


def median(runs: list[Run], side: str, field: str) -> float:
    values: list[float] = [getattr(run, field) for run in runs if run.side == side]
    return statistics.median(values)


def paired(runs: list[Run], field: str, side: str = "burrow") -> str:
    """Median (min..max) of ``side`` / baseline within each run: load that drifts between runs cancels out."""
    base = [getattr(run, field) for run in runs if run.side == "baseline"]
    ours = [getattr(run, field) for run in runs if run.side == side]
    ratios = [b / a for a, b in zip(base, ours, strict=True)]
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}..{max(ratios):.2f})"


def table(runs: list[Run], sides: tuple[str, ...] = SIDES) -> str:
    others = [side for side in sides if side != "baseline"]
    header = f"| {'metric':<20} | {'baseline':>10} |"
    rule = f"|{'-' * 22}|{'-' * 11}:|"
    for side in others:
        header += f" {side:>10} | {side + '/baseline':>17} | {'per run':>20} |"
        rule += f"{'-' * 11}:|{'-' * 18}:|{'-' * 21}:|"
    lines = [header, rule]
    for label, field, fmt in METRICS:
        base = median(runs, "baseline", field)
        line = f"| {label:<20} | {fmt.format(base):>10} |"
        for side in others:
            ours = median(runs, side, field)
            line += f" {fmt.format(ours):>10} | {ours / base:>16.2f}x | {paired(runs, field, side):>20} |"
        lines.append(line)
    return "\n".join(lines)


def describe(run: Run) -> str:
    return "  ".join(f"{label} {fmt.format(getattr(run, field))}" for label, field, fmt in METRICS)


@contextlib.contextmanager
def broker() -> Iterator[str]:
    url = os.environ.get("BURROW_URL") or os.environ.get("RABBITMQ_URL")
    if url:
        yield url
        return
    print("starting a private RabbitMQ node ...", flush=True)
    with LocalRabbitMQ() as node:
        yield node.url


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.tasks", description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20_000, help="tasks per run (default: 20000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per side; the table shows medians (default: 3)")
    parser.add_argument("--prefetch", type=int, default=512, help="consumer prefetch for both sides (default: 512)")
    parser.add_argument("--warmup", type=int, default=2_000, help="tasks per side in an unreported first run")
    parser.add_argument(
        "--with",
        dest="extra",
        default="",
        help="comma-separated extra sides: gather, hooked, metrics, traced, quorum, raw-quorum, uvloop (default: none)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    extra = tuple(side for side in args.extra.split(",") if side)
    known = ("gather", *_burrow.HOOKED, "quorum", "raw-quorum", "uvloop")
    unknown = sorted(set(extra) - set(known))
    if unknown:
        raise SystemExit(f"unknown side {unknown[0]!r}; choose from {', '.join(known)}")
    sides = (*SIDES, *extra)
    with broker() as url:
        if args.warmup:
            for side in sides:
                run_once(side, url, args.warmup, args.prefetch)
        runs: list[Run] = []
        for number in range(1, args.runs + 1):
            # Alternate which side goes first, so that neither always follows the other.
            for side in sides if number % 2 else sides[::-1]:
                runs.append(run_once(side, url, args.tasks, args.prefetch))
                print(f"run {number} {side:<8}  {describe(runs[-1])}", flush=True)
    print(f"\n{args.tasks:,} tasks per run, prefetch {args.prefetch}, medians of {args.runs} runs")
    print("(per run: Burrow / baseline within each run, median (min..max)):\n")
    print(table(runs, sides))


if __name__ == "__main__":
    main()
