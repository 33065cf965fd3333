"""The delivery limit, and reading dead letters without spending it (both transports, both queue types)."""

from __future__ import annotations

import asyncio

import pytest
from burrow.sdk import OutgoingMessage, Topology
from burrow.sdk._transport import QueueType
from burrow.server import Context, DeadLetter, DeadLetters, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile, cleanup
from tests.conformance.conftest import WAIT, Stack


def stat_file(task: StatFile, ctx: Context) -> FileInfo:
    raise NotImplementedError


async def letters_in(dead: DeadLetters) -> list[DeadLetter]:
    async with asyncio.timeout(WAIT):
        while not (letters := await dead.list()):  # noqa: ASYNC110 - polling the broker
            await asyncio.sleep(0.05)
    return letters


@pytest.mark.parametrize("queue_type", ["quorum", "classic"])
async def test_a_message_whose_worker_keeps_dying_is_dead_lettered_at_the_delivery_limit_and_replays(
    stack: Stack, queue_type: QueueType
) -> None:
    topology = Topology(queue_type=queue_type, delivery_limit=2)
    started: asyncio.Queue[str] = asyncio.Queue()
    handled: asyncio.Queue[str] = asyncio.Queue()
    poisoned = [True]

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await started.put(task.path)
        if task.path == "/tmp/poison" and poisoned[0]:
            await asyncio.Event().wait()  # hangs until its worker is gone
        await handled.put(task.path)

    def new_worker() -> Worker:
        worker = stack.worker(topology=topology, grace_period=0.1)
        worker.bind(DeleteFile, delete_file)
        worker.bind(StatFile, stat_file)
        return worker

    async with stack.client(topology=topology) as client:
        await client.send(DeleteFile(path="/tmp/poison"))
        for _ in range(3):  # the first delivery, then one per return the limit allows
            worker = new_worker()
            await worker.start()
            assert await asyncio.wait_for(started.get(), WAIT) == "/tmp/poison"
            assert worker.transport is not None
            await worker.transport.close()  # its connection is gone while the message is unsettled
            await worker.stop()
        async with new_worker():
            await client.send(DeleteFile(path="/tmp/next"))
            assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/next"
            async with DeadLetters(stack.transport(), cleanup, topology=topology) as dead:
                (letter,) = await letters_in(dead)
                assert (letter.reason, letter.error_type, letter.message) == (
                    "delivery-limit",
                    "DeliveryLimit",
                    DeleteFile(path="/tmp/poison"),
                )
                assert "its worker died, hung or lost its connection while handling it" in letter.error_message
                poisoned[0] = False  # fixed: the replay runs it as a first attempt
                assert await dead.replay() == 1
                assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/poison"
                assert await dead.list() == []
    # Three runs of the poison message, then the next task and the replayed run: no fourth run.
    # (On a classic queue the worker's counted copy waits until its original's ack is written:
    # a worker dying as the copy starts leaves no second copy behind to run again.)
    assert [started.get_nowait() for _ in range(started.qsize())] == ["/tmp/next", "/tmp/poison"]


async def test_reading_dead_letters_25_times_keeps_every_one_in_its_place(stack: Stack) -> None:
    admin = stack.transport()
    await admin.open()
    try:
        await admin.declare(Topology().service(cleanup))
        for number in range(5):
            await admin.publish(
                OutgoingMessage(
                    exchange="",
                    routing_key="cleanup.dead",
                    body=b'{"path": "/tmp/%d"}' % number,
                    type="cleanup.delete_file",
                    message_id=f"dead-{number}",
                    headers={"x-burrow-dead-reason": "handler-failed"},
                )
            )
    finally:
        await admin.close()
    everyone = [f"dead-{number}" for number in range(5)]

    async with DeadLetters(stack.transport(), cleanup) as dead:
        # A quorum queue counts every return: RabbitMQ 4 would drop them at its default limit of 20.
        for _ in range(25):
            assert [letter.message_id for letter in await dead.list()] == everyone
        # Reading the head only must not move it behind the rest.
        for _ in range(25):
            assert [letter.message_id for letter in await dead.list(limit=2)] == everyone[:2]
            shown = await dead.show("dead-3")
            assert shown is not None
            assert shown.message == DeleteFile(path="/tmp/3")
        assert [letter.message_id for letter in await dead.list()] == everyone
    assert await stack.count("cleanup.dead") == 5
