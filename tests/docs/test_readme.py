"""The README's code is taken from docs/getting-started.md, whose project a test builds and runs."""

from __future__ import annotations

import re

from tests.outside._project import ROOT, project_files

README = ROOT / "README.md"
_EXCERPT = re.compile(r"^```python file=(?P<path>\S+)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)


def test_every_readme_snippet_is_an_excerpt_of_the_getting_started_project() -> None:
    files = project_files()
    excerpts = list(_EXCERPT.finditer(README.read_text()))
    assert len(excerpts) >= 4
    for excerpt in excerpts:
        source = files[excerpt["path"]]
        # An excerpt may leave out whole paragraphs; each one it shows stands in the file as shown.
        for chunk in filter(None, (chunk.strip("\n") for chunk in excerpt["body"].split("\n\n"))):
            assert chunk in source, f"README's {excerpt['path']} excerpt differs from the guide's:\n{chunk}"


def test_every_python_block_of_the_readme_names_its_source() -> None:
    blocks = re.findall(r"^```python(.*)$", README.read_text(), re.MULTILINE)
    assert all(info.startswith(" file=") for info in blocks), blocks
