"""Messages whose properties the AMQP client cannot decode are dead-lettered, not a reconnection loop.

RabbitMQ routes a message whatever bytes its short-string properties hold; the
Python AMQP client (pamqp) fails to decode some of them and would close the
connection, to get the same message first again after reconnecting.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aio_pika
import aio_pika.abc
import pytest
from burrow.cli import main
from burrow.sdk import AmqpTransport, Client, ContractError, Delivery, OutgoingMessage, Topology
from burrow.server import DeadLetters, WorkerState

from contracts.cleanup import DeleteFile, StatFile, cleanup
from tests.integration._raw import WAIT, message_count, raw_channel
from tests.integration._workers import cleanup_worker, never_called, recording

# Strings carry bytes that are not UTF-8 as surrogate escapes: Burrow's property
# encoder writes them back as the original bytes (here 0xFF).
BAD_BYTE = b"\xff".decode("utf-8", "surrogateescape")

BAD_PROPERTIES: dict[str, dict[str, Any]] = {
    "type": {"type": f"cleanup.delete_file{BAD_BYTE}"},
    "message_id": {"message_id": f"id-{BAD_BYTE}"},
    "header key": {"headers": {f"x-key-{BAD_BYTE}": "value"}},
    "timestamp 2^63": {"timestamp": 2**63},
    "app_id": {"app_id": f"app{BAD_BYTE}"},
}


def bad_message(name: str, changes: dict[str, Any]) -> OutgoingMessage:
    message = OutgoingMessage(
        exchange="",
        routing_key="cleanup",
        body=b'{"path": "/tmp/bad"}',
        type="cleanup.delete_file",
        message_id=f"bad-{name}",
    )
    for key, value in changes.items():
        setattr(message, key, value)
    return message


async def wait_for_dead_letters(url: str, expected: int) -> None:
    async with asyncio.timeout(WAIT):
        while await message_count(url, "cleanup.dead") < expected:  # noqa: ASYNC110  # polling the broker
            await asyncio.sleep(0.1)


async def dead_letters(url: str) -> list[Delivery]:
    transport = AmqpTransport(url)
    await transport.open()
    found: list[Delivery] = []
    try:
        while (delivery := await transport.get("cleanup.dead")) is not None:
            await delivery.ack()
            found.append(delivery)
    finally:
        await transport.close()
    return found


async def test_undecodable_properties_are_dead_lettered_and_the_messages_behind_are_served(amqp_url: str) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()
    # Fewer slots than bad messages: a stuck one would stall the queue.
    worker = cleanup_worker(amqp_url, recording(handled), concurrency=2)
    async with Client.connect(amqp_url) as client:
        sender = AmqpTransport(amqp_url)
        await sender.open()
        try:
            await sender.declare(Topology().service(cleanup))
            for name, changes in BAD_PROPERTIES.items():
                await sender.publish(bad_message(name, changes))
        finally:
            await sender.close()
        for number in range(20):
            await client.send(DeleteFile(path=f"/tmp/{number}"))
        async with worker:
            paths = [await asyncio.wait_for(handled.get(), WAIT) for _ in range(20)]
            await wait_for_dead_letters(amqp_url, len(BAD_PROPERTIES))
            assert worker.state is WorkerState.RUNNING
        assert await message_count(amqp_url, "cleanup") == 0  # nothing left unsettled

    assert sorted(paths) == sorted(f"/tmp/{number}" for number in range(20))
    assert handled.empty()
    letters = await dead_letters(amqp_url)
    assert [letter.headers["x-burrow-error-type"] for letter in letters] == ["MalformedProperties"] * len(
        BAD_PROPERTIES
    )


async def test_each_copy_keeps_the_bytes_it_came_with(amqp_url: str) -> None:
    worker = cleanup_worker(amqp_url, never_called)
    async with worker:
        sender = AmqpTransport(amqp_url)
        await sender.open()
        try:
            for name, changes in BAD_PROPERTIES.items():
                await sender.publish(bad_message(name, changes))
        finally:
            await sender.close()
        await wait_for_dead_letters(amqp_url, len(BAD_PROPERTIES))

    letters = {letter.message_id: letter for letter in await dead_letters(amqp_url)}
    assert len(letters) == len(BAD_PROPERTIES)
    for name, changes in BAD_PROPERTIES.items():
        expected: dict[str, Any] = {"type": "cleanup.delete_file", "message_id": f"bad-{name}", **changes}
        letter = letters[str(expected["message_id"])]  # the id as it came, invalid byte included
        assert letter.headers["x-burrow-dead-reason"] == "undecodable", name
        assert letter.headers["x-burrow-error-type"] == "MalformedProperties", name
        assert "not valid AMQP" in letter.headers["x-burrow-error-message"], name
        assert letter.body == b'{"path": "/tmp/bad"}', name
        assert letter.type == expected["type"], name
        if "timestamp" in changes:
            assert letter.timestamp == 2**63
        if "headers" in changes:
            assert letter.headers[f"x-key-{BAD_BYTE}"] == "value"
        if "app_id" in changes:
            assert letter.app_id == changes["app_id"]


async def test_a_reply_that_does_not_decode_raises_contract_error(amqp_url: str) -> None:
    """A reply whose result holds invalid UTF-8 or nests too deep fails the call with ContractError."""
    for body in (
        b'{"path": "\xff", "size": 1, "modified_at": 1.0}',
        b'{"path": "a", "size": 1, "modified_at": 1.0, "x": ' + b"[" * 2000 + b"]" * 2000 + b"}",
    ):
        async with Client.connect(amqp_url) as client, raw_channel(amqp_url) as channel:
            spec = Topology().work_queue(cleanup, "cleanup")  # as the client declares it
            queue = await channel.declare_queue(spec.name, durable=True, arguments=dict(spec.arguments))

            async def answer(body: bytes = body, queue: aio_pika.abc.AbstractQueue = queue) -> None:
                async with queue.iterator() as requests:
                    request = await anext(requests)
                    await request.ack()
                    await channel.default_exchange.publish(
                        aio_pika.Message(
                            body,
                            correlation_id=request.correlation_id,
                            headers={"x-burrow-reply": "result"},
                            content_type="application/json",
                        ),
                        routing_key=request.reply_to or "",
                    )

            responder = asyncio.create_task(answer())
            with pytest.raises(ContractError, match="the reply does not decode as FileInfo: cannot decode"):
                await asyncio.wait_for(client.call(StatFile(path="/tmp/a")), WAIT)
            await responder


async def test_dead_letters_with_bytes_that_are_not_utf8_can_be_listed_and_printed(
    amqp_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    worker = cleanup_worker(amqp_url, never_called)
    async with worker:
        sender = AmqpTransport(amqp_url)
        await sender.open()
        try:
            await sender.publish(bad_message("message_id", BAD_PROPERTIES["message_id"]))
        finally:
            await sender.close()
        await wait_for_dead_letters(amqp_url, 1)

    async with DeadLetters.connect(amqp_url, cleanup) as dead:
        (letter,) = await dead.list()
    assert letter.message_id == "id-\\xff"  # printable, and what `burrow dead show|replay --id` take
    assert letter.error_type == "MalformedProperties"
    assert await asyncio.to_thread(main, ["dead", "list", "cleanup", "--url", amqp_url]) == 0
    printed = capsys.readouterr().out
    assert "id-\\xff" in printed
    printed.encode("utf-8")  # a terminal can show it: no lone surrogates
    async with DeadLetters.connect(amqp_url, cleanup) as dead:
        assert await dead.replay(["id-\\xff"]) == 1
