"""Resolving a step for one system: variables substituted, references to pins, steps and files made explicit."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal

from attrs import frozen

from rootstock.core.hashes import Hash
from rootstock.errors import InputError, known_names
from rootstock.pins.model import Pins
from rootstock.stages.model import Graph, Oracle, Step, SystemSpec

TOKEN_RE = re.compile(r"\{([^{}]*)\}")
# In args and env, `{{` and `}}` stand for literal braces; any other brace must open or close a substitution.
PART_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")
LIST_ARG_RE = re.compile(r"^@\{([A-Za-z0-9_-]+)\}$")


@frozen
class Text:
    """Literal text of an argument."""

    text: str


@frozen
class Ref:
    """A store path: the step's own output, a pin, an earlier step, or a file of the repository."""

    kind: Literal["out", "pin", "step", "file"]
    name: str = ""


Part = Text | Ref


@frozen
class Var:
    """A system variable the generated Nix substitutes (`vars.NAME`), in a step written once for all systems."""

    name: str


@frozen
class Splice:
    """An argument `@{NAME}` the generated Nix splices (`lists.NAME`), in a step written once for all systems."""

    name: str


SharedPart = Text | Ref | Var


@frozen
class ResolvedStep:
    """A step as it is built on one system."""

    name: str
    system: str
    builder: Ref
    args: tuple[tuple[Part, ...], ...]
    env: tuple[tuple[str, tuple[Part, ...]], ...]
    output: Hash | None
    files: tuple[tuple[str, Hash], ...]
    description: str
    stage: str = "stage0"
    same_as: str | None = None
    """The earlier step whose output this one must equal (`output = "step:NAME"`: a compiler's fixed point)."""

    def refs(self) -> list[Ref]:
        """Every reference the step makes (builder first)."""
        parts = [part for arg in self.args for part in arg] + [part for _, value in self.env for part in value]
        return [self.builder, *(part for part in parts if isinstance(part, Ref))]

    def pin_names(self) -> list[str]:
        """The pins the step reads (as builder, in args or env), each once, in order of first use."""
        return list(dict.fromkeys(ref.name for ref in self.refs() if ref.kind == "pin"))


@frozen
class ResolvedOracle:
    """An oracle on one system: where its answers file is (None: the oracle's own checksums) and which path
    prefix its entries carry."""

    oracle: Oracle
    answers: tuple[Part, ...] | None
    prefix: str


