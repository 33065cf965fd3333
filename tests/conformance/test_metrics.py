"""Prometheus metrics: a scrape over HTTP counts what the client and worker did."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from burrow.sdk import Client, DeclaredError, RetryPolicy
from burrow.sdk.prometheus import MetricsHook
from burrow.server import Context, Worker
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.parser import text_string_to_metric_families

from contracts.cleanup import DeleteFile, FileInfo, FileMissing, StatFile
from tests.conformance.conftest import WAIT, Stack, raw

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def scrape_url() -> Iterator[tuple[CollectorRegistry, str]]:
    registry = CollectorRegistry()
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry)
    try:
        yield registry, f"http://127.0.0.1:{server.server_port}/metrics"
    finally:
        server.shutdown()
        thread.join()


async def _scrape(url: str) -> Samples:
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    response.raise_for_status()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def _scrape_when_settled(url: str, *, handled: int) -> Samples:
    """Scrape once ``handled`` messages were counted (a handler returns a moment before its settlement)."""
    async with asyncio.timeout(WAIT):
        while True:
            samples = await _scrape(url)
            total = sum(v for (name, _), v in samples.items() if name == "burrow_messages_handled_total")
            if total >= handled:
                return samples
            await asyncio.sleep(0.05)


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_a_scrape_counts_successes_retries_dead_letters_sends_and_calls(
    stack: Stack, scrape_url: tuple[CollectorRegistry, str]
) -> None:
    registry, url = scrape_url
    metrics = MetricsHook(registry)
    settled: asyncio.Queue[str] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        if task.path == "/tmp/flaky" and ctx.attempt == 1:
            raise RuntimeError("flaky")
        if task.path == "/tmp/doomed":
            raise RuntimeError("doomed")
        await settled.put(task.path)

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        if request.path == "missing":
            raise DeclaredError(FileMissing(path=request.path))
        return FileInfo(path=request.path, size=1, modified_at=0.0)

    worker = Worker(transport=stack.transport(), hooks=[metrics])
    worker.bind(DeleteFile, delete_file, retry=RetryPolicy(attempts=2, backoff=0.0, jitter=0.0))
    worker.bind(StatFile, stat_file)
    async with Client(stack.transport(), hooks=[metrics]) as client, worker:
        await client.send_many(
            [DeleteFile(path="/tmp/ok-1"), DeleteFile(path="/tmp/ok-2"), DeleteFile(path="/tmp/flaky")]
        )
        await client.send(DeleteFile(path="/tmp/doomed"))
        await client.send(DeleteFile(path="/tmp/late"), delay=0.2)
        await client.call(StatFile(path="a.png"), timeout=WAIT)
        with pytest.raises(DeclaredError):
            await client.call(StatFile(path="missing"), timeout=WAIT)
        await stack.publish_raw(raw("cleanup", b"{}", type="cleanup.no_such_contract"))
        await stack.next_message("cleanup.dead")
        await stack.next_message("cleanup.dead")
        assert sorted([await asyncio.wait_for(settled.get(), WAIT) for _ in range(4)]) == [
            "/tmp/flaky",
            "/tmp/late",
            "/tmp/ok-1",
            "/tmp/ok-2",
        ]
        samples = await _scrape_when_settled(url, handled=10)

    task, call = "cleanup.delete_file", "cleanup.stat_file"
    handled = "burrow_messages_handled_total"
    assert _value(samples, handled, contract=task, outcome="ok") == 4
    assert _value(samples, handled, contract=task, outcome="retried") == 2  # flaky once, doomed once
    assert _value(samples, handled, contract=task, outcome="dead-lettered") == 1
    assert _value(samples, handled, contract=call, outcome="ok") == 1
    assert _value(samples, handled, contract=call, outcome="error") == 1
    assert _value(samples, handled, contract="unknown", outcome="dead-lettered") == 1
    assert _value(samples, "burrow_retries_total", contract=task) == 2
    assert _value(samples, "burrow_dead_lettered_total", contract=task, reason="handler-failed") == 1
    assert _value(samples, "burrow_dead_lettered_total", contract="unknown", reason="unknown-contract") == 1
    assert _value(samples, "burrow_handler_duration_seconds_count", contract=task) == 7
    assert _value(samples, "burrow_messages_in_flight", queue="cleanup") == 0
    assert _value(samples, "burrow_sends_total", contract=task, outcome="ok") == 5
    assert _value(samples, "burrow_send_duration_seconds_count", contract=task) == 5
    assert _value(samples, "burrow_calls_total", contract=call, outcome="ok") == 1
    assert _value(samples, "burrow_calls_total", contract=call, outcome="DeclaredError") == 1
    assert _value(samples, "burrow_call_duration_seconds_count", contract=call) == 2
    if stack.memory is None:  # the in-memory broker holds delays without the due-time header
        # The delayed send, and both retries (a retry goes through the delay cascade too).
        assert _value(samples, "burrow_delay_lateness_seconds_count", contract=task) == 3


async def test_consumers_per_queue_follow_the_workers_consumers(stack: Stack) -> None:
    registry = CollectorRegistry()
    metrics = MetricsHook(registry)

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        pass

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=request.path, size=1, modified_at=0.0)

    def consumers() -> dict[str, float]:
        (family,) = [family for family in registry.collect() if family.name == "burrow_consumers"]
        return {sample.labels["queue"]: sample.value for sample in family.samples}

    worker = Worker(transport=stack.transport(), hooks=[metrics])
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    async with worker:
        assert consumers() == {"cleanup": 1}
        async with Client(stack.transport(), hooks=[metrics]) as client:
            await client.call(StatFile(path="a.png"), timeout=WAIT)  # its reply consumer is not counted
            assert consumers() == {"cleanup": 1}
    assert consumers() == {"cleanup": 0}
    assert registry.get_sample_value("burrow_reconnects_total") == 0
