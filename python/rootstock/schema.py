"""The one cattrs converter for every data file (pins.toml, stages.toml, static-nix.toml, deps.json): strict
types, no unknown keys, and every bad field reported with its path; plus reading a TOML file as one clear error."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, override

from rootstock.core.hashes import Hash
from rootstock.errors import InputError
from rootstock.pins.model import REV_RE, FilePin, GitPin, Pin, Rev, TarballPin
from rootstock.stages.model import Step, StepTemplate

T = TypeVar("T")

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


def _structure_step_entry(value: Any, _type: type) -> Step | StepTemplate:
    # A `[[step]]` with `each` is a template; anything else is one step.
    kind = StepTemplate if isinstance(value, dict) and "each" in value else Step
    return converter.structure(value, kind)


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
    conv.register_structure_hook(Step, make_dict_structure_fn(Step, conv, env_each=override(rename="env-each")))
    conv.register_structure_hook(Step | StepTemplate, _structure_step_entry)
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
    """One `path.to.field: what was expected` line per bad field of a failed structuring."""
    if isinstance(exc, ClassValidationError | cattrs.IterableValidationError):
        lines = cattrs.transform_error(exc, path=path, format_exception=_describe)
    else:
        lines = [f"{_describe(exc, None)} @ {path}"]
    out = []
    for line in lines:
        message, _, where = line.rpartition(" @ ")
        out.append(f"{where.replace('$.', '')}: {message}")
    return out


STRUCTURE_ERRORS = (ClassValidationError, cattrs.IterableValidationError, InputError, ValueError)


def read_document(path: Path, what: str, parse: Callable[[str], Any], error: type[Exception], syntax: str) -> Any:
    """A data file's contents parsed with parse (whose failures raise error).

    Raises:
        InputError: the file is missing, unreadable, not UTF-8 or not valid syntax (naming it and what it should be).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{path}: {what} not found"
        raise InputError(msg) from None
    except UnicodeDecodeError as exc:
        msg = f"{path}: not UTF-8 text (byte {exc.start}); expected the {what} as {syntax}"
        raise InputError(msg) from None
    except OSError as exc:
        msg = f"{path}: cannot read the {what} ({exc.strerror})"
        raise InputError(msg) from None
    try:
        return parse(text)
    except error as exc:
        msg = f"{path}: malformed {syntax}: {exc}"
        raise InputError(msg) from None


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML data file's tables (errors as read_document's)."""
    data: dict[str, Any] = read_document(path, what, tomllib.loads, tomllib.TOMLDecodeError, "TOML")
    return data


def structure(data: Any, cls: type[T], *, source: str, what: str, path: str) -> T:
    """data as a cls record.

    Raises:
        InputError: `<source>: invalid <what>` and one line per bad field (`<path>.<field>: …`).
    """
    try:
        return converter.structure(data, cls)
    except STRUCTURE_ERRORS as exc:
        msg = f"{source}: invalid {what}\n  " + "\n  ".join(field_errors(exc, path))
        raise InputError(msg) from None
