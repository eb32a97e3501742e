"""The one cattrs converter for every data file (pins.toml, stages.toml, static-nix.toml, deps.json): strict
types, no unknown keys, and every bad field reported with its path; plus reading a TOML file as one clear error."""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import tomllib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

import attrs
import cattrs
from cattrs.cols import homogenous_tuple_structure_factory, is_mapping, is_sequence, mapping_structure_factory
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError
from cattrs.gen import make_dict_structure_fn, override

from rootstock.core import files, storename
from rootstock.core.cpe import Cpe
from rootstock.core.hashes import Hash
from rootstock.core.spdx_licence import SpdxExpression, problem
from rootstock.core.storename import StoreName
from rootstock.ddc.model import Ddc
from rootstock.errors import InputError
from rootstock.pins.model import ADVISORY_RE, REV_RE, AdvisoryId, FilePin, GitPin, Pin, Rev, TarballPin, Urls
from rootstock.sbom.supplier import CONTACT_RULE, Contact, contact
from rootstock.stages.model import Step, StepTemplate

T = TypeVar("T")

KINDS: dict[str, type[GitPin | FilePin | TarballPin]] = {"git": GitPin, "file": FilePin, "tarball": TarballPin}
# Fields whose key in the file is not their Python name: error paths give the key the user wrote.
RENAMED = {"env_each": "env-each", "self_compile": "self-compile", "compiler_var": "compiler-var"}


# What the user wrote, in the data files' own words rather than Python's.
TYPE_NAMES = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a float",
    datetime.date: "a date",
    datetime.datetime: "a date-time",
    list: "an array",
    dict: "a table",
}


# A JSON file (a build report, a custody log line) in JSON's words: an object, not a table; null, not None.
JSON_TYPE_NAMES = {**TYPE_NAMES, float: "a number", dict: "an object", type(None): "null"}
_names: ContextVar[dict[type, str]] = ContextVar("type names", default=TYPE_NAMES)


@contextlib.contextmanager
def syntax_of(syntax: str) -> Iterator[None]:
    """Within it, type_name and shown speak of the values as syntax ("TOML" or "JSON") calls them."""
    token = _names.set(JSON_TYPE_NAMES if syntax == "JSON" else TYPE_NAMES)
    try:
        yield
    finally:
        _names.reset(token)


def type_name(kind: type) -> str:
    """A value type as the data files call it (`a string`, `a table`)."""
    return _names.get().get(kind, kind.__name__)


def shown(value: Any) -> str:
    """A value the user wrote, with its type: `a string 'x'` (JSON's null is just that)."""
    if value is None:
        return "null"
    if isinstance(value, bool) and _names.get() is JSON_TYPE_NAMES:
        return f"{type_name(bool)} {str(value).lower()}"
    return f"{type_name(type(value))} {value!r}"


def _structure_hash(value: Any, _type: type) -> Hash:
    if not isinstance(value, str):
        msg = f"expected an SRI sha256 hash string, got {shown(value)}"
        raise InputError(msg)
    return Hash.sri_only(value)


def _strict(kind: type) -> Any:
    # cattrs would turn "yes" into True and 1 into "1"; a pins file says exactly what it means or is rejected.
    def hook(value: Any, _type: type) -> Any:
        if type(value) is not kind:
            msg = f"expected {type_name(kind)}, got {shown(value)}"
            raise InputError(msg)
        return value

    return hook


def _structure_float(value: Any, _type: type) -> float:
    # cattrs would call float() on anything: "fast" would fail inside Python, "1.5" and true would pass.
    if type(value) not in (int, float):
        msg = f"expected {type_name(float)}, got {shown(value)}"
        raise InputError(msg)
    return float(value)


def _structure_rev(value: Any, _type: type) -> Rev:
    if not isinstance(value, str) or not REV_RE.match(value):
        msg = f"expected a full 40-character lower-case commit hash, got {value!r}"
        raise InputError(msg)
    return Rev(value)


def _structure_urls(value: Any, _type: type) -> Urls:
    if value == []:
        msg = "expected at least one URL where the file is published, got an empty array"
        raise InputError(msg)
    return Urls(converter.structure(value, tuple[str, ...]))


def _structure_cpe(value: Any, _type: type) -> Cpe:
    if not isinstance(value, str):
        msg = f"expected a CPE 2.3 name string, got {shown(value)}"
        raise InputError(msg)
    try:
        return Cpe.parse(value)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def _structure_licence(value: Any, _type: type) -> SpdxExpression:
    if not isinstance(value, str):
        msg = f"expected an SPDX licence expression string, got {shown(value)}"
        raise InputError(msg)
    if (why := problem(value)) is not None:
        raise InputError(why)
    return SpdxExpression(value)


def _structure_contact(value: Any, _type: type) -> Contact:
    if not isinstance(value, str):
        msg = f"expected {CONTACT_RULE}, got {shown(value)}"
        raise InputError(msg)
    try:
        contact(value, "")
    except ValueError as exc:
        raise InputError(str(exc)) from None
    return Contact(value)


