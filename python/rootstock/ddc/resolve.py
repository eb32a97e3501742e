"""A `[[ddc]]` pass checked against the graph resolved on its system: the steps and pin it names exist, the
self-compile step reads the source and takes its compiler from `compiler-var`, the host's env names pins, files
and the chain's steps."""

from __future__ import annotations

from collections.abc import Mapping

from attrs import frozen

from rootstock.ddc.model import Ddc
from rootstock.errors import InputError, known_names, listing
from rootstock.pins.model import Pins
from rootstock.stages.model import Graph
from rootstock.stages.resolve import Part, Ref, ResolvedStep, SystemPlan, Text, _Resolver


@frozen
class ResolvedDdc:
    """A DDC pass with its steps resolved on its system and the host build's environment made explicit."""

    ddc: Ddc
    chain: ResolvedStep
    self_compile: ResolvedStep
    host_script: tuple[Part, ...]
    host_env: tuple[tuple[str, tuple[Part, ...]], ...]

    @property
    def name(self) -> str:
        """The pass's name (`rootstock ddc NAME`)."""
        return self.ddc.name

    def pin_names(self) -> list[str]:
        """The pins the pass reads: the source, the steps' and the host build's."""
        refs = [ref for _, value in self.host_env for ref in value if isinstance(ref, Ref) and ref.kind == "pin"]
        names = [self.ddc.source, *self.chain.pin_names(), *self.self_compile.pin_names(), *(r.name for r in refs)]
        return list(dict.fromkeys(names))

    def flags(self, lists: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
        """The compile's options as the graph's [lists] hold them."""
        return {name: list(lists[name]) for name in self.ddc.lists}


def resolve_ddc(
    graph: Graph, pins: Pins, systems: Mapping[str, SystemPlan], source: str = "stages.toml"
) -> dict[str, ResolvedDdc]:
    """Every `[[ddc]]` pass, checked and resolved.

    Raises:
        InputError: naming the pass and the field: an unknown system, step, pin or list; a self-compile step
            that is not after the chain step, does not read the source or has no `compiler-var` in its env;
            a host argument with a space; a host script that is not one file; a host env naming {out}.
    """
    out: dict[str, ResolvedDdc] = {}
    for ddc in graph.ddc:
        problem = "a pass with this name comes earlier" if ddc.name in out else _steps_problem(ddc, systems)
        problem = problem or _source_problem(ddc, graph, pins, systems[ddc.system]) or _argv_problem(ddc)
        if problem:
            msg = f"{source}: ddc '{ddc.name}': {problem}"
            raise InputError(msg)
        resolver = _Resolver(graph, pins, ddc.system, source)
        resolver.where = f"ddc '{ddc.name}' host"
        # The host build may read the chain's outputs (its libc's sources, its headers), never its own out.
        resolver.earlier = set(systems[ddc.system].names())
        script = resolver.parts(ddc.host.script)
        host_env = tuple((key, resolver.parts(value)) for key, value in sorted(ddc.host.env.items()))
        problem = _host_problem(ddc, script, host_env)
        if problem:
            msg = f"{source}: ddc '{ddc.name}': {problem}"
            raise InputError(msg)
        plan = systems[ddc.system]
        out[ddc.name] = ResolvedDdc(ddc, plan.step(ddc.chain), plan.step(ddc.self_compile), script, host_env)
    return out


def _steps_problem(ddc: Ddc, systems: Mapping[str, SystemPlan]) -> str | None:
    if ddc.system not in systems:
        return f"system: unknown system '{ddc.system}' (systems: {known_names(ddc.system, list(systems))})"
    names = systems[ddc.system].names()
    for field, step in (("chain", ddc.chain), ("self-compile", ddc.self_compile)):
        if step not in names:
            return f"{field}: no step '{step}' on {ddc.system} (known: {known_names(step, names)})"
    if names.index(ddc.self_compile) <= names.index(ddc.chain):
        return f"self-compile: step '{ddc.self_compile}' must come after the chain step '{ddc.chain}'"
    return None


def _source_problem(ddc: Ddc, graph: Graph, pins: Pins, plan: SystemPlan) -> str | None:
    if ddc.source not in pins.names():
        return f"source: unknown pin '{ddc.source}' (known: {known_names(ddc.source, pins.names())})"
    again = plan.step(ddc.self_compile)
    if ddc.source not in again.pin_names():
        return f"source: step '{again.name}' does not read pin '{ddc.source}', so it compiles another source"
    env = dict(again.env)
    if ddc.compiler_var not in env:
        return f"compiler-var: step '{again.name}' sets no '{ddc.compiler_var}' (its env: {listing(sorted(env))})"
    if env[ddc.compiler_var] != (Ref("step", ddc.chain), Text(f"/{ddc.program}")):
        return (
            f"compiler-var: step '{again.name}' must set {ddc.compiler_var} = "
            f'"{{step:{ddc.chain}}}/{ddc.program}" (the chain\'s compiler, which the pass replaces)'
        )
    missing = [name for name in ddc.lists if name not in graph.lists]
    if missing:
        return f"lists: no top-level list '{missing[0]}' (known: {known_names(missing[0], sorted(graph.lists))})"
    return None


def _argv_problem(ddc: Ddc) -> str | None:
    if not ddc.host.argv:
        return "host.argv: the host compiler's argv is empty"
    for arg in ddc.host.argv:
        if not arg or any(c.isspace() for c in arg):
            return f"host.argv: {arg!r}: an argument must be non-empty and hold no white space"
    return None


def _host_problem(ddc: Ddc, script: tuple[Part, ...], env: tuple[tuple[str, tuple[Part, ...]], ...]) -> str | None:
    if len(script) != 1 or not isinstance(script[0], Ref) or script[0].kind != "file":
        return f"host.script: {ddc.host.script!r} must be one {{file:PATH}}"
    for key, value in env:
        for part in value:
            if isinstance(part, Ref) and part.kind == "out":
                return f"host.env.{key}: {{out}} is the host build's own output: it reads pins, files and steps"
    return None
