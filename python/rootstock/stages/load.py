"""Loading and checking stages.toml: strict structure, then references and pinned hashes per system."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from cattrs.errors import ClassValidationError

from rootstock.errors import InputError
from rootstock.pins.convert import converter, field_errors
from rootstock.pins.model import Pins
from rootstock.stages.model import Graph
from rootstock.stages.resolve import resolve_oracles


def structure_graph(data: dict[str, Any], source: str) -> Graph:
    """Turn parsed TOML into a Graph.

    Raises:
        InputError: listing each bad field with its path.
    """
    try:
        return converter.structure(data, Graph)
    except (ClassValidationError, InputError, ValueError) as exc:
        msg = f"{source}: invalid stage graph\n  " + "\n  ".join(field_errors(exc, "stages"))
        raise InputError(msg) from None


def load_graph(path: Path, pins: Pins) -> Graph:
    """Read stages.toml and check every reference and hash against the pins for every system.

    Raises:
        InputError: the file is missing or malformed, or a step refers to an unknown pin, step or variable.
    """
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        msg = f"{path}: stage graph not found"
        raise InputError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: malformed TOML: {exc}"
        raise InputError(msg) from None
    graph = structure_graph(data, str(path))
    for system in graph.systems:
        resolve_oracles(graph, pins, system, source=str(path))
    return graph
