"""Every Python snippet in docs/ type-checks against the real API, with ``mypy --strict``.

Whole files (```` ```python file=... ````) run in tests/outside, and the pages listed
in ``QUOTED`` show code that other tests run; the rest are fragments. Each fragment
is checked on its own, as the body of a coroutine after a prelude that defines what
the pages take as given (``client``, ``worker``, the example's contracts), so a renamed method, a wrong
argument or a changed result type in a snippet fails here.
"""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Pages whose snippets are quotes of code that a test runs (and checks the quote).
QUOTED = {
    "getting-started.md": "tests/outside builds and runs its files",
    "testing-your-service.md": "tests/docs/test_docs_in_sync.py",
    "schedules.md": "tests/docs/test_schedules_doc.py",
    "observability.md": "tests/docs/test_observability_doc.py",
}

PRELUDE = """\
from __future__ import annotations

import logging
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import msgspec
from burrow import codegen
from burrow.sdk import Call, DeclaredError, ManualClock, MemoryBroker, RetryPolicy, Service, Task
from burrow.server import Context, DeadLetters, Worker

from contracts.cleanup import DeleteFile, FileInfo, FileMissing, StatFile, cleanup
from contracts.generated.client import Client

url = "amqp://guest:guest@localhost/"
log = logging.getLogger("docs")
client = Client.connect(url)
worker = Worker(url)
message_id = "0123"
path = Path("contracts/burrow.lock.json")
body = b"{}"


async def delete_file(task: Any, ctx: Context) -> None: ...  # Any: a page may redefine DeleteFile


# The snippet, in a coroutine: pages show `await` and `async with` at the top level.
async def snippet() -> None:
"""

_BLOCK = re.compile(r"^```python\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def snippets() -> list[tuple[str, str]]:
    """(page:line, code) of each fragment to check."""
    found = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        if page.name in QUOTED:
            continue
        text = page.read_text()
        for block in _BLOCK.finditer(text):
            if "# E:" in block["body"]:  # a deliberate type error, shown as one (docs/testing.md)
                continue
            line = text.count("\n", 0, block.start()) + 1
            found.append((f"{page.name}:{line}", block["body"]))
    return found


def test_there_are_snippets_to_check() -> None:
    assert len(snippets()) >= 10


def test_every_snippet_compiles() -> None:
    import ast

    for where, code in snippets():
        try:
            compile(code, where, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT | ast.PyCF_ONLY_AST)
        except SyntaxError as exc:
            pytest.fail(f"docs/{where}: {exc}")


def test_every_snippet_type_checks(tmp_path: Path) -> None:
    files: dict[str, str] = {}
    for where, code in snippets():
        name = "snippet_" + re.sub(r"\W", "_", where) + ".py"
        (tmp_path / name).write_text(PRELUDE + textwrap.indent(textwrap.dedent(code), "    "))
        files[name] = where
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--no-error-summary"]
    # A fragment may redefine what the prelude imports and elide a body with `...`:
    # neither is an error in a page.
    lenient = ["--disable-error-code", "no-redef", "--disable-error-code", "empty-body"]
    done = subprocess.run(
        [*mypy, *lenient, "--config-file", str(ROOT / "pyproject.toml"), *(str(tmp_path / name) for name in files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    prelude_lines = PRELUDE.count("\n")
    errors = []
    for line in done.stdout.splitlines():
        match = re.match(r".*?(snippet_\w+\.py):(\d+): (.*)", line)
        if match:
            errors.append(f"docs/{files[match[1]]} (+{int(match[2]) - prelude_lines}): {match[3]}")
        elif line.strip():
            errors.append(line)
    assert errors == [], "\n".join(errors)
