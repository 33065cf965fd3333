"""The checker's own value strategies: the tests generate messages exactly as its witness search does."""

from burrow.codegen._breaking._samples import values

__all__ = ["values"]
