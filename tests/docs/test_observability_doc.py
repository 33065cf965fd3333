"""The examples in docs/observability.md, run on the in-memory broker; the doc quotes them unchanged."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from burrow.sdk import Client, Handling, Hook, MemoryBroker, Sending
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileInfo, StatFile

ROOT = Path(__file__).resolve().parents[2]


# --8<-- [start:hooks]
class SlowMessages(Hook):
    """Logs sends and handled messages that take longer than ``threshold`` seconds."""

    def __init__(self, threshold: float) -> None:
        self.threshold = threshold
        self.log = logging.getLogger("myapp.slow")

    async def around_send(self, message: Sending, proceed: Callable[[], Awaitable[Any]]) -> Any:
        message.headers["sent-by"] = "uploads"  # travels with the message
        started = time.perf_counter()
        try:
            return await proceed()  # a call's result, None for a task
        finally:
            if (took := time.perf_counter() - started) > self.threshold:
                self.log.warning("%s %s took %.3f s", message.kind, message.contract, took)

    async def around_handle(self, message: Handling, proceed: Callable[[], Awaitable[None]]) -> None:
        await proceed()
        if message.duration > self.threshold:
            self.log.warning(
                "%s %s attempt %d: %s after %.3f s (%r)",
                message.contract,
                message.message_id,
                message.attempt,
                message.outcome,
                message.duration,
                message.exception,
            )


# --8<-- [end:hooks]


async def test_the_hook_example_logs_slow_messages(caplog: pytest.LogCaptureFixture) -> None:
    broker = MemoryBroker()
    handled: asyncio.Queue[Context] = asyncio.Queue()

    async def delete_file(task: DeleteFile, ctx: Context) -> None:
        await handled.put(ctx)

    async def stat_file(request: StatFile, ctx: Context) -> FileInfo:
        return FileInfo(path=request.path, size=0, modified_at=0.0)

    # --8<-- [start:install]
    worker = Worker(transport=broker.transport(), hooks=[SlowMessages(threshold=0.0)])
    client = Client(broker.transport(), hooks=[SlowMessages(threshold=0.0)])
    # --8<-- [end:install]
    worker.bind(DeleteFile, delete_file)
    worker.bind(StatFile, stat_file)
    with caplog.at_level(logging.WARNING, logger="myapp.slow"):
        async with client, worker:
            # --8<-- [start:metadata]
            await client.send(
                DeleteFile(path="/tmp/report.pdf"),
                headers={"tenant": "acme"},
                message_id="delete:/tmp/report.pdf",  # the same id if you must send it again
            )
            # --8<-- [end:metadata]
            ctx = await asyncio.wait_for(handled.get(), 30)
            await client.call(StatFile(path="a.png"))
    assert (ctx.headers["tenant"], ctx.headers["sent-by"], ctx.message_id) == (
        "acme",
        "uploads",
        "delete:/tmp/report.pdf",
    )
    messages = [record.getMessage() for record in caplog.records]
    assert any(message.startswith("task cleanup.delete_file took") for message in messages)
    assert any(message.startswith("call cleanup.stat_file took") for message in messages)
    assert any(
        message.startswith("cleanup.delete_file delete:/tmp/report.pdf attempt 1: ok after") for message in messages
    )


def test_the_tracing_example_installs_the_hook_on_both_sides() -> None:
    url = "amqp://guest:guest@localhost/"
    # --8<-- [start:tracing]
    from burrow.sdk.otel import TracingHook

    client = Client.connect(url, hooks=[TracingHook()])
    worker = Worker(url, hooks=[TracingHook()])
    # --8<-- [end:tracing]
    assert client.state.value == "unopened"
    assert worker.state.value == "idle"


def test_the_metrics_example_registers_in_the_given_registry() -> None:
    url = "amqp://guest:guest@localhost/"
    # --8<-- [start:metrics]
    from burrow.sdk.prometheus import MetricsHook
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    metrics = MetricsHook(registry)
    worker = Worker(url, hooks=[metrics])
    client = Client.connect(url, hooks=[metrics])
    # --8<-- [end:metrics]
    assert registry.get_sample_value("burrow_messages_in_flight", {"queue": "cleanup"}) is None
    names = {metric.name for metric in registry.collect()}
    assert {"burrow_messages_handled", "burrow_handler_duration_seconds", "burrow_sends"} <= names
    assert (worker.state.value, client.state.value) == ("idle", "unopened")


def _section(source: str, name: str) -> str:
    start = source.index(f"# --8<-- [start:{name}]\n") + len(f"# --8<-- [start:{name}]\n")
    lines = source[start : source.index(f"# --8<-- [end:{name}]")].rstrip().splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines)


def test_the_doc_quotes_the_tested_examples() -> None:
    source = Path(__file__).read_text()
    doc = (ROOT / "docs/observability.md").read_text()
    for name in ("hooks", "install", "metadata", "tracing", "metrics"):
        assert _section(source, name) in doc, f"docs/observability.md is missing the {name!r} example"


def _exported_series() -> dict[str, str]:
    """Every series name a ``MetricsHook`` exports, mapped to its metric's name."""
    from burrow.sdk.prometheus import MetricsHook
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    MetricsHook(registry)
    suffixes = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_count", "_sum")}
    return {family.name + suffix: family.name for family in registry.collect() for suffix in suffixes[family.type]}


def test_the_grafana_dashboard_queries_only_and_every_metric_the_hook_exports() -> None:
    dashboard = json.loads((ROOT / "docs/grafana-dashboard.json").read_text())
    exprs = [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]
    queried = {name for expr in exprs for name in re.findall(r"\bburrow_[a-z_]+", expr)}
    exported = _exported_series()
    assert queried - exported.keys() == set(), "the dashboard queries series MetricsHook does not export"
    assert set(exported.values()) - {exported[name] for name in queried} == set(), "metrics no panel shows"


def test_the_metrics_table_lists_every_metric_the_hook_exports() -> None:
    from burrow.sdk.prometheus import MetricsHook
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    MetricsHook(registry)
    # As the table names them: a counter with its _total, a histogram by its own name.
    exported = {family.name + ("_total" if family.type == "counter" else "") for family in registry.collect()}
    doc = (ROOT / "docs/observability.md").read_text()
    listed = set(re.findall(r"^\| `(burrow_[a-z_]+)` \|", doc, flags=re.MULTILINE))
    assert listed == exported
