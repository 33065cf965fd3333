"""The error envelope: what a call's reply holds when the handler produced no result.

A reply whose ``x-burrow-reply`` header is ``error`` has an ``ErrorEnvelope`` as
its body, in the request's content type (``docs/calls.md`` describes it for
clients in other languages). Errors cross the wire as this data, never pickled.
"""

from __future__ import annotations

import enum
from typing import Any

import msgspec

__all__ = ["ErrorCode", "ErrorEnvelope"]


class ErrorCode(enum.StrEnum):
    """Why a call has no result (the envelope's ``code``)."""

    DECLARED = "declared"  # the handler answered with a declared error; ``data`` holds it
    FAILED = "failed"  # the handler raised an undeclared exception
    EXPIRED = "expired"  # the request reached a worker after its deadline and was not run
    BAD_REQUEST = "bad-request"  # the worker could not decode the request or does not serve it


class ErrorEnvelope(msgspec.Struct, frozen=True, kw_only=True):
    """A call's error reply.

    Attributes:
        code: one of ``ErrorCode``'s values; callers treat unknown codes as ``failed``.
        type: for ``declared``, the error Struct's name as declared on the contract
            (``FileMissing``); for ``failed``, the exception's type name (``ValueError``).
        message: a human-readable description; never a traceback.
        data: for ``declared``, the error Struct's fields; otherwise null.
    """

    code: str
    type: str = ""
    message: str = ""
    data: Any = None
