"""Settings the example app and worker share, read from the environment."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["broker_url", "temp_dir"]


def broker_url() -> str:
    """``$BURROW_URL``, then ``$RABBITMQ_URL``, then a broker on localhost."""
    return os.environ.get("BURROW_URL") or os.environ.get("RABBITMQ_URL") or "amqp://guest:guest@localhost/"


def temp_dir() -> Path:
    """Where the app writes temporary files (``$CLEANUP_DIR``); the worker deletes only there."""
    return Path(os.environ.get("CLEANUP_DIR") or Path(tempfile.gettempdir()) / "burrow-cleanup").resolve()
