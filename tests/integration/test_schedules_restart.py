"""A schedule's chain survives a broker restart (on a node of its own: it is stopped)."""

from __future__ import annotations

import asyncio
import time

import pytest
from burrow.testing import LocalRabbitMQ

from tests.integration._schedule_worker import make_worker
from tests.integration.test_schedules import assert_every_tick_once, observer


async def test_the_pending_tick_survives_a_broker_restart(
    own_node: LocalRabbitMQ, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BURROW_URL", own_node.url)
    async with observer(own_node.url) as before, make_worker():
        await before.until(2)
    await asyncio.to_thread(own_node.restart_node)
    restarted_at = time.time()
    async with observer(own_node.url) as after, make_worker():
        await after.until(3)
    # A chain started afresh would begin after now; the first tick sent is the one
    # that was pending in the broker across the restart, sent once though late.
    first = min(after.distinct())
    assert first < restarted_at * 1000
    assert first > max(before.distinct())
    assert after.sends[0][1] == first
    assert_every_tick_once(type(after)(after.sends[1:]), duplicates_allowed=0)
