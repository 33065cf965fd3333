"""Encoding and decoding bodies; errors keep msgspec's path and name the contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from burrow.sdk import JSON, MSGPACK, ContractError, Service, Task, contract_info
from burrow.sdk._codec import decode, encode

from contracts.cleanup import DeleteFile

shop = Service("shop")


class Line(msgspec.Struct, frozen=True):
    sku: str
    quantity: int


@shop.task("place_order")
class PlaceOrder(Task, frozen=True, kw_only=True):
    customer: str
    lines: list[Line]
    note: str | None = None


ORDER = PlaceOrder(customer="c-1", lines=[Line("sku-1", 2), Line("sku-2", 1)])


@pytest.mark.parametrize("content_type", [JSON, MSGPACK])
def test_a_contract_round_trips(content_type: str) -> None:
    body = encode(ORDER, content_type, label="shop.place_order")
    assert contract_info(PlaceOrder).decode(body, content_type) == ORDER


def test_json_is_the_default_and_is_compact() -> None:
    assert encode(DeleteFile(path="/tmp/x")) == b'{"path":"/tmp/x"}'
    assert contract_info(DeleteFile).decode(b'{"path":"/tmp/x"}', None) == DeleteFile(path="/tmp/x")


ERRORS = {
    "wrong type": (b'{"path": 1}', JSON, "cleanup.delete_file: Expected `str`, got `int` - at `$.path`"),
    "missing field": (b"{}", JSON, "cleanup.delete_file: Object missing required field `path`"),
    "not an object": (b"[1]", JSON, "cleanup.delete_file: Expected `object`, got `array`"),
    "malformed json": (b"\x00\xff", JSON, "cleanup.delete_file: JSON is malformed: invalid character (byte 0)"),
    "truncated json": (b'{"path": "/tm', JSON, "cleanup.delete_file: Input data was truncated"),
    "wrong type in msgpack": (
        msgspec.msgpack.encode({"path": 1}),
        MSGPACK,
        "cleanup.delete_file: Expected `str`, got `int` - at `$.path`",
    ),
    "malformed msgpack": (
        b"\xc1",
        MSGPACK,
        "cleanup.delete_file: MessagePack data is malformed: invalid opcode '\\xc1' (byte 0)",
    ),
    "unsupported content type": (
        b"{}",
        "text/plain",
        "cleanup.delete_file: unsupported content type 'text/plain'; "
        "expected one of application/json, application/msgpack",
    ),
}


@pytest.mark.parametrize(("body", "content_type", "message"), ERRORS.values(), ids=ERRORS.keys())
def test_a_body_that_does_not_fit_raises_a_contract_error(body: bytes, content_type: str, message: str) -> None:
    with pytest.raises(ContractError) as caught:
        contract_info(DeleteFile).decode(body, content_type)
    assert str(caught.value) == message
    assert caught.value.contract == "cleanup.delete_file"
    assert message == f"cleanup.delete_file: {caught.value.detail}"


def test_the_error_path_reaches_into_nested_structs() -> None:
    body = b'{"customer": "c-1", "lines": [{"sku": "a", "quantity": 1}, {"sku": "b", "quantity": "2"}]}'
    with pytest.raises(ContractError) as caught:
        contract_info(PlaceOrder).decode(body, JSON)
    assert str(caught.value) == "shop.place_order: Expected `int`, got `str` - at `$.lines[1].quantity`"


def test_a_value_that_cannot_be_encoded_raises_a_contract_error() -> None:
    with pytest.raises(ContractError) as caught:
        encode(object(), label="shop.place_order")
    assert str(caught.value) == "shop.place_order: cannot encode: Encoding objects of type object is unsupported"
    with pytest.raises(ContractError) as caught:
        encode(ORDER, "text/plain", label="shop.place_order")
    assert str(caught.value) == (
        "shop.place_order: unsupported content type 'text/plain'; expected one of application/json, application/msgpack"
    )


def test_decoders_are_built_once_per_content_type() -> None:
    cache: dict[str, Callable[[bytes], Any]] = {}
    decode(b'{"path": "/a"}', DeleteFile, JSON, label="x", cache=cache)
    first = cache[JSON]
    decode(b'{"path": "/b"}', DeleteFile, None, label="x", cache=cache)
    assert cache == {JSON: first}
