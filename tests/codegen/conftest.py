"""Shared helpers for the codegen tests: the example and rich contracts, as locks."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from burrow.codegen._inspect import build_lock
from burrow.codegen._ir import Lock
from burrow.codegen._lock import encode_lock

from tests.codegen import rich_contracts

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def rich_lock() -> Lock:
    return build_lock([rich_contracts.shapes], source="tests.codegen.rich_contracts")


@pytest.fixture(scope="session")
def rich_lock_data(rich_lock: Lock) -> bytes:
    return encode_lock(rich_lock)


def load_module(path: Path, name: str) -> ModuleType:
    """Import a generated module from a file under a unique name (msgspec resolves its annotations there)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
