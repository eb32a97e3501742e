"""Loading and checking stages.toml: strict structure, loops unrolled, then (rootstock.plan) references and
pinned hashes per system."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rootstock.schema import STRUCTURE_ERRORS, converter, field_errors, invalid, read_toml
from rootstock.stages.loops import unroll
from rootstock.stages.model import Graph, StagesFile

STEP_INDEX_RE = re.compile(r"stages\.step\[(\d+)\]")


def structure_graph(data: dict[str, Any], source: str) -> Graph:
    """Turn parsed TOML into a Graph, its step templates expanded.

    Raises:
        InputError: listing each bad field with its path, or naming the step whose loop is wrong.
    """
    try:
        written = converter.structure(data, StagesFile)
    except STRUCTURE_ERRORS as exc:
        raise invalid(source, "stage graph", [_name_step(line, data) for line in field_errors(exc, "stages")]) from None
    return unroll(written, source)


def _name_step(line: str, data: dict[str, Any]) -> str:
    # A reader looks for a step by its name, not by its position among 70 [[step]] tables.
    steps = data.get("step")
    m = STEP_INDEX_RE.match(line)
    if m is None or not isinstance(steps, list) or not isinstance(steps[int(m.group(1))], dict):
        return line
    name = steps[int(m.group(1))].get("name")
    return line if not isinstance(name, str) else f"step '{name}' ({m.group(0)}){line[m.end() :]}"


def load_graph(path: Path) -> Graph:
    """Read stages.toml (its references are checked when the plan resolves it, rootstock.plan).

    Raises:
        InputError: the file is missing or malformed.
    """
    return structure_graph(read_toml(path, "stage graph"), str(path))
