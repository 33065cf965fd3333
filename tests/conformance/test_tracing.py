"""OpenTelemetry tracing: one trace from an HTTP request through a task, its handler's call, and back."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import fastapi
import httpx
import pytest
from burrow.sdk import Client, Handling, Hook, RetryPolicy, Sending
from burrow.sdk.otel import TracingHook
from burrow.server import Context, Worker
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.semconv._incubating.attributes import messaging_attributes as messaging
from opentelemetry.semconv.attributes import error_attributes
from opentelemetry.trace import SpanContext, SpanKind, StatusCode

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from tests.conformance.conftest import WAIT, Stack


@pytest.fixture
def spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider, exporter
    provider.shutdown()


async def _finished(exporter: InMemorySpanExporter, count: int) -> list[ReadableSpan]:
    """The finished spans once there are ``count`` (a handled message's span ends just after its handler)."""
    async with asyncio.timeout(WAIT):
        while len(exporter.get_finished_spans()) < count:  # noqa: ASYNC110 - the exporter notifies nobody
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)  # and no more come
    return list(exporter.get_finished_spans())


def _one(finished: list[ReadableSpan], name: str) -> ReadableSpan:
    (span,) = [span for span in finished if span.name == name]
    return span


async def test_a_request_its_task_and_the_handlers_call_are_one_trace(
    stack: Stack, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    tracing = TracingHook(tracer_provider=provider)
    handled: asyncio.Queue[FileInfo] = asyncio.Queue()
    worker_client = Client(stack.transport(), hooks=[tracing])

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await handled.put(await worker_client.call(StatFile(path=task.path), timeout=WAIT))

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=request.path, size=1, modified_at=0.0)

    worker = Worker(transport=stack.transport(), hooks=[tracing])
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    app_client = Client(stack.transport(), hooks=[tracing])
    app = fastapi.FastAPI()
    tracer = provider.get_tracer("web")

    @app.post("/uploads/{name}")
    async def upload(name: str) -> dict[str, str]:
        # What an instrumented web framework does: the request is a SERVER span.
        with tracer.start_as_current_span("POST /uploads/{name}", kind=SpanKind.SERVER):
            await app_client.send(DeleteFile(path=name))
        return {"status": "queued"}

    async with app_client, worker_client, worker:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app") as http:
            response = await http.post("/uploads/a.png")
        assert response.json() == {"status": "queued"}
        assert (await asyncio.wait_for(handled.get(), WAIT)).path == "a.png"
        finished = await _finished(exporter, 5)

    request = _one(finished, "POST /uploads/{name}")
    send = _one(finished, "publish burrow:cleanup.delete_file")
    process = _one(finished, "process burrow:cleanup.delete_file:cleanup")
    call = _one(finished, "publish burrow:cleanup.stat_file")
    serve = _one(finished, "process burrow:cleanup.stat_file:cleanup")
    reply = _one(finished, "publish (temporary)")
    assert len(finished) == 6
    assert {span.context.trace_id for span in finished} == {request.context.trace_id}
    chain = [request, send, process, call, serve, reply]
    for parent, child in itertools.pairwise(chain):
        assert child.parent is not None
        assert child.parent.span_id == parent.context.span_id, child.name
    assert [span.kind for span in chain[1:]] == [
        SpanKind.PRODUCER,
        SpanKind.CONSUMER,
        SpanKind.CLIENT,
        SpanKind.SERVER,
        SpanKind.PRODUCER,
    ]
    # The reply, published by the worker to the caller's temporary reply queue.
    assert reply.attributes is not None
    assert reply.attributes[messaging.MESSAGING_DESTINATION_TEMPORARY] is True
    assert str(reply.attributes[messaging.MESSAGING_DESTINATION_NAME]).startswith("burrow.reply.")
    assert (reply.attributes[messaging.MESSAGING_OPERATION_NAME], reply.attributes["burrow.published"]) == (
        "publish",
        "reply",
    )

    assert send.attributes is not None
    assert dict(send.attributes) == {
        messaging.MESSAGING_SYSTEM: messaging.MessagingSystemValues.RABBITMQ.value,
        messaging.MESSAGING_OPERATION_NAME: "publish",
        messaging.MESSAGING_OPERATION_TYPE: messaging.MessagingOperationTypeValues.SEND.value,
        messaging.MESSAGING_DESTINATION_NAME: "burrow:cleanup.delete_file",
        messaging.MESSAGING_RABBITMQ_DESTINATION_ROUTING_KEY: "cleanup.delete_file",
        messaging.MESSAGING_MESSAGE_ID: send.attributes[messaging.MESSAGING_MESSAGE_ID],
        "burrow.contract": "cleanup.delete_file",
    }
    assert process.attributes is not None
    assert (
        process.attributes[messaging.MESSAGING_OPERATION_TYPE] == messaging.MessagingOperationTypeValues.PROCESS.value
    )
    assert process.attributes[messaging.MESSAGING_DESTINATION_NAME] == "burrow:cleanup.delete_file:cleanup"
    assert process.attributes[messaging.MESSAGING_MESSAGE_ID] == send.attributes[messaging.MESSAGING_MESSAGE_ID]
    assert (process.attributes["burrow.attempt"], process.attributes["burrow.outcome"]) == (1, "ok")
    assert serve.attributes is not None
    assert messaging.MESSAGING_MESSAGE_CONVERSATION_ID in serve.attributes
    assert all(span.status.status_code is StatusCode.UNSET for span in finished)
    assert not process.links  # delivered as sent: a child, no link needed


