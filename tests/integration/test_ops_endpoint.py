"""The worker's ops endpoint over real HTTP: /metrics counts a run, /readyz follows its consumers."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from burrow.sdk import Client, RetryPolicy
from burrow.sdk.prometheus import MetricsHook
from burrow.server import Context, Worker
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from contracts.cleanup import DeleteFile, FileInfo, StatFile
from tests.integration._raw import WAIT, raw_channel


def _stat_file(task: StatFile, ctx: Context) -> FileInfo:
    raise NotImplementedError


async def _until(http: httpx.AsyncClient, path: str, status: int) -> httpx.Response:
    async with asyncio.timeout(WAIT):
        while (response := await http.get(path)).status_code != status:  # noqa: ASYNC110 - polled, as a prober does
            await asyncio.sleep(0.05)
    return response


async def test_metrics_over_http_count_successes_a_retry_and_a_dead_letter(amqp_url: str) -> None:
    settled: asyncio.Queue[str] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        if task.path == "/tmp/flaky" and ctx.attempt == 1:
            raise RuntimeError("flaky")
        if task.path == "/tmp/doomed":
            raise RuntimeError("doomed")
        await settled.put(task.path)

    worker = Worker(amqp_url, hooks=[MetricsHook(CollectorRegistry())], http_port=0, http_host="127.0.0.1")
    worker.bind(DeleteFile, delete_file, retry=RetryPolicy(attempts=2, backoff=0.0, jitter=0.0))
    worker.bind(StatFile, _stat_file)
    async with (
        Client.connect(amqp_url) as client,
        worker,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{worker.ops_port}") as http,
    ):
        assert (await http.get("/healthz")).text == "ok\n"
        await _until(http, "/readyz", 200)
        for path in ("/tmp/ok-1", "/tmp/ok-2", "/tmp/flaky", "/tmp/doomed"):
            await client.send(DeleteFile(path=path))
        assert sorted([await asyncio.wait_for(settled.get(), WAIT) for _ in range(3)]) == [
            "/tmp/flaky",
            "/tmp/ok-1",
            "/tmp/ok-2",
        ]
        async with asyncio.timeout(WAIT):  # until the dead letter is counted too
            while True:
                response = await http.get("/metrics")
                samples = {
                    (sample.name, tuple(sorted(sample.labels.items()))): sample.value
                    for family in text_string_to_metric_families(response.text)
                    for sample in family.samples
                }
                handled = "burrow_messages_handled_total"
                task = ("contract", "cleanup.delete_file")
                if samples.get((handled, (task, ("outcome", "dead-lettered")))) == 1:
                    break
                await asyncio.sleep(0.05)
        assert response.headers["content-type"].startswith("text/plain; version=")
        assert samples[(handled, (task, ("outcome", "ok")))] == 3
        assert samples[(handled, (task, ("outcome", "retried")))] == 2
        assert samples[("burrow_dead_lettered_total", (task, ("reason", "handler-failed")))] == 1
        assert samples[("burrow_retries_total", (task,))] == 2
        assert (await http.get("/nope")).status_code == 404
        assert (await http.post("/readyz")).status_code == 405


async def test_readyz_turns_not_ready_while_the_queue_is_gone_and_ready_once_consumed_again(amqp_url: str) -> None:
    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        pass

    worker = Worker(amqp_url, http_port=0, http_host="127.0.0.1")
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, _stat_file)
    async with worker, httpx.AsyncClient(base_url=f"http://127.0.0.1:{worker.ops_port}") as http:
        assert (await _until(http, "/readyz", 200)).text == "ready\n"
        assert (await http.get("/metrics")).status_code == 404  # no MetricsHook: nothing to serve
        async with raw_channel(amqp_url) as channel:
            # Delete the queue and declare it at once with other arguments: the worker's
            # own declaration fails, so it stays without a consumer until this one is gone.
            await channel.queue_delete("cleanup")
            await channel.declare_queue("cleanup", durable=True, arguments={"x-max-length": 1})
        response = await _until(http, "/readyz", 503)
        assert response.text == "not ready: not consuming cleanup\n"
        assert (await http.get("/healthz")).status_code == 200  # alive, only not ready
        async with raw_channel(amqp_url) as channel:
            await channel.queue_delete("cleanup")
        assert (await _until(http, "/readyz", 200)).text == "ready\n"
    with pytest.raises(httpx.ConnectError):  # stopped with the worker
        async with httpx.AsyncClient() as http:
            await http.get(f"http://127.0.0.1:{worker.ops_port or 1}/healthz")
