"""Type test: wrong calls of generated client methods are type errors.

Each marked line names the mypy error code expected on it.
"""

from __future__ import annotations

from contracts.generated.client import Client
from examples.billing import cleanup_client as from_lock


async def wrong_calls(client: Client, other: from_lock.Client) -> None:
    await client.cleanup.delete_file(42)  # E: arg-type
    await client.cleanup.delete_file()  # E: call-arg
    await client.cleanup.delete_file("x", timeout=5)  # E: call-arg
    await client.cleanup.stat_file("x", delay=5)  # E: call-arg
    await client.cleanup.stat_file("x", timeout="5")  # E: arg-type
    size: int = await client.cleanup.stat_file("x")  # E: assignment
    print(size)
    await other.cleanup.stat_file(b"x")  # E: arg-type
    await client.cleanup.remove_file("x")  # E: attr-defined
