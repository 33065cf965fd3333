"""Declaring contracts: wire names, what is known about each, and declaration mistakes."""

from __future__ import annotations

import re
from typing import Any, Generic, TypeVar

import msgspec
import pytest
from burrow.sdk import Call, ConfigurationError, Service, Task, contract_info

from contracts.cleanup import DeleteFile, FileInfo, FileMissing, StatFile, cleanup

T = TypeVar("T")


def test_a_contract_knows_its_wire_name_and_kind() -> None:
    info = contract_info(DeleteFile)
    assert (info.service, info.name, info.wire_name, info.routing_key) == (
        cleanup,
        "delete_file",
        "cleanup.delete_file",
        "cleanup.delete_file",
    )
    assert (info.kind, info.request_type, info.result_type, info.errors, info.queue) == (
        "task",
        DeleteFile,
        None,
        (),
        "cleanup",
    )
    assert info.doc == "Delete a temporary file. Safe to retry: a missing file counts as deleted."
    assert contract_info(DeleteFile(path="/tmp/x")) is info


def test_a_call_knows_its_result_errors_and_timeout() -> None:
    info = contract_info(StatFile)
    assert (info.kind, info.result_type, info.errors, info.timeout) == ("call", FileInfo, (FileMissing,), 10.0)


def test_the_python_class_name_never_reaches_the_wire() -> None:
    service = Service("billing")

    @service.task("charge.v2")
    class ChargeCustomerAgainV2(Task, frozen=True):
        amount: int

    assert contract_info(ChargeCustomerAgainV2).wire_name == "billing.charge.v2"


def test_the_fingerprint_follows_the_schema_not_the_name() -> None:
    one, two = Service("one"), Service("two")

    @one.task("a")
    class A(Task, frozen=True):
        path: str

    @two.task("b")
    class B(Task, frozen=True):
        path: str

    @two.task("c")
    class C(Task, frozen=True):
        path: int

    fingerprint = contract_info(A).fingerprint
    assert re.fullmatch("[0-9a-f]{16}", fingerprint)
    assert contract_info(C).fingerprint != fingerprint


def test_a_contract_may_be_served_from_its_own_queue() -> None:
    service = Service("media", queue="media-main")

    @service.task("thumbnail")
    class Thumbnail(Task, frozen=True):
        path: str

    @service.task("transcode", queue="media-slow")
    class Transcode(Task, frozen=True):
        path: str

    assert (contract_info(Thumbnail).queue, contract_info(Transcode).queue) == ("media-main", "media-slow")
    assert service.queues == ["media-main", "media-slow"]