async def test_a_retry_is_published_in_the_trace_and_the_next_attempt_links_to_that_publish(
    stack: Stack, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    tracing = TracingHook(tracer_provider=provider)
    done: asyncio.Queue[None] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        if ctx.attempt == 1:
            raise ValueError("not yet")
        await done.put(None)

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(transport=stack.transport(), hooks=[tracing])
    worker.bind(DeleteFile, delete_file, retry=RetryPolicy(attempts=2, backoff=0.0, jitter=0.0))
    worker.bind(StatFile, stat_file)
    async with Client(stack.transport(), hooks=[tracing]) as client, worker:
        await client.send(DeleteFile(path="/tmp/a"), delay=0.1)
        await asyncio.wait_for(done.get(), WAIT)
        finished = await _finished(exporter, 4)

    assert len(finished) == 4
    assert len({span.context.trace_id for span in finished}) == 1
    (send,) = [
        span
        for span in finished
        if span.kind is SpanKind.PRODUCER and span.attributes and "burrow.published" not in span.attributes
    ]
    attempts = sorted(
        (span for span in finished if span.name.startswith("process ")),
        key=lambda span: str(span.attributes["burrow.attempt"] if span.attributes else 0),
    )
    (retry,) = [span for span in finished if span.attributes and span.attributes.get("burrow.published") == "retry"]
    assert retry.attributes is not None
    assert send.attributes is not None
    assert retry.name == "publish burrow:cleanup.delete_file"
    assert retry.kind is SpanKind.PRODUCER
    assert retry.attributes[messaging.MESSAGING_MESSAGE_ID] == send.attributes[messaging.MESSAGING_MESSAGE_ID]
    first, second = attempts
    # send -> first attempt -> its retry's publish -> second attempt.
    for parent, child in itertools.pairwise([send, first, retry, second]):
        assert child.parent is not None
        assert child.parent.span_id == parent.context.span_id, child.name
    # A delayed delivery links to the span that published it. The in-memory broker holds
    # delayed messages itself, without the x-burrow-due header that tells a delayed
    # delivery apart: there the first attempt, delivered as sent, does not link.
    if stack.memory is None:
        assert [link.context.span_id for link in first.links] == [send.context.span_id]
    assert [link.context.span_id for link in second.links] == [retry.context.span_id]
    assert first.attributes is not None
    assert second.attributes is not None
    assert first.status.status_code is StatusCode.ERROR
    assert first.attributes["burrow.outcome"] == "retried"
    assert first.attributes[error_attributes.ERROR_TYPE] == "ValueError"
    assert [event.name for event in first.events] == ["exception"]
    assert second.attributes["burrow.outcome"] == "ok"
    assert second.status.status_code is StatusCode.UNSET


async def test_a_dead_letter_is_published_in_the_trace_and_carries_its_context(
    stack: Stack, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    tracing = TracingHook(tracer_provider=provider)

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        raise RuntimeError("doomed")

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        raise NotImplementedError

    worker = Worker(transport=stack.transport(), hooks=[tracing])
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with Client(stack.transport(), hooks=[tracing]) as client, worker:
        await client.send(DeleteFile(path="/tmp/doomed"))
        dead = await stack.next_message("cleanup.dead")
        finished = await _finished(exporter, 3)

    send = _one(finished, "publish burrow:cleanup.delete_file")
    process = _one(finished, "process burrow:cleanup.delete_file:cleanup")
    copy = _one(finished, "publish cleanup.dead")
    assert len(finished) == 3
    assert copy.parent is not None
    assert copy.parent.span_id == process.context.span_id
    assert copy.context.trace_id == send.context.trace_id
    assert copy.attributes is not None
    assert (copy.kind, copy.attributes["burrow.published"]) == (SpanKind.PRODUCER, "dead-letter")
    assert copy.attributes[messaging.MESSAGING_DESTINATION_NAME] == "cleanup.dead"
    # Whoever reads (or replays) the dead letter continues the trace from its publish span.
    assert str(dead.headers["traceparent"]).split("-")[1:3] == [
        f"{copy.context.trace_id:032x}",
        f"{copy.context.span_id:016x}",
    ]
    assert dead.headers["x-burrow-dead-reason"] == "handler-failed"


async def test_a_sync_handler_runs_in_the_handling_span_and_its_calls_join_the_trace(
    stack: Stack, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    tracing = TracingHook(tracer_provider=provider)
    worker_client = Client(stack.transport(), hooks=[tracing])
    current: list[SpanContext] = []
    loop = asyncio.get_running_loop()

    def delete_file(task: DeleteFile, ctx: Context) -> None:  # runs in the worker's thread pool
        current.append(trace.get_current_span().get_span_context())
        asyncio.run_coroutine_threadsafe(worker_client.call(StatFile(path=task.path), timeout=WAIT), loop).result()

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=request.path, size=1, modified_at=0.0)

    worker = Worker(transport=stack.transport(), hooks=[tracing])
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with Client(stack.transport(), hooks=[tracing]) as client, worker_client, worker:
        await client.send(DeleteFile(path="a.png"))
        finished = await _finished(exporter, 5)

    process = _one(finished, "process burrow:cleanup.delete_file:cleanup")
    call = _one(finished, "publish burrow:cleanup.stat_file")
    assert current == [process.context]
    assert call.parent is not None
    assert call.parent.span_id == process.context.span_id
    assert len({span.context.trace_id for span in finished}) == 1


async def test_a_calls_reply_carries_the_servers_context_and_is_linked_when_traced_apart(
    stack: Stack, spans: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, exporter = spans
    tracing = TracingHook(tracer_provider=provider)
    replies: list[dict[str, Any] | None] = []

    class Replies(Hook):
        async def around_send(self, message: Sending, proceed: Callable[[], Awaitable[Any]]) -> Any:
            try:
                return await proceed()
            finally:
                replies.append(message.reply_headers)

    class Detached(Hook):
        """A server that does not continue its callers' traces (its span starts a trace of its own)."""

        async def around_handle(self, message: Handling, proceed: Callable[[], Awaitable[None]]) -> None:
            if message.headers.get("detached") is True:
                del message.headers["traceparent"]
            await proceed()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        raise NotImplementedError

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=request.path, size=1, modified_at=0.0)

    worker = Worker(transport=stack.transport(), hooks=[Detached(), tracing])
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with Client(stack.transport(), hooks=[Replies(), tracing]) as client, worker:
        await client.call(StatFile(path="a.png"), timeout=WAIT)
        await client.call(StatFile(path="b.png"), timeout=WAIT, headers={"detached": True})
        finished = await _finished(exporter, 6)

    joined, detached = [span for span in finished if span.kind is SpanKind.CLIENT]
    joined_reply, detached_reply = [span for span in finished if span.name == "publish (temporary)"]
    # Each reply carries the context of the span that published it.
    for headers, reply in zip(replies, (joined_reply, detached_reply), strict=True):
        assert headers is not None
        assert str(headers["traceparent"]).split("-")[1:3] == [
            f"{reply.context.trace_id:032x}",
            f"{reply.context.span_id:016x}",
        ]
    assert joined_reply.context.trace_id == joined.context.trace_id
    assert not joined.links  # its reply is its descendant already
    assert detached_reply.context.trace_id != detached.context.trace_id
    assert [(link.context.trace_id, link.context.span_id) for link in detached.links] == [
        (detached_reply.context.trace_id, detached_reply.context.span_id)
    ]


def test_importing_burrow_does_not_import_opentelemetry() -> None:
    code = (
        "import sys, burrow.sdk, burrow.server, burrow.testing; "
        "loaded = sorted(m for m in sys.modules if m.startswith(('opentelemetry', 'prometheus_client'))); "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
