"""The worker's ops endpoint: ``/healthz``, ``/readyz`` and ``/metrics`` over plain HTTP.

A few fixed GET routes for probes and scrapers need no web framework: this is
asyncio's own server answering HTTP/1.1 with ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from burrow.sdk import ConfigurationError

__all__ = ["OpsServer", "exposition"]

log = logging.getLogger("burrow.worker")

_MAX_REQUEST = 8192  # bytes of request line and headers; probes send a few hundred
_READ_TIMEOUT = 10.0  # seconds a client gets to send its request
_PLAIN = "text/plain; charset=utf-8"


class OpsServer:
    """Serves the probes of one worker.

    Args:
        ready: returns None when ready, else why not.
        metrics: returns the Prometheus exposition and its content type, or None for no metrics.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        ready: Callable[[], str | None],
        metrics: Callable[[], tuple[bytes, str] | None],
    ) -> None:
        self._host = host
        self._port = port
        self._ready = ready
        self._metrics = metrics
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The port it listens on (the one chosen by the system when asked for 0)."""
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._serve, self._host, self._port)
        except OSError as exc:  # taken, or not ours to bind: the deployment's settings are wrong
            raise ConfigurationError(
                f"cannot serve the ops endpoint on {self._host}:{self._port}: {exc.strerror or exc}"
            ) from exc
        log.info("serving /healthz, /readyz and /metrics on http://%s:%d/", self._host, self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_READ_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            status, content_type, body = self._answer(head)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError):
            writer.close()
            return
        except Exception:  # a fault here must not take the worker down; the prober sees a 500
            log.exception("the ops endpoint failed")
            status, content_type, body = "500 Internal Server Error", _PLAIN, b"internal error\n"
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
            + body
        )
        with contextlib.suppress(Exception):
            await writer.drain()
        writer.close()

    def _answer(self, head: bytes) -> tuple[str, str, bytes]:
        if len(head) > _MAX_REQUEST:
            return "431 Request Header Fields Too Large", _PLAIN, b"request too large\n"
        method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
        path = rest.split(" ", 1)[0].split("?", 1)[0]
        if method != "GET":
            return "405 Method Not Allowed", _PLAIN, b"GET only\n"
        if path == "/healthz":
            return "200 OK", _PLAIN, b"ok\n"  # answering at all shows the event loop runs
        if path == "/readyz":
            reason = self._ready()
            if reason is None:
                return "200 OK", _PLAIN, b"ready\n"
            return "503 Service Unavailable", _PLAIN, f"not ready: {reason}\n".encode()
        if path == "/metrics":
            exposition = self._metrics()
            if exposition is None:
                return "404 Not Found", _PLAIN, b"no metrics: install burrow.sdk.prometheus.MetricsHook\n"
            body, content_type = exposition
            return "200 OK", content_type, body
        return "404 Not Found", _PLAIN, b"not found: /healthz, /readyz, /metrics\n"


def exposition(registry: Any) -> tuple[bytes, str]:
    """``registry`` in the Prometheus text format (imports prometheus_client: only with a MetricsHook)."""
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    return generate_latest(registry), CONTENT_TYPE_LATEST
