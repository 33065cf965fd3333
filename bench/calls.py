"""Calls benchmark: Burrow's ``client.call`` against a lean raw aio-pika RPC baseline.

    python -m bench.calls                 # starts a private RabbitMQ node
    RABBITMQ_URL=amqp://... python -m bench.calls
    python -m bench.calls --with metrics,traced   # also Burrow with hooks on both ends

Workloads, each run against every variant in the same process and broker:

- W2: 2,000 sequential calls; latency p50 and p99.
- W3: 10,000 calls with 64 in flight from one client; calls per second.

Variants:

- ``raw-direct``: raw aio-pika, RabbitMQ direct reply-to (``amq.rabbitmq.reply-to``).
- ``raw-queue``: raw aio-pika, one exclusive client-named reply queue.
- ``burrow``: ``Client.call`` against a ``Worker``.
- ``burrow-hooked``, ``burrow-metrics``, ``burrow-traced`` (``--with hooked,metrics,traced``):
  the same with a hook on the client and the worker: one that only proceeds,
  ``MetricsHook``, ``TracingHook`` (spans exported nowhere). Each serves a
  service of its own, so that no two variants share a queue.

Every server (raw or Burrow) runs in its own process, as it would in production,
with the same prefetch (64). Requests are transient, carry a correlation id, a
reply address and a 30 s expiration, and are published with confirms and
``mandatory``; servers publish the reply with a confirm and then ack. Within a run
every variant's server and client are up at once and each workload is cut into
slices that the variants take in turn (W2: 10 x 200 calls each, W3: 10 x 1,000),
so that load from other processes hits all of them alike. The figures are the
median of ``--runs`` runs, with min..max as the spread.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import aio_pika.abc
import aiormq.abc
import msgspec
from burrow.sdk import Call, Client, Service, Topology
from burrow.server import Context, Worker
from burrow.testing import LocalRabbitMQ
from pamqp.commands import Basic

from bench._burrow import HOOKED
from bench._burrow import _hooks as hooks_for

PREFETCH = 64
TOPOLOGY = Topology(exchange="bench-calls", queue_type="classic")  # the raw servers use classic queues too
DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"
TIMEOUT_MS = 30_000
TEXT = "assets/temp/some-file-name.png"


class Answer(msgspec.Struct, frozen=True, kw_only=True):
    n: int
    text: str


bench = Service("bench_calls")


@bench.call("echo")
class Echo(Call[Answer], frozen=True, kw_only=True):
    n: int
    text: str


def echo_contract(variant: str) -> Any:
    """The contract a Burrow variant serves: ``Echo``, or the same in a service of the variant's own."""
    if variant == "burrow":
        return Echo
    service = Service(f"bench_calls_{variant.removeprefix('burrow-')}")

    @service.call("echo")
    class VariantEcho(Call[Answer], frozen=True, kw_only=True):
        n: int
        text: str

    return VariantEcho


def hooks_of(variant: str) -> str:
    """``metrics`` for ``burrow-metrics``; ``""`` (no hooks) for ``burrow``."""
    return variant.removeprefix("burrow").removeprefix("-")


# ---------------------------------------------------------------- raw servers


async def serve_raw(url: str, queue: str, reply: str, ready: Callable[[], None]) -> None:
    """A lean RPC server: decode, answer, publish the reply with a confirm, ack."""
    connection = await aio_pika.connect(url)
    channel = await connection.channel(publisher_confirms=True)
    await channel.set_qos(prefetch_count=PREFETCH)
    amqp_queue = await channel.declare_queue(queue, durable=True)
    raw = await channel.get_underlay_channel()
    decode = msgspec.json.Decoder(Echo).decode
    encode = msgspec.json.Encoder().encode
    # RabbitMQ 3.10 returns every mandatory reply sent to a direct reply-to address
    # as unroutable although it delivers it, so replies there go without mandatory.
    mandatory = reply == "queue"

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        request = decode(message.body)
        body = encode(Answer(n=request.n, text=request.text))
        await raw.basic_publish(
            body,
            routing_key=message.reply_to or "",
            properties=Basic.Properties(correlation_id=message.correlation_id, content_type="application/json"),
            mandatory=mandatory,
        )
        await message.ack()

    await amqp_queue.consume(on_message)
    ready()
    await _until_terminated()
    await connection.close()


