"""Errors of the code generator."""

from __future__ import annotations

__all__ = ["CodegenError"]


class CodegenError(Exception):
    """Raised when contracts, a lock or the configuration cannot be turned into code.

    The message names the contract, type or field at fault and what to change.
    """
