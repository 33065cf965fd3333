"""Contracts using every feature the lock records, for the codegen tests."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Literal

import msgspec
from burrow.sdk import Call, RetryPolicy, Service, Task

shapes = Service("shapes", queue="geometry")


class Color(enum.Enum):
    """Ink colours."""

    RED = "red"
    GREEN = "green"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Point(msgspec.Struct, frozen=True, array_like=True):
    x: float
    y: float


class Circle(msgspec.Struct, frozen=True, tag="circle", tag_field="shape"):
    """A circle."""

    center: Point
    radius: Annotated[float, msgspec.Meta(gt=0)]


class Square(msgspec.Struct, frozen=True, tag="square", tag_field="shape"):
    corner: Point
    side: Annotated[float, msgspec.Meta(gt=0, le=1000.5)]


class Quota(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    limit: Annotated[int, msgspec.Meta(ge=0, multiple_of=5)] = 10
    tags: list[str] = []


class NotDrawable(msgspec.Struct, frozen=True, kw_only=True):
    """The shape cannot be drawn."""

    reason: str


@shapes.task("draw", queue="slow_drawing", retry=RetryPolicy(attempts=3, retry_on=(TimeoutError,), fail_on=(KeyError,)))
class Draw(Task, frozen=True, kw_only=True, rename="camel"):
    """Draw shapes.

    Long description, with "quotes" and a backslash \\ in it.
    """

    shapes: Annotated[list[Circle | Square], msgspec.Meta(min_length=1)]
    color: Color = Color.RED
    priority: Priority = Priority.LOW
    label: (
        Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern="^[a-z]+$", description="A label.")] | None
    ) = None
    drawn_at: Annotated[datetime, msgspec.Meta(tz=True)]
    mode: Literal["fast", "exact"] = "fast"
    extra: dict[str, int] = {}  # noqa: RUF012  # msgspec copies mutable defaults
    ids: set[uuid.UUID] = set()  # noqa: RUF012
    pair: tuple[int, str] | None = None
    amount: Decimal | None = None
    scale: float = 1.5
    quota: Quota | None = None


@shapes.call("area.v2", errors=[NotDrawable], timeout=2.5)
class Area(Call[list[Quota]], frozen=True, kw_only=True):
    shape: Circle | Square
    precision: int = 2


shapes.schedule(
    "redraw_weekdays",
    Draw(shapes=[Circle(center=Point(0.0, 0.0), radius=1.0)], drawn_at=datetime(2026, 1, 1, tzinfo=UTC)),
    cron="0 3 * * 1-5",
    timezone="Europe/Paris",
    missed="skip",
)
shapes.schedule(
    "redraw_often",
    Draw(shapes=[Circle(center=Point(1.0, 1.0), radius=2.0)], drawn_at=datetime(2026, 1, 1, tzinfo=UTC)),
    every=timedelta(minutes=5),
)
