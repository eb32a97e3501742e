"""Where the audit's inputs come from: directories given by hand, or the checkout's own pins and built chain."""

from __future__ import annotations

import tempfile
from pathlib import Path

from attrs import frozen

from rootstock.audit.pinned import PinnedOutput, pinned_outputs, system_for_arch
from rootstock.audit.policy import arch_named
from rootstock.audit.runner import SEEDS, audited_steps
from rootstock.audit.stages import STAGES, stage_name
from rootstock.errors import InputError
from rootstock.plan import Plan
from rootstock.stages.build import build_steps


@frozen
class AuditInputs:
    """One architecture's seeds, source tree and (optionally) chain binaries, and their pinned hashes."""

    arch: str
    seeds: Path
    sources: Path
    stages: Path | None
    pinned: dict[str, PinnedOutput]


def given_inputs(plan: Plan, arch: str, seeds: Path, sources: Path, stages: Path | None) -> AuditInputs:
    """Directories named on the command line, checked against the hashes the checkout's graph pins.

    Raises:
        InputError: the graph builds no system for arch, or pins no output for an audited program.
    """
    system = system_for_arch(plan.graph, arch)
    return AuditInputs(arch, seeds, sources, stages, pinned_outputs(plan.system(system), audited_steps(arch)))


def chain_inputs(plan: Plan, system: str, *, log_dir: Path, workdir: Path) -> AuditInputs:
    """The seeds and source tree as pinned, and the early stages as the chain builds them (built if needed).

    The seeds are the pins the steps `hex0` and `kaem-minimal` must reproduce, the source tree is the pin
    step `hex0` assembles from, and the stage binaries are linked into workdir under the names upstream gives
    them.

    Raises:
        InputError: the system or its arch variable is unknown, or a seed step does not name its seed pin.
        HashMismatchError, BuildError: from building the chain.
    """
    project, graph = plan.project, plan.graph
    spec = graph.systems.get(system)
    arch = spec.vars.get("arch") if spec is not None else None
    if arch is None:
        msg = f"stages.toml: system '{system}' is unknown or has no vars.arch (the upstream architecture name)"
        raise InputError(msg)
    steps = audited_steps(arch)
    order = [step.name for step in graph.step]
    last = max(steps.values(), key=order.index)
    results = build_steps(plan, system, until=last, log_dir=log_dir)
    outs = {built.target.name: built.out for built in results}
    fetcher = project.fetcher()
    seeds = workdir / "seeds"
    seeds.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="rootstock-audit-") as tmp:
        for program, _source, step_name in SEEDS:
            step = next(s for s in graph.step if s.name == step_name)
            output = step.output.get(system, "")
            if not output.startswith("pin:"):
                msg = f"stages.toml: step '{step_name}' must pin its output to the {program} pin on {system}"
                raise InputError(msg)
            pin = project.pins.get(output.removeprefix("pin:"))
            (seeds / program).symlink_to(fetcher.place(pin, Path(tmp)))
        hex0 = plan.system(system).step("hex0")
        tree = next(ref for ref in hex0.refs()[1:] if ref.kind == "pin")
        sources = fetcher.place(project.pins.get(tree.name), Path(tmp)) / arch
    stages = workdir / "stages"
    stages.mkdir()
    for stage in STAGES:
        (stages / stage_name(stage, arch_named(arch))).symlink_to(outs[stage.step])
    return AuditInputs(arch, seeds, sources, stages, pinned_outputs(plan.system(system), steps))
