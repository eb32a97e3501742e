"""The one cattrs converter for pins: strict structuring with the path of every bad field, and in-place edits."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import attrs
import cattrs
import tomlkit
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn

from rootstock.core.files import write_atomic
from rootstock.core.hashes import Hash
from rootstock.errors import InputError
from rootstock.pins.model import REV_RE, FilePin, GitPin, NamedPin, Pin, Pins, Rev, TarballPin

KINDS: dict[str, type[GitPin | FilePin | TarballPin]] = {"git": GitPin, "file": FilePin, "tarball": TarballPin}


def _structure_hash(value: Any, _type: type) -> Hash:
    if not isinstance(value, str):
        msg = f"expected an SRI sha256 hash string, got {type(value).__name__}"
        raise InputError(msg)
    return Hash.sri_only(value)


def _strict(kind: type) -> Any:
    # cattrs would turn "yes" into True and 1 into "1"; a pins file says exactly what it means or is rejected.
    def hook(value: Any, _type: type) -> Any:
        if type(value) is not kind:
            msg = f"expected {kind.__name__}, got {type(value).__name__} {value!r}"
            raise InputError(msg)
        return value

    return hook


def _structure_rev(value: Any, _type: type) -> Rev:
    if not isinstance(value, str) or not REV_RE.match(value):
        msg = f"expected a full 40-character lower-case commit hash, got {value!r}"
        raise InputError(msg)
    return Rev(value)


def _structure_pin(value: Any, _type: type) -> Pin:
    if not isinstance(value, dict):
        msg = f"expected a table, got {type(value).__name__}"
        raise InputError(msg)
    kind = value.get("kind")
    if kind not in KINDS:
        msg = f"'kind' must be one of {', '.join(KINDS)}, got {kind!r}"
        raise InputError(msg)
    return converter.structure(value, KINDS[kind])


def _tables(conv: cattrs.Converter) -> Any:
    # A record written as a string or a number is a mistake in the file, not a type puzzle for cattrs.
    def factory(cls: type) -> Any:
        structure = make_dict_structure_fn(cls, conv)

        def hook(value: Any, _type: type) -> Any:
            if not isinstance(value, dict):
                msg = f"expected a table, got {type(value).__name__} {value!r}"
                raise InputError(msg)
            return structure(value, _type)

        return hook

    return factory


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook_factory(attrs.has, _tables(conv))
    conv.register_structure_hook(Hash, _structure_hash)
    conv.register_unstructure_hook(Hash, lambda h: h.sri)
    conv.register_structure_hook(Pin, _structure_pin)
    conv.register_structure_hook(Rev, _structure_rev)
    for kind in (str, bool, int):
        conv.register_structure_hook(kind, _strict(kind))
    return conv


converter = _make_converter()


def _describe(exc: BaseException, _type: type | None) -> str:
    if isinstance(exc, ForbiddenExtraKeysError):
        return f"unknown key(s) {', '.join(sorted(exc.extra_fields))}"
    if isinstance(exc, KeyError):
        return "required key is missing"
    if isinstance(exc, InputError | ValueError):
        return str(exc)
    if isinstance(exc, TypeError | AttributeError) and _type is not None:
        return f"expected {getattr(_type, '__name__', _type)}"
    return str(exc)


def field_errors(exc: Exception, path: str) -> list[str]:
    if isinstance(exc, ClassValidationError | cattrs.IterableValidationError):
        lines = cattrs.transform_error(exc, path=path, format_exception=_describe)
    else:
        lines = [f"{_describe(exc, None)} @ {path}"]
    out = []
    for line in lines:
        message, _, where = line.rpartition(" @ ")
        out.append(f"{where.replace('$.', '')}: {message}")
    return out


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
            entries.append(NamedPin(name, _structure_pin(raw, Pin)))
        except (ClassValidationError, InputError, ValueError) as exc:
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
    try:
        text = path.read_text()
    except FileNotFoundError:
        msg = f"{path}: pins file not found"
        raise InputError(msg) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{path}: malformed TOML: {exc}"
        raise InputError(msg) from None
    return structure_pins(data, str(path))


def update_pin_fields(path: Path, name: str, changes: dict[str, str]) -> Pins:
    """Set fields of one pin in the file in place, keeping comments and order, then re-check the whole file.

    Raises:
        InputError: the pin does not exist, or the edited file would not be valid (nothing is written then).
    """
    doc = tomlkit.parse(path.read_text())
    pins_table = doc.get("pins")
    if pins_table is None or name not in pins_table:
        msg = f"{path}: no pin named '{name}'"
        raise InputError(msg)
    for key, value in changes.items():
        pins_table[name][key] = value
    text = tomlkit.dumps(doc)
    pins = structure_pins(tomllib.loads(text), str(path))
    write_atomic(path, text)
    return pins