async def serve_burrow(url: str, ready: Callable[[], None], variant: str = "burrow") -> None:
    async def echo(request: Echo, ctx: Context) -> Answer:
        return Answer(n=request.n, text=request.text)

    worker = Worker(
        url,
        concurrency=PREFETCH,
        topology=TOPOLOGY,
        hooks=hooks_for(hooks_of(variant)),
    )
    worker.bind(echo_contract(variant), echo)
    await worker.start()
    ready()
    await _until_terminated()
    await worker.stop()


async def _until_terminated() -> None:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()


# ---------------------------------------------------------------- raw client


class RawRpc:
    """The baseline caller: one reply consumer, correlation ids, futures."""

    def __init__(self, url: str, queue: str, reply: str) -> None:
        self.url = url
        self.queue = queue
        self.reply = reply
        self.pending: dict[str, asyncio.Future[bytes]] = {}
        self.encode = msgspec.json.Encoder().encode
        self.decode = msgspec.json.Decoder(Answer).decode
        self.reply_to = DIRECT_REPLY_TO
        self.connection: aio_pika.abc.AbstractConnection | None = None
        self.raw: aiormq.abc.AbstractChannel | None = None

    async def open(self) -> None:
        self.connection = await aio_pika.connect(self.url)
        channel = await self.connection.channel(publisher_confirms=True, on_return_raises=True)
        self.raw = await channel.get_underlay_channel()
        if self.reply == "direct":
            # Direct reply-to: consume on the channel the requests are published from.
            await self.raw.basic_consume(DIRECT_REPLY_TO, self.on_reply, no_ack=True)
        else:
            replies = await (await self.connection.channel(publisher_confirms=False)).get_underlay_channel()
            self.reply_to = f"bench-reply-{uuid.uuid4().hex}"
            await replies.queue_declare(self.reply_to, exclusive=True, auto_delete=True)
            await replies.basic_consume(self.reply_to, self.on_reply, no_ack=True)

    async def on_reply(self, message: aiormq.abc.DeliveredMessage) -> None:
        future = self.pending.pop(message.header.properties.correlation_id or "", None)
        if future is not None and not future.done():
            future.set_result(message.body)

    async def call(self, request: Echo) -> Answer:
        assert self.raw is not None
        correlation_id = os.urandom(16).hex()
        future = asyncio.get_running_loop().create_future()
        self.pending[correlation_id] = future
        try:
            await self.raw.basic_publish(
                self.encode(request),
                routing_key=self.queue,
                properties=Basic.Properties(
                    content_type="application/json",
                    correlation_id=correlation_id,
                    reply_to=self.reply_to,
                    expiration=str(TIMEOUT_MS),
                    message_id=correlation_id,
                    delivery_mode=1,
                ),
                mandatory=True,
            )
            async with asyncio.timeout(TIMEOUT_MS / 1000):
                body = await future
        finally:
            self.pending.pop(correlation_id, None)
        return self.decode(body)

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()


# ---------------------------------------------------------------- workloads


CallFn = Callable[[Echo], Awaitable[Answer]]


async def checked(call: CallFn, n: int) -> None:
    answer = await call(Echo(n=n, text=TEXT))
    if answer.n != n:
        raise AssertionError(f"call {n} got the answer to call {answer.n}")


async def w2_latencies(call: CallFn, count: int) -> list[float]:
    """Latencies in milliseconds of ``count`` calls made one after the other."""
    latencies: list[float] = []
    for n in range(count):
        started = time.perf_counter()
        await checked(call, n)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def w3_concurrent(call: CallFn, count: int, in_flight: int) -> float:
    """Calls per second for ``count`` calls with ``in_flight`` awaiting at any time."""
    numbers = iter(range(count))

    async def lane() -> None:
        for n in numbers:
            await checked(call, n)

    started = time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(in_flight)))
    return count / (time.perf_counter() - started)


# ---------------------------------------------------------------- running


