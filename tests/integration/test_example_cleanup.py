"""The seed scenario end to end on the real broker: the example app publishes, the example worker deletes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from burrow.sdk import Client

from contracts.cleanup import DeleteFile
from examples.cleanup.app import FILES_PER_REQUEST, app
from examples.cleanup.worker import create_worker


@pytest.fixture
def cleanup_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, amqp_url: str) -> Path:
    """The example's settings point at this test's vhost and a temporary directory."""
    monkeypatch.setenv("BURROW_URL", amqp_url)
    monkeypatch.setenv("CLEANUP_DIR", str(tmp_path))
    return tmp_path


def files_in(directory: Path) -> list[Path]:
    return [path for path in directory.iterdir() if path.is_file()]


async def wait_until_empty(directory: Path) -> None:
    # The files themselves are what the user relies on, and nothing signals their deletion: poll.
    while await asyncio.to_thread(files_in, directory):  # noqa: ASYNC110
        await asyncio.sleep(0.02)


async def test_the_worker_deletes_every_file_the_app_publishes(cleanup_dir: Path, amqp_url: str) -> None:
    async with (
        app.router.lifespan_context(app),
        create_worker(amqp_url),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://example") as http,
    ):
        response = await http.post("/files", params={"delete_after": 1.5})
        assert response.status_code == 200
        answer = response.json()
        directory = Path(answer["directory"])
        assert answer["files"] == FILES_PER_REQUEST
        assert directory.parent == cleanup_dir
        # Durable delay: nothing is deleted before its time, everything after it.
        assert len(files_in(directory)) == FILES_PER_REQUEST
        await asyncio.wait_for(wait_until_empty(directory), timeout=30)


async def test_the_worker_dead_letters_a_path_outside_its_directory(
    cleanup_dir: Path, tmp_path_factory: pytest.TempPathFactory, amqp_url: str
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "keep.txt"
    outside.write_text("not a temporary file")
    async with Client.connect(amqp_url) as client, create_worker(amqp_url):
        await client.send(DeleteFile(path=str(outside)))
        headers = await asyncio.wait_for(first_dead_letter(amqp_url), timeout=30)
    assert outside.exists()
    assert headers["x-burrow-dead-reason"] == "handler-failed"
    assert headers["x-burrow-error-message"] == f"{outside} is outside {cleanup_dir}; refusing to touch it"


async def first_dead_letter(amqp_url: str) -> dict[str, Any]:
    connection = await aio_pika.connect(amqp_url)
    async with connection, connection.channel() as channel:
        queue = await channel.declare_queue("cleanup.dead", passive=True)
        async with queue.iterator() as messages:
            async for message in messages:
                await message.ack()
                return dict(message.headers)
    raise AssertionError("the dead-letter queue was closed before a message arrived")
