"""Loading and checking stages.toml: strict structure, loops unrolled, then (rootstock.plan) references and
pinned hashes per system."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rootstock.schema import STRUCTURE_ERRORS, converter, field_errors, invalid, read_toml
from rootstock.stages.loops import unroll
from rootstock.stages.model import Graph, StagesFile


def structure_graph(data: dict[str, Any], source: str) -> Graph:
    """Turn parsed TOML into a Graph, its step templates expanded.

    Raises:
        InputError: listing each bad field with its path, or naming the step whose loop is wrong.
    """
    try:
        written = converter.structure(data, StagesFile)
    except STRUCTURE_ERRORS as exc:
        raise invalid(source, "stage graph", field_errors(exc, "", data)) from None
    return unroll(written, source)


def load_graph(path: Path) -> Graph:
    """Read stages.toml (its references are checked when the plan resolves it, rootstock.plan).

    Raises:
        InputError: the file is missing or malformed.
    """
    return structure_graph(read_toml(path, "stage graph"), str(path))
