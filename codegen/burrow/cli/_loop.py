"""The event loop ``burrow worker`` runs on: uvloop where it is installed, asyncio's own otherwise.

uvloop (``pip install 'burrow-mq[uvloop]'``) runs the same code with less CPU per
message; ``--loop asyncio`` keeps asyncio's loop where it is installed anyway
(to compare, or to debug with asyncio's own tools).
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from burrow.cli._errors import EXIT_USAGE, CommandError

__all__ = ["LOOPS", "loop_factory", "run"]

LOOPS = ("auto", "asyncio", "uvloop")

T = TypeVar("T")


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """What makes the loop for ``choice`` (one of ``LOOPS``); None for asyncio's default."""
    if choice == "asyncio":
        return None
    try:
        uvloop = importlib.import_module("uvloop")
    except ImportError:
        if choice == "uvloop":
            raise CommandError(
                "--loop uvloop: uvloop is not installed",
                hint="pip install 'burrow-mq[uvloop]', or leave --loop at auto to run on asyncio's loop",
                code=EXIT_USAGE,
            ) from None
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T], choice: str) -> T:
    """``asyncio.run(main)`` on the loop ``choice`` names."""
    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        return runner.run(main)
