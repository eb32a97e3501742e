"""Nix escaping filters for templates: strings, identifiers, and argument strings with store-path references."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence

from rootstock.errors import InputError
from rootstock.stages.resolve import Ref, ResolvedStep, SharedPart, SharedStep, Splice, SystemPlan, Text, Var

IDENT_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_'-]*$")
KEYWORDS = frozenset({"if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"})


def _escape_body(text: str) -> str:
    # JSON escaping covers quotes, backslashes and control characters; `${` must not start an interpolation.
    return json.dumps(text, ensure_ascii=False)[1:-1].replace("${", "\\${")


def nix_str(value: str) -> str:
    """A Nix string literal that means exactly value (nixpkgs' escapeNixString)."""
    return f'"{_escape_body(value)}"'


def nix_ident(name: str) -> str:
    """An attribute name: bare when Nix allows it, else a quoted string (nixpkgs' escapeNixIdentifier)."""
    return name if IDENT_RE.match(name) and name not in KEYWORDS else nix_str(name)


def nix_bool(value: bool) -> str:
    """true or false."""
    return "true" if value else "false"


def nix_ref(ref: Ref) -> str:
    """The Nix expression for a store-path reference."""
    if ref.kind == "out":
        return 'builtins.placeholder "out"'
    if ref.kind == "pin":
        return f"pins.{nix_ident(ref.name)}"
    if ref.kind == "step":
        return f"steps.{nix_ident(ref.name)}"
    return f"(root + {nix_str('/' + ref.name)})"


def _interpolated(part: SharedPart) -> str:
    if isinstance(part, Text):
        return _escape_body(part.text)
    if isinstance(part, Var):
        return "${vars." + nix_ident(part.name) + "}"
    return "${" + nix_ref(part) + "}"


def nix_parts(parts: Sequence[SharedPart]) -> str:
    """A Nix string literal made of literal text, system variables and interpolated references; the output
    placeholder alone is written as itself (the same string, without an interpolation)."""
    if tuple(parts) == (Ref("out"),):
        return f"({nix_ref(parts[0])})"
    return '"' + "".join(_interpolated(part) for part in parts) + '"'


def nix_builder(step: SharedStep) -> str:
    """The builder of a step: a pin or an earlier step, selected by a name that may hold system variables."""
    kind, name = step.builder
    where = "pins" if kind == "pin" else "steps"
    if len(name) == 1 and isinstance(name[0], Text):
        return f"{where}.{nix_ident(name[0].text)}"
    if len(name) == 1 and isinstance(name[0], Var):
        return f"{where}.${{vars.{nix_ident(name[0].name)}}}"
    return f"{where}.{nix_parts(name)}"


def nix_argv(args: Sequence[tuple[SharedPart, ...] | Splice], indent: str) -> str:
    """An argv list: literal arguments one per line, a system's list variable spliced in with `++`."""
    chunks: list[str] = []
    literal: list[str] = []
    for arg in [*args, None]:
        if isinstance(arg, tuple):
            literal.append(f"{indent}  {nix_parts(arg)}\n")
            continue
        if literal:
            chunks.append("[\n" + "".join(literal) + f"{indent}]")
            literal = []
        elif arg is None and not chunks:
            chunks.append("[ ]")
        if isinstance(arg, Splice):
            chunks.append(f"lists.{nix_ident(arg.name)}")
    return " ++ ".join(chunks)


def nix_by_system(values: Mapping[str, str], indent: str = "") -> str:
    """One Nix expression when every system has the same, else the system's own selected from a set (one
    line per system, at indent)."""
    distinct = set(values.values())
    if len(distinct) == 1:
        return distinct.pop()
    lines = "".join(f"{indent}  {nix_ident(system)} = {value};\n" for system, value in values.items())
    return "{\n" + lines + indent + "}.${system}"


def nix_list(items: Sequence[str]) -> str:
    """A list of strings on one line."""
    return "[ " + "".join(f"{nix_str(item)} " for item in items) + "]"


# The characters POSIX extended regular expressions (Nix's builtins.match) give a meaning of their own.
ERE_SPECIAL = frozenset(".^$*+?()[]{}|\\")


def remove_regex(pin: str, pattern: str) -> str:
    """The regular expression builtins.match needs to name exactly the tree paths that a pin's `remove`
    pattern names (pathlib's glob, as `rootstock pins fetch` applies it: `*` and `?` within one path
    segment, `[…]` and `[!…]` classes), matched against a path relative to the tree's top.

    Raises:
        InputError: the pattern uses `**`, which spans directories and has no rendering here.
    """
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            msg = f"pin '{pin}': remove pattern {pattern!r}: '**' cannot be rendered for Nix's evaluator"
            msg += "; name the paths"
            raise InputError(msg)
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := pattern.find("]", i + 2)) != -1:
            body = pattern[i + 1 : end]
            out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
            i = end
        else:
            out.append("\\" + char if char in ERE_SPECIAL else char)
        i += 1
    return "".join(out)


