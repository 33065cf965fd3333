"""Generated clients against the real worker on a real broker (the design card's usage)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from burrow.sdk import DeclaredError
from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile, FileMissing
from contracts.generated import client as generated
from contracts.generated.server import bind_cleanup
from examples.billing import cleanup_client as from_lock
from examples.billing import service as billing
from examples.cleanup.worker import Cleanup

ROOT = Path(__file__).resolve().parents[2]


class ObservedCleanup(Cleanup):
    """The example implementation, reporting each deletion so tests wait on an event, not a clock."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.deleted: asyncio.Queue[str] = asyncio.Queue()

    async def delete_file(self, task: DeleteFile, ctx: Context) -> None:
        await super().delete_file(task, ctx)
        await self.deleted.put(task.path)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for name in ("a.txt", "b.txt", "c.txt", "d.txt"):
        (tmp_path / name).write_text(name * 10)
    return tmp_path


@pytest.fixture
async def cleanup(amqp_url: str, files: Path) -> AsyncIterator[ObservedCleanup]:
    impl = ObservedCleanup(files)
    worker = Worker(amqp_url)
    bind_cleanup(worker, impl)
    async with worker:
        yield impl


async def test_generated_client_sends_as_on_the_design_card(amqp_url: str, cleanup: ObservedCleanup) -> None:
    async with generated.Client.connect(amqp_url) as client:
        await client.cleanup.delete_file("a.txt")
    assert await asyncio.wait_for(cleanup.deleted.get(), 10) == "a.txt"
    assert not (cleanup.root / "a.txt").exists()


async def test_billing_calls_cleanup_without_importing_contracts(amqp_url: str, cleanup: ObservedCleanup) -> None:
    script = (
        "import asyncio, json, sys\n"
        "from examples.billing import service\n"
        "asyncio.run(service.main(sys.argv[1], sys.argv[2]))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('contracts', 'server', 'codegen'))))\n"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        amqp_url,
        "b.txt",
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert json.loads(stdout) == []  # billing needs only sdk and its generated client
    assert await asyncio.wait_for(cleanup.deleted.get(), 10) == "b.txt"
    assert not (cleanup.root / "b.txt").exists()


async def test_billing_deletes_later_with_a_durable_delay(amqp_url: str, cleanup: ObservedCleanup) -> None:
    async with from_lock.Client.connect(amqp_url) as client:
        await billing.expire_download(client, "c.txt", after=3)
        assert (cleanup.root / "c.txt").exists()  # (0.5 s was not always enough for the send to return first)
    assert await asyncio.wait_for(cleanup.deleted.get(), 30) == "c.txt"


async def test_billing_gets_a_typed_result_from_a_call(amqp_url: str, cleanup: ObservedCleanup) -> None:
    async with from_lock.Client.connect(amqp_url) as client:
        info = await billing.archive_invoice(client, "d.txt")
    assert isinstance(info, from_lock.FileInfo)
    assert (info.path, info.size) == ("d.txt", 50)


async def test_generated_client_delays_and_calls_as_on_the_design_card(amqp_url: str, cleanup: ObservedCleanup) -> None:
    async with generated.Client.connect(amqp_url) as client:
        info = await client.cleanup.stat_file("a.txt", timeout=5)
        assert (info.path, info.size) == ("a.txt", 50)
        await client.cleanup.delete_file("a.txt", delay=0.5)
    assert await asyncio.wait_for(cleanup.deleted.get(), 30) == "a.txt"


async def test_a_missing_file_comes_back_as_the_declared_error(amqp_url: str, cleanup: ObservedCleanup) -> None:
    async with generated.Client.connect(amqp_url) as client:
        with pytest.raises(DeclaredError) as raised:
            await client.cleanup.stat_file("gone.txt", timeout=5)
    assert raised.value.error == FileMissing(path="gone.txt")
