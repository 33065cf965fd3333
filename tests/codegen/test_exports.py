"""The codegen package's public surface changes only on purpose (issue 6's checker builds on it)."""

from __future__ import annotations

from burrow import codegen

EXPECTED = [
    "FORMAT_VERSION",
    "ArrayType",
    "CodegenError",
    "ContractDef",
    "DictType",
    "EnumDef",
    "EnumMember",
    "FieldDef",
    "LiteralType",
    "Lock",
    "MetaType",
    "RefType",
    "RetryDef",
    "ScalarType",
    "ServiceDef",
    "StructDef",
    "TupleType",
    "TypeDef",
    "TypeExpr",
    "UnionType",
    "build_lock",
    "client_from_lock",
    "decode_lock",
    "encode_lock",
    "find_services",
    "generate",
    "lock_hash",
    "read_lock",
    "rebuild_type",
    "rebuild_types",
]


def test_public_names_are_exactly_the_expected_ones() -> None:
    assert codegen.__all__ == EXPECTED
    assert sorted(name for name in vars(codegen) if not name.startswith("_")) == sorted(EXPECTED)
