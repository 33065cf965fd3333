"""Sending without a consumer: sequential sends, a delayed burst, and the producer's memory.

    python -m bench.sending [--runs 3] [--sequential 2000] [--delayed 100000] [--memory 10000,1000000]

Each part runs Burrow and raw aio-pika in the same process and broker, alternating
which goes first from run to run, and prints medians with the ratio Burrow / raw:

- **sequential**: one awaited send after another, each confirmed before the next:
  ``client.send`` against aio-pika's ``exchange.publish`` on a channel with
  publisher confirms (``mandatory``, persistent). Nothing consumes; the queue is
  deleted after each run.
- **delayed**: ``client.send_many(..., delay=3600)`` of a generator, through the
  delay cascade, against the raw windowed publish of as many tasks *undelayed*
  (there is no raw delay to compare with: this shows what a delay costs on top
  of a plain burst). The cascade's queues are deleted after each run.
- **memory**: the peak RSS of a producer process sending each count of tasks
  (``send_many`` of a generator; raw aio-pika with a window of 256) into a queue
  capped at 1,000 messages, so that the broker's memory stays out of it (on an
  exchange of its own, so that it can run beside the other benchmarks).

Uses ``$RABBITMQ_URL`` (or ``$BURROW_URL``), else starts a private node.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import aio_pika
import msgspec
from burrow.sdk import Client, Topology

from bench import _baseline
from bench._contract import EXCHANGE, QUEUES, ROUTING_KEY, TYPE, Touch
from bench._producer import MEMORY_EXCHANGE
from bench.tasks import broker, reset

__all__ = ["main"]

CLASSIC = Topology(queue_type="classic")  # the raw side's queue is classic too

Measured = tuple[float, float]  # seconds, CPU seconds


def _touch(index: int) -> Touch:
    return Touch(index=index, path=f"/tmp/bench/{index}.png")


async def raw_sequential(url: str, count: int) -> Measured:
    encode = msgspec.json.Encoder().encode
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
        queue = await channel.declare_queue(QUEUES[0], durable=True)
        await queue.bind(exchange, ROUTING_KEY)
        cpu, start = time.process_time(), time.monotonic()
        for index in range(count):
            message = aio_pika.Message(
                encode(_touch(index)), delivery_mode=2, content_type="application/json", type=TYPE
            )
            await exchange.publish(message, routing_key=ROUTING_KEY, mandatory=True)
        return time.monotonic() - start, time.process_time() - cpu


async def burrow_sequential(url: str, count: int) -> Measured:
    async with Client.connect(url, topology=CLASSIC) as client:
        await client.send(_touch(-1))  # declares the queue, as the raw side does before its clock starts
        cpu, start = time.process_time(), time.monotonic()
        for index in range(count):
            await client.send(_touch(index))
        return time.monotonic() - start, time.process_time() - cpu


async def raw_burst(url: str, count: int) -> Measured:
    await reset(url)
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
        queue = await channel.declare_queue(QUEUES[0], durable=True)
        await queue.bind(exchange, ROUTING_KEY)
    start, end, cpu = await _baseline.produce_windowed(url, count)
    return end - start, cpu


async def burrow_delayed(url: str, count: int) -> Measured:
    async with Client.connect(url, topology=CLASSIC) as client:
        await client.send(_touch(-1), delay=3600)  # declares the cascade, as the raw side declares its queue
        cpu, start = time.process_time(), time.monotonic()
        await client.send_many((_touch(index) for index in range(count)), delay=3600)
        return time.monotonic() - start, time.process_time() - cpu


async def clean(url: str) -> None:
    """Delete the benchmark's queue and the cascade's, with whatever they hold."""
    await reset(url)
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        for level in range(31):
            await channel.queue_delete(f"{EXCHANGE}.delay.{level:02d}")


def interleaved(
    url: str, runs: int, sides: Mapping[str, Callable[[str, int], Coroutine[Any, Any, Measured]]], count: int
) -> dict[str, list[Measured]]:
    results: dict[str, list[Measured]] = {side: [] for side in sides}
    names = list(sides)
    for number in range(runs):
        for side in names if number % 2 == 0 else names[::-1]:
            asyncio.run(clean(url))
            measured = asyncio.run(sides[side](url, count))
            results[side].append(measured)
            print(
                f"  run {number + 1} {side:<8} {count / measured[0]:>9,.0f} msg/s  "
                f"{measured[1] / count * 1e6:7.1f} µs CPU/msg",
                flush=True,
            )
    asyncio.run(clean(url))
    return results


def report(title: str, count: int, results: dict[str, list[Measured]]) -> None:
    raw, ours = results["raw"], results["burrow"]
    rate = [count / seconds for seconds, _ in raw], [count / seconds for seconds, _ in ours]
    cpu = [c / count * 1e6 for _, c in raw], [c / count * 1e6 for _, c in ours]
    rate_ratio = statistics.median(b / a for a, b in zip(*rate, strict=True))
    cpu_ratio = statistics.median(b / a for a, b in zip(*cpu, strict=True))
    print(f"\n{title} ({count:,} tasks, medians of {len(raw)} runs; ratio = median of per-run Burrow / raw):")
    print("| side | msg/s | CPU µs/msg |\n|---|---:|---:|")
    print(f"| raw aio-pika | {statistics.median(rate[0]):,.0f} | {statistics.median(cpu[0]):.1f} |")
    print(
        f"| burrow | {statistics.median(rate[1]):,.0f} ({rate_ratio:.2f}x) | "
        f"{statistics.median(cpu[1]):.1f} ({cpu_ratio:.2f}x) |\n",
        flush=True,
    )


async def cap(url: str) -> None:
    """Route the memory runs' key to one queue that keeps at most 1,000 messages."""
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        exchange = await channel.declare_exchange(MEMORY_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True)
        queue = await channel.declare_queue("bench.capped", durable=True, arguments={"x-max-length": 1000})
        await queue.bind(exchange, ROUTING_KEY)


