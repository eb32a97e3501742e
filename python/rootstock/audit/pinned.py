"""The audited programs' pinned hashes, read from the stage graph: each program is the output of one step.

The seeds and the early stages are outputs of steps whose output hash stages.toml pins (the seeds through
the steps that must reproduce them), so the audit checks the very bytes it read against that one record
instead of keeping a second list of hashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from attrs import frozen

from rootstock.audit.model import Check, Finding, Section
from rootstock.core.hashes import Hash
from rootstock.core.nar import file_nar_hash
from rootstock.errors import InputError
from rootstock.stages.model import Graph
from rootstock.stages.resolve import SystemPlan


@frozen
class PinnedOutput:
    """The output hash stages.toml pins for the step that produces a program (NAR of an executable file)."""

    step: str
    system: str
    hash: Hash


def system_for_arch(graph: Graph, arch_name: str, source: str = "stages.toml") -> str:
    """The Nix system whose steps are built for an upstream architecture name (vars.arch).

    Raises:
        InputError: no system of the graph builds that architecture.
    """
    systems = sorted(name for name, spec in graph.systems.items() if spec.vars.get("arch") == arch_name)
    if not systems:
        msg = f"{source}: no system has vars.arch = '{arch_name}', so nothing pins the {arch_name} programs"
        raise InputError(msg)
    return systems[0]


def pinned_outputs(chain: SystemPlan, steps: Mapping[str, str]) -> dict[str, PinnedOutput]:
    """program name -> the pinned output of the step (steps: program name -> step name) on the chain's system.

    Raises:
        InputError: a step is missing or pins no single output.
    """
    system = chain.system
    resolved = {step.name: step for step in chain.steps}
    out = {}
    for program, step_name in steps.items():
        step = resolved.get(step_name)
        if step is None or step.output is None:
            msg = f"stages.toml: step '{step_name}' (which builds {program}) has no pinned output on {system}"
            raise InputError(msg)
        out[program] = PinnedOutput(step_name, system, step.output)
    return out


def check_pinned(programs: Iterable[tuple[str, bytes]], pinned: Mapping[str, PinnedOutput]) -> Section:
    """One check per program: its bytes, as an executable store file, have the hash its step pins."""
    checks, findings = [], []
    for name, data in programs:
        actual = file_nar_hash(data, executable=True)
        pin = pinned.get(name)
        if pin is None:
            findings.append(Finding(f"pin/{name}", "info", f"no pinned output for {name}; its NAR sha256 is {actual}"))
            continue
        checks.append(
            Check(
                f"pin/{name}",
                f"{name} has the output hash stages.toml pins for step '{pin.step}' ({pin.system})",
                pin.hash.sri,
                actual.sri,
                actual == pin.hash,
            )
        )
    return Section("pinned hashes", tuple(checks), tuple(findings))
