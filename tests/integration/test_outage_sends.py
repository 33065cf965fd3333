"""A send during a broker outage waits for the broker; a send the broker does not confirm has a deadline.

On a node of their own: it is stopped, started, and put under a memory alarm.
"""

from __future__ import annotations

import asyncio

import pytest
from burrow.sdk import AmqpTransport, Client, ConnectionLost
from burrow.testing import LocalRabbitMQ

from contracts.cleanup import DeleteFile
from tests.integration._raw import WAIT, message_count


async def test_sends_during_an_outage_wait_for_the_broker_or_their_reconnect_timeout(own_node: LocalRabbitMQ) -> None:
    patient = Client(AmqpTransport(own_node.url, reconnect_timeout=WAIT * 4))
    hasty = Client(AmqpTransport(own_node.url, reconnect_timeout=0.5))
    async with patient, hasty:
        await patient.send(DeleteFile(path="/tmp/before"))  # declares the topology
        await hasty.send(DeleteFile(path="/tmp/before-too"))
        await asyncio.to_thread(own_node.stop_node)

        waiting = [asyncio.create_task(patient.send(DeleteFile(path=f"/tmp/during-{n}"))) for n in range(20)]
        with pytest.raises(ConnectionLost, match=r"unreachable for 0\.5 s"):
            await hasty.send(DeleteFile(path="/tmp/given-up"))
        assert not any(task.done() for task in waiting)  # still waiting for the broker, not failed

        await asyncio.to_thread(own_node.start_node)
        await asyncio.wait_for(asyncio.gather(*waiting), WAIT * 4)
    assert await message_count(own_node.url, "cleanup") == 2 + 20


async def test_a_send_the_broker_does_not_confirm_fails_at_its_publish_timeout(own_node: LocalRabbitMQ) -> None:
    async with Client(AmqpTransport(own_node.url, publish_timeout=2.0)) as client:
        await client.send(DeleteFile(path="/tmp/before"))
        # A memory alarm: RabbitMQ blocks every publishing connection until it clears.
        await asyncio.to_thread(own_node.ctl, "set_vm_memory_high_watermark", "0")
        try:
            with pytest.raises(ConnectionLost, match=r"did not confirm cleanup\.delete_file within 2 s"):
                await asyncio.wait_for(client.send(DeleteFile(path="/tmp/blocked")), WAIT)
        finally:
            await asyncio.to_thread(own_node.ctl, "set_vm_memory_high_watermark", "0.4")