class _Resolver:
    def __init__(self, graph: Graph, pins: Pins, system: str, source: str) -> None:
        self.pins = pins
        self.system = system
        self.spec: SystemSpec = graph.systems[system]
        self.source = source
        self.earlier: set[str] = set()
        self.outputs: dict[str, Hash] = {}
        self.where = ""

    def fail(self, what: str) -> InputError:
        return InputError(f"{self.source}: {self.where} on {self.system}: {what}")

    def var(self, name: str) -> str:
        if name not in self.spec.vars:
            raise self.fail(f"unknown variable '{{{name}}}' (system variables: {', '.join(sorted(self.spec.vars))})")
        return self.spec.vars[name]

    def ref(self, kind: str, name: str) -> Ref:
        if kind == "pin":
            if name not in self.pins.names():
                self.unknown("pin", name, self.pins.names())
            return Ref("pin", name)
        if kind == "step":
            if name not in self.earlier:
                self.unknown("earlier step", name, sorted(self.earlier))
            return Ref("step", name)
        if kind == "file":
            if not name or name.startswith("/") or ".." in name.split("/"):
                raise self.fail(f"file reference '{name}' must be a path inside the repository")
            return Ref("file", name)
        raise self.fail(f"unknown reference kind '{kind}:' (use pin:, step: or file:)")

    def unknown(self, what: str, name: str, known: list[str]) -> None:
        raise self.fail(f"unknown {what} '{name}' (known: {known_names(name, known)})")

    def parts(self, text: str) -> tuple[Part, ...]:
        out: list[Part] = []
        pos = 0
        for m in [*PART_RE.finditer(text), None]:
            between = text[pos : m.start() if m else len(text)]
            if "{" in between or "}" in between:
                raise self.fail(f"unbalanced brace in {text!r} (write {{{{ and }}}} for literal braces)")
            if between:
                out.append(Text(between))
            if m is None:
                break
            token = m.group(1)
            if token is None:
                out.append(Text(m.group(0)[0]))
            elif token == "out":
                out.append(Ref("out"))
            elif ":" in token:
                kind, _, name = token.partition(":")
                out.append(self.ref(kind, name))
            else:
                out.append(self.var_part(token))
            pos = m.end()
        return tuple(self._merge(out))

    def var_part(self, name: str) -> SharedPart:
        return Text(self.var(name))

    def splice(self, name: str) -> list[tuple[SharedPart, ...] | Splice]:
        if name not in self.spec.lists:
            raise self.fail(f"unknown list variable '@{{{name}}}'")
        return [(Text(item),) for item in self.spec.lists[name]]

    @staticmethod
    def _merge(parts: list[Part]) -> list[Part]:
        merged: list[Part] = []
        for part in parts:
            if isinstance(part, Text) and merged and isinstance(merged[-1], Text):
                merged[-1] = Text(merged[-1].text + part.text)
            else:
                merged.append(part)
        return merged

    def args(self, args: tuple[str, ...]) -> tuple[tuple[Part, ...], ...]:
        out: list[tuple[Part, ...]] = []
        for arg in args:
            if m := LIST_ARG_RE.match(arg):
                out.extend(self.splice(m.group(1)))
            else:
                out.append(self.parts(arg))
        return tuple(out)

    def builder(self, text: str) -> Ref:
        name = TOKEN_RE.sub(lambda m: self.var(m.group(1)), text)
        if name.startswith("pin:"):
            return self.ref("pin", name.removeprefix("pin:"))
        return self.ref("step", name)

    def output(self, step: Step) -> tuple[Hash | None, tuple[tuple[str, Hash], ...]]:
        if self.system in step.output:
            value = TOKEN_RE.sub(lambda m: self.var(m.group(1)), step.output[self.system])
            if value.startswith("pin:"):
                ref = self.ref("pin", value.removeprefix("pin:"))
                return self.pins.get(ref.name).pin.hash, ()
            if value.startswith("step:"):
                # A fixed point: the step must rebuild an earlier step's output byte for byte.
                same = self.outputs.get(value.removeprefix("step:"))
                if same is None:
                    raise self.fail(f"output: {value} names no earlier step with a pinned output on this system")
                return same, ()
            try:
                return Hash.sri_only(value), ()
            except InputError as exc:
                raise self.fail(f"output: {exc}") from None
        if self.system in step.files:
            try:
                files = tuple((path, Hash.parse(h)) for path, h in sorted(step.files[self.system].items()))
            except InputError as exc:
                raise self.fail(f"files: {exc}") from None
            return None, files
        raise self.fail("no pinned output for this system: every step needs `output` or `files`")

    def step(self, step: Step) -> ResolvedStep:
        self.where = f"step '{step.name}'"
        if step.name in self.earlier:
            raise self.fail("a step with this name comes earlier")
        output, files = self.output(step)
        written = step.output.get(self.system, "")
        same_as = written.removeprefix("step:") if written.startswith("step:") else None
        builder = self.builder(step.builder)
        by = builder.name if builder.kind == "step" else f"the pinned file {builder.name}"
        resolved = ResolvedStep(
            name=step.name,
            system=self.system,
            builder=builder,
            args=self.args(step.args),
            env=tuple((key, self.parts(value)) for key, value in sorted(step.env.items())),
            output=output,
            files=files,
            description=step.description or f"{step.name}: built by {by}",
            stage=step.stage,
            same_as=same_as,
        )
        self.earlier.add(step.name)
        if output is not None:
            self.outputs[step.name] = output
        return resolved