def memory(url: str, counts: list[int], sides: list[str]) -> None:
    asyncio.run(cap(url))
    print("\nmemory: peak RSS of a producer process (send_many of a generator; raw: window of 256)")
    print("| side | tasks | peak RSS MiB | msg/s | CPU µs/msg |\n|---|---:|---:|---:|---:|")
    for count in counts:
        for side in sides:
            argv = [sys.executable, "-m", "bench._producer", side, url, str(count)]
            done = json.loads(subprocess.run(argv, check=True, capture_output=True, text=True).stdout)
            print(
                f"| {side} | {count:,} | {done['rss_kib'] / 1024:.1f} | {count / done['seconds']:,.0f} | "
                f"{done['cpu'] / count * 1e6:.1f} |",
                flush=True,
            )

    async def drop() -> None:
        async with await aio_pika.connect(url) as connection:
            channel = await connection.channel()
            await channel.queue_delete("bench.capped")

    asyncio.run(drop())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sending", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per side (default: 3)")
    parser.add_argument("--sequential", type=int, default=2_000, help="awaited sends per run; 0 skips")
    parser.add_argument("--delayed", type=int, default=100_000, help="delayed tasks per run; 0 skips")
    parser.add_argument("--memory", default="10000,1000000", help="comma-separated task counts; empty skips")
    parser.add_argument("--memory-sides", default="burrow,baseline", help="producers to measure for memory")
    args = parser.parse_args(argv)
    with broker() as url:
        if args.sequential:
            print(f"sequential: {args.sequential:,} awaited sends per run", flush=True)
            sides = {"raw": raw_sequential, "burrow": burrow_sequential}
            report("sequential send", args.sequential, interleaved(url, args.runs, sides, args.sequential))
        if args.delayed:
            print(f"delayed: {args.delayed:,} tasks per run", flush=True)
            sides = {"raw": raw_burst, "burrow": burrow_delayed}
            report("delayed burst (raw: undelayed)", args.delayed, interleaved(url, args.runs, sides, args.delayed))
        if args.memory:
            memory(url, [int(count) for count in args.memory.split(",")], args.memory_sides.split(","))


if __name__ == "__main__":
    main()
