"""The cascade's topology routes every delay through exactly the levels of its set bits."""

from __future__ import annotations

import random

import pytest
from burrow.sdk import TopologySpec
from burrow.sdk._delay import LEVELS, MAX_DELAY, UNIT, DelayCascade, strip_death_headers

cascade = DelayCascade("burrow.delay")


def _matches(pattern: str, key: str) -> bool:
    """AMQP topic matching, enough for the patterns the cascade uses (``*`` and a trailing ``#``)."""
    words, keys = pattern.split("."), key.split(".")
    if words[-1] == "#":
        words, keys = words[:-1], keys[: len(words) - 1]
    return len(words) == len(keys) and all(word in ("*", part) for word, part in zip(words, keys, strict=True))


def _walk(spec: TopologySpec, exchange: str, key: str, queue: str) -> list[int]:
    """Follow a message through the cascade; return the TTLs (ms) of the levels it waited in."""
    ttls = {q.name: q.arguments["x-message-ttl"] for q in spec.queues}
    dead_letter_to = {q.name: q.arguments["x-dead-letter-exchange"] for q in spec.queues}
    waited: list[int] = []
    while exchange != cascade.delivery_exchange:
        to_queues = [b.queue for b in spec.bindings if b.exchange == exchange and _matches(b.routing_key, key)]
        to_exchanges = [
            b.destination for b in spec.exchange_bindings if b.source == exchange and _matches(b.routing_key, key)
        ]
        assert len(to_queues) + len(to_exchanges) == 1, (exchange, key)
        if to_queues:
            waited.append(ttls[to_queues[0]])
            exchange = dead_letter_to[to_queues[0]]
        else:
            exchange = to_exchanges[0]
    delivery = cascade.delivery("cleanup.delete_file", queue)
    assert [b.queue for b in delivery.bindings if _matches(b.routing_key, key)] == [queue]
    return waited


@pytest.mark.parametrize("seconds", [0.125, 0.25, 1, 1.9, 20, 60, 3600, 86400 * 400, MAX_DELAY])
def test_a_delay_waits_exactly_its_whole_units(seconds: float) -> None:
    units = cascade.units(seconds)
    spec = cascade.levels(units.bit_length())
    key = cascade.routing_key(units, "cleanup.delete_file")
    waited = _walk(spec, cascade.entry_exchange(units), key, "cleanup")
    assert sum(waited) == units * 125
    assert len(waited) == bin(units).count("1")  # one queue per set bit, no more
    assert seconds - UNIT < sum(waited) / 1000 <= seconds


def test_random_delays_route_through_all_levels() -> None:
    spec = cascade.levels(LEVELS)
    rng = random.Random(4)
    for _ in range(200):
        units = rng.randrange(1, 1 << LEVELS)
        key = cascade.routing_key(units, "cleanup.delete_file")
        assert sum(_walk(spec, cascade.entry_exchange(units), key, "cleanup")) == units * 125


def test_levels_are_quorum_queues_dead_lettering_at_least_once() -> None:
    spec = cascade.levels(2)
    assert [q.name for q in spec.queues] == ["burrow.delay.00", "burrow.delay.01"]
    assert dict(spec.queues[1].arguments) == {
        "x-queue-type": "quorum",
        "x-message-ttl": 250,
        "x-dead-letter-exchange": "burrow.delay.00",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
    }


def test_death_headers_are_stripped_and_others_kept() -> None:
    headers = {"x-death": [], "x-first-death-queue": "q", "x-last-death-reason": "expired", "x-burrow-attempt": 2}
    assert strip_death_headers(headers) == {"x-burrow-attempt": 2}
