"""Hooks: one seam around every send and call, and around every message a worker handles."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from burrow.sdk import (
    Client,
    ConfigurationError,
    DeclaredError,
    Handling,
    Hook,
    Outcome,
    RetryPolicy,
    Sending,
    Topology,
)
from burrow.sdk.prometheus import MetricsHook
from burrow.server import Context, Worker
from prometheus_client import CollectorRegistry

from contracts.cleanup import DeleteFile, FileInfo, FileMissing, StatFile
from tests.conformance.conftest import WAIT, Stack, raw


class Recorder(Hook):
    """Records what each hook call saw, before and after ``proceed``."""

    def __init__(self, name: str, order: list[str]) -> None:
        self.name = name
        self.order = order
        self.sent: list[Sending] = []
        self.handled: list[Handling] = []
        self.results: list[Any] = []
        self.done: asyncio.Queue[Handling] = asyncio.Queue()

    async def around_send(self, message: Sending, proceed: Callable[[], Awaitable[Any]]) -> Any:
        self.order.append(f"{self.name} in")
        message.headers[f"seen-by-{self.name}"] = True
        result = await proceed()
        self.order.append(f"{self.name} out")
        self.sent.append(message)
        self.results.append(result)
        return result

    async def around_handle(self, message: Handling, proceed: Callable[[], Awaitable[None]]) -> None:
        self.order.append(f"{self.name} in")
        await proceed()
        self.order.append(f"{self.name} out")
        self.handled.append(message)
        await self.done.put(message)


async def _stat_file(request: StatFile, ctx: Context) -> FileInfo:
    if request.path == "missing":
        raise DeclaredError(FileMissing(path=request.path))
    return FileInfo(path=request.path, size=1, modified_at=0.0)


async def test_client_hooks_wrap_each_send_and_call_outermost_first(stack: Stack) -> None:
    order: list[str] = []
    outer, inner = Recorder("outer", order), Recorder("inner", order)
    seen: asyncio.Queue[Context] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await seen.put(ctx)

    worker = stack.worker()
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, _stat_file)
    async with Client(stack.transport(), hooks=[outer, inner]) as client, worker:
        await client.send(DeleteFile(path="/tmp/a"), headers={"tenant": "acme"}, message_id="m-1", delay=0.1)
        info = await client.call(StatFile(path="a.png"), timeout=WAIT)
        ctx = await asyncio.wait_for(seen.get(), WAIT)

    assert order == ["outer in", "inner in", "inner out", "outer out"] * 2
    send, call = outer.sent
    assert (send.contract, send.kind, send.message_id, send.exchange, send.routing_key, send.delay) == (
        "cleanup.delete_file",
        "task",
        "m-1",
        "burrow",
        "cleanup.delete_file",
        0.1,
    )
    assert send.timeout is None
    assert (call.contract, call.kind, call.timeout) == ("cleanup.stat_file", "call", WAIT)
    assert outer.results == [None, info]  # a call's hook sees (and passes on) its result
    # Headers a hook adds travel with the message, next to the caller's.
    assert (ctx.headers["tenant"], ctx.headers["seen-by-outer"], ctx.headers["seen-by-inner"]) == ("acme", True, True)
    assert ctx.message_id == "m-1"


async def test_a_client_hook_sees_the_calls_error_and_cannot_set_burrow_headers(stack: Stack) -> None:
    class Failing(Hook):
        def __init__(self) -> None:
            self.errors: list[BaseException] = []

        async def around_send(self, message: Sending, proceed: Callable[[], Awaitable[Any]]) -> Any:
            try:
                return await proceed()
            except Exception as exc:
                self.errors.append(exc)
                raise

    class Forger(Hook):
        async def around_send(self, message: Sending, proceed: Callable[[], Awaitable[Any]]) -> Any:
            message.headers["x-burrow-attempt"] = 9
            return await proceed()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        raise NotImplementedError

    failing = Failing()
    worker = stack.worker()
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, _stat_file)
    async with Client(stack.transport(), hooks=[failing]) as client, worker:
        with pytest.raises(DeclaredError):
            await client.call(StatFile(path="missing"), timeout=WAIT)
    assert [type(error) for error in failing.errors] == [DeclaredError]

    async with Client(stack.transport(), hooks=[Forger()]) as client:
        with pytest.raises(ConfigurationError, match="header 'x-burrow-attempt' is reserved"):
            await client.send(DeleteFile(path="/tmp/a"))
        with pytest.raises(ExceptionGroup) as caught:
            await client.send_many([DeleteFile(path="/tmp/a")])
        assert [type(error) for error in caught.value.exceptions] == [ConfigurationError]


async def test_worker_hooks_see_each_outcome(stack: Stack) -> None:
    order: list[str] = []
    recorder = Recorder("worker", order)

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        if task.path == "/tmp/flaky" and ctx.attempt == 1:
            raise RuntimeError("flaky")
        if task.path == "/tmp/doomed":
            raise RuntimeError("doomed")

    worker = Worker(transport=stack.transport(), hooks=[recorder], concurrency=1)
    worker.bind(DeleteFile, delete_file, retry=RetryPolicy(attempts=2, backoff=0.0, jitter=0.0))
    worker.bind(StatFile, _stat_file)
    expected = 8
    async with stack.client() as client, worker:
        await client.send(DeleteFile(path="/tmp/ok"), message_id="ok")
        await client.send(DeleteFile(path="/tmp/flaky"), message_id="flaky")  # retried once, then ok
        await client.send(DeleteFile(path="/tmp/doomed"), message_id="doomed")  # retried once, then dead
        await client.call(StatFile(path="a.png"), message_id="call-ok", timeout=WAIT)
        with pytest.raises(DeclaredError):
            await client.call(StatFile(path="missing"), message_id="call-declared", timeout=WAIT)
        await stack.publish_raw(raw("cleanup", b"garbage", type="cleanup.delete_file"))
        handled = [await asyncio.wait_for(recorder.done.get(), WAIT) for _ in range(expected)]

    outcomes = sorted((h.message_id, h.attempt, h.outcome, h.dead_reason, type(h.exception).__name__) for h in handled)
    assert outcomes == [
        ("call-declared", 1, Outcome.ERROR, None, "DeclaredError"),
        ("call-ok", 1, Outcome.OK, None, "NoneType"),
        ("doomed", 1, Outcome.RETRIED, None, "RuntimeError"),
        ("doomed", 2, Outcome.DEAD_LETTERED, "handler-failed", "RuntimeError"),
        ("flaky", 1, Outcome.RETRIED, None, "RuntimeError"),
        ("flaky", 2, Outcome.OK, None, "NoneType"),
        ("ok", 1, Outcome.OK, None, "NoneType"),
        ("raw-1", 1, Outcome.DEAD_LETTERED, "undecodable", "NoneType"),
    ]
    assert {h.contract for h in handled} == {"cleanup.delete_file", "cleanup.stat_file"}
    assert {h.queue for h in handled} == {"cleanup"}
    assert order == ["worker in", "worker out"] * expected  # concurrency 1: one message at a time


async def test_handlers_see_context_a_worker_hook_sets(stack: Stack) -> None:
    """What a hook sets around ``proceed`` (a context variable, as tracing does) is visible to the handler."""
    tenant: contextvars.ContextVar[str] = contextvars.ContextVar("tenant", default="none")
    seen: asyncio.Queue[str] = asyncio.Queue()

    class Tenant(Hook):
        async def around_handle(self, message: Handling, proceed: Callable[[], Awaitable[None]]) -> None:
            token = tenant.set(str(message.headers.get("tenant")))
            try:
                await proceed()
            finally:
                tenant.reset(token)

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await seen.put(tenant.get())

    worker = Worker(transport=stack.transport(), hooks=[Tenant()])
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, _stat_file)
    async with stack.client() as client, worker:
        await client.send(DeleteFile(path="/tmp/a"), headers={"tenant": "acme"})
        assert await asyncio.wait_for(seen.get(), WAIT) == "acme"


def test_only_hooks_are_accepted() -> None:
    with pytest.raises(ConfigurationError, match=r"a hook subclasses burrow\.sdk\.Hook"):
        Client(Stack(None).transport(), hooks=[object()])  # type: ignore[list-item]
    with pytest.raises(ConfigurationError, match=r"a hook subclasses burrow\.sdk\.Hook"):
        Worker(transport=Stack(None).transport(), hooks=[print])  # type: ignore[list-item]


async def test_a_worker_hook_that_raises_dead_letters_the_message_and_the_worker_goes_on(stack: Stack) -> None:
    handled: asyncio.Queue[str] = asyncio.Queue()

    class Broken(Hook):
        async def around_handle(self, message: Handling, proceed: Callable[[], Awaitable[None]]) -> None:
            if message.headers.get("break") is True:
                raise RuntimeError("the hook broke")
            await proceed()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await handled.put(task.path)

    worker = Worker(transport=stack.transport(), hooks=[Broken()])
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, _stat_file)
    async with stack.client() as client, worker:
        await client.send(DeleteFile(path="/tmp/broken"), headers={"break": True})
        dead = await stack.next_message("cleanup.dead")
        await client.send(DeleteFile(path="/tmp/fine"))
        assert await asyncio.wait_for(handled.get(), WAIT) == "/tmp/fine"
    assert (dead.headers["x-burrow-dead-reason"], dead.headers["x-burrow-error-message"]) == (
        "worker-error",
        "the hook broke",
    )
    assert handled.empty()


async def test_send_many_runs_the_hooks_once_per_task(stack: Stack) -> None:
    order: list[str] = []
    recorder = Recorder("hook", order)
    async with Client(stack.transport(), hooks=[recorder]) as client:
        await client.send(DeleteFile(path="/tmp/first"))  # declares the service: the burst takes the short path
        await client.send_many((DeleteFile(path=f"/tmp/{n}") for n in range(5)), headers={"batch": "b-1"})
    messages = await stack.take_all("cleanup")
    assert len(recorder.sent) == len(messages) == 6
    assert {m.message_id for m in messages} == {sent.message_id for sent in recorder.sent}
    assert all(m.headers["seen-by-hook"] is True for m in messages)
    assert [m.headers.get("batch") for m in messages] == [None] + ["b-1"] * 5
    # Each task had headers of its own: a hook's additions do not leak into the others'.
    assert len({id(sent.headers) for sent in recorder.sent}) == 6


async def test_hooks_see_messages_settled_without_their_handler(stack: Stack) -> None:
    """Given back at shutdown, counted when it comes back, dead-lettered past the delivery limit:
    a message on a classic queue reaches the hooks each time, handler or not."""

    class Settled(Recorder):
        async def around_handle(self, message: Handling, proceed: Callable[[], Awaitable[None]]) -> None:
            try:
                await proceed()
            finally:
                self.handled.append(message)
                await self.done.put(message)

    release = asyncio.Event()
    started: asyncio.Queue[str] = asyncio.Queue()
    topology = Topology(queue_type="classic", delivery_limit=1)  # the worker counts returns on a classic queue

    async def hang(task: DeleteFile, ctx: Context) -> None:
        await started.put(task.path)
        await release.wait()

    def worker_with(*hooks: Hook) -> Worker:
        worker = Worker(transport=stack.transport(), hooks=hooks, grace_period=0.1, topology=topology)
        worker.bind(DeleteFile, hang)
        worker.bind(StatFile, _stat_file)
        return worker

    async with stack.client(topology=topology) as client:
        await client.send(DeleteFile(path="/tmp/stuck"), message_id="stuck")
    first = Settled("first", [])
    async with worker_with(first):
        await asyncio.wait_for(started.get(), WAIT)
    (stopped,) = first.handled  # past the grace period: cancelled, back to its queue
    assert (stopped.message_id, stopped.outcome, type(stopped.exception)) == (
        "stuck",
        Outcome.REQUEUED,
        asyncio.CancelledError,
    )

    second = Settled("second", [])
    async with worker_with(second):  # its first return: counted, put at the back, run again and stopped
        await asyncio.wait_for(started.get(), WAIT)
    counted, stopped_again = second.handled
    assert (counted.redelivered, counted.outcome) == (True, Outcome.REQUEUED)
    assert (stopped_again.redelivered, stopped_again.outcome) == (False, Outcome.REQUEUED)

    registry = CollectorRegistry()
    third = Settled("third", [])
    async with worker_with(third, MetricsHook(registry)):  # its second return, past the limit of 1
        dead = await stack.next_message("cleanup.dead")
        capped = await asyncio.wait_for(third.done.get(), WAIT)
    assert started.empty()  # its handler did not run again
    assert dead.headers["x-burrow-dead-reason"] == "delivery-limit"
    assert (capped.message_id, capped.redelivered, capped.outcome, capped.dead_reason) == (
        "stuck",
        True,
        Outcome.DEAD_LETTERED,
        "delivery-limit",
    )
    dead_lettered = {"contract": "cleanup.delete_file", "reason": "delivery-limit"}
    assert registry.get_sample_value("burrow_dead_lettered_total", dead_lettered) == 1


async def test_worker_hooks_wrap_the_workers_own_publishes(stack: Stack) -> None:
    published: list[tuple[str, str, str, float]] = []

    class Publishes(Hook):
        async def around_publish(self, message: Sending, proceed: Callable[[], Awaitable[None]]) -> None:
            published.append((message.kind, message.contract, message.routing_key, message.delay))
            message.headers["published-by"] = message.kind  # travels with the copy
            await proceed()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        raise RuntimeError("doomed")

    worker = Worker(transport=stack.transport(), hooks=[Publishes()])
    worker.bind(DeleteFile, delete_file, retry=RetryPolicy(attempts=2, backoff=0.0, jitter=0.0))
    worker.bind(StatFile, _stat_file)
    async with stack.client() as client, worker:
        await client.call(StatFile(path="a.png"), timeout=WAIT)
        await client.send(DeleteFile(path="/tmp/doomed"))
        dead = await stack.next_message("cleanup.dead")
    assert dead.headers["published-by"] == "dead-letter"
    assert dead.headers["x-burrow-attempt"] == 2  # the retry copy's header, not the hook's
    reply, retry, dead_letter = published
    assert reply[:2] == ("reply", "cleanup.stat_file")
    assert reply[2].startswith("burrow.reply.")
    assert retry == ("retry", "cleanup.delete_file", "cleanup.delete_file", 0.0)
    assert dead_letter == ("dead-letter", "cleanup.delete_file", "cleanup.dead", 0.0)


async def test_a_worker_hook_cannot_change_the_protocol_headers_of_a_copy(stack: Stack) -> None:
    class Forger(Hook):
        async def around_publish(self, message: Sending, proceed: Callable[[], Awaitable[None]]) -> None:
            message.headers["x-burrow-attempt"] = 1
            await proceed()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        raise RuntimeError("doomed")

    worker = Worker(transport=stack.transport(), hooks=[Forger()])
    worker.bind(DeleteFile, delete_file, retry=RetryPolicy(attempts=3, backoff=0.0, jitter=0.0))
    worker.bind(StatFile, _stat_file)
    async with stack.client() as client, worker:
        await client.send(DeleteFile(path="/tmp/doomed"))
        dead = await stack.next_message("cleanup.dead")
    # The retry copy was refused; the worker dead-lettered the message instead of retrying it for ever.
    assert dead.headers["x-burrow-dead-reason"] == "worker-error"
    assert "x-burrow-* headers of a retry copy" in str(dead.headers["x-burrow-error-message"])