def nix_remove_regexes(patterns: Sequence[str], pin: str) -> str:
    """A pin's `remove` patterns as a Nix list of regular expressions (remove_regex)."""
    return nix_list([remove_regex(pin, pattern) for pattern in patterns])


def _files(step: ResolvedStep) -> str:
    return "{ " + "".join(f"{nix_str(path)} = {nix_str(h.sri)}; " for path, h in step.files) + "}"


SYSTEM_VALUES: dict[str, Callable[[ResolvedStep], str]] = {
    "outputHash": lambda step: nix_str(step.output.sri) if step.output else "null",
    "description": lambda step: nix_str(step.description),
    "pins": lambda step: nix_list(step.pin_names()),
    "files": _files,
}


def nix_of_systems(step: SharedStep, field: str, indent: str) -> str:
    """A field of the step's resolution (outputHash, description, pins, files) as Nix, selected by system
    where the systems differ."""
    values = {system: SYSTEM_VALUES[field](resolved) for system, resolved in step.systems.items()}
    return nix_by_system(values, indent)


def nix_chain_result(plans: Mapping[str, SystemPlan], shared: Sequence[SharedStep]) -> str:
    """What the chain of the evaluated system is: its steps (less those only other systems build) and
    `default`, its last step."""
    absent = {system: nix_list([s.name for s in shared if system not in s.systems]) for system in plans}
    last = {system: plan.steps[-1].name for system, plan in plans.items() if plan.steps}
    steps = "steps" if set(absent.values()) == {"[ ]"} else f"removeAttrs steps {nix_by_system(absent)}"
    if not last:
        return steps
    names = set(last.values())
    default = (
        nix_ident(names.pop())
        if len(names) == 1
        else "${" + nix_by_system({s: nix_str(n) for s, n in last.items()}) + "}"
    )
    return f"{steps} // {{ default = steps.{default}; }}"


def object_stem(source: str) -> str:
    """The object mescc writes for a C source (`lib/mes/eputs.c` -> `eputs`): it names objects by basename."""
    return source.rsplit("/", 1)[-1].removesuffix(".c")


def distinct_objects(sources: Sequence[str]) -> list[str]:
    """The sources, refused when two would write the same object in one directory.

    Raises:
        InputError: names both sources.
    """
    seen: dict[str, str] = {}
    for source in sources:
        other = seen.setdefault(object_stem(source), source)
        if other != source:
            msg = f"{other} and {source} would both compile to {object_stem(source)}.o in one step"
            raise InputError(msg, "compile them in different steps")
    return list(sources)


def flat_object(source: str) -> str:
    """The object a musl-style build writes for a source, one directory for all (`src/stdio/printf.c` ->
    `src_stdio_printf.c.o`): unique where basenames are not (src/math/i386/fabs.s and src/math/fabs.c)."""
    return source.replace("/", "_") + ".o"
