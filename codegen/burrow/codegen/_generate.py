"""Run the pipeline: contracts -> IR -> lock -> every configured output, as bytes by path."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from burrow.codegen._asyncapi import render_asyncapi, render_json_schema
from burrow.codegen._config import Config, LockClient
from burrow.codegen._errors import CodegenError
from burrow.codegen._inspect import build_lock
from burrow.codegen._ir import Lock
from burrow.codegen._lock import decode_lock, encode_lock, header, read_lock
from burrow.codegen._render_client import render_client
from burrow.codegen._render_server import render_server
from burrow.codegen._render_typescript import RUNTIME_NAME, render_typescript, typescript_runtime
from burrow.sdk import Service

__all__ = [
    "client_from_lock",
    "find_services",
    "generate",
    "stale_paths",
    "typescript_runtime_path",
    "write_outputs",
]


def find_services(modules: Iterable[str], root: Path) -> list[Service]:
    """Every ``sdk.Service`` defined at the top level of ``modules``."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))  # like `python -m`: contracts are found from the project root
    found: dict[int, Service] = {}
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise CodegenError(f"cannot import contracts module {name!r}: {exc}") from exc
        services = [value for value in vars(module).values() if isinstance(value, Service)]
        if not services:
            raise CodegenError(f"{name} defines no sdk.Service: declare one, e.g. cleanup = Service('cleanup')")
        found.update((id(service), service) for service in services)
    return list(found.values())


def generate(config: Config) -> dict[str, bytes]:
    """Every output of ``config`` by path (relative to its root), the lock first."""
    outputs: dict[str, bytes] = {}
    lock: Lock | None = None
    lock_data = b""
    if config.contracts:
        source = ", ".join(config.contracts)
        lock = build_lock(find_services(config.contracts, Path(config.root)), source=source)
        lock_data = encode_lock(lock)
        if config.lock:
            outputs[config.lock] = lock_data
        outputs.update(_from_contracts(config, lock, lock_data, source))
    elif any((config.client, config.server, config.asyncapi, config.json_schema)):
        raise CodegenError("name the contracts modules (contracts = [...] or --contracts) to generate from")
    for entry in config.lock_clients:
        if lock is not None and entry.lock == config.lock:
            outputs.update(_lock_client(lock, lock_data, entry))
        else:
            other, data = read_lock(config.path(entry.lock))
            outputs.update(_lock_client(other, data, entry))
    return outputs


def _from_contracts(config: Config, lock: Lock, lock_data: bytes, source: str) -> dict[str, bytes]:
    outputs: dict[str, bytes] = {}
    if config.client:
        code = render_client(lock, header=header(source, lock_data), local=False)
        outputs[config.client] = code.encode()
    if config.server:
        outputs[config.server] = render_server(lock, header=header(source, lock_data)).encode()
    if config.asyncapi:
        outputs[config.asyncapi] = render_asyncapi(lock, source=source, lock_data=lock_data)
    if config.json_schema:
        outputs[config.json_schema] = render_json_schema(lock, source=source, lock_data=lock_data)
    return outputs


def _lock_client(lock: Lock, lock_data: bytes, entry: LockClient) -> dict[str, bytes]:
    """The client's file, and for TypeScript the runtime beside it."""
    if entry.lang == "python":
        code = render_client(lock, header=header(entry.lock, lock_data), local=True, services=entry.services)
        return {entry.out: code.encode()}
    code = render_typescript(lock, header="//" + header(entry.lock, lock_data)[1:], services=entry.services)
    return {entry.out: code.encode(), typescript_runtime_path(entry.out): typescript_runtime().encode()}


def typescript_runtime_path(out: str) -> str:
    """Where the runtime of the TypeScript client at ``out`` goes: beside it."""
    return (Path(out).parent / RUNTIME_NAME).as_posix()


def client_from_lock(
    lock_data: bytes,
    *,
    source: str,
    services: list[str] | None = None,
    lang: Literal["python", "typescript"] = "python",
) -> str:
    """A self-contained client module from a lock's bytes: Python (its own types, depending only on ``sdk``)
    or TypeScript (importing the runtime from ``typescript_runtime()``, to write beside it)."""
    lock = decode_lock(lock_data, origin=source)
    if lang == "typescript":
        return render_typescript(lock, header="//" + header(source, lock_data)[1:], services=services)
    return render_client(lock, header=header(source, lock_data), local=True, services=services)


def write_outputs(outputs: dict[str, bytes], root: Path) -> list[str]:
    """Write the outputs that changed; return their paths."""
    written = []
    for relative, data in outputs.items():
        path = root / relative
        if path.exists() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(relative)
    return written


def stale_paths(outputs: dict[str, bytes], root: Path) -> list[str]:
    """The outputs whose file is missing or differs from what codegen would write."""
    return [relative for relative, data in outputs.items() if not _matches(root / relative, data)]


def _matches(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False