def _structure_store_name(value: Any, _type: type) -> StoreName:
    if not isinstance(value, str):
        msg = f"expected a string, got {shown(value)}"
        raise InputError(msg)
    if (why := storename.problem(value)) is not None:
        raise InputError(why)
    return StoreName(value)


def _structure_advisory(value: Any, _type: type) -> AdvisoryId:
    if not isinstance(value, str) or not ADVISORY_RE.match(value):
        msg = f"expected an advisory id such as CVE-2023-45853 or GHSA-…, got {value!r}"
        raise InputError(msg)
    return AdvisoryId(value)


def _structure_date(value: Any, _type: type) -> datetime.date:
    # TOML has dates of its own (`expires = 2026-06-30`); a string or a date-time is not one.
    if type(value) is not datetime.date:
        msg = f"expected a TOML date such as 2026-06-30 (unquoted), got {shown(value)}"
        raise InputError(msg)
    return value


def _structure_pin(value: Any, _type: type) -> Pin:
    if not isinstance(value, dict):
        msg = f"expected {type_name(dict)}, got {shown(value)}"
        raise InputError(msg)
    kind = value.get("kind")
    if kind not in KINDS:
        choices = ", ".join(KINDS)
        msg = (
            f"required key 'kind' is missing ({choices})"
            if kind is None
            else f"'kind' must be one of {choices}, got {kind!r}"
        )
        raise InputError(msg)
    return converter.structure(value, KINDS[kind])


def _structure_step_entry(value: Any, _type: type) -> Step | StepTemplate:
    # A `[[step]]` with `each` is a template; anything else is one step.
    if not isinstance(value, dict):
        msg = f"expected {type_name(dict)}, got {shown(value)}"
        raise InputError(msg)
    kind = StepTemplate if isinstance(value, dict) and "each" in value else Step
    return converter.structure(value, kind)


def _table(conv: cattrs.Converter, cls: type, **renames: Any) -> Any:
    # A record written as a string or a number is a mistake in the file, not a type puzzle for cattrs.
    structure = make_dict_structure_fn(cls, conv, **renames)

    def hook(value: Any, _type: type) -> Any:
        if not isinstance(value, dict):
            msg = f"expected {type_name(dict)}, got {shown(value)}"
            raise InputError(msg)
        return structure(value, _type)

    return hook


def _tables(conv: cattrs.Converter) -> Any:
    def factory(cls: type) -> Any:
        return _table(conv, cls)

    return factory


def _checked(conv: cattrs.Converter, make: Any, kind: type) -> Any:
    # cattrs makes a tuple of any iterable and a dict of any mapping-like value: a string would become its
    # characters and a table its keys, so the value's own TOML type is checked first.
    def factory(cls: type) -> Any:
        structure = make(cls, conv)

        def hook(value: Any, _type: type) -> Any:
            if not isinstance(value, kind):
                msg = f"expected {type_name(kind)}, got {shown(value)}"
                raise InputError(msg)
            return structure(value, _type)

        return hook

    return factory


def _arrays(conv: cattrs.Converter) -> Any:
    return _checked(conv, homogenous_tuple_structure_factory, list)


def _mappings(conv: cattrs.Converter) -> Any:
    return _checked(conv, mapping_structure_factory, dict)


def _structure_literal(value: Any, literal: Any) -> Any:
    choices = get_args(literal)
    if value not in choices:
        msg = f"expected one of {', '.join(map(repr, choices))}, got {shown(value)}"
        raise InputError(msg)
    return value


def _is_literal(cls: Any) -> bool:
    return getattr(cls, "__origin__", None) is Literal


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True)
    conv.register_structure_hook_factory(attrs.has, _tables(conv))
    conv.register_structure_hook_factory(is_sequence, _arrays(conv))
    conv.register_structure_hook_factory(is_mapping, _mappings(conv))
    conv.register_structure_hook_func(_is_literal, _structure_literal)
    conv.register_structure_hook(Hash, _structure_hash)
    conv.register_unstructure_hook(Hash, lambda h: h.sri)
    conv.register_structure_hook(Pin, _structure_pin)
    conv.register_structure_hook(Rev, _structure_rev)
    conv.register_structure_hook(Urls, _structure_urls)
    conv.register_structure_hook(Cpe, _structure_cpe)
    conv.register_unstructure_hook(Cpe, str)
    conv.register_structure_hook(AdvisoryId, _structure_advisory)
    conv.register_structure_hook(StoreName, _structure_store_name)
    conv.register_structure_hook(SpdxExpression, _structure_licence)
    conv.register_structure_hook(Contact, _structure_contact)
    conv.register_structure_hook(datetime.date, _structure_date)
    conv.register_structure_hook(float, _structure_float)
    for kind in (str, bool, int):
        conv.register_structure_hook(kind, _strict(kind))
    renames = {name: override(rename=key) for name, key in RENAMED.items()}
    for cls in (Step, Ddc):
        fields = {name: rename for name, rename in renames.items() if name in attrs.fields_dict(cls)}
        conv.register_structure_hook(cls, _table(conv, cls, **fields))
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


