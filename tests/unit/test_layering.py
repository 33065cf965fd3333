"""The portions of ``burrow`` import one another in one direction only (docs: the design's layout).

``burrow.sdk`` is what a caller installs the library for: it never pulls the
worker in. The runtime (``burrow.sdk``, ``burrow.server``, ``burrow.testing``)
never imports the code generator or the command line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "sdk/burrow/sdk": ("burrow.server", "burrow.testing", "burrow.codegen", "burrow.cli"),
    "server/burrow/server": ("burrow.testing", "burrow.codegen", "burrow.cli"),
    "server/burrow/testing": ("burrow.codegen", "burrow.cli"),
}


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("portion", sorted(FORBIDDEN))
def test_a_portion_does_not_import_the_layers_above_it(portion: str) -> None:
    files = sorted((ROOT / portion).rglob("*.py"))
    assert files
    offending = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in _imported_modules(path)
        if module.startswith(FORBIDDEN[portion])
    }
    assert offending == set()
