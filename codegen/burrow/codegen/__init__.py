"""Burrow's code generator: contracts -> IR -> lock -> typed client, server base, AsyncAPI, JSON Schema.

The lock document is the IR (``Lock``) encoded as JSON. Tools that compare
contract versions read two locks with ``decode_lock`` and, to try messages for
real, rebuild their types with ``rebuild_types``.
"""

from burrow.codegen._errors import CodegenError
from burrow.codegen._generate import client_from_lock, find_services, generate
from burrow.codegen._inspect import build_lock
from burrow.codegen._ir import (
    FORMAT_VERSION,
    ArrayType,
    ContractDef,
    DictType,
    EnumDef,
    EnumMember,
    FieldDef,
    LiteralType,
    Lock,
    MetaType,
    RefType,
    RetryDef,
    ScalarType,
    ServiceDef,
    StructDef,
    TupleType,
    TypeDef,
    TypeExpr,
    UnionType,
)
from burrow.codegen._lock import decode_lock, encode_lock, lock_hash, read_lock
from burrow.codegen._rebuild import rebuild_type, rebuild_types

__all__ = [
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
