"""Modules generated from the contracts by ``burrow codegen``: do not edit them by hand."""
