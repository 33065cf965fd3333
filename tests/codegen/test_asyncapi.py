"""The AsyncAPI export is valid for the reference parser; the JSON Schema export matches msgspec's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import msgspec
import pytest
from burrow.codegen._asyncapi import render_asyncapi, render_json_schema
from burrow.codegen._ir import Lock

from contracts import cleanup
from tests.codegen.conftest import ROOT

VALIDATOR = ROOT / "tests/asyncapi"
PARSER_MISSING = not (VALIDATOR / "node_modules/@asyncapi/parser").is_dir() or shutil.which("node") is None
# scripts/test installs the parser and sets BURROW_REQUIRE_TOOLS: there, a missing parser fails.
needs_parser = pytest.mark.skipif(
    PARSER_MISSING and not os.environ.get("BURROW_REQUIRE_TOOLS"),
    reason="the AsyncAPI parser is not installed: run `npm ci --prefix tests/asyncapi` (needs node >= 18)",
)


def validate(document: bytes, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "asyncapi.json"
    path.write_bytes(document)
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run(
        [node, str(VALIDATOR / "validate.mjs"), str(path)], capture_output=True, text=True, check=False
    )
    report: dict[str, Any] = json.loads(result.stdout)
    report["returncode"] = result.returncode
    return report


@needs_parser
def test_the_committed_asyncapi_document_is_valid(tmp_path: Path) -> None:
    report = validate((ROOT / "contracts/generated/asyncapi.json").read_bytes(), tmp_path)
    assert (report["returncode"], report["errors"]) == (0, 0), report["diagnostics"]


@needs_parser
def test_the_rich_contracts_asyncapi_document_is_valid(tmp_path: Path, rich_lock: Lock, rich_lock_data: bytes) -> None:
    report = validate(render_asyncapi(rich_lock, source="rich", lock_data=rich_lock_data), tmp_path)
    assert (report["returncode"], report["errors"]) == (0, 0), report["diagnostics"]


@needs_parser
def test_the_parser_rejects_a_broken_document(tmp_path: Path) -> None:
    # Proves the validation can fail: an operation naming a channel that does not exist.
    document = json.loads((ROOT / "contracts/generated/asyncapi.json").read_bytes())
    del document["channels"]["cleanup.delete_file"]
    report = validate(json.dumps(document).encode(), tmp_path)
    assert report["returncode"] == 1
    assert report["errors"] > 0


def test_asyncapi_describes_routing_replies_and_extensions() -> None:
    document = json.loads((ROOT / "contracts/generated/asyncapi.json").read_bytes())
    channel = document["channels"]["cleanup.stat_file"]
    assert channel["address"] == "cleanup.stat_file"
    assert channel["bindings"]["amqp"]["exchange"] == {
        "name": "burrow",
        "type": "direct",
        "durable": True,
        "autoDelete": False,
        "vhost": "/",
    }
    operation = document["operations"]["cleanup.stat_file"]
    assert operation["action"] == "send"
    assert operation["reply"]["address"]["location"] == "$message.header#/reply_to"
    assert operation["x-burrow-kind"] == "call"
    assert operation["x-burrow-timeout"] == 10.0
    assert operation["x-burrow-errors"] == {"FileMissing": {"$ref": "#/components/schemas/FileMissing"}}
    assert document["operations"]["cleanup.delete_file"]["x-burrow-kind"] == "task"
    assert document["channels"]["cleanup.delete_file"]["x-burrow-queue"] == "cleanup"


def test_json_schema_export_matches_msgspec_for_each_type(rich_lock: Lock, rich_lock_data: bytes) -> None:
    document = json.loads(render_json_schema(rich_lock, source="rich", lock_data=rich_lock_data))
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    _, expected = msgspec.json.schema_components([cleanup.FileInfo], ref_template="#/$defs/{name}")
    committed = json.loads((ROOT / "contracts/generated/schema.json").read_bytes())
    assert committed["$defs"]["FileInfo"] == expected["FileInfo"]
    assert committed["x-burrow-contracts"]["cleanup.stat_file"] == {
        "request": {"$ref": "#/$defs/StatFile"},
        "result": {"$ref": "#/$defs/FileInfo"},
    }
    assert set(document["$defs"]) == set(rich_lock.types)
