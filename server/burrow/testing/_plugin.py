"""Burrow's pytest plugin, registered through the ``pytest11`` entry point.

Installing Burrow makes these fixtures available to every test, no import needed:

    async def test_later(burrow_clock: ManualClock) -> None:
        async with burrow_harness(bind, clock=burrow_clock) as h: ...
"""

from __future__ import annotations

import pytest
from burrow.sdk._memory import MemoryBroker
from burrow.sdk._memory_delay import ManualClock

__all__ = ["burrow_broker", "burrow_clock"]


@pytest.fixture
def burrow_clock() -> ManualClock:
    """A manual clock starting at 0: delayed messages wait until the test advances it."""
    return ManualClock()


@pytest.fixture
def burrow_broker(burrow_clock: ManualClock) -> MemoryBroker:
    """A fresh in-memory broker on ``burrow_clock``, for a test that wires its own client and worker."""
    return MemoryBroker(clock=burrow_clock)
