"""What ``Topology`` declares for each queue type, and which settings it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from burrow.sdk import ConfigurationError, QueueSpec, Topology

from contracts.cleanup import cleanup


def queues(topology: Topology) -> dict[str, dict[str, Any]]:
    return {queue.name: dict(queue.arguments) for queue in topology.service(cleanup).queues}


def test_quorum_is_the_default_with_a_delivery_limit_and_at_least_once_dead_letters() -> None:
    assert queues(Topology()) == {
        "cleanup": {
            "x-queue-type": "quorum",
            "x-delivery-limit": 5,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": "cleanup.dead",
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        },
        # Reading dead letters returns them: a limit no reading reaches, and nowhere else to go.
        "cleanup.dead": {"x-queue-type": "quorum", "x-delivery-limit": 2**31 - 1},
    }
    assert list(queues(Topology(delivery_limit=2))["cleanup"].items())[1] == ("x-delivery-limit", 2)


def test_classic_queues_are_declared_as_earlier_versions_did() -> None:
    assert queues(Topology(queue_type="classic")) == {"cleanup": {}, "cleanup.dead": {}}
    assert Topology(queue_type="classic").work_queue(cleanup, "cleanup") == QueueSpec("cleanup")


@pytest.mark.parametrize("limit", [0, -1, True, 2.5])
def test_a_delivery_limit_is_a_whole_number_of_at_least_one(limit: Any) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Topology(delivery_limit=limit)
    assert str(caught.value) == f"delivery_limit must be a whole number of at least 1, got {limit!r}"


def test_an_unknown_queue_type_is_refused() -> None:
    with pytest.raises(ConfigurationError) as caught:
        Topology(queue_type="stream")  # type: ignore[arg-type]
    assert str(caught.value) == 'queue_type is "quorum" or "classic", got \'stream\''
