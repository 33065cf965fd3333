"""What ``Topology`` declares for each queue type, and which settings it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from burrow.sdk import ConfigurationError, QueueSpec, Topology
from burrow.sdk._topology import inequivalent_queue

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


@pytest.mark.parametrize(
    "detail",
    [
        # RabbitMQ 3.x: a classic queue has no x-queue-type; the first argument that differs is named.
        "inequivalent arg 'x-dead-letter-exchange' for queue 'cleanup' in vhost '/': "
        "received the value '' of type 'longstr' but current is none",
        # RabbitMQ 4.x stores x-queue-type=classic.
        "inequivalent arg 'x-queue-type' for queue 'cleanup' in vhost '/': "
        "received the value 'quorum' of type 'longstr' but current is the value 'classic' of type 'longstr'",
    ],
)
def test_a_classic_queue_where_quorum_is_declared_points_at_the_migration(detail: str) -> None:
    error = inequivalent_queue(Topology().work_queue(cleanup, "cleanup"), detail)
    assert str(error).startswith("queue 'cleanup' exists without the quorum arguments Burrow declares by default")
    assert error.hint is not None
    assert error.hint.startswith('keep it with Topology(queue_type="classic") on every client and worker')


def test_a_quorum_queue_where_classic_is_declared_says_so_on_rabbitmq_4() -> None:
    detail = (
        "inequivalent arg 'x-queue-type' for queue 'cleanup' in vhost '/': "
        "received the value 'classic' of type 'longstr' but current is the value 'quorum' of type 'longstr'"
    )
    error = inequivalent_queue(Topology(queue_type="classic").work_queue(cleanup, "cleanup"), detail)
    assert str(error).startswith("queue 'cleanup' is a quorum queue, but this declaration is for a classic one")
