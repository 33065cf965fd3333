"""Settings the example app and worker share, read from the environment.

The broker is Burrow's own default: ``$BURROW_URL``, then ``$RABBITMQ_URL``, then localhost.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["temp_dir"]


def temp_dir() -> Path:
    """Where the app writes temporary files (``$CLEANUP_DIR``); the worker deletes only there."""
    return Path(os.environ.get("CLEANUP_DIR") or Path(tempfile.gettempdir()) / "burrow-cleanup").resolve()
