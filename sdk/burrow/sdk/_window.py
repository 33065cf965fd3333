"""A sliding window of sends: at most ``size`` waiting for their confirms, failures kept by index.

``Client.send_many`` feeds it one task at a time from an iterable that may be
endless, so nothing here may grow with the number of tasks sent, only with the
number of failures.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from functools import partial
from typing import TypeVar

from burrow.sdk._errors import ConfigurationError, Unroutable

__all__ = ["DEFAULT_WINDOW", "Window"]

T = TypeVar("T")

DEFAULT_WINDOW = 256
"""Sends in flight by default: enough to keep the connection busy while confirms
come back, few enough that a burst holds a few hundred messages in memory at most."""


class Window:
    """Sends started with ``add``, at most ``size`` of them unsettled at once.

    Each failure gets a note ``task #<index>`` and is kept in ``failures``; an
    ``Unroutable`` one also calls ``unroutable(service)`` (the client then
    declares the service again at its next send).
    """

    __slots__ = ("_room", "_settled", "_unroutable", "failures", "interrupted", "pending", "size")

    def __init__(self, size: int, unroutable: Callable[[str], None]) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigurationError(f"window must be a positive number of sends, got {size!r}")
        self.size = size
        self.pending: set[asyncio.Future[None]] = set()
        self.failures: list[Exception] = []
        self.interrupted: BaseException | None = None  # a send ended by something other than an Exception
        self._room: asyncio.Future[None] | None = None
        self._unroutable = unroutable
        self._settled = self._on_settled  # one bound method, not one per send

    @property
    def full(self) -> bool:
        return len(self.pending) >= self.size

    async def run(
        self,
        items: Iterable[T] | AsyncIterable[T],
        start: Callable[[int, T], tuple[str, Awaitable[None]]],
        first: Callable[[T], Awaitable[None]],
    ) -> int:
        """Send every item, ``start(index, item)`` giving its service and send; return how many.

        ``first(item)`` is awaited before the first item's send starts. Returns
        once every send has settled; the failures are in ``failures``. An
        exception raised by ``items`` is raised once the sends before it settled;
        if cancelled, the sends in flight are cancelled.
        """
        count = 0
        try:
            if isinstance(items, AsyncIterable):
                async for item in items:
                    await self._next(count, item, start, first)
                    count += 1
            else:
                for item in items:
                    await self._next(count, item, start, first)
                    count += 1
        except Exception:
            await self._settle()  # the items taken before the stream failed are sent, as promised
            raise
        except BaseException:
            await self.cancel()
            raise
        await self._settle()
        return count

    async def _next(
        self,
        index: int,
        item: T,
        start: Callable[[int, T], tuple[str, Awaitable[None]]],
        first: Callable[[T], Awaitable[None]],
    ) -> None:
        if len(self.pending) >= self.size:
            await self.room()
        if index:
            self.add(index, *start(index, item))
            return
        await first(item)
        self.add(index, *start(index, item))
        await asyncio.sleep(0)  # put the first item on the wire before the stream produces the next

    async def _settle(self) -> None:
        try:
            await self.drain()
        except BaseException:
            await self.cancel()
            raise

    def add(self, index: int, service: str, send: Awaitable[None]) -> None:
        """Start ``send`` (the ``index``-th task's, to ``service``) now."""
        future = asyncio.ensure_future(send)
        self.pending.add(future)
        future.add_done_callback(partial(self._settled, index, service))

    async def room(self) -> None:
        """Return once fewer than ``size`` sends are in flight."""
        while self.full:
            self._room = asyncio.get_running_loop().create_future()
            await self._room

    async def drain(self) -> None:
        """Return once every send started has settled."""
        while self.pending:
            await asyncio.wait(self.pending)

    async def cancel(self) -> None:
        """Cancel the sends in flight and wait until they have settled."""
        for future in self.pending:
            future.cancel()
        while self.pending:
            await asyncio.wait(self.pending)

    def _on_settled(self, index: int, service: str, future: asyncio.Future[None]) -> None:
        self.pending.discard(future)
        if future.cancelled():
            # By ``cancel`` (the caller then raises CancelledError itself), or by the transport.
            if self.interrupted is None:
                self.interrupted = asyncio.CancelledError(f"the send of task #{index} was cancelled")
        elif (error := future.exception()) is not None:
            if isinstance(error, Exception):
                if isinstance(error, Unroutable):
                    self._unroutable(service)
                error.add_note(f"task #{index}")
                self.failures.append(error)
            elif self.interrupted is None:
                self.interrupted = error
        room = self._room
        if room is not None and not room.done() and len(self.pending) < self.size:
            room.set_result(None)
