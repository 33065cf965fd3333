"""Random pairs of versions of one task Struct, for the checker's property test.

A version is a list of fields (Python name, wire name, type, default) and the
Struct options that change the wire (``omit_defaults``, ``forbid_unknown_fields``,
``array_like``). The new version is the old one edited: fields added, removed,
retyped, renamed on the wire, given or stripped of a default, options toggled.
Types cover scalars, constraints (bounds, lengths, patterns, multiples),
``Literal``s, enums, unions and containers.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Annotated, Any, Literal

import msgspec
from burrow.codegen import Lock
from hypothesis import strategies as st

from tests.breaking._case import lock_of, task, task_struct

__all__ = ["Version", "versions"]

_M = msgspec.Meta


def _enum(*values: str) -> Any:
    # Named by size: types compare by structure, and one version may use both.
    return enum.Enum(f"Color{len(values)}", [(v.upper(), v) for v in values])


# name -> (type factory, defaults): a factory so that each version builds its own enum class.
_TYPES: dict[str, tuple[Any, tuple[Any, ...]]] = {
    "int": (lambda: int, (0, 1)),
    "float": (lambda: float, (0.0, 1.5)),
    "str": (lambda: str, ("", "a")),
    "bool": (lambda: bool, (False, True)),
    "bytes": (lambda: bytes, (b"",)),
    "int|None": (lambda: int | None, (None, 0)),
    "int|str": (lambda: int | str, (0, "a")),
    "list[int]": (lambda: list[int], ("list",)),
    "set[int]": (lambda: set[int], ("set",)),
    "tuple[int,...]": (lambda: tuple[int, ...], ((),)),
    "int>=0": (lambda: Annotated[int, _M(ge=0)], (0, 5)),
    "int>=5": (lambda: Annotated[int, _M(ge=5)], (5,)),
    "int<10": (lambda: Annotated[int, _M(lt=10)], (0,)),
    "int%2": (lambda: Annotated[int, _M(multiple_of=2)], (0,)),
    "int%4": (lambda: Annotated[int, _M(multiple_of=4)], (0,)),
    "str<=3": (lambda: Annotated[str, _M(max_length=3)], ("",)),
    "str>=1": (lambda: Annotated[str, _M(min_length=1)], ("a",)),
    "[a-z]+": (lambda: Annotated[str, _M(pattern="^[a-z]+$")], ("a",)),
    "[a-z0-9]+": (lambda: Annotated[str, _M(pattern="^[a-z0-9]+$")], ("a",)),
    "Literal[x,y]": (lambda: Literal["x", "y"], ("x",)),
    "Literal[x,y,z]": (lambda: Literal["x", "y", "z"], ("x", "z")),
    "Color(red,green)": (lambda: _enum("red", "green"), ("red",)),
    "Color(red,green,blue)": (lambda: _enum("red", "green", "blue"), ("red",)),
}
_NAMES = ("a", "b", "c", "d")
_WIRE = ("a", "b", "c", "d", "e")


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    wire: str
    kind: str
    default: int | None  # index into the type's defaults; None: required


@dataclasses.dataclass(frozen=True)
class Version:
    fields: tuple[Field, ...]
    omit_defaults: bool = False
    forbid_unknown_fields: bool = False
    array_like: bool = False

    def lock(self) -> Lock:
        built: list[tuple[str, Any, Any]] = []
        made: dict[str, Any] = {}  # one class per enum in a version
        for f in self.fields:
            factory, defaults = _TYPES[f.kind]
            kind = made.setdefault(f.kind, factory())
            if f.default is None:
                built.append((f.name, kind, msgspec.field(name=f.wire)))
                continue
            default = defaults[f.default]
            if isinstance(kind, type) and issubclass(kind, enum.Enum):
                default = kind(default)
            elif default in ("list", "set"):
                factory = {"list": list, "set": set}[default]
                built.append((f.name, kind, msgspec.field(name=f.wire, default_factory=factory)))
                continue
            built.append((f.name, kind, msgspec.field(name=f.wire, default=default)))
        options = {
            "omit_defaults": self.omit_defaults,
            "forbid_unknown_fields": self.forbid_unknown_fields,
            "array_like": self.array_like,
        }
        return lock_of(task(task_struct("Send", built, **options)))

    def show(self) -> str:
        fields = ", ".join(
            f"{f.name}{'' if f.wire == f.name else '@' + f.wire}: {f.kind}"
            + ("" if f.default is None else f" = {_TYPES[f.kind][1][f.default]!r}")
            for f in self.fields
        )
        options = [name for name in ("omit_defaults", "forbid_unknown_fields", "array_like") if getattr(self, name)]
        return f"Send({fields}){' ' + ','.join(options) if options else ''}"


@st.composite
def _field(draw: st.DrawFn, name: str) -> Field:
    kind = draw(st.sampled_from(sorted(_TYPES)))
    defaults = len(_TYPES[kind][1])
    default = draw(st.none() | st.integers(0, defaults - 1))
    wire = draw(st.just(name) | st.sampled_from(_WIRE))
    return Field(name, wire, kind, default)


@st.composite
def _version(draw: st.DrawFn) -> Version:
    names = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=3, unique=True))
    fields = [draw(_field(name)) for name in names]
    unique = {f.wire: f for f in fields}  # wire names are unique in a Struct
    fields = [f for f in fields if unique[f.wire] is f]
    array_like = draw(st.integers(0, 3)) == 0  # a quarter of the Structs are array_like
    return Version(
        tuple(fields),
        omit_defaults=draw(st.booleans()),
        forbid_unknown_fields=draw(st.booleans()),
        array_like=array_like,
    )


@st.composite
def _edit(draw: st.DrawFn, old: Version) -> Version:
    fields = list(old.fields)
    for index, f in enumerate(fields):
        change = draw(st.sampled_from(["keep", "keep", "retype", "default", "wire", "remove"]))
        if change == "retype":
            fields[index] = dataclasses.replace(f, kind=draw(st.sampled_from(sorted(_TYPES))), default=None)
            defaults = len(_TYPES[fields[index].kind][1])
            fields[index] = dataclasses.replace(fields[index], default=draw(st.none() | st.integers(0, defaults - 1)))
        elif change == "default":
            defaults = len(_TYPES[f.kind][1])
            fields[index] = dataclasses.replace(f, default=draw(st.none() | st.integers(0, defaults - 1)))
        elif change == "wire":
            fields[index] = dataclasses.replace(f, wire=draw(st.sampled_from(_WIRE)))
        elif change == "remove":
            fields[index] = None  # type: ignore[call-overload]
    kept = [f for f in fields if f is not None]
    if draw(st.booleans()):
        free = [n for n in _NAMES if n not in {f.name for f in kept}]
        if free:
            kept.append(draw(_field(free[0])))
    if draw(st.booleans()) and len(kept) > 1:
        kept = draw(st.permutations(kept))
    unique = {f.wire: f for f in kept}
    kept = [f for f in kept if unique[f.wire] is f] or [old.fields[0]]
    flip = draw(st.sampled_from(["none", "none", "omit_defaults", "forbid_unknown_fields", "array_like"]))
    options = {name: getattr(old, name) for name in ("omit_defaults", "forbid_unknown_fields", "array_like")}
    if flip != "none":
        options[flip] = not options[flip]
    return Version(tuple(kept), **options)


@st.composite
def versions(draw: st.DrawFn) -> tuple[Version, Version]:
    """An old version and an edit of it."""
    old = draw(_version())
    return old, draw(_edit(old))
