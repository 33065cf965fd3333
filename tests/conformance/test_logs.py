"""Per-message log records: fields for machines, and the trace id when tracing is on."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from burrow.sdk import Client
from burrow.sdk.otel import TracingHook
from burrow.server import Context, JsonFormatter, Worker
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from tests.conformance.conftest import WAIT, Stack


async def _stat_file(request: StatFile, ctx: Context) -> FileInfo:
    raise NotImplementedError


async def test_a_handled_message_is_one_debug_record_with_its_trace_id(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = TracingHook(tracer_provider=provider)
    handled: asyncio.Queue[None] = asyncio.Queue()
    formatted: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            formatted.append(JsonFormatter().format(record))  # formatted where logged, as a handler does

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await handled.put(None)

    capture = Capture(logging.DEBUG)
    logger = logging.getLogger("burrow.worker")
    logger.addHandler(capture)
    try:
        with caplog.at_level(logging.DEBUG, logger="burrow.worker"):
            worker = Worker(transport=stack.transport(), hooks=[tracing])
            worker.bind(DeleteFile, delete_file)
            worker.bind(StatFile, _stat_file)
            async with Client(stack.transport(), hooks=[tracing]) as client, worker:
                await client.send(DeleteFile(path="/tmp/a"), message_id="m-1")
                await asyncio.wait_for(handled.get(), WAIT)
                async with asyncio.timeout(WAIT):
                    while not any('"message_id": "m-1"' in line for line in formatted):  # noqa: ASYNC110
                        await asyncio.sleep(0.01)
    finally:
        logger.removeHandler(capture)
        provider.shutdown()

    (line,) = [json.loads(line) for line in formatted if '"message_id": "m-1"' in line]
    (process,) = [span for span in exporter.get_finished_spans() if span.name.startswith("process ")]
    assert line["level"] == "DEBUG"
    assert (line["contract"], line["attempt"], line["outcome"]) == ("cleanup.delete_file", 1, "ok")
    assert line["trace_id"] == f"{process.context.trace_id:032x}"
    assert isinstance(line["duration_ms"], float)