@dataclass
class Figures:
    p50: list[float] = field(default_factory=list)
    p99: list[float] = field(default_factory=list)
    rate: list[float] = field(default_factory=list)
    client_cpu: list[float] = field(default_factory=list)  # microseconds per call, W3
    server_cpu: list[float] = field(default_factory=list)  # microseconds per call, all workloads


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@contextlib.contextmanager
def server_process(url: str, variant: str, queue: str) -> Iterator[list[float]]:
    """Run the variant's server in a child process until the block ends (stopped by its pid).

    Yields a list that receives the server's CPU seconds once it has stopped.
    """
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.calls", "--serve", variant, "--url", url, "--queue", queue],
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError(f"the {variant} server did not start (exit code {child.poll()})")
        cpu: list[float] = []
        yield cpu
        child.send_signal(signal.SIGTERM)
        cpu.append(float(child.stdout.readline()))  # printed at exit
    finally:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


SLICES = 10
"""Each workload is cut into this many slices, taken by the variants in turn."""


@dataclass
class Caller:
    """One variant's client, connected for the whole run."""

    variant: str
    call: CallFn
    close: Callable[[], Awaitable[None]]
    latencies: list[float] = field(default_factory=list)  # W2, milliseconds
    w3_seconds: float = 0.0
    w3_cpu: float = 0.0  # this process's CPU seconds while this variant's W3 slices ran


async def connect(url: str, variant: str, queue: str) -> Caller:
    if variant == "burrow":
        client = Client.connect(url, topology=TOPOLOGY)
        await client.open()
        return Caller(variant, client.call, client.aclose)
    if variant.startswith("burrow-"):
        contract = echo_contract(variant)
        hooked = Client.connect(url, topology=TOPOLOGY, hooks=hooks_for(hooks_of(variant)))
        await hooked.open()

        async def call(request: Echo) -> Answer:
            answer: Answer = await hooked.call(contract(n=request.n, text=request.text))
            return answer

        return Caller(variant, call, hooked.aclose)
    rpc = RawRpc(url, queue, variant.removeprefix("raw-"))
    await rpc.open()
    return Caller(variant, rpc.call, rpc.close)


def rotated(callers: list[Caller], turn: int) -> list[Caller]:
    shift = turn % len(callers)
    return callers[shift:] + callers[:shift]


async def measure_run(url: str, args: argparse.Namespace, results: dict[str, Figures]) -> None:
    """One run: every variant's server and client up at once, each workload in slices taken in turn.

    Load from other processes that changes within a run then hits every variant
    alike, instead of whichever variant happened to run at that moment.
    """
    callers: list[Caller] = []
    with contextlib.ExitStack() as servers:
        server_cpu: dict[str, list[float]] = {}
        for variant in args.variants:
            queue = f"bench-calls-{uuid.uuid4().hex[:8]}"
            server_cpu[variant] = servers.enter_context(server_process(url, variant, queue))
            callers.append(await connect(url, variant, queue))
        try:
            for caller in callers:
                await w3_concurrent(caller.call, args.warmup, args.in_flight)  # warm up both ends
            for turn in range(SLICES):
                for caller in rotated(callers, turn):
                    caller.latencies += await w2_latencies(caller.call, args.sequential // SLICES)
            for turn in range(SLICES):
                for caller in rotated(callers, turn):
                    cpu, started = cpu_seconds(), time.perf_counter()
                    await w3_concurrent(caller.call, args.concurrent // SLICES, args.in_flight)
                    caller.w3_seconds += time.perf_counter() - started
                    caller.w3_cpu += cpu_seconds() - cpu
        finally:
            for caller in callers:
                await caller.close()
    total = args.warmup + args.sequential // SLICES * SLICES + args.concurrent // SLICES * SLICES
    concurrent = args.concurrent // SLICES * SLICES
    for caller in callers:
        into = results[caller.variant]
        cuts = statistics.quantiles(caller.latencies, n=100)
        into.p50.append(cuts[49])
        into.p99.append(cuts[98])
        into.rate.append(concurrent / caller.w3_seconds)
        into.client_cpu.append(caller.w3_cpu / concurrent * 1e6)
        into.server_cpu.append(server_cpu[caller.variant][0] / total * 1e6)
        print(
            f"  {caller.variant:<10} W2 p50 {into.p50[-1]:6.3f} ms  p99 {into.p99[-1]:6.3f} ms   "
            f"W3 {into.rate[-1]:6.0f} calls/s   "
            f"CPU/call client {into.client_cpu[-1]:4.0f} us  server {into.server_cpu[-1]:4.0f} us",
            flush=True,
        )


def spread(values: list[float], digits: int) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}..{max(values):.{digits}f})"


