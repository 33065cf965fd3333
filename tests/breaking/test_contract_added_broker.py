"""``contract-added`` on a real broker: what an old worker does with a contract it does not know.

A client declares a binding for every contract of its service, so a new client's message
for a new contract lands in the shared service queue, and an old worker consuming that
queue dead-letters it as ``unknown-contract``. A new contract in a queue of its own waits
there for the new workers. The checker's verdicts say exactly that.
"""

from __future__ import annotations

import asyncio
from typing import Any

from burrow.codegen._breaking import compare_locks, prove
from burrow.sdk import Client, Service, Task
from burrow.server import Context, Worker

from tests.breaking._case import lock_of
from tests.integration._raw import WAIT, header, message_count, next_message


class _Versions:
    """The old service (``keep`` only) and the new one (``keep`` and ``send``), each with its own Structs."""

    def __init__(self, *, queue: str | None = None) -> None:
        class OldKeep(Task, frozen=True, kw_only=True):
            path: str

        class Keep(Task, frozen=True, kw_only=True):
            path: str

        class Send(Task, frozen=True, kw_only=True):
            path: str

        self.old, self.new = Service("fx"), Service("fx")
        self.old.task("keep")(OldKeep)
        self.new.task("keep")(Keep)
        self.new.task("send", queue=queue)(Send)
        self.old_keep, self.keep, self.send = OldKeep, Keep, Send


def test_the_checker_calls_a_contract_in_the_shared_queue_a_forward_break() -> None:
    v = _Versions()
    changes = prove(lock_of(v.old), lock_of(v.new), compare_locks(lock_of(v.old), lock_of(v.new)))
    assert [(c.rule, c.breaks, c.possible) for c in changes] == [("contract-added", ("forward",), ())]
    assert "dead-letter it as unknown-contract" in changes[0].witnesses[0].error


def test_the_checker_calls_a_contract_in_its_own_queue_compatible() -> None:
    v = _Versions(queue="fx_slow")
    assert [(c.rule, c.breaks) for c in compare_locks(lock_of(v.old), lock_of(v.new))] == [("contract-added", ())]


async def test_an_old_worker_dead_letters_a_new_contract_sent_to_the_shared_queue(amqp_url: str) -> None:
    v = _Versions()
    kept: asyncio.Queue[str] = asyncio.Queue()

    async def keep(task: Any, ctx: Context) -> None:
        await kept.put(task.path)

    old_worker = Worker(amqp_url)
    old_worker.bind(v.old_keep, keep)
    async with Client.connect(amqp_url) as new_client, old_worker:
        await new_client.send(v.send(path="a.png"))
        dead = await next_message(amqp_url, "fx.dead")
        await new_client.send(v.keep(path="b.png"))
        assert await asyncio.wait_for(kept.get(), WAIT) == "b.png"  # the old contract is still served

    assert header(dead, "x-burrow-dead-reason") == "unknown-contract"
    assert header(dead, "x-burrow-contract") == "fx.send"


async def test_a_new_contract_in_its_own_queue_waits_for_the_new_workers(amqp_url: str) -> None:
    v = _Versions(queue="fx_slow")
    kept: asyncio.Queue[str] = asyncio.Queue()

    async def keep(task: Any, ctx: Context) -> None:
        await kept.put(task.path)

    old_worker = Worker(amqp_url)
    old_worker.bind(v.old_keep, keep)
    async with Client.connect(amqp_url) as new_client, old_worker:
        await new_client.send(v.send(path="a.png"))
        await new_client.send(v.keep(path="b.png"))
        assert await asyncio.wait_for(kept.get(), WAIT) == "b.png"

    assert await message_count(amqp_url, "fx_slow") == 1  # waiting for a worker that serves it
    assert await message_count(amqp_url, "fx.dead") == 0
