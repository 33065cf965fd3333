"""``burrow codegen``: write, check, or build a client from a lock.

- ``burrow codegen`` writes the lock and every output;
- ``burrow codegen check`` exits 1 if any of them is stale;
- ``burrow codegen client --from LOCK --out FILE [--lang typescript]`` writes a self-contained client
  from a lock alone (TypeScript: with its runtime, ``burrow-runtime.ts``, beside it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import msgspec
from burrow.codegen._config import Config, LockClient, load_config
from burrow.codegen._errors import CodegenError
from burrow.codegen._generate import client_from_lock, generate, stale_paths, typescript_runtime_path, write_outputs
from burrow.codegen._render_typescript import typescript_runtime

__all__ = ["add_codegen_command"]

_OUTPUTS = ("lock", "client", "server", "asyncapi", "json_schema")


def add_codegen_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "codegen",
        help="generate the lock, typed client and server, AsyncAPI and JSON Schema from contracts",
        description="Generate every output configured in [tool.burrow.codegen] (pyproject.toml) or on the "
        "command line. Outputs are deterministic: run it again and nothing changes.",
    )
    _add_options(parser)
    parser.set_defaults(run=_run_write)
    actions = parser.add_subparsers(title="actions", required=False)
    check = actions.add_parser(
        "check",
        help="exit 1 if the lock or any generated file is stale; writes nothing",
        description="Generate every output in memory and compare it with the files: exit 1 and name each "
        "stale file when any differs, 2 when there is nothing configured to check. Writes nothing.",
    )
    _add_options(check)
    check.set_defaults(run=_run_check)
    client = actions.add_parser("client", help="write a self-contained client module from a lock alone")
    client.add_argument("--from", dest="lock_file", required=True, metavar="LOCK", help="a burrow.lock.json")
    client.add_argument("--out", required=True, metavar="FILE", help="the module to write ('-' for stdout)")
    client.add_argument("--service", action="append", dest="services", help="only this service (repeatable)")
    client.add_argument(
        "--lang",
        choices=["python", "typescript"],
        default="python",
        help="the client's language; typescript also writes burrow-runtime.ts beside --out",
    )
    client.set_defaults(run=_run_client)


def _add_options(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS leaves unset options out of the namespace, so the file's settings stand.
    unset = argparse.SUPPRESS
    parser.add_argument("--config", type=Path, default=unset, help="pyproject.toml to read (default: ./)")
    parser.add_argument("--contracts", nargs="+", default=unset, metavar="MODULE", help="contracts modules")
    for name in _OUTPUTS:
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, dest=name, default=unset, metavar="PATH", help=f"where to write the {name}")


def _config(args: argparse.Namespace) -> Config:
    config = load_config(getattr(args, "config", None))
    overrides = {name: getattr(args, name) for name in ("contracts", *_OUTPUTS) if hasattr(args, name)}
    # Paths given on the command line, like those in the file, are relative to its directory.
    return msgspec.structs.replace(config, **overrides) if overrides else config


def _run_write(args: argparse.Namespace) -> int:
    return _write(_config(args))


def _write(config: Config) -> int:
    outputs = generate(config)
    if not outputs:
        raise CodegenError("nothing to generate: configure [tool.burrow.codegen] or pass --contracts and outputs")
    written = write_outputs(outputs, Path(config.root))
    for path in written:
        print(f"wrote {path}")
    print(f"burrow codegen: {len(outputs)} files, {len(written)} changed")
    return 0


def _run_check(args: argparse.Namespace) -> int:
    return _check(_config(args))


def _check(config: Config) -> int:
    outputs = generate(config)
    if not outputs:
        raise CodegenError(
            "nothing to check: no [tool.burrow.codegen] in pyproject.toml here, and no --contracts with outputs"
        )
    stale = stale_paths(outputs, Path(config.root))
    for path in stale:
        print(f"{path} is stale: regenerate with `burrow codegen`", file=sys.stderr)
    if not stale:
        print(f"burrow codegen check: {len(outputs)} files up to date")
    return 1 if stale else 0


def _run_client(args: argparse.Namespace) -> int:
    return _client(LockClient(lock=args.lock_file, out=args.out, services=args.services, lang=args.lang))


def _client(entry: LockClient) -> int:
    try:
        data = Path(entry.lock).read_bytes()
    except OSError as exc:
        raise CodegenError(f"cannot read the lock {entry.lock}: {exc.strerror}") from exc
    code = client_from_lock(data, source=Path(entry.lock).as_posix(), services=entry.services, lang=entry.lang)
    if entry.out == "-":
        sys.stdout.write(code)
        return 0
    files = {entry.out: code}
    if entry.lang == "typescript":
        files[typescript_runtime_path(entry.out)] = typescript_runtime()
    for path, text in files.items():
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8", newline="\n")
    return 0
