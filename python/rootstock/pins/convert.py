"""Reading pins.toml into Pins (every bad field of every pin reported at once) and editing one pin in place."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomlkit

from rootstock.core.files import write_atomic
from rootstock.errors import InputError
from rootstock.pins.model import NamedPin, Pin, Pins
from rootstock.schema import STRUCTURE_ERRORS, converter, field_errors, read_toml


def structure_pins(data: dict[str, Any], source: str) -> Pins:
    """Turn parsed TOML into Pins, reporting every bad field with its path.

    Raises:
        InputError: listing each bad field as `pins.<name>.<field>: <what was expected>`.
    """
    errors: list[str] = []
    extra = sorted(set(data) - {"pins"})
    if extra:
        errors.append(f"unknown top-level key(s) {', '.join(extra)} (only [pins.<name>] tables are allowed)")
    table = data.get("pins", {})
    entries = []
    for name, raw in table.items():
        try:
            entries.append(NamedPin(name, converter.structure(raw, Pin)))
        except STRUCTURE_ERRORS as exc:
            errors.extend(field_errors(exc, f"pins.{name}"))
    if errors:
        msg = f"{source}: invalid pins\n  " + "\n  ".join(errors)
        raise InputError(msg)
    return Pins(tuple(entries))


def load_pins(path: Path) -> Pins:
    """Read and check a pins file.

    Raises:
        InputError: the file is missing, is not TOML, or a pin is malformed.
    """
    return structure_pins(read_toml(path, "pins file"), str(path))


def update_pin_fields(path: Path, name: str, changes: dict[str, str | None]) -> Pins:
    """Set fields of one pin in the file in place (None removes a field), keeping comments and order, then
    re-check the whole file.

    Raises:
        InputError: the pin does not exist, or the edited file would not be valid (nothing is written then).
    """
    doc = tomlkit.parse(path.read_text())
    pins_table = doc.get("pins")
    if pins_table is None or name not in pins_table:
        msg = f"{path}: no pin named '{name}'"
        raise InputError(msg)
    for key, value in changes.items():
        if value is not None:
            pins_table[name][key] = value
        elif key in pins_table[name]:
            del pins_table[name][key]
    text = tomlkit.dumps(doc)
    pins = structure_pins(tomllib.loads(text), str(path))
    write_atomic(path, text)
    return pins
