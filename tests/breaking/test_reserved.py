"""Reserved wire names: declared with ``__burrow_reserved__``, carried in the lock, enforced."""

from __future__ import annotations

from typing import ClassVar

import pytest
from burrow.codegen import CodegenError, rebuild_types
from burrow.codegen._breaking import compare_locks
from burrow.sdk import Service, Task

from tests.breaking._case import lock_of
from tests.breaking.fixtures import reserved


def test_reserved_names_are_written_to_the_lock_sorted_and_rebuilt() -> None:
    fx = Service("fx")

    @fx.task("send")
    class Send(Task, frozen=True, kw_only=True):
        __burrow_reserved__: ClassVar[tuple[str, ...]] = ("size", "owner")
        path: str

    lock = lock_of(fx)
    assert lock.types["Send"].reserved == ["owner", "size"]  # type: ignore[union-attr]
    assert rebuild_types(lock)["Send"].__burrow_reserved__ == ("owner", "size")


def test_a_lock_without_reserved_names_does_not_mention_them() -> None:
    from burrow.codegen import encode_lock

    assert b'"reserved"' not in encode_lock(lock_of(reserved.size_in_bytes()))


def test_a_field_using_a_reserved_name_is_a_generator_error() -> None:
    fx = Service("fx")

    @fx.task("send")
    class Send(Task, frozen=True, kw_only=True):
        __burrow_reserved__: ClassVar[tuple[str, ...]] = ("size",)
        size: str

    with pytest.raises(CodegenError) as caught:
        lock_of(fx)
    assert str(caught.value) == (
        "Send.size: the wire name 'size' is reserved (__burrow_reserved__): old messages may still carry it "
        "with another meaning; choose another name"
    )


def test_a_reserved_name_must_be_a_tuple_of_strings() -> None:
    fx = Service("fx")

    @fx.task("send")
    class Send(Task, frozen=True, kw_only=True):
        __burrow_reserved__: ClassVar[str] = "size"
        path: str

    with pytest.raises(CodegenError, match=r"Send.__burrow_reserved__ must be a tuple of wire names"):
        lock_of(fx)


def test_without_a_reservation_a_later_reuse_goes_unnoticed() -> None:
    # Why the checker insists now: one version later, nothing in the lock remembers the name.
    unreserved, later = lock_of(reserved.size_dropped(reserved=False)), lock_of(reserved.size_as_label())
    assert [(c.rule, c.breaks) for c in compare_locks(unreserved, later)] == [("field-added", ())]


def test_with_a_reservation_the_reuse_is_caught() -> None:
    kept, later = lock_of(reserved.size_dropped(reserved=True)), lock_of(reserved.size_as_label())
    found = [(c.rule, c.breaks) for c in compare_locks(kept, later)]
    assert ("reserved-name-reused", ("backward", "forward")) in found
