"""Finding the user's code from the command line: ``MODULE`` and ``MODULE:ATTRIBUTE``."""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

from burrow.cli._errors import EXIT_USAGE, CommandError

__all__ = ["import_module", "import_target"]

_HINT = "run burrow from the folder that holds the package (it is searched first), or install the package"


def import_module(name: str) -> ModuleType:
    """Import ``name`` the way ``python -m`` would, from the current directory first."""
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise CommandError(f"no module named {name!r}", hint=_HINT, code=EXIT_USAGE) from exc
        raise CommandError(f"cannot import {name}: {exc}", code=EXIT_USAGE) from exc
    except Exception as exc:
        # The module itself failed (a syntax error, a failing import-time statement):
        # say where, in one line; --debug shows the traceback.
        raise CommandError(
            f"cannot import {name}: {type(exc).__name__}: {exc}",
            hint="run again with --debug for the traceback",
            code=EXIT_USAGE,
        ) from exc


def import_target(target: str) -> object:
    """The object at ``MODULE:ATTRIBUTE`` (attributes may be dotted: ``pkg.mod:app.worker``)."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise CommandError(
            f"expected MODULE:ATTRIBUTE, got {target!r}", hint="e.g. myservice.worker:worker", code=EXIT_USAGE
        )
    found: object = import_module(module_name)
    for part in attribute.split("."):
        if not hasattr(found, part):
            raise CommandError(f"{module_name} has no attribute {attribute!r}", code=EXIT_USAGE)
        found = getattr(found, part)
    return found
