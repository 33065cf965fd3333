"""Bind functions for ``burrow contracts verify`` in tests/docs/test_verify_cli.py."""

from __future__ import annotations

import tempfile
from pathlib import Path

from burrow.server import Context, Worker

from contracts.cleanup import DeleteFile
from contracts.generated.server import bind_cleanup
from examples.cleanup.worker import Cleanup

# Removed when the process exits (or the object is collected): the command imports this
# module and binds with it, and nothing would delete a directory made with mkdtemp.
_scratch = tempfile.TemporaryDirectory(prefix="burrow-verify-")


def bind(worker: Worker) -> None:
    """The example implementation, on a throw-away directory."""
    bind_cleanup(worker, Cleanup(Path(_scratch.name)))


async def _delete_file(task: DeleteFile, ctx: Context) -> None:
    pass


def bind_half(worker: Worker) -> None:
    """Forgets ``stat_file``."""
    worker.bind(DeleteFile, _delete_file)
