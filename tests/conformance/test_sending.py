"""What a send promises: stored persistently with its properties, or a clear error."""

from __future__ import annotations

import pytest
from burrow.sdk import ExchangeSpec, QueueSpec, Topology, TopologyError, TopologySpec, Unroutable, contract_info
from burrow.server import Context, WorkerState

from contracts.cleanup import DeleteFile, FileInfo, StatFile, cleanup
from tests.conformance.conftest import Stack


async def test_a_sent_task_is_stored_with_its_properties(stack: Stack) -> None:
    async with stack.client(app_id="uploads") as client:
        await client.send(DeleteFile(path="/tmp/a"))
    (message,) = await stack.take_all("cleanup")
    assert message.body == b'{"path":"/tmp/a"}'
    assert (message.type, message.exchange, message.routing_key) == (
        "cleanup.delete_file",
        "burrow",
        "cleanup.delete_file",
    )
    assert (message.content_type, message.app_id) == ("application/json", "uploads")
    assert message.message_id is not None
    assert len(message.message_id) == 32
    assert message.timestamp is not None
    assert message.headers["x-burrow-fingerprint"] == contract_info(DeleteFile).fingerprint
    assert message.redelivered is False


async def test_send_many_stores_every_task_in_order(stack: Stack) -> None:
    async with stack.client() as client:
        await client.send_many(DeleteFile(path=f"/tmp/{n}") for n in range(20))
    bodies = [message.body for message in await stack.take_all("cleanup")]
    assert bodies == [f'{{"path":"/tmp/{n}"}}'.encode() for n in range(20)]


async def test_a_send_with_no_queue_bound_raises_unroutable_and_the_client_goes_on(stack: Stack) -> None:
    async with stack.client(declare=False) as client:
        admin = stack.transport()
        await admin.open()
        try:
            await admin.declare(TopologySpec(exchanges=(ExchangeSpec("burrow"),)))
            with pytest.raises(Unroutable) as caught:
                await client.send(DeleteFile(path="/tmp/a"))
            assert str(caught.value) == (
                "no queue is bound to exchange 'burrow' for routing key 'cleanup.delete_file'; "
                "the message was returned by the broker and not stored"
            )
            # Once a queue is bound, the same client's send goes through.
            await admin.declare(client.topology.service(cleanup))
        finally:
            await admin.close()
        await client.send(DeleteFile(path="/tmp/b"))
    assert [message.body for message in await stack.take_all("cleanup")] == [b'{"path":"/tmp/b"}']


async def test_a_classic_queue_of_an_earlier_version_is_a_topology_error_that_says_how_to_migrate(
    stack: Stack,
) -> None:
    admin = stack.transport()
    await admin.open()
    try:  # as earlier versions declared it: classic, no arguments
        await admin.declare(TopologySpec(queues=(QueueSpec("cleanup"),)))
    finally:
        await admin.close()
    migrate = 'docs/deploy.md, "Moving from classic to quorum queues"'
    explained = r"^queue 'cleanup' exists without the quorum arguments Burrow declares by default \(the broker said"

    async with stack.client() as client:
        with pytest.raises(TopologyError, match=explained) as caught:
            await client.send(DeleteFile(path="/tmp/a"))
        assert str(caught.value).endswith(f"cannot change in place. See {migrate}")
        assert caught.value.hint == (
            f'keep it with Topology(queue_type="classic") on every client and worker, or migrate ({migrate})'
        )
        # Nothing was published, and a second send reports the same problem.
        with pytest.raises(TopologyError, match=explained):
            await client.send(DeleteFile(path="/tmp/a"))

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        pass

    def stat_file(task: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = stack.worker()
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    with pytest.raises(TopologyError, match=explained):
        await worker.start()
    assert worker.state is WorkerState.STOPPED
    assert await stack.count("cleanup") == 0

    # Nothing was left behind: the classic topology the hint names keeps the deployment going.
    classic = Topology(queue_type="classic")
    async with stack.client(topology=classic) as client:
        await client.send(DeleteFile(path="/tmp/b"))
    assert [message.body for message in await stack.take_all("cleanup")] == [b'{"path":"/tmp/b"}']
