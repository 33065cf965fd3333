"""The ``billing`` service: it calls ``cleanup`` through a client generated from cleanup's lock alone.

    burrow codegen client --from contracts/burrow.lock.json --out examples/billing/cleanup_client.py

``cleanup_client`` defines its own copies of cleanup's types and needs only the
``sdk`` runtime: billing never imports the ``contracts`` package, as a service in
another repository could not.

    python -m examples.billing.service amqp://localhost/ invoices/2024-001.pdf
"""

from __future__ import annotations

import asyncio
import sys

from examples.billing.cleanup_client import Client, FileInfo

__all__ = ["archive_invoice", "discard_invoice", "expire_download"]


async def discard_invoice(client: Client, pdf: str) -> None:
    """Delete an invoice's rendered PDF now (fire-and-forget, confirmed by the broker)."""
    await client.cleanup.delete_file(pdf)


async def expire_download(client: Client, pdf: str, *, after: float) -> None:
    """Delete a download link's file ``after`` seconds from now; the delay is durable."""
    await client.cleanup.delete_file(pdf, delay=after)


async def archive_invoice(client: Client, pdf: str) -> FileInfo:
    """Record the PDF's size before it is archived: a call with a typed result."""
    return await client.cleanup.stat_file(pdf, timeout=5)


async def main(url: str, pdf: str) -> None:
    async with Client.connect(url, app_id="billing") as client:
        await discard_invoice(client, pdf)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