def report(results: dict[str, Figures]) -> None:
    print("\nmedian (min..max) of the runs")
    print("| variant | W2 p50 ms | W2 p99 ms | W3 calls/s | W3 client CPU us/call | server CPU us/call |")
    print("|---|---|---|---|---|---|")
    for variant, figures in results.items():
        print(
            f"| {variant} | {spread(figures.p50, 3)} | {spread(figures.p99, 3)} | {spread(figures.rate, 0)} "
            f"| {spread(figures.client_cpu, 0)} | {spread(figures.server_cpu, 0)} |"
        )
    burrow = results.get("burrow")
    if burrow is None:
        return
    for variant, figures in results.items():
        if variant.startswith("burrow"):
            continue
        p50 = statistics.median(burrow.p50) / statistics.median(figures.p50)
        p99 = statistics.median(burrow.p99) / statistics.median(figures.p99)
        rate = statistics.median(burrow.rate) / statistics.median(figures.rate)
        client = statistics.median(burrow.client_cpu) / statistics.median(figures.client_cpu)
        server = statistics.median(burrow.server_cpu) / statistics.median(figures.server_cpu)
        print(
            f"burrow / {variant}: W2 p50 {p50:.2f}x (target <= 1.05x), p99 {p99:.2f}x, "
            f"W3 {rate:.2f}x (target >= 1.05x), CPU/call client {client:.2f}x, server {server:.2f}x"
        )
        print(
            f"  within each run, median (min..max): W2 p50 {paired(burrow.p50, figures.p50)}, "
            f"W3 {paired(burrow.rate, figures.rate)}"
        )


def report_hooks(results: dict[str, Figures]) -> None:
    """Each hooked variant against lean Burrow and raw aio-pika, run by run."""
    burrow = results.get("burrow")
    raw = results.get("raw-queue")
    for variant, figures in results.items():
        if not variant.startswith("burrow-"):
            continue
        for name, base in (("burrow", burrow), ("raw-queue", raw)):
            if base is None:
                continue
            print(
                f"{variant} / {name}, within each run: W3 calls/s {paired(figures.rate, base.rate)}, "
                f"client CPU/call {paired(figures.client_cpu, base.client_cpu)}, "
                f"server CPU/call {paired(figures.server_cpu, base.server_cpu)}"
            )


def paired(ours: list[float], theirs: list[float]) -> str:
    """Burrow / a variant within each run: load that drifts between runs cancels out."""
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}..{max(ratios):.2f})"


async def run_all(url: str, args: argparse.Namespace) -> None:
    results = {variant: Figures() for variant in args.variants}
    for run in range(1, args.runs + 1):
        print(f"run {run}/{args.runs}", flush=True)
        await measure_run(url, args, results)
    report(results)
    report_hooks(results)


def serve(args: argparse.Namespace) -> None:
    def ready() -> None:
        print("ready", flush=True)

    if args.serve.startswith("burrow"):
        asyncio.run(serve_burrow(args.url, ready, args.serve))
    else:
        asyncio.run(serve_raw(args.url, args.queue, args.serve.removeprefix("raw-"), ready))
    print(cpu_seconds(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sequential", type=int, default=2_000, help="W2 calls")
    parser.add_argument("--concurrent", type=int, default=10_000, help="W3 calls")
    parser.add_argument("--in-flight", type=int, default=64, help="W3 calls awaiting at once")
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--variants", nargs="+", default=["raw-direct", "raw-queue", "burrow"])
    parser.add_argument(
        "--with",
        dest="hooks",
        default="",
        help=f"also Burrow with these hooks on both ends, comma-separated: {','.join(HOOKED)}",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--queue", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for hooks in filter(None, args.hooks.split(",")):
        if hooks not in HOOKED:
            parser.error(f"--with takes {', '.join(HOOKED)}; got {hooks!r}")
        args.variants.append(f"burrow-{hooks}")
    if args.serve:
        serve(args)
        return
    url = os.environ.get("RABBITMQ_URL")
    if url:
        asyncio.run(run_all(url, args))
        return
    with LocalRabbitMQ() as node:
        asyncio.run(run_all(node.url, args))


if __name__ == "__main__":
    main()
