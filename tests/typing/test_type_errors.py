"""Run mypy on ``tests/typing/fail_*.py``: exactly the marked lines must fail, with the marked codes.

A marked line ends with ``# E: code`` (or ``# E: code, code``). The files are
excluded from the normal mypy run (see ``[tool.mypy]`` in pyproject.toml).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
MARK = re.compile(r"#\s*E:\s*([a-z\-]+(?:\s*,\s*[a-z\-]+)*)\s*$")
ERROR = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z\-]+)\]$")

Errors = dict[tuple[str, int], set[str]]


def expected_errors(files: list[Path]) -> Errors:
    expected: Errors = {}
    for path in files:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if match := MARK.search(line):
                codes = {code.strip() for code in match[1].split(",")}
                expected[(path.relative_to(ROOT).as_posix(), number)] = codes
    return expected


def mypy_errors(files: list[Path]) -> tuple[Errors, str]:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *(str(p.relative_to(ROOT)) for p in files)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    found: Errors = {}
    for line in done.stdout.splitlines():
        if match := ERROR.match(line):
            found.setdefault((match["path"], int(match["line"])), set()).add(match["code"])
    assert done.returncode in (0, 1), done.stdout + done.stderr  # 2 means mypy itself failed
    return found, done.stdout


def test_exactly_the_marked_lines_are_type_errors() -> None:
    files = sorted(HERE.glob("fail_*.py"))
    assert len(files) >= 3
    expected = expected_errors(files)
    found, output = mypy_errors(files)
    assert found == expected, output
