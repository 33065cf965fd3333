"""The ``burrow`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    # The worker command lives with the worker runtime; this is the one place
    # where the command line joins the packages together.
    from burrow.codegen._breaking import add_contracts_command
    from burrow.codegen._commands import add_codegen_command
    from burrow.server._cli import add_worker_command
    from burrow.server._dead_cli import add_dead_command

    parser = argparse.ArgumentParser(prog="burrow", description="Typed task and RPC services on RabbitMQ.")
    commands = parser.add_subparsers(title="commands", required=True)
    add_codegen_command(commands)
    add_contracts_command(commands)
    add_worker_command(commands)
    add_dead_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
