"""Fields typed ``T | UnsetType = UNSET`` lock, rebuild, render into a client and round-trip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import pytest
from burrow.codegen import CodegenError, client_from_lock, encode_lock, rebuild_types
from burrow.sdk import Service, Task

from tests.breaking._case import lock_of
from tests.codegen.conftest import load_module


def _service() -> Service:
    fx = Service("fx")

    @fx.task("send")
    class Send(Task, frozen=True, kw_only=True):
        path: str
        note: str | msgspec.UnsetType = msgspec.UNSET

    return fx


def test_an_unset_field_is_locked_as_its_type_and_unset() -> None:
    lock = lock_of(_service())
    note = lock.types["Send"].fields[1]  # type: ignore[union-attr]
    assert (note.name, note.required, note.unset, note.type.name) == ("note", False, True, "str")  # type: ignore[union-attr]
    assert b'"unset": true' in encode_lock(lock)


def test_a_lock_without_unset_fields_does_not_mention_them() -> None:
    from tests.breaking.fixtures import fields

    assert b'"unset"' not in encode_lock(lock_of(fields.with_note()))


@pytest.mark.parametrize("codec", [msgspec.json, msgspec.msgpack])
def test_rebuilt_unset_fields_are_left_out_until_set(codec: Any) -> None:
    send = rebuild_types(lock_of(_service()))["Send"]
    unset, set_ = send(path="a"), send(path="a", note="hi")
    assert codec.decode(codec.encode(unset), type=dict) == {"path": "a"}
    assert codec.decode(codec.encode(set_), type=dict) == {"path": "a", "note": "hi"}
    assert codec.decode(codec.encode(unset), type=send).note is msgspec.UNSET
    assert codec.decode(codec.encode(set_), type=send) == set_


def test_the_generated_client_declares_and_round_trips_unset_fields(tmp_path: Path) -> None:
    source = client_from_lock(encode_lock(lock_of(_service())), source="contracts/burrow.lock.json")
    assert "note: str | msgspec.UnsetType = msgspec.UNSET" in source
    (tmp_path / "fx_client.py").write_text(source)
    module = load_module(tmp_path / "fx_client.py", "burrow_unset_client")
    send = module.Send(path="a")
    assert msgspec.json.encode(send) == b'{"path":"a"}'
    assert msgspec.json.decode(b'{"path":"a","note":"hi"}', type=module.Send).note == "hi"


def test_an_array_like_struct_with_an_unset_field_is_refused() -> None:
    fx = Service("fx")

    @fx.task("send")
    class Send(Task, frozen=True, kw_only=True, array_like=True):
        path: str
        note: str | msgspec.UnsetType = msgspec.UNSET

    with pytest.raises(CodegenError, match="array_like Struct cannot have UNSET fields"):
        lock_of(fx)
