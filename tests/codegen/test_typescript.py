"""The TypeScript renderer: lock types as TypeScript types, and names it refuses."""

from __future__ import annotations

import msgspec
import pytest
from burrow.codegen._errors import CodegenError
from burrow.codegen._inspect import build_lock
from burrow.codegen._ir import Lock
from burrow.codegen._render_typescript import render_typescript
from burrow.codegen._tstypes import camel_case
from burrow.sdk import Call, Service, Task


@pytest.fixture(scope="module")
def shapes(rich_lock: Lock) -> str:
    return render_typescript(rich_lock, header="// header")


@pytest.mark.parametrize(
    "line",
    [
        'export type Color = "red" | "green";',
        "export type Priority = 1 | 2;",
        "export type Point = readonly [x: number, y: number];",
        'readonly shape: "circle";',
        "readonly shapes: (Circle | Square)[];",
        "readonly color?: Color;",
        "readonly label?: string | null;",
        "readonly drawnAt: string;",
        'readonly mode?: "exact" | "fast";',
        "readonly extra?: { [key: string]: number };",
        "readonly pair?: [number, string] | null;",
        "limit?: number;",
        "export class NotDrawableError extends DeclaredError<NotDrawable> {}",
        "async areaV2(request: Area, options?: CallOptions): Promise<Quota[]> {",
        "draw(task: Draw, options?: SendOptions): Promise<void> {",
        "readonly shapes: ShapesService;",
    ],
)
def test_lock_types_become_typescript_types(shapes: str, line: str) -> None:
    assert line in [text.strip() for text in shapes.splitlines()]


def test_the_embedded_schemas_leave_out_the_discriminator_ajv_does_not_take(shapes: str) -> None:
    assert '"discriminator"' not in shapes
    assert '"const": "circle"' in shapes or '"enum": [\n' in shapes


@pytest.mark.parametrize(
    ("name", "camel"), [("stat_file", "statFile"), ("area.v2", "areaV2"), ("file-store", "fileStore")]
)
def test_names_are_camel_cased(name: str, camel: str) -> None:
    assert camel_case(name) == camel


def test_a_type_named_like_the_client_is_a_generator_error() -> None:
    notes = Service("notes")

    class Client(msgspec.Struct):
        name: str

    @notes.call("lookup")
    class Lookup(Call[Client], frozen=True):
        key: str

    lock = build_lock([notes], source="test")
    with pytest.raises(CodegenError, match="type Client would shadow a name the TypeScript client defines"):
        render_typescript(lock, header="//")


def test_two_contracts_with_one_method_name_are_a_generator_error() -> None:
    notes = Service("notes")

    @notes.task("add_note_v2")
    class AddNote(Task, frozen=True):
        text: str

    @notes.task("add_note.v2")
    class AddNoteToo(Task, frozen=True):
        text: str

    lock = build_lock([notes], source="test")
    with pytest.raises(CodegenError, match="both become addNoteV2"):
        render_typescript(lock, header="//")
