"""The lock keeps everything needed to rebuild the contracts' types without their source."""

from __future__ import annotations

import datetime
import decimal
import inspect
import uuid
from typing import Any

import msgspec
import pytest
from burrow.codegen._errors import CodegenError
from burrow.codegen._ir import Lock, StructDef
from burrow.codegen._lock import decode_lock, encode_lock
from burrow.codegen._rebuild import rebuild_type, rebuild_types

from contracts import cleanup
from tests.codegen import rich_contracts as rich

NAMED = ["Area", "Circle", "Color", "Draw", "NotDrawable", "Point", "Priority", "Quota", "Square"]


def sample_draw() -> rich.Draw:
    return rich.Draw(
        shapes=[
            rich.Circle(center=rich.Point(1.0, 2.0), radius=3.0),
            rich.Square(corner=rich.Point(0.0, 0.0), side=4.0),
        ],
        color=rich.Color.GREEN,
        priority=rich.Priority.HIGH,
        label="abc",
        drawn_at=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        mode="exact",
        extra={"a": 1},
        ids={uuid.UUID(int=7)},
        pair=(1, "x"),
        amount=decimal.Decimal("1.25"),
        quota=rich.Quota(limit=15, tags=["t"]),
    )


def test_lock_round_trips_through_json(rich_lock: Lock, rich_lock_data: bytes) -> None:
    assert decode_lock(rich_lock_data) == rich_lock
    assert encode_lock(decode_lock(rich_lock_data)) == rich_lock_data


def test_lock_records_contract_routing_retry_and_errors(rich_lock: Lock) -> None:
    service = rich_lock.service("shapes")
    area, draw = service.contracts
    assert (service.queue, area.wire_name, area.kind, area.queue) == ("geometry", "shapes.area.v2", "call", "geometry")
    assert (area.errors, area.timeout, area.request) == (["NotDrawable"], 2.5, "Area")
    assert (draw.kind, draw.queue, draw.routing_key, draw.result) == ("task", "slow_drawing", "shapes.draw", None)
    assert draw.retry is not None
    assert (draw.retry.attempts, draw.retry.retry_on, draw.retry.fail_on) == (
        3,
        ["builtins.TimeoutError"],
        ["builtins.KeyError"],
    )
    assert draw.doc.startswith("Draw shapes.\n\nLong description")


def test_lock_records_struct_options_and_wire_names(rich_lock: Lock) -> None:
    draw = rich_lock.types["Draw"]
    assert isinstance(draw, StructDef)
    wire = {f.name: f.wire_name for f in draw.fields}
    assert wire["drawn_at"] == "drawnAt"
    circle, quota, point = (rich_lock.types[name] for name in ("Circle", "Quota", "Point"))
    assert (circle.tag, circle.tag_field) == ("circle", "shape")  # type: ignore[union-attr]
    assert (quota.forbid_unknown_fields, quota.omit_defaults) == (True, True)  # type: ignore[union-attr]
    assert point.array_like is True  # type: ignore[union-attr]


@pytest.mark.parametrize("name", NAMED)
def test_rebuilt_types_have_the_original_json_schema(rich_lock: Lock, name: str) -> None:
    # The JSON Schema covers names, docs, fields, wire names, defaults, constraints, tags and enum values.
    rebuilt = rebuild_types(rich_lock)[name]
    assert msgspec.json.schema(rebuilt) == clean_docs(msgspec.json.schema(getattr(rich, name)))