BARE_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# One step of cattrs' path to a bad field: `.attribute`, `[index]` into an array, `['key']` into a table.
PATH_STEP_RE = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['((?:[^'\\]|\\.)*)'\]")


def toml_key(key: str) -> str:
    """A key as TOML spells it in a dotted path: bare when it can be, else in quotes."""
    return key if BARE_KEY_RE.match(key) else f'"{key}"'


def user_path(steps: str, data: Any) -> str:
    """cattrs' path to a bad field (`.step[12].systems`) in the data file's own terms, read alongside the data:
    keys dotted as TOML writes them, an entry of an array of tables by its number from 1 and its name
    (`step 13 ('hex1'): systems`, as a reader counts `[[step]]` tables and searches for a name), an item of a
    plain array by its number (`urls item 2`)."""
    done: list[str] = []
    keys: list[str] = []
    node = data
    for m in PATH_STEP_RE.finditer(steps):
        attribute, index, key = m.groups()
        if index is None:
            name = RENAMED.get(attribute, attribute) if attribute is not None else key.replace("\\'", "'")
            keys.append(toml_key(name))
            node = node.get(name) if isinstance(node, dict) else None
            continue
        i = int(index)
        item = node[i] if isinstance(node, list) and i < len(node) else None
        dotted = ".".join(keys) or "entry"
        if isinstance(item, dict):
            title = item.get("name", item.get("id"))
            done.append(f"{dotted} {i + 1} ({title!r})" if isinstance(title, str) else f"{dotted} {i + 1}")
            keys = []
        else:
            keys = [f"{dotted} item {i + 1}"]
        node = item
    if keys:
        done.append(".".join(keys))
    return ": ".join(done)


def json_path(steps: str) -> str:
    """cattrs' path to a bad field as jq spells it, without its leading dot: `steps[3].seconds`, `pins.src`,
    `files["a b"]` (arrays counted from 0)."""

    def one(m: re.Match[str]) -> str:
        attribute, index, key = m.groups()
        if index is not None:
            return f"[{index}]"
        name = attribute if attribute is not None else key.replace("\\'", "'")
        return f".{name}" if BARE_KEY_RE.match(name) else f"[{json.dumps(name)}]"

    return PATH_STEP_RE.sub(one, steps).removeprefix(".")


def field_errors(exc: Exception, path: str, data: Any = None) -> list[str]:
    """One `where: what was expected` line per bad field of a failed structuring of data: where is path (the
    dotted key of data in the file, such as `pins.src`; empty for a whole file) and the field's user_path."""
    if isinstance(exc, ClassValidationError | cattrs.IterableValidationError):
        lines = cattrs.transform_error(exc, path="$", format_exception=_describe)
    else:
        lines = [f"{_describe(exc, None)} @ $"]
    out = []
    for line in lines:
        message, _, steps = line.rpartition(" @ ")
        steps = steps.removeprefix("$")
        field = json_path(steps) if _names.get() is JSON_TYPE_NAMES else user_path(steps, data)
        where = ".".join(part for part in (path, field) if part)
        out.append(f"{where}: {message}" if where else message)
    return out


STRUCTURE_ERRORS = (ClassValidationError, cattrs.IterableValidationError, InputError, ValueError)


def read_document(path: Path, what: str, parse: Callable[[str], Any], error: type[Exception], syntax: str) -> Any:
    """A data file's contents parsed with parse (whose failures raise error).

    Raises:
        InputError: the file is missing, unreadable, not UTF-8 or not valid syntax (naming it and what it should be).
    """
    text = files.decode_text(files.read_input_bytes(path, what), path, f"{what} as {syntax}")
    try:
        return parse(text)
    except error as exc:
        msg = f"{path}: malformed {syntax}: {exc}"
        raise InputError(msg) from None
    except RecursionError:  # the parser recursing into arrays within arrays, 100,000 deep
        msg = f"{path}: malformed {syntax}: nested too deeply (arrays or tables within each other)"
        raise InputError(msg) from None


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML data file's tables (errors as read_document's)."""
    data: dict[str, Any] = read_document(path, what, tomllib.loads, tomllib.TOMLDecodeError, "TOML")
    return data


def structure(data: Any, cls: type[T], *, source: str, what: str, path: str, syntax: str = "TOML") -> T:
    """data (read from a file of syntax, "TOML" or "JSON") as a cls record.

    Raises:
        InputError: as invalid() words it, in the words of syntax.
    """
    with syntax_of(syntax):
        try:
            return converter.structure(data, cls)
        except STRUCTURE_ERRORS as exc:
            raise invalid(source, what, field_errors(exc, path, data)) from None


def invalid(source: str, what: str, errors: list[str]) -> InputError:
    """The error for a data file with bad fields: one field is one line (`<source>: <path>: <expected>`), several
    are listed each on its own line under `<source>: invalid <what>`."""
    if len(errors) == 1:
        return InputError(f"{source}: {errors[0]}")
    return InputError(f"{source}: invalid {what}", *errors)
