"""Where the audit's inputs come from: directories given by hand, or the checkout's own pins and built chain.

This is the only place that joins the plan and the builder to the audit: rootstock.audit receives an
AuditInputs record and analyses it.
"""

from __future__ import annotations

from pathlib import Path

from rootstock.audit.inputs import AuditInputs, Seed
from rootstock.core.files import temporary_directory
from rootstock.errors import InputError
from rootstock.plan import Plan
from rootstock.stages.audit_table import audit_target, audited_programs, system_for_arch
from rootstock.stages.build import build_steps
from rootstock.stages.resolve import Ref, SystemPlan, Text


def given_inputs(plan: Plan, arch: str, seeds: Path, sources: Path, stages: Path | None) -> AuditInputs:
    """Directories named on the command line, described and pinned by the system of the graph that builds arch.

    Raises:
        InputError: the graph builds no system for arch, or its `audit` tables or variables are malformed.
    """
    chain = plan.system(system_for_arch(plan.graph, arch))
    return AuditInputs(audit_target(chain), seeds, sources, stages, *audited_programs(plan.graph, chain))


def chain_inputs(plan: Plan, system: str, *, log_dir: Path, workdir: Path) -> AuditInputs:
    """The seeds and source tree as pinned, and the early stages as the chain builds them (built if needed).

    The seeds are the pins the seed steps must reproduce, the source tree is the directory of the pin those
    steps assemble their sources from, and the stage binaries are linked into workdir under their program names.

    Raises:
        InputError: the system is unknown, or its `audit` tables or variables are malformed.
        HashMismatchError, BuildError: from building the chain.
    """
    project, chain = plan.project, plan.system(system)
    target = audit_target(chain)
    seeds, stages = audited_programs(plan.graph, chain)
    order = chain.names()
    last = max((program.step for program in (*seeds, *stages)), key=order.index)
    outs = {built.target.name: built.out for built in build_steps(plan, system, until=last, log_dir=log_dir)}
    fetcher = project.fetcher()
    seed_dir = workdir / "seeds"
    seed_dir.mkdir(parents=True)
    with temporary_directory("rootstock-audit-") as tmp:
        for seed in seeds:
            (seed_dir / seed.name).symlink_to(fetcher.place(project.pins.get(seed.pin), tmp))
        tree, subdir = _source_tree(chain, seeds)
        sources = fetcher.place(project.pins.get(tree), tmp) / subdir
    stage_dir = workdir / "stages"
    stage_dir.mkdir()
    for stage in stages:
        (stage_dir / stage.name).symlink_to(outs[stage.step])
    return AuditInputs(target, seed_dir, sources, stage_dir, seeds, stages)


def _source_tree(chain: SystemPlan, seeds: tuple[Seed, ...]) -> tuple[str, str]:
    """The pin and directory the seed steps read their sources from: the argument `{pin:P}/DIR/<source>`."""
    found = set()
    for seed in seeds:
        args = chain.step(seed.step).args
        where = [
            (arg[0].name, arg[1].text.removesuffix(seed.source).strip("/"))
            for arg in args
            if len(arg) == 2
            and isinstance(arg[0], Ref)
            and arg[0].kind == "pin"
            and isinstance(arg[1], Text)
            and arg[1].text.endswith("/" + seed.source)
        ]
        if not where:
            msg = (
                f"stages.toml: step '{seed.step}' on {chain.system}: audit: its source '{seed.source}' is not one "
                "of its arguments as {pin:<tree>}/<dir>/<source>, so the audit cannot find the source tree"
            )
            raise InputError(msg)
        found.add(where[0])
    if len(found) != 1:
        msg = f"stages.toml: the seed steps on {chain.system} read their sources from different trees: {sorted(found)}"
        raise InputError(msg)
    return found.pop()
