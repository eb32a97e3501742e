"""Diverse double-compiling (Wheeler's DDC): a chain's compiler checked against its source with an independent
compiler (docs/ddc.md)."""
