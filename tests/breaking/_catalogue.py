"""Every fixture case, by ``module:name``, for parametrized tests."""

from __future__ import annotations

import importlib
import pkgutil

from tests.breaking import fixtures
from tests.breaking._case import Case

__all__ = ["CASES"]


def _collect() -> dict[str, Case]:
    found: dict[str, Case] = {}
    for module in sorted(pkgutil.iter_modules(fixtures.__path__), key=lambda m: m.name):
        cases: dict[str, Case] = importlib.import_module(f"{fixtures.__name__}.{module.name}").CASES
        found.update({f"{module.name}:{name}": case for name, case in cases.items()})
    return found


CASES = _collect()
