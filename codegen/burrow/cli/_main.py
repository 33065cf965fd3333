"""The ``burrow`` command line: parse, run one command, turn failures into one line and an exit code."""

from __future__ import annotations

import argparse
import importlib.metadata
import logging
import sys
from collections.abc import Sequence
from typing import NoReturn, cast

from burrow.cli._errors import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, report

__all__ = ["build_parser", "main"]

_DESCRIPTION = """Typed task and RPC services on RabbitMQ.

exit codes: 0 success, 1 a check found problems, 2 usage or configuration,
3 the broker (unreachable, credentials, missing queue), 70 unexpected error, 130 interrupted."""


class _Parser(argparse.ArgumentParser):
    """Reports usage errors like every other failure: one line, a hint, exit 2."""

    def error(self, message: str) -> NoReturn:
        print(f"burrow: error: {message}", file=sys.stderr)
        print(f"hint: see `{self.prog} --help`", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    # The one place where the command line joins the packages together.
    from burrow.cli._dead import add_dead_command
    from burrow.cli._schedules import add_schedules_command
    from burrow.cli._worker import add_worker_command
    from burrow.codegen._breaking import add_contracts_command
    from burrow.codegen._commands import add_codegen_command

    parser = _Parser(prog="burrow", description=_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"burrow {_version()}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of a failure")
    # Subcommands are parsed by _Parser too; the commands only need the base type.
    commands = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(title="commands", metavar="COMMAND"),
    )
    add_codegen_command(commands)
    add_contracts_command(commands)
    add_worker_command(commands)
    add_dead_command(commands)
    add_schedules_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``burrow`` command with ``argv`` (default: the process's); return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_OK
    # The broker client logs a connection failure that the command reports itself, in one line.
    logging.getLogger("aiormq.connection").setLevel(logging.CRITICAL)
    try:
        code: int = args.run(args)
    except KeyboardInterrupt:
        print("burrow: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        return report(exc)
    return code


def _version() -> str:
    try:
        return importlib.metadata.version("burrow-mq")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"