@pytest.mark.parametrize("name", ["Cleanup", "1cleanup", "clean-up", "clean.up", ""])
def test_a_service_name_is_lowercase_letters_digits_and_underscores(name: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        Service(name)
    assert str(caught.value) == f"service name {name!r} is not valid: use lowercase letters, digits and _"


@pytest.mark.parametrize("name", ["DeleteFile", "delete-file", "delete_file.2", "delete.file", "_delete", ""])
def test_a_contract_name_is_lowercase_with_an_optional_version(name: str) -> None:
    service = Service("svc")
    with pytest.raises(ConfigurationError) as caught:

        @service.task(name)
        class Bad(Task, frozen=True):
            pass

    assert str(caught.value) == (
        f"contract name {name!r} is not valid: use lowercase letters, digits and _, "
        "optionally followed by a version such as .v2"
    )
    assert service.contracts == {}


def test_a_contract_name_is_registered_once_per_service() -> None:
    service = Service("svc")

    @service.task("work")
    class First(Task, frozen=True):
        pass

    with pytest.raises(ConfigurationError) as caught:

        @service.task("work")
        class Second(Task, frozen=True):
            pass

    assert str(caught.value) == f"svc.work is already registered to {First!r}"
    assert contract_info(First).wire_name == "svc.work"


def test_a_class_is_registered_once() -> None:
    service = Service("svc")

    @service.task("one")
    class Work(Task, frozen=True):
        pass

    with pytest.raises(ConfigurationError) as caught:
        service.task("two")(Work)
    assert str(caught.value) == f"{Work.__qualname__} is already registered as svc.one"


def test_a_task_must_derive_from_task_and_a_call_from_call() -> None:
    service = Service("svc")
    as_task: Any = service.task("a")  # the type checker rejects these; check the runtime says so too
    as_call: Any = service.call("b")

    with pytest.raises(ConfigurationError) as caught:
        as_task(StatFile)
    assert str(caught.value) == f"@svc.task('a') decorates {StatFile!r}, which is not a Task"
    with pytest.raises(ConfigurationError) as caught:
        as_call(DeleteFile)
    assert str(caught.value) == f"@svc.call('b') decorates {DeleteFile!r}, which is not a Call"
    with pytest.raises(ConfigurationError) as caught:
        as_task(FileInfo)
    assert str(caught.value) == f"@svc.task('a') decorates {FileInfo!r}, which is not a Task"


def test_a_call_must_name_its_result_type() -> None:
    service = Service("svc")

    class Unnamed(Call, frozen=True):  # type: ignore[type-arg]
        pass

    class StillGeneric(Call[T], Generic[T], frozen=True):
        pass

    for cls in (Unnamed, StillGeneric):
        with pytest.raises(ConfigurationError) as caught:
            service.call("lookup")(cls)
        assert str(caught.value) == (
            f"{cls.__qualname__} must name its result type: class {cls.__name__}(Call[ResultType])"
        )


def test_a_result_type_named_by_a_parent_class_is_found() -> None:
    service = Service("svc")

    class Lookup(Call[FileInfo], frozen=True):
        path: str

    @service.call("lookup_exact")
    class LookupExact(Lookup, frozen=True):
        pass

    assert contract_info(LookupExact).result_type is FileInfo


def test_a_call_timeout_must_be_positive() -> None:
    service = Service("svc")
    with pytest.raises(ConfigurationError) as caught:

        @service.call("stat", timeout=0)
        class Stat(Call[FileInfo], frozen=True):
            pass

    assert str(caught.value) == "svc.stat: timeout must be positive, got 0"


def test_an_unregistered_class_is_not_a_contract() -> None:
    class Loose(Task, frozen=True):
        pass

    with pytest.raises(ConfigurationError) as caught:
        contract_info(Loose())
    assert str(caught.value) == (
        f"{Loose.__qualname__} is not a registered contract: decorate it with @service.task(...) or @service.call(...)"
    )


def test_a_subclass_of_a_contract_is_not_registered_by_inheritance() -> None:
    class Sub(DeleteFile, frozen=True):
        pass

    with pytest.raises(ConfigurationError, match="is not a registered contract"):
        contract_info(Sub)


def test_contracts_are_immutable() -> None:
    task = DeleteFile(path="/tmp/x")
    with pytest.raises(AttributeError):
        task.path = "/etc/passwd"  # type: ignore[misc]
    assert msgspec.json.encode(task) == b'{"path":"/tmp/x"}'


def _fingerprint(name: str, *, documented: bool, fields: tuple[str, ...]) -> str:
    # The same class name each time: the schema names types by their class names.
    message: type[Task] = msgspec.defstruct(  # type: ignore[assignment]  # defstruct is typed as returning Struct
        "Message",
        [(field, str) for field in fields],
        bases=(Task,),
        namespace={"__doc__": "Words." if documented else None},
    )
    return contract_info(Service("prose").task(name)(message)).fingerprint


def test_fingerprints_ignore_docstrings_but_not_fields_named_like_schema_keywords() -> None:
    keywords = ("title", "description")
    assert _fingerprint("a", documented=True, fields=keywords) == _fingerprint("b", documented=False, fields=keywords)
    assert _fingerprint("a", documented=False, fields=keywords) != _fingerprint(
        "b", documented=False, fields=("title",)
    )
