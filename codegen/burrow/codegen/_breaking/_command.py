"""``burrow contracts breaking --against <old lock | git ref>``.

Exit status: 0 when nothing fails the policy, 1 on a break, a change of meaning
or a hygiene finding the policy fails on, 2 when a lock or the configuration cannot be read.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from burrow.codegen._breaking._contracts import compare_locks
from burrow.codegen._breaking._policy import load_breaking_config
from burrow.codegen._breaking._report import judge, render_json, render_text
from burrow.codegen._breaking._witness import prove
from burrow.codegen._config import load_config
from burrow.codegen._errors import CodegenError
from burrow.codegen._generate import find_services
from burrow.codegen._inspect import build_lock
from burrow.codegen._lock import decode_lock, encode_lock, read_lock
from burrow.codegen._verify_command import add_verify_action

__all__ = ["add_contracts_command"]


class MissingBaseError(CodegenError):
    """Raised when the ``--against`` ref or its lock does not exist (``--missing-ok`` skips the check)."""


def add_contracts_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("contracts", help="contract tests: the breaking-change checker and verify")
    actions = parser.add_subparsers(title="actions", required=True)
    breaking = actions.add_parser(
        "breaking",
        help="compare the lock with an older one and fail on changes that break old messages or old readers",
        description="Compare the lock with an older lock file or the lock at a git ref. Exit 1 on a break the "
        "policy in [tool.burrow.breaking] requires to be caught, 2 when a lock cannot be read.",
    )
    breaking.add_argument(
        "--against", required=True, metavar="LOCK|REF", help="an old lock file, a git ref, or REF:PATH"
    )
    breaking.add_argument("--lock", metavar="PATH", help="the new lock (default: the lock of [tool.burrow.codegen])")
    breaking.add_argument(
        "--config", type=Path, metavar="PATH", help="pyproject.toml to read (default: ./pyproject.toml)"
    )
    breaking.add_argument("--format", choices=("text", "json"), default="text")
    breaking.add_argument("--missing-ok", action="store_true", help="exit 0 when the ref or its lock does not exist")
    breaking.add_argument(
        "--explain", action="store_true", help="print each change's witness: the message and what the reader does"
    )
    breaking.set_defaults(run=_run)
    add_verify_action(actions)


def _run(args: argparse.Namespace) -> int:
    # Other failures (CodegenError) reach the command line's handler: one line, exit 2.
    try:
        return _check(args)
    except MissingBaseError as exc:
        if not args.missing_ok:
            raise
        print(f"burrow contracts breaking: nothing to compare against, skipped ({exc})", file=sys.stderr)
        return 0


def _check(args: argparse.Namespace) -> int:
    lock_path = Path(args.lock) if args.lock else _configured_lock(args.config)
    if not args.lock:
        _refuse_a_stale_lock(args.config, lock_path)
    new, _ = read_lock(lock_path)
    old_data, old_name = read_against(args.against, lock_path)
    old = decode_lock(old_data, origin=old_name)
    config = load_breaking_config(args.config)
    report = judge(prove(old, new, compare_locks(old, new)), config, old=old_name, new=str(lock_path))
    if args.format == "json":
        sys.stdout.buffer.write(render_json(report))
    else:
        sys.stdout.write(render_text(report, explain=args.explain))
    return 1 if report.breaking else 0


def _configured_lock(pyproject: Path | None) -> Path:
    config = load_config(pyproject)
    if config.lock is None:
        raise CodegenError("no lock to check: set lock in [tool.burrow.codegen] or pass --lock")
    return config.path(config.lock)


def _refuse_a_stale_lock(pyproject: Path | None, lock_path: Path) -> None:
    # The check compares lock files: after a contract edit without `burrow codegen`
    # it would compare the old lock with itself and report nothing.
    config = load_config(pyproject)
    if not config.contracts:
        return
    source = ", ".join(config.contracts)  # as `burrow codegen` names it, so equal locks are equal bytes
    current = encode_lock(build_lock(find_services(config.contracts, Path(config.root)), source=source))
    if not lock_path.is_file() or lock_path.read_bytes() != current:
        raise CodegenError(
            f"{lock_path} does not match the contracts ({', '.join(config.contracts)}): "
            "regenerate it with `burrow codegen`, then check"
        )


def read_against(against: str, lock_path: Path) -> tuple[bytes, str]:
    """The old lock's bytes and a name for it: a file, ``REF:PATH``, or the new lock's path at ``REF``."""
    if Path(against).is_file():
        return Path(against).read_bytes(), against
    where = lock_path.resolve().parent
    spec = against if ":" in against else f"{against}:{_repo_path(lock_path, where)}"
    shown = _git(["show", spec], where)
    if shown.returncode != 0:
        raise MissingBaseError(f"cannot read {spec} from git: {shown.stderr.decode().strip()}")
    return shown.stdout, spec


def _repo_path(lock_path: Path, where: Path) -> str:
    top = _git(["rev-parse", "--show-toplevel"], where)
    if top.returncode != 0:
        raise MissingBaseError(f"--against is neither a file nor usable as a git ref: {top.stderr.decode().strip()}")
    return lock_path.resolve().relative_to(Path(top.stdout.decode().strip()).resolve()).as_posix()


def _git(arguments: list[str], where: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *arguments], cwd=where, capture_output=True, check=False)
