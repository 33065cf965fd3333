"""Type test: contract constructors check their fields. Each marked line errors with the marked code."""

from __future__ import annotations

from contracts.cleanup import DeleteFile, StatFile


def wrong_fields() -> None:
    DeleteFile(path=1)  # E: arg-type
    DeleteFile()  # E: call-arg
    DeleteFile(path="a", force=True)  # E: call-arg
    DeleteFile("a")  # E: call-arg
    StatFile(path=None)  # E: arg-type
