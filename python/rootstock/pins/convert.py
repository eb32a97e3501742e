"""Reading pins.toml into Pins (every bad field of every pin reported at once) and editing one pin in place."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomlkit

from rootstock.core.cpe import ANY
from rootstock.core.files import read_input_text, write_atomic
from rootstock.errors import InputError
from rootstock.pins.model import NAME_RE, FilePin, GitPin, NamedPin, Pin, Pins
from rootstock.schema import STRUCTURE_ERRORS, converter, field_errors, invalid, read_toml, shown, toml_key

NAME_RULE = "a pin name is lower-case letters, digits and '-' (or '.', '_', '+'), starting with a letter or digit"


def key_path(name: str) -> str:
    """`pins.<name>` as TOML spells it."""
    return f"pins.{toml_key(name)}"


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
    if not isinstance(table, dict):
        errors.append(f"pins: expected [pins.<name>] tables, got {shown(table)}")
        table = {}
    if not table and not errors:
        # A truncated or emptied file would otherwise verify, fetch and mirror nothing, successfully.
        errors.append("defines no pins (expected [pins.<name>] tables)")
    entries = []
    for name, raw in table.items():
        if not NAME_RE.match(name):
            errors.append(f"{key_path(name)}: {NAME_RULE}")
            continue
        try:
            entries.append(NamedPin(name, converter.structure(raw, Pin)))
        except STRUCTURE_ERRORS as exc:
            errors.extend(field_errors(exc, key_path(name), raw))
    errors += _patch_errors(entries)
    # Whether a patch is applied is known only when every pin could be read.
    errors += _security_errors(entries, complete=len(entries) == len(table))
    if errors:
        raise invalid(source, "pins", errors)
    return Pins(tuple(entries))


def _patch_errors(entries: list[NamedPin]) -> list[str]:
    # A patch is applied while the pin is fetched, long after loading: a wrong name must not wait until then.
    pins = {entry.name: entry.pin for entry in entries}
    errors = []
    for entry in entries:
        if not isinstance(entry.pin, GitPin):
            continue
        for i, patch in enumerate(entry.pin.patches):
            where = f"{key_path(entry.name)}.patches item {i + 1}"
            if patch not in pins:
                errors.append(f"{where}: no pin named '{patch}'; a patch is the name of a file pin")
            elif not isinstance(pins[patch], FilePin):
                errors.append(f"{where}: pin '{patch}' is a {pins[patch].kind} pin; a patch is the name of a file pin")
    return errors


def _security_errors(entries: list[NamedPin], *, complete: bool) -> list[str]:
    # A CPE names the product; the pin's version is the version NVD's criteria are compared with.
    errors = []
    applied = {patch for entry in entries if isinstance(entry.pin, GitPin) for patch in entry.pin.patches}
    for entry in entries:
        pin = entry.pin
        if pin.cpe is not None and pin.cpe.version != ANY:
            errors.append(
                f"{key_path(entry.name)}.cpe: the version attribute must be '*', got {pin.cpe.version!r} "
                "(the pin's `version` is the version matched)"
            )
        elif pin.cpe is not None and not pin.version:
            errors.append(f"{key_path(entry.name)}.cpe: a pin with a cpe needs a `version` to match advisories by")
        if complete and isinstance(pin, FilePin) and pin.fixes and entry.name not in applied:
            errors.append(
                f"{key_path(entry.name)}.fixes: no git pin lists '{entry.name}' in its `patches`; "
                "`fixes` is for a patch that is applied"
            )
    return errors


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
    doc = tomlkit.parse(read_input_text(path, "pins file"))
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
