"""``verify_contracts`` flags unbound contracts, failing handlers and wrong replies."""

from __future__ import annotations

import datetime
import enum
from typing import Annotated, Any, Literal

import msgspec
import pytest
from burrow.sdk import Call, ConfigurationError, DeclaredError, Service, Task
from burrow.server import Context, Worker
from burrow.testing import Outcome, verify_contracts
from burrow.testing._examples import minimal_example

shop = Service("shop")


class Receipt(msgspec.Struct, frozen=True):
    total: int


class OutOfStock(msgspec.Struct, frozen=True):
    sku: str


@shop.task("ship", examples=[{"sku": "A-1", "count": 2}, {"sku": "B-2", "count": 1}])
class Ship(Task, frozen=True, kw_only=True):
    sku: str
    count: int


@shop.call("buy", errors=[OutOfStock])
class Buy(Call[Receipt], frozen=True, kw_only=True):
    sku: Annotated[str, msgspec.Meta(min_length=3)]
    count: Annotated[int, msgspec.Meta(ge=1)]


async def ship(task: Ship, ctx: Context) -> None:
    pass


async def buy(request: Buy, ctx: Context) -> Receipt:
    return Receipt(total=request.count * 10)


def bind_all(worker: Worker) -> None:
    worker.bind(Ship, ship)
    worker.bind(Buy, buy)


async def test_a_complete_implementation_passes_with_declared_and_minimal_examples() -> None:
    report = await verify_contracts(shop, bind_all)
    assert report.ok, report
    assert str(report) == "\n".join(
        [
            "ok             shop.buy Buy(sku='xxx', count=1): -> Receipt(total=10)",
            "ok             shop.ship Ship(sku='A-1', count=2)",
            "ok             shop.ship Ship(sku='B-2', count=1)",
            "3 of 3 examples passed",
        ]
    )


async def test_a_declared_error_counts_as_a_valid_answer() -> None:
    async def out_of_stock(request: Buy, ctx: Context) -> Receipt:
        raise DeclaredError(OutOfStock(sku=request.sku))

    def bind(worker: Worker) -> None:
        worker.bind(Ship, ship)
        worker.bind(Buy, out_of_stock)

    report = await verify_contracts(shop, bind)
    assert report.ok, report
    assert report.results[0].outcome is Outcome.DECLARED_ERROR
    assert report.results[0].detail == "OutOfStock(sku='xxx')"


async def test_a_failing_task_handler_and_a_wrong_reply_fail() -> None:
    async def broken_ship(task: Ship, ctx: Context) -> None:
        if task.sku == "B-2":
            raise KeyError(task.sku)

    async def wrong_reply(request: Buy, ctx: Context) -> Any:
        return {"total": "ten"}

    def bind(worker: Worker) -> None:
        worker.bind(Ship, broken_ship)
        worker.bind(Buy, wrong_reply)

    report = await verify_contracts(shop, bind)
    assert not report.ok
    assert [str(failure) for failure in report.failures] == [
        "failed         shop.buy Buy(sku='xxx', count=1): ContractError: shop.buy: the reply does not decode "
        "as Receipt: Expected `int`, got `str` - at `$.total`",
        "failed         shop.ship Ship(sku='B-2', count=1): dead-lettered: KeyError: 'B-2'",
    ]


async def test_unbound_contracts_are_reported() -> None:
    other = Service("other")

    @other.task("noop")
    class Noop(Task, frozen=True):
        pass

    report = await verify_contracts([shop, other], bind_all)
    assert [str(failure) for failure in report.failures] == ["unbound        other.noop: its service is not bound"]

    def half(worker: Worker) -> None:
        worker.bind(Ship, ship)

    report = await verify_contracts(shop, half)
    assert [failure.outcome for failure in report.failures] == [Outcome.UNBOUND]
    assert "binds no handler for: shop.buy" in report.failures[0].detail


def test_an_invalid_declared_example_is_refused_at_declaration() -> None:
    bad = Service("bad")
    with pytest.raises(ConfigurationError) as caught:

        @bad.task("t", examples=[{"n": "one"}])
        class T(Task, frozen=True):
            n: int

    assert str(caught.value) == "bad.t: example #0 is not a valid message: Expected `int`, got `str` - at `$.n`"


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Point(msgspec.Struct, frozen=True):
    x: Annotated[float, msgspec.Meta(gt=0)]


class Everything(Task, frozen=True, kw_only=True):
    colour: Colour
    mode: Literal["fast", "slow"]
    when: datetime.datetime
    tags: Annotated[list[str], msgspec.Meta(min_length=2)]
    point: Point
    maybe: int | None
    score: Annotated[int, msgspec.Meta(le=-3)]
    optional: str = "default"


def test_minimal_examples_respect_types_and_constraints() -> None:
    assert minimal_example(Everything) == Everything(
        colour=Colour.RED,
        mode="fast",
        when=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC),
        tags=["", ""],
        point=Point(x=1),
        maybe=None,
        score=-3,
    )
