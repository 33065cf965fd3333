"""A FastAPI app that makes temporary files and has the ``cleanup`` service delete them.

    uvicorn examples.cleanup.app:app

The client is opened once in the lifespan and shared by every request.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from pydantic import BaseModel

from contracts.generated.client import Client
from examples.cleanup.settings import temp_dir

__all__ = ["DEFAULT_DELETE_AFTER", "FILES_PER_REQUEST", "app", "delete_later"]

FILES_PER_REQUEST = 150
DEFAULT_DELETE_AFTER = 60.0  # seconds the files stay around


class Published(BaseModel):
    status: str
    directory: str
    files: int
    delete_after: float


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The broker at $BURROW_URL, else $RABBITMQ_URL, else localhost, as for the worker.
    async with Client.connect(app_id="cleanup-example") as client:
        app.state.client = client
        yield


def get_client(request: Request) -> Client:
    client: Client = request.app.state.client
    return client


app = FastAPI(title="Burrow cleanup example", lifespan=lifespan)


async def delete_later(client: Client, paths: Iterable[Path], *, after: float) -> None:
    """Have the ``cleanup`` service delete the files ``after`` seconds from now.

    Returns once the broker has stored every task; the delay is durable (it lives
    in the broker, survives restarts and holds nothing in any worker's memory).
    """
    await asyncio.gather(*(client.cleanup.delete_file(str(path), delay=after) for path in paths))


def make_temporary_files(count: int) -> tuple[Path, list[Path]]:
    """Stand-in for real work that leaves files behind (thumbnails, uploads, exports)."""
    root = temp_dir()
    root.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix="request-", dir=root))
    paths = [directory / f"temp-{index:03}.png" for index in range(count)]
    for path in paths:
        path.write_bytes(b"\x89PNG\r\n\x1a\n")
    return directory, paths


@app.post("/files")
async def create_files(
    client: Annotated[Client, Depends(get_client)],
    delete_after: Annotated[float, Query(ge=0, description="seconds before the files are deleted")] = (
        DEFAULT_DELETE_AFTER
    ),
) -> Published:
    """Create temporary files and have the cleanup service delete them later."""
    directory, paths = await asyncio.to_thread(make_temporary_files, FILES_PER_REQUEST)
    await delete_later(client, paths, after=delete_after)
    return Published(status="published", directory=str(directory), files=len(paths), delete_after=delete_after)
