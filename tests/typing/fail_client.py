"""Type test: sends and calls that must not type-check. Each marked line errors with the marked code."""

from __future__ import annotations

from burrow.sdk import Client

from contracts.cleanup import DeleteFile, FileInfo, StatFile


async def wrong_sends(client: Client) -> None:
    await client.send(StatFile(path="a.png"))  # E: arg-type
    await client.call(DeleteFile(path="a.png"))  # E: arg-type
    await client.send(FileInfo(path="a.png", size=1, modified_at=0.0))  # E: arg-type
    await client.send_many([StatFile(path="a.png")])  # E: list-item
    name: str = await client.call(StatFile(path="a.png"))  # E: arg-type
    await client.send(DeleteFile(path="a.png"), delay="soon")  # E: arg-type
    print(name)
