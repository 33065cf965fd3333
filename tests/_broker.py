"""The RabbitMQ the tests talk to, and its management API (vhosts, connections, queues)."""

from __future__ import annotations

import base64
import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from burrow.testing import LocalRabbitMQ


@dataclass
class TestBroker:
    """A RabbitMQ reachable over AMQP and HTTP; ``node`` is set when the session started it."""

    url: str
    management_url: str
    node: LocalRabbitMQ | None = None

    __test__ = False  # not a test class, despite the name

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        parts = urllib.parse.urlsplit(self.management_url)
        credentials = (
            f"{urllib.parse.unquote(parts.username or 'guest')}:{urllib.parse.unquote(parts.password or 'guest')}"
        )
        netloc = parts.hostname or "localhost"
        if parts.port:
            netloc += f":{parts.port}"
        request = urllib.request.Request(
            f"{parts.scheme}://{netloc}/api{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Authorization": "Basic " + base64.b64encode(credentials.encode()).decode(),
                "Content-Type": "application/json",
            },
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    @property
    def user(self) -> str:
        return urllib.parse.unquote(urllib.parse.urlsplit(self.url).username or "guest")

    def create_vhost(self, vhost: str) -> str:
        """Create ``vhost``, let the test user use it, and return its AMQP URL."""
        quoted = urllib.parse.quote(vhost, safe="")
        self._request("PUT", f"/vhosts/{quoted}")
        self._request("PUT", f"/permissions/{quoted}/{self.user}", {"configure": ".*", "write": ".*", "read": ".*"})
        parts = urllib.parse.urlsplit(self.url)
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + quoted, parts.query, ""))

    def delete_vhost(self, vhost: str) -> None:
        self._request("DELETE", f"/vhosts/{urllib.parse.quote(vhost, safe='')}")

    def connections(self, vhost: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._request("GET", f"/vhosts/{urllib.parse.quote(vhost, safe='')}/connections")
        return found

    def close_connections(self, vhost: str) -> int:
        """Close every client connection to ``vhost`` from the broker side."""
        closed = 0
        for connection in self.connections(vhost):
            name = urllib.parse.quote(connection["name"], safe="")
            self._request("DELETE", f"/connections/{name}")
            closed += 1
        return closed

    def queue(self, vhost: str, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self._request(
            "GET", f"/queues/{urllib.parse.quote(vhost, safe='')}/{urllib.parse.quote(name, safe='')}"
        )
        return found