def clean_docs(schema: Any) -> Any:
    """The schema with docstrings dedented, as the lock keeps them (independent of source indentation)."""
    if isinstance(schema, dict):
        return {k: inspect.cleandoc(v) if k == "description" else clean_docs(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [clean_docs(item) for item in schema]
    return schema


def test_rebuilt_types_read_and_write_the_same_bytes(rich_lock: Lock) -> None:
    Draw: Any = rebuild_types(rich_lock)["Draw"]
    for codec in (msgspec.json, msgspec.msgpack):
        original = codec.encode(sample_draw())
        assert codec.encode(codec.decode(original, type=Draw)) == original


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"label": "ABC"}, "Expected `str` matching regex '^[a-z]+$' - at `$.label`"),
        ({"drawnAt": "2026-01-02T03:04:05"}, "Expected `datetime` with a timezone component - at `$.drawnAt`"),
        ({"shapes": []}, "Expected `array` of length >= 1 - at `$.shapes`"),
        ({"color": "blue"}, "Invalid enum value 'blue' - at `$.color`"),
        ({"mode": "slow"}, "Invalid enum value 'slow' - at `$.mode`"),
        ({"quota": {"limit": 7}}, "Expected `int` that's a multiple of 5 - at `$.quota.limit`"),
        ({"quota": {"other": 1}}, "Object contains unknown field `other` - at `$.quota`"),
        ({"shapes": [{"shape": "triangle"}]}, "Invalid value 'triangle' - at `$.shapes[0].shape`"),
    ],
)
def test_rebuilt_types_reject_what_the_originals_reject(rich_lock: Lock, change: dict[str, Any], error: str) -> None:
    Draw: Any = rebuild_types(rich_lock)["Draw"]
    message = {**msgspec.to_builtins(sample_draw()), **change}
    body = msgspec.json.encode(message)
    for cls in (rich.Draw, Draw):
        with pytest.raises(msgspec.ValidationError) as caught:
            msgspec.json.decode(body, type=cls)
        assert str(caught.value) == error


def test_rebuilt_result_type_decodes_a_reply(rich_lock: Lock) -> None:
    built = rebuild_types(rich_lock)
    area = rich_lock.service("shapes").contracts[0]
    assert area.result is not None
    result = rebuild_type(rich_lock, area.result, built)
    reply = msgspec.json.encode([rich.Quota(limit=5)])
    assert msgspec.json.decode(reply, type=result) == [built["Quota"](limit=5)]


def test_cleanup_lock_fingerprints_match_the_contracts() -> None:
    from burrow.codegen._inspect import build_lock

    lock = build_lock([cleanup.cleanup], source="contracts.cleanup")
    fingerprints = {c.wire_name: c.fingerprint for c in lock.service("cleanup").contracts}
    assert fingerprints == {info.wire_name: info.fingerprint for info in cleanup.cleanup.contracts.values()}


def test_a_lock_from_a_newer_burrow_is_refused_with_advice(rich_lock_data: bytes) -> None:
    newer = rich_lock_data.replace(b'"format_version": 1', b'"format_version": 2')
    with pytest.raises(CodegenError, match="format_version 2; this burrow reads version 1: use a matching burrow"):
        decode_lock(newer, origin="old.lock.json")


def test_a_damaged_lock_names_the_problem() -> None:
    with pytest.raises(
        CodegenError,
        match=r"x.json does not fit the lock format: Expected `str`, got `int` - at `\$.services\[0\].name`",
    ):
        decode_lock(b'{"format_version": 1, "services": [{"name": 1}]}', origin="x.json")


def test_the_lock_and_asyncapi_show_schedules(rich_lock: Lock, rich_lock_data: bytes) -> None:
    from burrow.codegen._asyncapi import render_asyncapi
    from burrow.codegen._ir import ScheduleDef

    schedules = rich_lock.service("shapes").schedules
    assert [schedule.name for schedule in schedules] == ["redraw_often", "redraw_weekdays"]
    weekdays = schedules[1]
    assert weekdays == ScheduleDef(
        name="redraw_weekdays",
        wire_name="shapes.redraw_weekdays",
        contract="draw",
        payload=msgspec.json.decode(rich.shapes.schedules["redraw_weekdays"].body),
        missed="skip",
        fingerprint=rich.shapes.schedules["redraw_weekdays"].fingerprint,
        cron="0 3 * * 1-5",
        timezone="Europe/Paris",
    )
    assert weekdays.payload["shapes"] == [{"shape": "circle", "center": [0.0, 0.0], "radius": 1.0}]
    assert (schedules[0].every, schedules[0].cron, schedules[0].timezone) == (300.0, None, None)
    assert decode_lock(rich_lock_data).service("shapes").schedules == schedules

    document = msgspec.json.decode(render_asyncapi(rich_lock, source="rich", lock_data=rich_lock_data))
    listed = document["operations"]["shapes.draw"]["x-burrow-schedules"]
    assert [entry["wire_name"] for entry in listed] == ["shapes.redraw_often", "shapes.redraw_weekdays"]
    assert listed[1]["cron"] == "0 3 * * 1-5"
