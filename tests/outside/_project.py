"""The getting-started project, laid out from the code blocks of docs/getting-started.md.

A block whose info string names a file (```` ```python file=shop/worker.py ````) is
that file, whole: the page is the project's only copy.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "getting-started.md"

_FILE_BLOCK = re.compile(r"^```\w+ file=(?P<path>\S+)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def project_files(guide: Path = GUIDE) -> dict[str, str]:
    """Each file the guide shows, by its path in the project."""
    files: dict[str, str] = {}
    for block in _FILE_BLOCK.finditer(guide.read_text()):
        path = block["path"]
        assert path not in files, f"{guide.name} shows {path} twice"
        files[path] = block["body"]
    return files


def console_commands(guide: Path = GUIDE) -> list[str]:
    """The commands the guide tells a user to type (``$ ...`` lines of console blocks)."""
    commands = []
    for block in re.finditer(r"^```console\n(.*?)^```$", guide.read_text(), re.MULTILINE | re.DOTALL):
        commands += [line[2:] for line in block[1].splitlines() if line.startswith("$ ")]
    return commands


def lay_out(folder: Path, guide: Path = GUIDE) -> None:
    for relative, text in project_files(guide).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
