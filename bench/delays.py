"""Delay precision and pending-delay memory, against a real RabbitMQ.

    python -m bench.delays               # W4: 500 tasks, delays spread over 0.1-20 s
    python -m bench.delays --pending 100000   # worker memory with many delays pending

W4 sends 500 tasks with delays drawn uniformly from 0.1-20 s, in batches of 25,
and reports how late each was handled (handled time minus due time): through
Burrow's delay cascade, and through the raw aio-pika recipe (a queue whose
messages carry a per-message TTL and dead-letter to the target queue) in the
same run. The raw recipe expires messages only at the head of its queue, so a
long delay holds back every shorter one sent after it.

A private broker is started with ``burrow.testing.LocalRabbitMQ`` unless
``RABBITMQ_URL`` is set (then ``RABBITMQ_MANAGEMENT_URL`` or port 15672 is used).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator

import aio_pika
import aio_pika.abc
from burrow.sdk import Client, Service, Task
from burrow.server import Context, Worker
from burrow.testing import LocalRabbitMQ

bench = Service("bench_delays")


@bench.task("tick")
class Tick(Task, frozen=True, kw_only=True):
    index: int


Send = Callable[[int, float], Awaitable[None]]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * fraction), len(ordered) - 1)]


async def _paced(count: int, delays: list[float], send: Send, due: dict[int, float]) -> None:
    for start in range(0, count, 25):
        batch = range(start, min(start + 25, count))
        for index in batch:
            due[index] = time.time() + delays[index]
        await asyncio.gather(*(send(index, delays[index]) for index in batch))
        await asyncio.sleep(0.02)


async def burrow_w4(url: str, delays: list[float]) -> list[float]:
    due: dict[int, float] = {}
    late: list[float] = []
    done = asyncio.Event()

    async def tick(task: Tick, ctx: Context) -> None:
        late.append(time.time() - due[task.index])
        if len(late) == len(delays):
            done.set()

    worker = Worker(url, name="bench-delays")
    worker.bind(Tick, tick)
    async with Client.connect(url) as client, worker:

        async def send(index: int, delay: float) -> None:
            await client.send(Tick(index=index), delay=delay)

        await _paced(len(delays), delays, send, due)
        await asyncio.wait_for(done.wait(), 120)
    return late


async def raw_ttl_w4(url: str, delays: list[float]) -> list[float]:
    due: dict[int, float] = {}
    late: list[float] = []
    done = asyncio.Event()
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        target = await channel.declare_queue("bench.raw.target", durable=True)
        await channel.declare_queue(
            "bench.raw.wait",
            durable=True,
            arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": "bench.raw.target"},
        )

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            late.append(time.time() - due[int(message.body)])
            await message.ack()
            if len(late) == len(delays):
                done.set()

        consumer_tag = await target.consume(on_message)

        async def send(index: int, delay: float) -> None:
            message = aio_pika.Message(str(index).encode(), delivery_mode=2, expiration=delay)
            await channel.default_exchange.publish(message, routing_key="bench.raw.wait")

        await _paced(len(delays), delays, send, due)
        # Head-of-line blocking can hold the last ones up to the longest delay.
        await asyncio.wait_for(done.wait(), 120)
        await channel.queue_delete("bench.raw.wait")
        await target.cancel(consumer_tag)
        await channel.queue_delete("bench.raw.target")
    return late


def _report(name: str, late: list[float]) -> None:
    early = sum(1 for value in late if value < 0)
    print(
        f"{name:<28} n={len(late):4d}  p50 {_percentile(late, 0.5) * 1000:8.1f} ms  "
        f"p99 {_percentile(late, 0.99) * 1000:8.1f} ms  max {max(late) * 1000:8.1f} ms  early {early}"
    )


async def w4(url: str, seed: int) -> None:
    rng = random.Random(seed)
    delays = [rng.uniform(0.1, 20) for _ in range(500)]
    print("W4: 500 tasks, delays uniform over 0.1-20 s, sent in batches of 25; lateness = handled - due")
    # One after the other, so that neither disturbs the other's timing.
    burrow = await burrow_w4(url, delays)
    raw = await raw_ttl_w4(url, delays)
    _report("burrow (delay cascade)", burrow)
    _report("raw aio-pika TTL + DLX", raw)


# -- many pending delays: the worker's memory stays flat --

_WORKER = """
import asyncio, sys
from bench.delays import Tick
from burrow.server import Context, Worker

async def tick(task: Tick, ctx: Context) -> None:
    pass

async def main() -> None:
    worker = Worker(sys.argv[1], name="bench-delays-worker")
    worker.bind(Tick, tick)
    async with worker:
        print("ready", flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


def _rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@contextlib.contextmanager
def _worker_process(url: str) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen([sys.executable, "-c", _WORKER, url], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the worker process did not start")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


async def pending(url: str, count: int) -> None:
    print(f"pending: {count} tasks delayed by 1 h, a worker process serving their service")
    with _worker_process(url) as process:
        before = _rss_kib(process.pid)
        peak = before
        started = time.monotonic()
        async with Client.connect(url) as client:
            for start in range(0, count, 1000):
                batch = range(start, min(start + 1000, count))
                await asyncio.gather(*(client.send(Tick(index=index), delay=3600) for index in batch))
                peak = max(peak, _rss_kib(process.pid))
        elapsed = time.monotonic() - started
        await asyncio.sleep(2)
        after = _rss_kib(process.pid)
    print(f"sent in {elapsed:.1f} s ({count / elapsed:.0f}/s)")
    print(f"worker RSS: before {before / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB, after {after / 1024:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pending", type=int, metavar="N", help="measure worker memory with N pending delays")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    url = os.environ.get("RABBITMQ_URL")
    with contextlib.ExitStack() as stack:
        if not url:
            url = stack.enter_context(LocalRabbitMQ()).url
        if args.pending:
            asyncio.run(pending(url, args.pending))
        else:
            asyncio.run(w4(url, args.seed))


if __name__ == "__main__":
    main()