@frozen
class SystemPlan:
    """The chain on one system: every step resolved in build order, and the oracles its outputs answer to."""

    system: str
    spec: SystemSpec
    steps: tuple[ResolvedStep, ...]
    oracles: tuple[ResolvedOracle, ...]

    def names(self) -> list[str]:
        """The step names in build order."""
        return [step.name for step in self.steps]

    def step(self, name: str) -> ResolvedStep:
        """One step by name.

        Raises:
            InputError: no step of that name is built on this system.
        """
        for step in self.steps:
            if step.name == name:
                return step
        msg = f"no step '{name}' on {self.system} (steps: {known_names(name, self.names())})"
        raise InputError(msg)

    def built_from(self, steps: Sequence[ResolvedStep]) -> tuple[ResolvedStep, ...]:
        """The steps and every step they are built from, in chain order: what Nix builds to build them."""
        wanted = {step.name for step in steps}
        for step in reversed(self.steps):
            if step.name in wanted:
                wanted.update(ref.name for ref in step.refs() if ref.kind == "step")
        return tuple(step for step in self.steps if step.name in wanted)

    def until(self, name: str | None, stage: str | None = None) -> tuple[ResolvedStep, ...]:
        """All steps (of one stage), or those up to and including name.

        Raises:
            InputError: no step of that name is built on this system, or none of that stage.
        """
        steps = self.steps if stage is None else tuple(step for step in self.steps if step.stage == stage)
        if not steps:
            stages = sorted({step.stage for step in self.steps})
            msg = f"no step of stage '{stage}' is built on {self.system} (stages: {', '.join(stages) or 'none'})"
            raise InputError(msg)
        if name is None:
            return steps
        step = self.step(name)
        if step not in steps:
            msg = f"step '{name}' is in stage '{step.stage}', not '{stage}'"
            raise InputError(msg)
        return steps[: steps.index(step) + 1]

    def through(self, stage: str) -> tuple[ResolvedStep, ...]:
        """The steps of stage and of every stage before it (stages in the order of their first steps): a stage
        with everything it is built from.

        Raises:
            InputError: no step of that stage is built on this system.
        """
        self.until(None, stage)
        order = list(dict.fromkeys(step.stage for step in self.steps))
        wanted = set(order[: order.index(stage) + 1])
        return tuple(step for step in self.steps if step.stage in wanted)


@frozen
class SharedStep:
    """A step as the generated Nix writes it once for every system that builds it: system variables (Var) and
    list splices (Splice) are left for Nix to substitute; each system's resolution brings its hashes."""

    name: str
    builder: tuple[Literal["pin", "step"], tuple[SharedPart, ...]]
    args: tuple[tuple[SharedPart, ...] | Splice, ...]
    env: tuple[tuple[str, tuple[SharedPart, ...]], ...]
    systems: dict[str, ResolvedStep]


class _Shared(_Resolver):
    # Each system's resolution has checked every variable and reference; here they only keep their names.
    def __init__(self, source: str) -> None:
        self.source = source
        self.system = "every system"
        self.where = ""

    def var_part(self, name: str) -> SharedPart:
        return Var(name)

    def splice(self, name: str) -> list[tuple[SharedPart, ...] | Splice]:
        return [Splice(name)]

    def ref(self, kind: str, name: str) -> Ref:
        return Ref(kind, name)  # type: ignore[arg-type]


def share_steps(graph: Graph, plans: Mapping[str, SystemPlan]) -> tuple[SharedStep, ...]:
    """Every step once, in build order, with its resolution on each system of plans that builds it."""
    shared = _Shared("stages.toml")
    out = []
    for step in graph.step:
        systems = {name: plan.step(step.name) for name, plan in plans.items() if step.applies_to(name)}
        if not systems:
            continue
        kind: Literal["pin", "step"] = "pin" if step.builder.startswith("pin:") else "step"
        out.append(
            SharedStep(
                name=step.name,
                builder=(kind, shared.parts(step.builder.removeprefix("pin:"))),
                args=shared.args(step.args),
                env=tuple((key, shared.parts(value)) for key, value in sorted(step.env.items())),
                systems=systems,
            )
        )
    return tuple(out)


def resolve_system(graph: Graph, pins: Pins, system: str, *, source: str = "stages.toml") -> SystemPlan:
    """Every step of the chain on one system, resolved in build order, with its oracles.

    Raises:
        InputError: unknown system, pin, step or variable; a reference to a later step; a missing output pin;
            an oracle naming an unknown step.
    """
    if system not in graph.systems:
        msg = f"{source}: no system '{system}' (systems: {', '.join(sorted(graph.systems)) or 'none'})"
        raise InputError(msg)
    resolver = _Resolver(graph, pins, system, source)
    steps = tuple(resolver.step(step) for step in graph.step if step.applies_to(system))
    names = [step.name for step in steps]
    oracles = []
    for oracle in graph.oracle:
        if not oracle.applies_to(system):
            continue
        resolver.where = f"oracle '{oracle.name}'"
        if (oracle.answers is None) == (not oracle.checksums):
            msg = f"{source}: oracle '{oracle.name}' needs exactly one of `answers` (a file) and `checksums` (a table)"
            raise InputError(msg)
        for name in oracle.steps:
            if name not in names:
                resolver.unknown("step", name, names)
        prefix = TOKEN_RE.sub(lambda m: resolver.var(m.group(1)), oracle.prefix)
        answers = None if oracle.answers is None else resolver.parts(oracle.answers)
        oracles.append(ResolvedOracle(oracle, answers, prefix))
    return SystemPlan(system, graph.systems[system], steps, tuple(oracles))
