"""A TCP proxy in front of the broker that a test can cut, to play a network outage."""

from __future__ import annotations

import asyncio
import contextlib
import urllib.parse
from collections.abc import AsyncIterator


class Proxy:
    """Forwards connections to ``target_host:target_port`` until ``cut()``.

    While cut, existing connections are closed and new ones are refused, as when
    the broker's host is unreachable; ``restore()`` accepts connections again on
    the same port.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.Task[None]] = set()

    @classmethod
    @contextlib.asynccontextmanager
    async def to(cls, url: str) -> AsyncIterator[tuple[Proxy, str]]:
        """A proxy to the broker at ``url``, and the same URL through the proxy."""
        parts = urllib.parse.urlsplit(url)
        proxy = cls(parts.hostname or "localhost", parts.port or 5672)
        await proxy.restore()
        netloc = f"{parts.username}:{parts.password}@127.0.0.1:{proxy.port}"
        try:
            yield proxy, urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        finally:
            await proxy.cut()

    async def restore(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for pipe in list(self._pipes):
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            broker_reader, broker_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        for reader, writer in ((client_reader, broker_writer), (broker_reader, client_writer)):
            task = asyncio.create_task(self._pipe(reader, writer, (client_writer, broker_writer)))
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    @staticmethod
    async def _pipe(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, both: tuple[asyncio.StreamWriter, ...]
    ) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            for end in both:
                end.close()
