"""Loading and checking stages.toml: strict structure, then references and pinned hashes per system."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from cattrs.errors import ClassValidationError

from rootstock.errors import InputError
from rootstock.pins.convert import converter, field_errors
from rootstock.stages.model import Graph


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


def load_graph(path: Path) -> Graph:
    """Read stages.toml (its references are checked when the plan resolves it, rootstock.plan).

    Raises:
        InputError: the file is missing or malformed.
    """
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        msg = f"{path}: stage graph not found"
        raise InputError(msg) from None
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: malformed TOML: {exc}"
        raise InputError(msg) from None
    return structure_graph(data, str(path))
