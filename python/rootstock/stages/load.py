"""Loading and checking stages.toml: strict structure, loops unrolled, then (rootstock.plan) references and
pinned hashes per system."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from cattrs.errors import ClassValidationError
from cattrs.gen import make_dict_structure_fn, override

from rootstock.errors import InputError
from rootstock.pins.convert import converter, field_errors
from rootstock.stages.loops import unroll
from rootstock.stages.model import Graph, StagesFile, Step, StepTemplate

converter.register_structure_hook(Step, make_dict_structure_fn(Step, converter, env_each=override(rename="env-each")))


def _structure_entry(value: Any, _type: type) -> Step | StepTemplate:
    # A `[[step]]` with `each` is a template; anything else is one step.
    kind = StepTemplate if isinstance(value, dict) and "each" in value else Step
    return converter.structure(value, kind)


converter.register_structure_hook(Step | StepTemplate, _structure_entry)


def structure_graph(data: dict[str, Any], source: str) -> Graph:
    """Turn parsed TOML into a Graph, its step templates expanded.

    Raises:
        InputError: listing each bad field with its path, or naming the step whose loop is wrong.
    """
    try:
        written = converter.structure(data, StagesFile)
    except (ClassValidationError, InputError, ValueError) as exc:
        msg = f"{source}: invalid stage graph\n  " + "\n  ".join(field_errors(exc, "stages"))
        raise InputError(msg) from None
    return unroll(written, source)


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
