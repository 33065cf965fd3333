"""Codegen settings: ``[tool.burrow.codegen]`` in pyproject.toml, overridable on the command line.

    [tool.burrow.codegen]
    contracts = ["contracts.cleanup"]            # modules defining burrow.sdk.Service objects
    lock = "contracts/burrow.lock.json"
    client = "contracts/generated/client.py"     # each output is optional
    server = "contracts/generated/server.py"
    asyncapi = "contracts/generated/asyncapi.json"
    json-schema = "contracts/generated/schema.json"

    [[tool.burrow.codegen.lock-clients]]         # clients built from a lock alone
    lock = "contracts/burrow.lock.json"
    out = "examples/billing/cleanup_client.py"
    services = ["cleanup"]                        # optional: default all
    lang = "python"                               # or "typescript" (writes burrow-runtime.ts beside it)

Paths are relative to the directory holding pyproject.toml.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

import msgspec
from burrow.codegen._errors import CodegenError

__all__ = ["Config", "LockClient", "load_config"]


class LockClient(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    lock: str
    out: str
    services: list[str] | None = None
    lang: Literal["python", "typescript"] = "python"


class Config(msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename="kebab"):
    """Where contracts are and where each output goes; ``root`` anchors relative paths."""

    contracts: list[str] = []
    lock: str | None = None
    client: str | None = None
    server: str | None = None
    asyncapi: str | None = None
    json_schema: str | None = None
    lock_clients: list[LockClient] = []
    root: str = "."

    def path(self, relative: str) -> Path:
        return Path(self.root) / relative


def load_config(pyproject: Path | None) -> Config:
    """The ``[tool.burrow.codegen]`` table of ``pyproject`` (default: ./pyproject.toml, if present)."""
    path = pyproject or Path("pyproject.toml")
    if not path.exists():
        if pyproject is not None:
            raise CodegenError(f"{path} does not exist")
        return Config()
    with path.open("rb") as file:
        table = tomllib.load(file).get("tool", {}).get("burrow", {}).get("codegen", {})
    try:
        config = msgspec.convert(table, Config)
    except msgspec.ValidationError as exc:
        raise CodegenError(f"{path} [tool.burrow.codegen]: {exc}") from exc
    return msgspec.structs.replace(config, root=str(path.parent))
