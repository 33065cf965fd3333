"""``burrow contracts verify MODULE:BIND``: the contract tests of ``burrow.testing.verify_contracts``.

Exit status: 0 when every example passes, 1 when one fails, 2 when the target or
the configuration cannot be loaded.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from burrow.cli._targets import import_module, import_target
from burrow.codegen._config import load_config
from burrow.codegen._errors import CodegenError

__all__ = ["add_verify_action"]


def add_verify_action(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verify = actions.add_parser(
        "verify",
        help="run every contract's examples through an implementation on the in-memory broker",
        description="Bind the implementation with the function at MODULE:ATTRIBUTE (it takes a Worker, e.g. "
        "lambda worker: bind_cleanup(worker, Cleanup())) and check that it serves every contract of the "
        "contract modules. Exit 1 when an example fails, 2 when something cannot be loaded.",
    )
    verify.add_argument("target", metavar="MODULE:ATTRIBUTE")
    verify.add_argument(
        "--contracts",
        action="append",
        metavar="MODULE",
        help="a module defining services (repeatable; default: contracts of [tool.burrow.codegen])",
    )
    verify.add_argument(
        "--config", type=Path, metavar="PATH", help="pyproject.toml to read (default: ./pyproject.toml)"
    )
    verify.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from burrow.testing import verify_contracts  # the testing helpers load only for this command

    modules = _contract_modules(args.contracts, args.config)
    bind = _load(args.target)
    report = asyncio.run(verify_contracts(modules, bind))
    print(report)
    return 0 if report.ok else 1


def _contract_modules(names: list[str] | None, config: Path | None) -> list[ModuleType]:
    names = names or load_config(config).contracts
    if not names:
        raise CodegenError("no contract modules: pass --contracts MODULE or set [tool.burrow.codegen] contracts")
    return [import_module(name) for name in names]


def _load(target: str) -> Callable[..., Any]:
    found = import_target(target)
    if not callable(found):
        raise CodegenError(f"{target} is {type(found).__name__}, not a function taking a Worker")
    bind: Callable[..., Any] = found
    return bind
