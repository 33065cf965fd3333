"""Run mypy over ``fail_calls.py`` and check it reports exactly the marked errors."""

from __future__ import annotations

import re
from pathlib import Path

from mypy import api

FAIL_FILE = Path(__file__).with_name("fail_calls.py")
MARK = re.compile(r"#\s*E:\s*([a-z-]+)")
REPORTED = re.compile(r"^[^:]+:(\d+): error: .*\[([a-z-]+)\]$")


def test_misused_calls_and_bindings_are_type_errors() -> None:
    expected = {
        (number, match.group(1))
        for number, line in enumerate(FAIL_FILE.read_text().splitlines(), start=1)
        if (match := MARK.search(line))
    }
    stdout, _, _ = api.run([str(FAIL_FILE), "--strict", "--no-error-summary", "--show-error-codes"])
    reported = {
        (int(match.group(1)), match.group(2)) for line in stdout.splitlines() if (match := REPORTED.match(line))
    }
    assert reported == expected, stdout
