"""The ``burrow`` command line: ``burrow --help`` lists its commands."""

from burrow.cli._main import main

__all__ = ["main"]
