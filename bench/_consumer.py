"""The consuming side of one benchmark run, in its own process so that its CPU time is its own.

    python -m bench._consumer {baseline,gather,burrow,hooked,metrics,traced,quorum,raw-quorum,uvloop} URL COUNT PREFETCH

Prints ``ready`` once consuming, then one JSON line: when the first and the last
task were handled (``time.monotonic``, comparable across processes) and the CPU
seconds used.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

from bench import _baseline, _burrow

__all__ = ["main"]


def main(argv: list[str]) -> None:
    side, url, count, prefetch = argv[0], argv[1], int(argv[2]), int(argv[3])
    consumers: dict[str, Callable[[str, int, int, Callable[[], None]], Coroutine[Any, Any, tuple[float, float]]]] = {
        "baseline": _baseline.consume,
        "gather": _baseline.consume,
        "burrow": _burrow.consume,
        **{hooks: functools.partial(_burrow.consume, hooks=hooks) for hooks in _burrow.HOOKED},
        "quorum": functools.partial(_burrow.consume, topology=_burrow.QUORUM),
        "raw-quorum": functools.partial(_baseline.consume, queue_type="quorum"),
        "uvloop": _burrow.consume,
    }
    consume = consumers[side]
    cpu = 0.0

    def ready() -> None:
        nonlocal cpu
        cpu = time.process_time()
        print("ready", flush=True)

    first, last = _burrow.run(side, consume(url, count, prefetch, ready))
    print(json.dumps({"first": first, "last": last, "cpu": time.process_time() - cpu}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
