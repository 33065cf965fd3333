"""The docs show the code of their tested examples, unchanged."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _section(source: str, name: str) -> str:
    start = source.index(f"# --8<-- [start:{name}]\n") + len(f"# --8<-- [start:{name}]\n")
    return source[start : source.index(f"# --8<-- [end:{name}]")].rstrip()


def test_the_doc_quotes_the_tested_example() -> None:
    source = (ROOT / "tests/docs/test_testing_your_service.py").read_text()
    doc = (ROOT / "docs/testing-your-service.md").read_text()
    for name in ("harness", "verify"):
        assert _section(source, name) in doc, f"docs/testing-your-service.md is missing the {name!r} example"


def test_the_codegen_doc_quotes_the_compiled_typescript_example() -> None:
    source = (ROOT / "tests/typescript/usage.ts").read_text()
    start = source.index("// --8<-- [start:usage]\n") + len("// --8<-- [start:usage]\n")
    example = source[start : source.index("// --8<-- [end:usage]")].rstrip()
    example = example.replace("../../examples/typescript/cleanup-client.js", "./cleanup-client.js")
    assert example in (ROOT / "docs/codegen.md").read_text(), "docs/codegen.md is missing the TypeScript example"
