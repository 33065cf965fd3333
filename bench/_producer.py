"""A producer in a process of its own, for its peak memory: ``python -m bench._producer SIDE URL COUNT``.

Sends ``COUNT`` tasks (``baseline``: raw aio-pika with a window of 256;
``burrow``: ``Client.send_many`` of a generator, declaring nothing) and prints
one JSON line: the peak resident set size (``ru_maxrss``) in KiB, the seconds
and the CPU seconds of the sending phase. Both publish to the exchange
``MEMORY_EXCHANGE``, so that the other benchmarks' queues never see these tasks.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time

from burrow.sdk import Client, Topology

from bench import _baseline
from bench._contract import Touch

__all__ = ["MEMORY_EXCHANGE", "main"]

MEMORY_EXCHANGE = "bench.memory"


async def burrow(url: str, count: int) -> tuple[float, float, float]:
    async with Client.connect(url, declare=False, topology=Topology(exchange=MEMORY_EXCHANGE)) as client:
        cpu, start = time.process_time(), time.monotonic()
        await client.send_many(Touch(index=index, path=f"/tmp/bench/{index}.png") for index in range(count))
        return start, time.monotonic(), time.process_time() - cpu


def main(argv: list[str]) -> None:
    side, url, count = argv[0], argv[1], int(argv[2])
    if side == "baseline":
        start, end, cpu = asyncio.run(_baseline.produce_windowed(url, count, MEMORY_EXCHANGE))
    else:
        start, end, cpu = asyncio.run(burrow(url, count))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rss_kib": peak, "seconds": end - start, "cpu": cpu}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
