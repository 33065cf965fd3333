"""Helpers that emit Python source already in ``ruff format`` style.

Generated modules are written formatted (rather than piped through a formatter)
so that codegen needs no formatter at run time and its output cannot depend on
which formatter version is installed. Anything that may be long is emitted
one item per line with a trailing comma, a layout the formatter keeps as is.
"""

from __future__ import annotations

import keyword
from collections import defaultdict

__all__ = [
    "LINE_LENGTH",
    "Imports",
    "bracketed",
    "docstring",
    "indent",
    "is_identifier",
    "method_name",
    "service_class",
]

LINE_LENGTH = 120

# Import sections in the order isort/ruff expect them.
_STDLIB = {"__future__", "collections", "datetime", "decimal", "enum", "functools", "typing", "uuid"}
_THIRD_PARTY = {"burrow", "msgspec"}


class Imports:
    """Collects the imports a module needs and renders them sorted and grouped."""

    def __init__(self) -> None:
        self._modules: set[str] = set()
        self._names: dict[str, set[str]] = defaultdict(set)

    def module(self, name: str) -> None:
        self._modules.add(name)

    def name(self, module: str, name: str) -> str:
        self._names[module].add(name)
        return name

    def render(self) -> str:
        sections: list[list[str]] = [[], [], [], []]
        for module in sorted(self._modules):
            sections[_section(module)].append(f"import {module}")
        for module in sorted(self._names):
            names = sorted(self._names[module], key=_name_order)
            sections[_section(module)].append(bracketed(f"from {module} import ", names, ""))
        return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def _section(module: str) -> int:
    top = module.split(".")[0]
    if top == "__future__":
        return 0
    if top in _STDLIB:
        return 1
    return 2 if top in _THIRD_PARTY else 3


def _name_order(name: str) -> tuple[int, str]:
    # isort's order-by-type: CONSTANTS, then Classes, then functions and variables.
    if name.isupper() and len(name) > 1:
        return (0, name)
    return (1 if name[:1].isupper() else 2, name)


def bracketed(opening: str, items: list[str], closing: str, *, prefix: str = "", brackets: str = "()") -> str:
    """``opening(items)closing`` on one line when it fits, else one item per line with a trailing comma.

    For an import (``closing == ""`` and no brackets in ``opening``) the
    brackets are added only when the line is split, as the formatter does.
    """
    is_import = opening.startswith("from ")
    one_line = f"{prefix}{opening}{', '.join(items)}{closing}" if is_import else None
    if one_line is None:
        one_line = f"{prefix}{opening}{brackets[0]}{', '.join(items)}{brackets[1]}{closing}"
    if len(one_line) <= LINE_LENGTH and "\n" not in one_line:
        return one_line
    inner = prefix + "    "
    body = "".join(f"{inner}{item},\n" for item in items)
    return f"{prefix}{opening}{brackets[0]}\n{body}{prefix}{brackets[1]}{closing}"


def docstring(text: str, prefix: str) -> str:
    """A triple-quoted docstring at indentation ``prefix``; empty text gives an empty string."""
    text = text.strip().replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    if not text:
        return ""
    if text.endswith('"'):
        text = text[:-1] + '\\"'
    lines = text.split("\n")
    if len(lines) == 1:
        return f'{prefix}"""{text}"""\n'
    body = "".join(f"{prefix}{line}".rstrip() + "\n" for line in lines[1:])
    return f'{prefix}"""{lines[0]}\n{body}{prefix}"""\n'


def indent(text: str, prefix: str) -> str:
    return "".join(f"{prefix}{line}" if line.strip() else line for line in text.splitlines(keepends=True))


def is_identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def method_name(contract_name: str) -> str:
    """The Python name of a contract's method: ``delete_file.v2`` becomes ``delete_file_v2``."""
    return contract_name.replace(".", "_")


def service_class(service: str, suffix: str) -> str:
    """``CleanupClient`` for ``("cleanup", "Client")``; ``file_store`` becomes ``FileStore``."""
    return "".join(part.capitalize() for part in service.split("_")) + suffix
